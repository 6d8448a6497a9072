using System.Globalization;
using DetectionEval.Eval.Data;

namespace DetectionEval.Eval.Gate;

/// <summary>One value of a report: a summary metric, or a metric of one class.</summary>
/// <param name="Metric">The metric.</param>
/// <param name="ClassIndex">Index into the classes (ascending id order); null for the summary value.</param>
public readonly record struct MetricKey(GateMetric Metric, int? ClassIndex = null)
{
    /// <summary>The key in words, e.g. <c>AP</c> or <c>AP of class 1 "person"</c>.</summary>
    public string Describe(IReadOnlyList<Category> categories) => ClassIndex is int k
        ? string.Create(CultureInfo.InvariantCulture, $"{Metric.ClassName()} of class {categories[k].Id} \"{categories[k].Name}\"")
        : Metric.SummaryName();
}
