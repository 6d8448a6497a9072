using System.Globalization;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Eval.Gate;

/// <summary>
/// Writes a gate's verdict for people: a plain-text list for the terminal and a Markdown summary fit for a
/// CI step summary (GitHub's <c>$GITHUB_STEP_SUMMARY</c>) or a merge-request comment. Every summary check
/// gets a line; per-class checks list the failures and count the rest.
/// </summary>
public static class GateVerdictWriter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The first line: what was compared.</summary>
    public static string Header(EvaluationReport baseline, EvaluationReport current, MetricSet families) => string.Create(Invariant,
        $"baseline {baseline.Source}, current {current.Source} ({GateMetrics.Describe(families)}, {current.Inputs.Classes} classes, {current.Inputs.Images} images)");

    /// <summary>How drops were judged, or null without a bootstrap.</summary>
    public static string? BootstrapLine(BootstrapSettings? bootstrap) => bootstrap is not { } b ? null : string.Create(Invariant,
        $"paired bootstrap: {b.Replicates} replicates, seed {b.Seed}; a drop fails only when its {b.Confidence * 100:0.##}% interval lies above the allowance");

    /// <summary>The verdict as text: one line per check, per-class checks summarised.</summary>
    public static void WriteText(TextWriter output, GateVerdict verdict, EvaluationReport baseline, EvaluationReport current)
    {
        output.WriteLine("deval gate: " + Header(baseline, current, verdict.Families));
        if (BootstrapLine(verdict.Bootstrap) is { } line) output.WriteLine(line);
        foreach (GateCheck check in verdict.Checks.Where(c => c.Kind != GateCheckKind.ClassDrop)) output.WriteLine($"{Status(check.Outcome),-5} {check.Describe()}");
        foreach (var group in ClassGroups(verdict))
        {
            foreach (GateCheck check in group.Checks.Where(c => c.Outcome == GateOutcome.Fail)) output.WriteLine($"{Status(check.Outcome),-5} {check.Describe()}");
            output.WriteLine($"{Status(GateOutcome.Pass),-5} {group.Describe()}");
        }
        output.WriteLine(verdict.Passed ? "PASS" : "FAIL");
    }

    /// <summary>The verdict as Markdown: a heading with the verdict, a table of the checks, and every per-class check folded away.</summary>
    public static void WriteMarkdown(TextWriter output, GateVerdict verdict, EvaluationReport baseline, EvaluationReport current)
    {
        int failed = verdict.Failures.Count, total = verdict.Checks.Count(c => c.Outcome != GateOutcome.NotApplicable);
        output.WriteLine(verdict.Passed
            ? string.Create(Invariant, $"## deval gate: passed ({total} checks)")
            : string.Create(Invariant, $"## deval gate: FAILED ({failed} of {total} checks)"));
        output.WriteLine();
        string header = Header(baseline, current, verdict.Families);
        output.WriteLine(Markdown.Escape(char.ToUpperInvariant(header[0]) + header[1..]) + ".");
        if (BootstrapLine(verdict.Bootstrap) is { } line)
        {
            output.WriteLine();
            output.WriteLine(char.ToUpperInvariant(line[0]) + line[1..] + ".");
        }
        output.WriteLine();
        bool intervals = verdict.Bootstrap is not null;
        WriteTableHeader(output, intervals);
        foreach (GateCheck check in verdict.Checks.Where(c => c.Kind != GateCheckKind.ClassDrop || c.Outcome == GateOutcome.Fail))
        {
            WriteRow(output, check, intervals);
        }
        foreach (var group in ClassGroups(verdict))
        {
            output.WriteLine($"| pass | {Markdown.Escape(group.Describe())} | | | | {group.Checks[0].Amount(group.Checks[0].Limit)} |{(intervals ? " |" : "")}");
        }
        foreach (var group in ClassGroups(verdict))
        {
            output.WriteLine();
            output.WriteLine($"<details><summary>{Markdown.Escape(group.Metric.ClassName())} per class: {group.Checks.Count} classes</summary>");
            output.WriteLine();
            WriteTableHeader(output, intervals);
            foreach (GateCheck check in group.Checks) WriteRow(output, check, intervals);
            output.WriteLine();
            output.WriteLine("</details>");
        }
    }

    private static void WriteTableHeader(TextWriter output, bool intervals)
    {
        output.WriteLine(intervals
            ? "| result | check | baseline | current | drop | allowed | interval of the drop |"
            : "| result | check | baseline | current | drop | allowed |");
        output.WriteLine(intervals ? "|---|---|---:|---:|---:|---:|---:|" : "|---|---|---:|---:|---:|---:|");
    }

    private static void WriteRow(TextWriter output, GateCheck check, bool intervals)
    {
        string result = check.Outcome switch { GateOutcome.Fail => "**FAIL**", GateOutcome.Pass => "pass", _ => "n/a" };
        string name = check.Kind == GateCheckKind.Floor ? $"{check.Name} >= {GateCheck.Value(check.Limit)}" : check.Name;
        string allowed = check.Kind == GateCheckKind.Floor ? "" : check.Amount(check.Limit);
        string row = $"| {result} | {Markdown.Escape(name)} | {Cell(check.Baseline)} | {Cell(check.Current)} | {(check.Drop is null ? "" : check.Amount(check.Drop))} | {allowed} |";
        if (intervals) row += check.Interval is { } ci ? $" {check.Amount(ci.Lower)} to {check.Amount(ci.Upper)} |" : " |";
        output.WriteLine(row);
    }

    private static string Cell(double? value) => value is null ? "" : GateCheck.Value(value);

    private static string Status(GateOutcome outcome) => outcome switch
    {
        GateOutcome.Fail => "FAIL",
        GateOutcome.Pass => "pass",
        _ => "n/a",
    };

    /// <summary>Per-class checks of one metric.</summary>
    private sealed record ClassGroup(GateMetric Metric, IReadOnlyList<GateCheck> Checks)
    {
        /// <summary>The checks that did not fail, in a phrase.</summary>
        public string Describe()
        {
            int failed = Checks.Count(c => c.Outcome == GateOutcome.Fail);
            int notApplicable = Checks.Count(c => c.Outcome == GateOutcome.NotApplicable);
            int passed = Checks.Count - failed - notApplicable;
            if (passed + failed == 0) return string.Create(Invariant, $"{Metric.ClassName()}: no class has ground truth ({notApplicable} classes not checked)");
            string who = failed == 0 ? $"all {passed} classes" : $"{passed} other classes";
            string text = string.Create(Invariant, $"{Metric.ClassName()} of {who}: every drop within {Checks[0].Amount(Checks[0].Limit)}");
            return notApplicable == 0 ? text : string.Create(Invariant, $"{text} ({notApplicable} classes without ground truth not checked)");
        }
    }

    private static IEnumerable<ClassGroup> ClassGroups(GateVerdict verdict) =>
        verdict.Checks.Where(c => c.Kind == GateCheckKind.ClassDrop)
            .GroupBy(c => (c.Key.Metric, c.Limit))
            .Select(g => new ClassGroup(g.Key.Metric, [.. g]));
}

/// <summary>Markdown helpers.</summary>
internal static class Markdown
{
    /// <summary>Text safe in a Markdown table cell: pipes, angle brackets and backslashes escaped, line breaks removed.</summary>
    public static string Escape(string text) => text
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("|", "\\|", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\r", " ", StringComparison.Ordinal)
        .Replace("\n", " ", StringComparison.Ordinal);
}
