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
