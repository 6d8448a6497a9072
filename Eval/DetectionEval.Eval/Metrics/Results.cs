using DetectionEval.Eval.Data;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Metrics;

/// <summary>The twelve numbers of pycocotools' <c>COCOeval.summarize()</c>; null where it prints -1.</summary>
/// <remarks>AR1, AR10 and AR100 are the recalls at the first, second and third maxDets value.</remarks>
public sealed record CocoSummary(
    double? Ap, double? Ap50, double? Ap75, double? ApSmall, double? ApMedium, double? ApLarge,
    double? Ar1, double? Ar10, double? Ar100, double? ArSmall, double? ArMedium, double? ArLarge)
{
    /// <summary>The twelve values in pycocotools' <c>stats</c> order.</summary>
    public IReadOnlyList<double?> Stats => [Ap, Ap50, Ap75, ApSmall, ApMedium, ApLarge, Ar1, Ar10, Ar100, ArSmall, ArMedium, ArLarge];

    /// <summary>The names of <see cref="Stats"/>, as the JSON report writes them.</summary>
    public static IReadOnlyList<string> StatNames { get; } = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];
}

/// <summary>COCO values of one class (detectron2's per-class convention); null when the class has no ground truth in that setting.</summary>
public sealed record CocoClassResult(
    Category Category, double? Ap, double? Ap50, double? Ap75, double? ApSmall, double? ApMedium, double? ApLarge, double? Ar100);

/// <summary>COCO bbox evaluation: the summary, per-class values and the precision/recall tables behind them.</summary>
/// <param name="MaxDetections">The three maxDets values.</param>
/// <param name="Summary">The twelve summary numbers.</param>
/// <param name="PerClass">One entry per category, in ascending id order.</param>
public sealed record CocoResult(IReadOnlyList<int> MaxDetections, CocoSummary Summary, IReadOnlyList<CocoClassResult> PerClass)
{
    /// <summary>
    /// Precision at every recall threshold and final recall, per IoU threshold, class, area range and maxDets:
    /// the tables the summary, the per-class values and the COCO curves (<see cref="CocoCurves"/>) are read from.
    /// </summary>
    internal CocoTables Tables { get; init; } = null!;
}

/// <summary>A precision/recall curve in detection order (score descending).</summary>
/// <param name="Recall">Recall after each detection.</param>
/// <param name="Precision">Precision after each detection (not yet made monotone).</param>
/// <param name="Scores">The score of each detection.</param>
public sealed record PrecisionRecallCurve(IReadOnlyList<double> Recall, IReadOnlyList<double> Precision, IReadOnlyList<double> Scores)
{
    /// <summary>Cumulative true positives after each detection (weighted like the curve); empty when not recorded.</summary>
    public IReadOnlyList<double> TruePositives { get; init; } = [];

    /// <summary>Cumulative false positives after each detection (weighted like the curve); empty when not recorded.</summary>
    public IReadOnlyList<double> FalsePositives { get; init; } = [];
}

/// <summary>VOC values of one class.</summary>
/// <param name="Category">The class.</param>
/// <param name="Positives">npos: ground truth that is not difficult.</param>
/// <param name="Detections">Detections of the class.</param>
/// <param name="TruePositives">Detections that took a ground truth.</param>
/// <param name="FalsePositives">Misses and duplicates.</param>
/// <param name="Ignored">Detections that hit a difficult ground truth.</param>
/// <param name="Ap07">11-point AP; null when <paramref name="Positives"/> is 0.</param>
/// <param name="ApAll">All-point AP; null when <paramref name="Positives"/> is 0.</param>
/// <param name="MaxRecall">Recall after the last detection; null when <paramref name="Positives"/> is 0.</param>
/// <param name="FinalPrecision">Precision after the last detection; null without detections or positives.</param>
/// <param name="Curve">The raw curve.</param>
public sealed record VocClassResult(
    Category Category, int Positives, int Detections, int TruePositives, int FalsePositives, int Ignored,
    double? Ap07, double? ApAll, double? MaxRecall, double? FinalPrecision, PrecisionRecallCurve Curve);

/// <summary>VOC evaluation under one profile.</summary>
/// <param name="Settings">Threshold, overlap test and pixel convention.</param>
/// <param name="MeanAp07">Mean 11-point AP over classes with positives; null when there are none.</param>
/// <param name="MeanApAll">Mean all-point AP over the same classes.</param>
/// <param name="ClassesInMean">How many classes the means cover.</param>
/// <param name="PerClass">One entry per category, in ascending id order.</param>
public sealed record VocResult(
    VocMatchSettings Settings, double? MeanAp07, double? MeanApAll, int ClassesInMean, IReadOnlyList<VocClassResult> PerClass);

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
    /// <summary>Precision, recall and F1 at the best-F1 confidence and at the asked score threshold, from the VOC matches; null without VOC.</summary>
    public OperatingPoints? OperatingPoints { get; init; }

    /// <summary>The error analysis (confusion matrix, TIDE's error types, worst images); null unless asked for.</summary>
    public Analysis.ErrorAnalysis? Analysis { get; init; }
}
