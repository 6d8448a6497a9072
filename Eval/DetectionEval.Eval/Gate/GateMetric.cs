using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching.Coco;

namespace DetectionEval.Eval.Gate;

/// <summary>A metric the gate can check: the twelve COCO summary values and the two VOC means.</summary>
/// <remarks>
/// Most also exist per class (COCO's AP, AP50, AP75, APs, APm, APl and AR100, VOC's ap07 and apAll);
/// <see cref="GateMetrics.HasPerClassValue"/> says which.
/// </remarks>
public enum GateMetric
{
    /// <summary>COCO AP at IoU .50:.95.</summary>
    Ap,

    /// <summary>COCO AP at IoU .50.</summary>
    Ap50,

    /// <summary>COCO AP at IoU .75.</summary>
    Ap75,

    /// <summary>COCO AP of small objects.</summary>
    ApSmall,

    /// <summary>COCO AP of medium objects.</summary>
    ApMedium,

    /// <summary>COCO AP of large objects.</summary>
    ApLarge,

    /// <summary>COCO AR at the first maxDets value.</summary>
    Ar1,

    /// <summary>COCO AR at the second maxDets value.</summary>
    Ar10,

    /// <summary>COCO AR at the third maxDets value.</summary>
    Ar100,

    /// <summary>COCO AR of small objects.</summary>
    ArSmall,

    /// <summary>COCO AR of medium objects.</summary>
    ArMedium,

    /// <summary>COCO AR of large objects.</summary>
    ArLarge,

    /// <summary>VOC 11-point mAP (per class: ap07).</summary>
    VocAp07,

    /// <summary>VOC all-point mAP (per class: apAll).</summary>
    VocApAll,
}

/// <summary>Names, families and values of <see cref="GateMetric"/>.</summary>
public static class GateMetrics
{
    private static readonly string[] SummaryNames = [.. CocoSummary.StatNames, "mAP07", "mAPAll"];

    /// <summary>Every metric, in report order.</summary>
    public static IReadOnlyList<GateMetric> All { get; } = Enum.GetValues<GateMetric>();

    /// <summary>The name in the report's summary: <c>AP</c>, ..., <c>ARl</c>, <c>mAP07</c>, <c>mAPAll</c>.</summary>
    public static string SummaryName(this GateMetric metric) => SummaryNames[(int)metric];

    /// <summary>The name in the report's per-class entries: <c>AP</c>, ..., <c>AR100</c>, <c>ap07</c>, <c>apAll</c>.</summary>
    public static string ClassName(this GateMetric metric) => metric switch
    {
        GateMetric.VocAp07 => "ap07",
        GateMetric.VocApAll => "apAll",
        _ => metric.SummaryName(),
    };

    /// <summary>The family the metric belongs to.</summary>
    public static MetricSet Family(this GateMetric metric) => metric >= GateMetric.VocAp07 ? MetricSet.Voc : MetricSet.Coco;

    /// <summary>True when reports carry the metric per class too.</summary>
    public static bool HasPerClassValue(this GateMetric metric) =>
        metric is not (GateMetric.Ar1 or GateMetric.Ar10 or GateMetric.ArSmall or GateMetric.ArMedium or GateMetric.ArLarge);

    /// <summary>The metric a bare <c>--per-class-max-drop</c> checks in a family: COCO's AP, VOC's apAll.</summary>
    public static GateMetric PrimaryOf(MetricSet family) => family == MetricSet.Voc ? GateMetric.VocApAll : GateMetric.Ap;

    /// <summary>Finds a metric by its summary or per-class name, ignoring case (<c>ap50</c>, <c>mAPAll</c>, <c>apAll</c>).</summary>
    public static bool TryParse(string text, out GateMetric metric)
    {
        foreach (GateMetric m in All)
        {
            if (string.Equals(text, m.SummaryName(), StringComparison.OrdinalIgnoreCase)
                || string.Equals(text, m.ClassName(), StringComparison.OrdinalIgnoreCase))
            {
                metric = m;
                return true;
            }
        }
        metric = default;
        return false;
    }

    /// <summary>The families of a set, COCO first.</summary>
    public static IEnumerable<MetricSet> FamiliesOf(MetricSet set)
    {
        if (set.HasFlag(MetricSet.Coco)) yield return MetricSet.Coco;
        if (set.HasFlag(MetricSet.Voc)) yield return MetricSet.Voc;
    }

    /// <summary>A set in words: <c>coco</c>, <c>voc</c> or <c>coco+voc</c>.</summary>
    public static string Describe(MetricSet set) => string.Join('+', FamiliesOf(set).Select(f => f == MetricSet.Coco ? "coco" : "voc"));

    /// <summary>The summary value in a report; null when the report has no value there (or lacks the family).</summary>
    public static double? SummaryValue(EvaluationReport report, GateMetric metric)
    {
        if (metric.Family() == MetricSet.Voc)
        {
            return report.Voc is not { } voc ? null : metric == GateMetric.VocAp07 ? voc.MeanAp07 : voc.MeanApAll;
        }
        return report.Coco?.Summary.Stats[(int)metric];
    }

    /// <summary>The value of class <paramref name="classIndex"/> (index into the report's classes); null when it has none.</summary>
    public static double? ClassValue(EvaluationReport report, GateMetric metric, int classIndex)
    {
        if (metric.Family() == MetricSet.Voc)
        {
            if (report.Voc is not { } voc) return null;
            VocClassReport v = voc.PerClass[classIndex];
            return metric == GateMetric.VocAp07 ? v.Ap07 : v.ApAll;
        }
        if (report.Coco is not { } coco) return null;
        CocoClassResult c = coco.PerClass[classIndex];
        return metric switch
        {
            GateMetric.Ap => c.Ap,
            GateMetric.Ap50 => c.Ap50,
            GateMetric.Ap75 => c.Ap75,
            GateMetric.ApSmall => c.ApSmall,
            GateMetric.ApMedium => c.ApMedium,
            GateMetric.ApLarge => c.ApLarge,
            GateMetric.Ar100 => c.Ar100,
            _ => throw new ArgumentException($"{metric.SummaryName()} has no per-class value.", nameof(metric)),
        };
    }

    /// <summary>
    /// Where a COCO metric is read in pycocotools' tables: the area range, the maxDets setting (0, 1 or 2),
    /// the IoU threshold (null for the mean over all ten) and whether it is a precision (AP) or a recall (AR).
    /// </summary>
    internal static (int Area, int MaxDets, int? Threshold, bool IsPrecision) CocoSlice(this GateMetric metric) => metric switch
    {
        GateMetric.Ap => (CocoParameters.AllAreas, 2, null, true),
        GateMetric.Ap50 => (CocoParameters.AllAreas, 2, CocoParameters.Iou50, true),
        GateMetric.Ap75 => (CocoParameters.AllAreas, 2, CocoParameters.Iou75, true),
        GateMetric.ApSmall => (1, 2, null, true),
        GateMetric.ApMedium => (2, 2, null, true),
        GateMetric.ApLarge => (3, 2, null, true),
        GateMetric.Ar1 => (CocoParameters.AllAreas, 0, null, false),
        GateMetric.Ar10 => (CocoParameters.AllAreas, 1, null, false),
        GateMetric.Ar100 => (CocoParameters.AllAreas, 2, null, false),
        GateMetric.ArSmall => (1, 2, null, false),
        GateMetric.ArMedium => (2, 2, null, false),
        GateMetric.ArLarge => (3, 2, null, false),
        _ => throw new ArgumentException($"{metric.SummaryName()} is not a COCO metric.", nameof(metric)),
    };
}
