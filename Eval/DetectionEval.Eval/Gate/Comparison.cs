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
/// <param name="PerClass">Per family, the classes' main metric (COCO AP, VOC apAll) sorted by change: largest drop first, classes without a value last.</param>
/// <param name="Bootstrap">The bootstrap behind the intervals, when one was run.</param>
public sealed record Comparison(
    EvaluationReport A, EvaluationReport B, MetricSet Families, IReadOnlyList<ComparisonRow> Summary,
    IReadOnlyList<(GateMetric Metric, IReadOnlyList<ComparisonRow> Rows)> PerClass, BootstrapSettings? Bootstrap)
{
    /// <summary>The keys a bootstrap needs for a comparison of <paramref name="families"/>.</summary>
    public static IReadOnlyList<MetricKey> Keys(MetricSet families, int classes) =>
    [
        .. GateMetrics.All.Where(m => families.HasFlag(m.Family())).Select(m => new MetricKey(m)),
        .. GateMetrics.FamiliesOf(families).SelectMany(f => Enumerable.Range(0, classes).Select(k => new MetricKey(GateMetrics.PrimaryOf(f), k))),
    ];

    /// <summary>Compares two reports that <see cref="ReportCompatibility.Require"/> accepted for <paramref name="families"/>.</summary>
    /// <param name="a">The first report (the reference).</param>
    /// <param name="b">The second report.</param>
    /// <param name="families">The families to compare.</param>
    /// <param name="bootstrap">A paired bootstrap of a and b over <see cref="Keys"/>, or null.</param>
    public static Comparison Of(EvaluationReport a, EvaluationReport b, MetricSet families, BootstrapResult? bootstrap = null)
    {
        IReadOnlyList<Category> categories = b.Categories;
        ComparisonRow Row(MetricKey key, double? va, double? vb) => new(key, key.Describe(categories), va, vb, bootstrap?.ChangeInterval(key));

        ComparisonRow[] summary =
        [
            .. GateMetrics.All.Where(m => families.HasFlag(m.Family()))
                .Select(m => Row(new MetricKey(m), GateMetrics.SummaryValue(a, m), GateMetrics.SummaryValue(b, m))),
        ];
        var perClass = new List<(GateMetric, IReadOnlyList<ComparisonRow>)>();
        foreach (MetricSet family in GateMetrics.FamiliesOf(families))
        {
            GateMetric metric = GateMetrics.PrimaryOf(family);
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
        return new Comparison(a, b, families, summary, perClass, bootstrap?.Settings);
    }
}
