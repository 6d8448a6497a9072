using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching.Coco;

namespace DetectionEval.Eval.Gate;

/// <summary>
/// A metric the gate can check: the twelve COCO summary values of boxes and the two VOC means, then the
/// twelve of masks (<c>segm.AP</c>, ...) and the ten of keypoints (<c>keypoints.AP</c>, ...).
/// </summary>
/// <remarks>
/// Most also exist per class (COCO's AP, AP50, AP75, APs, APm, APl and AR100, VOC's ap07 and apAll; the
/// same for masks; keypoints' AP, AP50, AP75, APm, APl and AR); <see cref="GateMetrics.HasPerClassValue"/>
/// says which. <see cref="GateMetrics.IouType"/> says which section of the report a metric is read from.
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

    /// <summary>COCO segm (masks): AP at IoU .50:.95.</summary>
    SegmAp,

    /// <summary>COCO segm (masks): AP at IoU .50.</summary>
    SegmAp50,

    /// <summary>COCO segm (masks): AP at IoU .75.</summary>
    SegmAp75,

    /// <summary>COCO segm (masks): AP of small objects.</summary>
    SegmApSmall,

    /// <summary>COCO segm (masks): AP of medium objects.</summary>
    SegmApMedium,

    /// <summary>COCO segm (masks): AP of large objects.</summary>
    SegmApLarge,

    /// <summary>COCO segm (masks): AR at the first maxDets value.</summary>
    SegmAr1,

    /// <summary>COCO segm (masks): AR at the second maxDets value.</summary>
    SegmAr10,

    /// <summary>COCO segm (masks): AR at the third maxDets value.</summary>
    SegmAr100,

    /// <summary>COCO segm (masks): AR of small objects.</summary>
    SegmArSmall,

    /// <summary>COCO segm (masks): AR of medium objects.</summary>
    SegmArMedium,

    /// <summary>COCO segm (masks): AR of large objects.</summary>
    SegmArLarge,

    /// <summary>COCO keypoints (OKS): AP at OKS .50:.95.</summary>
    KeypointsAp,

    /// <summary>COCO keypoints (OKS): AP at OKS .50.</summary>
    KeypointsAp50,

    /// <summary>COCO keypoints (OKS): AP at OKS .75.</summary>
    KeypointsAp75,

    /// <summary>COCO keypoints (OKS): AP of medium objects.</summary>
    KeypointsApMedium,

    /// <summary>COCO keypoints (OKS): AP of large objects.</summary>
    KeypointsApLarge,

    /// <summary>COCO keypoints (OKS): AR at OKS .50:.95.</summary>
    KeypointsAr,

    /// <summary>COCO keypoints (OKS): AR at OKS .50.</summary>
    KeypointsAr50,

    /// <summary>COCO keypoints (OKS): AR at OKS .75.</summary>
    KeypointsAr75,

    /// <summary>COCO keypoints (OKS): AR of medium objects.</summary>
    KeypointsArMedium,

    /// <summary>COCO keypoints (OKS): AR of large objects.</summary>
    KeypointsArLarge,
}

/// <summary>Names, families and values of <see cref="GateMetric"/>.</summary>
public static class GateMetrics
{
    private static readonly string[] SummaryNames =
    [
        .. CocoSummary.StatNames, "mAP07", "mAPAll",
        .. CocoSummary.StatNames.Select(n => SectionPrefix(Eval.IouType.Segm) + n),
        .. CocoKeypointSummary.StatNames.Select(n => SectionPrefix(Eval.IouType.Keypoints) + n),
    ];

    /// <summary>Every metric, in report order.</summary>
    public static IReadOnlyList<GateMetric> All { get; } = Enum.GetValues<GateMetric>();

    /// <summary>
    /// The name in the report's summary: <c>AP</c>, ..., <c>ARl</c>, <c>mAP07</c>, <c>mAPAll</c>; the mask and
    /// keypoint metrics carry their iou type, <c>segm.AP</c>, ..., <c>keypoints.ARl</c>, as their values sit
    /// in the report's <c>cocoSegm</c> and <c>cocoKeypoints</c> under the same names as the boxes'.
    /// </summary>
    public static string SummaryName(this GateMetric metric) => SummaryNames[(int)metric];

    /// <summary>The name in the report's per-class entries: <c>AP</c>, ..., <c>AR100</c>, <c>ap07</c>, <c>apAll</c>, <c>segm.AP</c>, ..., <c>keypoints.AR</c>.</summary>
    public static string ClassName(this GateMetric metric) => metric switch
    {
        GateMetric.VocAp07 => "ap07",
        GateMetric.VocApAll => "apAll",
        _ => metric.SummaryName(),
    };

    /// <summary>The family the metric belongs to: VOC's two means, or COCO (boxes, masks and keypoints alike).</summary>
    public static MetricSet Family(this GateMetric metric) => metric is GateMetric.VocAp07 or GateMetric.VocApAll ? MetricSet.Voc : MetricSet.Coco;

    /// <summary>The iou type whose section of the report holds the metric: <c>bbox</c> for <c>coco</c> and <c>voc</c>.</summary>
    public static IouType IouType(this GateMetric metric) => metric switch
    {
        >= GateMetric.KeypointsAp => Eval.IouType.Keypoints,
        >= GateMetric.SegmAp => Eval.IouType.Segm,
        _ => Eval.IouType.Bbox,
    };

    /// <summary>True when reports carry the metric per class too.</summary>
    public static bool HasPerClassValue(this GateMetric metric) =>
        metric is not (GateMetric.Ar1 or GateMetric.Ar10 or GateMetric.ArSmall or GateMetric.ArMedium or GateMetric.ArLarge
            or GateMetric.SegmAr1 or GateMetric.SegmAr10 or GateMetric.SegmArSmall or GateMetric.SegmArMedium or GateMetric.SegmArLarge
            or GateMetric.KeypointsAr50 or GateMetric.KeypointsAr75 or GateMetric.KeypointsArMedium or GateMetric.KeypointsArLarge);

    /// <summary>The metric a bare <c>--per-class-max-drop</c> checks in a family: COCO's AP, VOC's apAll.</summary>
    public static GateMetric PrimaryOf(MetricSet family) => family == MetricSet.Voc ? GateMetric.VocApAll : GateMetric.Ap;

    /// <summary>The metric a bare <c>--per-class-max-drop</c> checks in a mask or keypoint section: its AP.</summary>
    public static GateMetric PrimaryOf(IouType section) => section switch
    {
        Eval.IouType.Segm => GateMetric.SegmAp,
        Eval.IouType.Keypoints => GateMetric.KeypointsAp,
        _ => GateMetric.Ap,
    };

    /// <summary>True when a gate or comparison of the box <paramref name="families"/> and the mask or keypoint <paramref name="sections"/> covers the metric.</summary>
    public static bool IsIn(this GateMetric metric, MetricSet families, IReadOnlyCollection<IouType> sections) =>
        metric.IouType() == Eval.IouType.Bbox ? families.HasFlag(metric.Family()) : sections.Contains(metric.IouType());

    /// <summary>The mask and keypoint sections a report holds (<c>cocoSegm</c>, <c>cocoKeypoints</c>), in that order.</summary>
    public static IReadOnlyList<IouType> SectionsOf(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sections = new List<IouType>(2);
        if (report.CocoSegm is not null) sections.Add(Eval.IouType.Segm);
        if (report.CocoKeypoints is not null) sections.Add(Eval.IouType.Keypoints);
        return sections;
    }

    /// <summary>Finds a metric by its summary or per-class name, ignoring case (<c>ap50</c>, <c>mAPAll</c>, <c>apAll</c>, <c>segm.AP</c>).</summary>
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

    /// <summary>A set and the mask and keypoint sections in words: <c>coco+voc</c>, <c>coco+segm</c>, <c>keypoints</c>.</summary>
    public static string Describe(MetricSet set, IReadOnlyCollection<IouType> sections) =>
        string.Join('+', FamiliesOf(set).Select(f => f == MetricSet.Coco ? "coco" : "voc").Concat(sections.Select(SectionName)));

    /// <summary>A mask or keypoint section's name, as <c>--iou-type</c> writes it: <c>segm</c>, <c>keypoints</c>.</summary>
    public static string SectionName(IouType section) => section switch
    {
        Eval.IouType.Segm => "segm",
        Eval.IouType.Keypoints => "keypoints",
        _ => "bbox",
    };

    /// <summary>The JSON path of a section's object in a report: <c>$.coco</c>, <c>$.voc</c>, <c>$.cocoSegm</c>, <c>$.cocoKeypoints</c>.</summary>
    public static string ReportPath(this GateMetric metric) => metric.IouType() switch
    {
        Eval.IouType.Segm => "$.cocoSegm",
        Eval.IouType.Keypoints => "$.cocoKeypoints",
        _ => metric.Family() == MetricSet.Voc ? "$.voc" : "$.coco",
    };

    /// <summary>The metric's name inside its section of the report: <c>AP</c> for <c>segm.AP</c>.</summary>
    public static string NameInSection(this GateMetric metric) => metric.IouType() switch
    {
        Eval.IouType.Segm => CocoSummary.StatNames[metric - GateMetric.SegmAp],
        Eval.IouType.Keypoints => CocoKeypointSummary.StatNames[metric - GateMetric.KeypointsAp],
        _ => metric.ClassName(),
    };

    private static string SectionPrefix(IouType section) => SectionName(section) + ".";

    /// <summary>The summary value in a report; null when the report has no value there (or lacks the family or section).</summary>
    public static double? SummaryValue(EvaluationReport report, GateMetric metric)
    {
        ArgumentNullException.ThrowIfNull(report);
        return metric.IouType() switch
        {
            Eval.IouType.Segm => report.CocoSegm?.Summary.Stats[metric - GateMetric.SegmAp],
            Eval.IouType.Keypoints => report.CocoKeypoints?.Summary.Stats[metric - GateMetric.KeypointsAp],
            _ when metric.Family() == MetricSet.Voc => report.Voc is not { } voc ? null : metric == GateMetric.VocAp07 ? voc.MeanAp07 : voc.MeanApAll,
            _ => report.Coco?.Summary.Stats[(int)metric],
        };
    }

    /// <summary>The value of class <paramref name="classIndex"/> (index into the report's classes); null when it has none.</summary>
    public static double? ClassValue(EvaluationReport report, GateMetric metric, int classIndex)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (metric.Family() == MetricSet.Voc)
        {
            if (report.Voc is not { } voc) return null;
            VocClassReport v = voc.PerClass[classIndex];
            return metric == GateMetric.VocAp07 ? v.Ap07 : v.ApAll;
        }
        if (metric.IouType() == Eval.IouType.Keypoints)
        {
            if (report.CocoKeypoints is not { } keypoints) return null;
            CocoKeypointClassResult p = keypoints.PerClass[classIndex];
            return metric switch
            {
                GateMetric.KeypointsAp => p.Ap,
                GateMetric.KeypointsAp50 => p.Ap50,
                GateMetric.KeypointsAp75 => p.Ap75,
                GateMetric.KeypointsApMedium => p.ApMedium,
                GateMetric.KeypointsApLarge => p.ApLarge,
                GateMetric.KeypointsAr => p.Ar,
                _ => throw new ArgumentException($"{metric.SummaryName()} has no per-class value.", nameof(metric)),
            };
        }
        bool masks = metric.IouType() == Eval.IouType.Segm;
        if ((masks ? report.CocoSegm : report.Coco) is not { } coco) return null;
        CocoClassResult c = coco.PerClass[classIndex];
        return (masks ? BoxCounterpart(metric) : metric) switch
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

    /// <summary>The box metric read from the same place of the tables as a mask metric (<c>segm.AP50</c>: <c>AP50</c>).</summary>
    private static GateMetric BoxCounterpart(GateMetric segm) => GateMetric.Ap + (segm - GateMetric.SegmAp);

    /// <summary>
    /// Where a COCO metric is read in pycocotools' tables: the area range, the maxDets setting (0, 1 or 2),
    /// the IoU threshold (null for the mean over all ten) and whether it is a precision (AP) or a recall (AR).
    /// Masks read their tables as boxes do; keypoints' tables have the area ranges all, medium and large and
    /// one maxDets setting (20), as pycocotools' <c>summarizeKps</c> reads them.
    /// </summary>
    internal static (int Area, int MaxDets, int? Threshold, bool IsPrecision) CocoSlice(this GateMetric metric) => metric switch
    {
        >= GateMetric.SegmAp and <= GateMetric.SegmArLarge => BoxCounterpart(metric).CocoSlice(),
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
        GateMetric.KeypointsAp => (0, 0, null, true),
        GateMetric.KeypointsAp50 => (0, 0, CocoParameters.Iou50, true),
        GateMetric.KeypointsAp75 => (0, 0, CocoParameters.Iou75, true),
        GateMetric.KeypointsApMedium => (1, 0, null, true),
        GateMetric.KeypointsApLarge => (2, 0, null, true),
        GateMetric.KeypointsAr => (0, 0, null, false),
        GateMetric.KeypointsAr50 => (0, 0, CocoParameters.Iou50, false),
        GateMetric.KeypointsAr75 => (0, 0, CocoParameters.Iou75, false),
        GateMetric.KeypointsArMedium => (1, 0, null, false),
        GateMetric.KeypointsArLarge => (2, 0, null, false),
        _ => throw new ArgumentException($"{metric.SummaryName()} is not a COCO metric.", nameof(metric)),
    };
}
