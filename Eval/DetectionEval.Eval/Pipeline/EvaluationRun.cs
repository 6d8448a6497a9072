using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Matches;
using DetectionEval.Eval.Analysis;

namespace DetectionEval.Eval.Pipeline;

/// <summary>The match records of a run, kept when the request asked for <see cref="RunProducts.Matches"/>.</summary>
/// <param name="Coco">COCO's records, when COCO was evaluated.</param>
/// <param name="Voc">VOC's records, when VOC was evaluated.</param>
public sealed record MatchRecords(CocoMatches? Coco, VocMatches? Voc)
{
    /// <summary>COCO's mask records, when masks were evaluated (<c>--iou-type segm</c>).</summary>
    public CocoMatches? CocoSegm { get; init; }

    /// <summary>COCO's keypoint records, when keypoints were evaluated.</summary>
    public CocoMatches? CocoKeypoints { get; init; }
}

/// <summary>How the files of a run were read.</summary>
/// <param name="GroundTruth">The ground truth's path and format.</param>
/// <param name="Predictions">Each predictions input's path and format, in reading order.</param>
public sealed record InputsRead(InputFormat GroundTruth, IReadOnlyList<InputFormat> Predictions);

/// <summary>What one evaluation produced.</summary>
/// <param name="Result">The numbers: COCO, VOC, operating points, and the analysis when asked for.</param>
/// <param name="Dataset">The evaluated dataset; after a low-memory run, its ground truth only.</param>
/// <param name="Matches">The match records, when asked for; null otherwise.</param>
/// <param name="LowMemory">Whether the predictions were spilled and evaluated shard by shard.</param>
/// <param name="Read">How the files were read; null when the inputs were a dataset.</param>
/// <param name="Options">The options the run was evaluated with.</param>
public sealed record EvaluationRun(EvaluationResult Result, Dataset Dataset, MatchRecords? Matches, bool LowMemory, InputsRead? Read, EvaluationOptions Options)
{
    /// <summary>
    /// The confidence at which images are reviewed (<see cref="WorstImages"/>, the overlays): the best-F1
    /// confidence of the box matches at IoU 0.5 (VOC), all classes pooled: the operating point's when VOC was
    /// reported, else computed from the box matches a mask or keypoint run keeps for review; null without
    /// detections or without VOC matches.
    /// </summary>
    public double? ReviewConfidence { get; init; }

    /// <summary>
    /// The <paramref name="count"/> images with the most errors at <paramref name="confidence"/> by the VOC
    /// rules, each with every box to draw, read from the kept VOC match records.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run did not keep its VOC match records (<see cref="RunProducts.Matches"/> and the VOC family).</exception>
    public IReadOnlyList<ImageReview> WorstImages(double confidence, int count) =>
        ImageErrors.Worst(
            Matches?.Voc ?? throw new InvalidOperationException("The worst images are read from the VOC match records; ask the run to keep them (RunProducts.Matches)."),
            confidence,
            count,
            Options.Threads);
}

/// <summary>A dataset read from files, for the verbs that rewrite it rather than evaluate it.</summary>
public sealed class LoadedDataset
{
    private readonly IImageSizeSource? _imageSizes;

    internal LoadedDataset(Dataset dataset, InputsRead read, IImageSizeSource? imageSizes)
    {
        Dataset = dataset;
        Read = read;
        _imageSizes = imageSizes;
    }

    /// <summary>Ground truth and predictions.</summary>
    public Dataset Dataset { get; }

    /// <summary>How the files were read.</summary>
    public InputsRead Read { get; }

    /// <summary>The image sizes the files were read with (watched for use), for a writer that needs them too; null when none were given.</summary>
    public IImageSizeSource? ImageSizes => _imageSizes;

    /// <summary>A warning when image sizes were given but neither the reading nor anything since asked for one; null otherwise.</summary>
    public string? UnusedImageSizesWarning() => LoadChecks.UnusedImageSizes(_imageSizes, Read);
}
