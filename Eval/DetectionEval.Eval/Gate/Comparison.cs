using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Eval.Gate;

/// <summary>One compared value.</summary>
/// <param name="Key">The metric, and the class for per-class rows.</param>
/// <param name="Name">The value in words.</param>
/// <param name="A">Its value in the first report.</param>
/// <param name="B">Its value in the second report.</param>
/// <param name="Interval">The bootstrap interval of <c>B - A</c>, when one was run.</param>
public sealed record ComparisonRow(MetricKey Key, string Name, double? A, double? B, ConfidenceInterval? Interval)
{
    /// <summary><c>B - A</c>; null when either has no value.</summary>
    public double? Change => A is double a && B is double b ? b - a : null;
}

/// <summary>Two reports side by side: every summary value, and per class the main metric of each family.</summary>
/// <param name="A">The first report.</param>
/// <param name="B">The second report.</param>
/// <param name="Families">The families compared.</param>
/// <param name="Summary">Summary metrics, in report order.</param>
/// <param name="PerClass">Per family and section, the classes' main metric (COCO AP, VOC apAll, segm.AP, keypoints.AP) sorted by change: largest drop first, classes without a value last.</param>
/// <param name="Bootstrap">The bootstrap behind the intervals, when one was run.</param>
public sealed record Comparison(
    EvaluationReport A, EvaluationReport B, MetricSet Families, IReadOnlyList<ComparisonRow> Summary,
    IReadOnlyList<(GateMetric Metric, IReadOnlyList<ComparisonRow> Rows)> PerClass, BootstrapSettings? Bootstrap)
{
    /// <summary>The mask and keypoint sections compared: those both reports hold.</summary>
    public IReadOnlyList<IouType> Sections { get; init; } = [];

    /// <summary>The keys a bootstrap needs for a comparison of <paramref name="families"/> and the mask and keypoint <paramref name="sections"/>.</summary>
    public static IReadOnlyList<MetricKey> Keys(MetricSet families, int classes, IReadOnlyCollection<IouType>? sections = null) =>
    [
        .. GateMetrics.All.Where(m => m.IsIn(families, sections ?? [])).Select(m => new MetricKey(m)),
        .. PrimaryMetrics(families, sections ?? []).SelectMany(m => Enumerable.Range(0, classes).Select(k => new MetricKey(m, k))),
    ];

    /// <summary>The sections both reports hold, in report order.</summary>
    public static IReadOnlyList<IouType> CommonSections(EvaluationReport a, EvaluationReport b) =>
        [.. GateMetrics.SectionsOf(a).Intersect(GateMetrics.SectionsOf(b))];

    /// <summary>The per-class metric shown of each family and section: COCO AP, VOC apAll, segm.AP, keypoints.AP.</summary>
    private static IEnumerable<GateMetric> PrimaryMetrics(MetricSet families, IReadOnlyCollection<IouType> sections) =>
        GateMetrics.FamiliesOf(families).Select(GateMetrics.PrimaryOf).Concat(sections.Select(GateMetrics.PrimaryOf));

    /// <summary>Compares two reports that <see cref="ReportCompatibility.Require"/> accepted for <paramref name="families"/>.</summary>
    /// <param name="a">The first report (the reference).</param>
    /// <param name="b">The second report.</param>
    /// <param name="families">The families to compare.</param>
    /// <param name="bootstrap">A paired bootstrap of a and b over <see cref="Keys"/>, or null.</param>
    /// <param name="sections">The mask and keypoint sections to compare; null for those both reports hold.</param>
    public static Comparison Of(EvaluationReport a, EvaluationReport b, MetricSet families, BootstrapResult? bootstrap = null, IReadOnlyCollection<IouType>? sections = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        IReadOnlyList<IouType> compared = sections is null ? CommonSections(a, b) : [.. sections];
        IReadOnlyList<Category> categories = b.Categories;
        ComparisonRow Row(MetricKey key, double? va, double? vb) => new(key, key.Describe(categories), va, vb, bootstrap?.ChangeInterval(key));

        ComparisonRow[] summary =
        [
            .. GateMetrics.All.Where(m => m.IsIn(families, compared))
                .Select(m => Row(new MetricKey(m), GateMetrics.SummaryValue(a, m), GateMetrics.SummaryValue(b, m))),
        ];
        var perClass = new List<(GateMetric, IReadOnlyList<ComparisonRow>)>();
        foreach (GateMetric metric in PrimaryMetrics(families, compared))
        {
            ComparisonRow[] rows =
            [
                .. Enumerable.Range(0, categories.Count)
                    .Select(k => Row(new MetricKey(metric, k), GateMetrics.ClassValue(a, metric, k), GateMetrics.ClassValue(b, metric, k)))
                    .OrderBy(r => r.Change is null)
                    .ThenBy(r => r.Change ?? 0)
                    .ThenBy(r => r.Key.ClassIndex),
            ];
            perClass.Add((metric, rows));
        }
        return new Comparison(a, b, families, summary, perClass, bootstrap?.Settings) { Sections = compared };
    }
}
