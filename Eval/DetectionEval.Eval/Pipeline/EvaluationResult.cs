using System.Diagnostics.CodeAnalysis;
using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;

namespace DetectionEval.Eval.Pipeline;

/// <summary>What was evaluated.</summary>
/// <param name="Images">Images in the ground truth.</param>
/// <param name="Classes">Categories in the ground truth.</param>
/// <param name="GroundTruthBoxes">Ground-truth boxes.</param>
/// <param name="Detections">Detections read, including those of unknown categories.</param>
/// <param name="DetectionsOfUnknownCategories">Detections dropped because their category is not in the ground truth.</param>
public sealed record DatasetSummary(int Images, int Classes, int GroundTruthBoxes, int Detections, int DetectionsOfUnknownCategories)
{
    /// <summary>
    /// The content fingerprint of the ground truth (<see cref="Data.GroundTruthFingerprint"/>): reports with
    /// equal fingerprints were scored against the same ground truth. Null when it was not computed.
    /// </summary>
    public string? GroundTruthFingerprint { get; init; }

    /// <summary>
    /// Detections COCO leaves out: those beyond the last maxDets value in their image and class (pycocotools
    /// keeps the highest-scoring ones). VOC counts them. 0 without COCO.
    /// </summary>
    public int DetectionsOverMaxDets { get; init; }

    /// <summary>Detections evaluated: those read, less those of unknown categories.</summary>
    public int DetectionsEvaluated => Detections - DetectionsOfUnknownCategories;

    /// <summary>Counts and ground-truth fingerprint of a dataset.</summary>
    public static DatasetSummary Of(Dataset dataset) => new(
        dataset.Images.Count,
        dataset.Categories.Count,
        dataset.GroundTruth.Count,
        dataset.Detections.Count + dataset.DetectionsOfUnknownCategories,
        dataset.DetectionsOfUnknownCategories)
    {
        GroundTruthFingerprint = Data.GroundTruthFingerprint.Of(dataset),
    };

    /// <summary>Counts and ground-truth fingerprint of a dataset evaluated with <paramref name="options"/>, the detections over maxDets included.</summary>
    public static DatasetSummary Of(Dataset dataset, EvaluationOptions options) => Of(dataset) with
    {
        DetectionsOverMaxDets = options.Metrics.HasFlag(MetricSet.Coco) ? DetectionsOverCap(dataset, options.MaxDetections[^1]) : 0,
    };

    /// <summary>Detections beyond <paramref name="cap"/> in their (image, class) unit, which COCO's matching does not keep.</summary>
    internal static int DetectionsOverCap(Dataset dataset, int cap)
    {
        int over = 0;
        foreach (EvaluationUnit unit in dataset.Units) over += Math.Max(0, unit.DetectionCount - cap);
        return over;
    }
}

/// <summary>Everything one evaluation produces.</summary>
/// <param name="Inputs">What was evaluated.</param>
/// <param name="Categories">The categories, in ascending id order.</param>
/// <param name="Coco">COCO results, when asked for.</param>
/// <param name="Voc">VOC results, when asked for.</param>
public sealed record EvaluationResult(DatasetSummary Inputs, IReadOnlyList<Category> Categories, CocoResult? Coco, VocResult? Voc)
{
    /// <summary>The run computed COCO's metrics (<see cref="EvaluationOptions.Metrics"/> asked for them): <see cref="Coco"/> is set.</summary>
    [MemberNotNullWhen(true, nameof(Coco))]
    public bool HasCoco => Coco is not null;

    /// <summary>The run computed VOC's metrics (<see cref="EvaluationOptions.Metrics"/> asked for them): <see cref="Voc"/> is set.</summary>
    [MemberNotNullWhen(true, nameof(Voc))]
    public bool HasVoc => Voc is not null;

    /// <summary>Precision, recall and F1 at the best-F1 confidence and at the asked score threshold, from the VOC matches; null without VOC.</summary>
    public OperatingPoints? OperatingPoints { get; init; }

    /// <summary>The error analysis (confusion matrix, TIDE's error types, worst images); null unless asked for.</summary>
    public ErrorAnalysis? Analysis { get; init; }

    /// <summary>COCO's instance-mask evaluation (iou type segm), when asked for.</summary>
    public CocoResult? CocoSegm { get; init; }

    /// <summary>COCO's keypoint evaluation (OKS), when asked for.</summary>
    public CocoKeypointResult? CocoKeypoints { get; init; }

    /// <summary>The COCO iou types evaluated, in the order they were asked for.</summary>
    public IReadOnlyList<IouType> IouTypes { get; init; } = [IouType.Bbox];
}
