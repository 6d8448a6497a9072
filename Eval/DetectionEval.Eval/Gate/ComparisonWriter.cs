using System.Globalization;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Eval.Gate;

/// <summary>Writes a <see cref="Comparison"/> as a text table and as Markdown.</summary>
public static class ComparisonWriter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The comparison as text: the summary side by side, then per family every class by change.</summary>
    public static void WriteText(TextWriter output, Comparison comparison)
    {
        output.WriteLine($"deval compare: A {comparison.A.Source}, B {comparison.B.Source} " +
            $"({GateMetrics.Describe(comparison.Families, comparison.Sections)}, {Counting.Of(comparison.B.Inputs.Classes, "class")}, {Counting.Of(comparison.B.Inputs.Images, "image")})");
        bool intervals = comparison.Bootstrap is not null;
        if (comparison.Bootstrap is { } b)
        {
            output.WriteLine(string.Create(Invariant, $"paired bootstrap: {Counting.Of(b.Replicates, "replicate")}, seed {b.Seed}, {b.Confidence * 100:0.##}% intervals of B - A"));
        }
        output.WriteLine();
        string intervalHeader = intervals ? "  " + "interval".PadLeft(19) : "";
        // Box metric names fit 8 characters; keypoints.AP50 and the like widen the column.
        int metricWidth = Math.Max(8, comparison.Summary.Max(r => (int?)r.Name.Length) ?? 8);
        output.WriteLine($"{"metric".PadRight(metricWidth)}  {"A",8}  {"B",8}  {"B - A",8}{intervalHeader}");
        foreach (ComparisonRow row in comparison.Summary)
        {
            output.WriteLine($"{row.Name.PadRight(metricWidth)}  {Value(row.A),8}  {Value(row.B),8}  {Signed(row.Change),8}{Interval(row, intervals)}");
        }
        foreach ((GateMetric metric, IReadOnlyList<ComparisonRow> rows) in comparison.PerClass)
        {
            output.WriteLine();
            output.WriteLine($"{FamilyName(metric)} {metric.NameInSection()} per class, largest drop first:");
            int nameWidth = Math.Clamp(rows.Max(r => (int?)Name(comparison, r).Length) ?? 5, 5, 30);
            output.WriteLine($"{"id",6}  {"class".PadRight(nameWidth)}  {"A",8}  {"B",8}  {"B - A",8}{intervalHeader}");
            foreach (ComparisonRow row in rows)
            {
                long id = comparison.B.Categories[row.Key.ClassIndex!.Value].Id;
                string name = Shorten(Name(comparison, row), nameWidth);
                output.WriteLine(string.Create(Invariant, $"{id,6}  {name.PadRight(nameWidth)}  {Value(row.A),8}  {Value(row.B),8}  {Signed(row.Change),8}{Interval(row, intervals)}"));
            }
        }
    }

    /// <summary>The comparison as Markdown tables.</summary>
    public static void WriteMarkdown(TextWriter output, Comparison comparison)
    {
        output.WriteLine("## deval compare");
        output.WriteLine();
        output.WriteLine(MarkdownText.Escape($"A: {comparison.A.Source}; B: {comparison.B.Source}; " +
            $"{GateMetrics.Describe(comparison.Families, comparison.Sections)}, {Counting.Of(comparison.B.Inputs.Classes, "class")}, {Counting.Of(comparison.B.Inputs.Images, "image")}."));
        bool intervals = comparison.Bootstrap is { };
        if (comparison.Bootstrap is { } b)
        {
            output.WriteLine();
            output.WriteLine(string.Create(Invariant, $"Paired bootstrap: {Counting.Of(b.Replicates, "replicate")}, seed {b.Seed}, {b.Confidence * 100:0.##}% intervals of B - A."));
        }
        output.WriteLine();
        output.WriteLine(intervals ? "| metric | A | B | B - A | interval |" : "| metric | A | B | B - A |");
        output.WriteLine(intervals ? "|---|---:|---:|---:|---:|" : "|---|---:|---:|---:|");
        foreach (ComparisonRow row in comparison.Summary) output.WriteLine(MarkdownRow(MarkdownText.Escape(row.Name), row, intervals));
        foreach ((GateMetric metric, IReadOnlyList<ComparisonRow> rows) in comparison.PerClass)
        {
            output.WriteLine();
            output.WriteLine($"### {FamilyName(metric)} {metric.NameInSection()} per class, largest drop first");
            output.WriteLine();
            output.WriteLine(intervals ? "| id | class | A | B | B - A | interval |" : "| id | class | A | B | B - A |");
            output.WriteLine(intervals ? "|---:|---|---:|---:|---:|---:|" : "|---:|---|---:|---:|---:|");
            foreach (ComparisonRow row in rows)
            {
                long id = comparison.B.Categories[row.Key.ClassIndex!.Value].Id;
                output.WriteLine(MarkdownRow(string.Create(Invariant, $"{id} | {MarkdownText.Escape(Name(comparison, row))}"), row, intervals));
            }
        }
    }

    private static string MarkdownRow(string label, ComparisonRow row, bool intervals)
    {
        string text = $"| {label} | {Value(row.A)} | {Value(row.B)} | {Signed(row.Change)} |";
        if (intervals) text += row.Interval is { } ci ? $" {Signed(ci.Lower)} to {Signed(ci.Upper)} |" : " |";
        return text;
    }

    private static string FamilyName(GateMetric metric) => metric.IouType() != IouType.Bbox
        ? "COCO " + GateMetrics.SectionName(metric.IouType())
        : metric.Family() == MetricSet.Coco ? "COCO" : "VOC";

    private static string Name(Comparison comparison, ComparisonRow row) => comparison.B.Categories[row.Key.ClassIndex!.Value].Name;

    private static string Interval(ComparisonRow row, bool intervals) =>
        !intervals ? "" : "  " + (row.Interval is { } ci ? $"{Signed(ci.Lower)} to {Signed(ci.Upper)}" : "-").PadLeft(19);

    private static string Value(double? value) => value is double v ? v.ToString("F4", Invariant) : "-";

    private static string Signed(double? value) => value is double v ? v.ToString("+0.0000;-0.0000;0.0000", Invariant) : "-";

    private static string Shorten(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "~";
}
