using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Analysis;

// Error analysis of one evaluation: why the mAP is what it is.
//
// Inputs: the dataset, the run's VOC profile and one confidence (the CLI passes --score-threshold, else the
// pooled best-F1 confidence of the evaluation).
// Parts: the confusion matrix at that confidence (ConfusionMatrix.cs), TIDE's error types and dAPs, which
// use every detection as TIDE does (TideErrors.cs), and the images with the most errors at that
// confidence (ImageErrors: false positives + false negatives by the VOC rules, most first, then ascending
// image id), each with how many of its false positives were confusions between classes.
// Nothing here runs unless asked for: a plain evaluation never pays for it.

/// <summary>What an error analysis looks at.</summary>
/// <param name="Voc">The VOC profile of the run: the confusion matrix and the worst images use its matching.</param>
/// <param name="ScoreThreshold">Detections with a score at or above it are kept for the confusion matrix and the worst images; negative infinity keeps all.</param>
/// <param name="WorstImages">How many of the images with the most errors to list.</param>
/// <param name="Threads">Worker threads; null for all cores. Results never depend on it.</param>
public sealed record AnalysisOptions(VocMatchSettings Voc, double ScoreThreshold, int WorstImages = 20, int? Threads = null)
{
    /// <summary>TIDE's thresholds and detection cap.</summary>
    public TideSettings Tide { get; init; } = new();
}

/// <summary>One of the images with the most errors.</summary>
/// <param name="Image">The image.</param>
/// <param name="Counts">Its TP, FP, FN and ignored counts at the analysis confidence (VOC rules).</param>
/// <param name="Confusions">Of its false positives, those that landed on a missed object of another class.</param>
public sealed record WorstImage(ImageInfo Image, ImageErrorCounts Counts, int Confusions);

/// <summary>The error analysis of an evaluation.</summary>
/// <param name="Confusion">The confusion matrix at the analysis confidence.</param>
/// <param name="Tide">TIDE's error types, counts and dAPs.</param>
/// <param name="WorstImages">The images with the most errors, most first.</param>
public sealed record ErrorAnalysis(ConfusionMatrix Confusion, TideResult Tide, IReadOnlyList<WorstImage> WorstImages);

/// <summary>Runs the error analysis.</summary>
public static class ErrorAnalyzer
{
    /// <summary>The confusion matrix, TIDE's breakdown and the worst images of <paramref name="dataset"/>.</summary>
    public static ErrorAnalysis Analyze(Dataset dataset, AnalysisOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.WorstImages);
        (ConfusionMatrix matrix, int[] confusions) = ConfusionMatrixBuilder.BuildWithImages(dataset, options.Voc, options.ScoreThreshold, options.Threads);
        TideResult tide = TideAnalysis.Compute(dataset, options.Tide, options.Threads);
        ImageErrorCounts[] counts = ImageErrors.CountAll(dataset, options.Voc, options.ScoreThreshold, options.Threads);
        WorstImage[] worst = [.. Enumerable.Range(0, counts.Length)
            .Where(i => counts[i].Errors > 0)
            .OrderByDescending(i => counts[i].Errors)
            .ThenBy(i => dataset.Images[i].Id)
            .Take(options.WorstImages)
            .Select(i => new WorstImage(dataset.Images[i], counts[i], confusions[i]))];
        return new ErrorAnalysis(matrix, tide, worst);
    }
}
