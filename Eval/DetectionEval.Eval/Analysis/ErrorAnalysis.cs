using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Analysis;

// Error analysis of one evaluation: why the mAP is what it is.
//
// Inputs: the run's match records: the VOC records with the overlaps the match stage keeps for the
// analysis (each record's best ground truth, each detection's cross-class hits), TIDE's per-image records,
// and one confidence (the pipeline passes the score threshold, else the pooled best-F1 confidence).
// Parts: the confusion matrix at that confidence (ConfusionMatrix.cs), TIDE's error types and dAPs, which
// use every detection as TIDE does (TideErrors.cs), and the images with the most errors at that
// confidence (ImageErrors: false positives + false negatives by the VOC rules, most first, then ascending
// image id), each with how many of its false positives were confusions between classes.
// Nothing here matches: it reads records. Nothing runs unless asked for: a plain evaluation never pays for it.

/// <summary>What an error analysis looks at.</summary>
/// <param name="ScoreThreshold">Detections with a score at or above it are kept for the confusion matrix and the worst images; negative infinity keeps all.</param>
/// <param name="WorstImages">How many of the images with the most errors to list.</param>
/// <param name="Threads">Worker threads; null for all cores. Results never depend on it.</param>
public sealed record AnalysisOptions(double ScoreThreshold, int WorstImages = 20, int? Threads = null);

/// <summary>One of the images with the most errors.</summary>
/// <param name="Image">The image.</param>
/// <param name="Counts">Its TP, FP, FN and ignored counts at the analysis confidence (VOC rules).</param>
/// <param name="Confusions">Of its false positives, those that landed on a missed object of another class.</param>
public sealed record WorstImage(ImageInfo Image, ImageErrorCounts Counts, int Confusions);

/// <summary>The error analysis of an evaluation.</summary>
/// <param name="Confusion">The confusion matrix at the analysis confidence.</param>
/// <param name="Tide">TIDE's error types, counts and dAPs.</param>
/// <param name="WorstImages">The images with the most errors, most first.</param>
public sealed record ErrorAnalysis(ConfusionMatrix Confusion, TideResult Tide, IReadOnlyList<WorstImage> WorstImages)
{
    /// <summary>What the matches measured overlaps on: boxes, or masks (<see cref="IouType.Segm"/>: mask IoU).</summary>
    public IouType Overlap { get; init; } = IouType.Bbox;
}

/// <summary>Runs the error analysis from match records.</summary>
public static class ErrorAnalyzer
{
    /// <summary>The confusion matrix, TIDE's breakdown and the worst images.</summary>
    /// <param name="voc">The VOC match records with the analysis overlaps.</param>
    /// <param name="tide">TIDE's match records of the same dataset.</param>
    /// <param name="options">The confidence, the number of worst images, threads.</param>
    public static ErrorAnalysis Analyze(VocMatches voc, TideMatches tide, AnalysisOptions options)
    {
        ArgumentNullException.ThrowIfNull(voc);
        ArgumentNullException.ThrowIfNull(tide);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.WorstImages);
        Dataset dataset = voc.Dataset;
        (ConfusionMatrix matrix, int[] confusions) = ConfusionMatrixBuilder.BuildWithImages(voc, options.ScoreThreshold, options.Threads);
        TideResult tideResult = TideAnalysis.Quantify(tide, options.Threads);
        ImageErrorCounts[] counts = ImageErrors.CountAll(voc, options.ScoreThreshold, options.Threads);
        WorstImage[] worst = [.. ImageErrors.WorstFirst(dataset, counts)
            .Take(options.WorstImages)
            .Select(i => new WorstImage(dataset.Images[i], counts[i], confusions[i]))];
        return new ErrorAnalysis(matrix, tideResult, worst);
    }
}
