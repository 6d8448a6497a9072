using System.Globalization;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Eval.Gate;

/// <summary>
/// Writes a gate's verdict for people: a plain-text list for the terminal and a Markdown summary fit for a
/// CI step summary (GitHub's <c>$GITHUB_STEP_SUMMARY</c>) or a merge-request comment. Every summary check
/// gets a line; per-class checks list the failures and, with a bootstrap, the drops measured above the
/// allowance that are not significant, and count the rest.
/// </summary>
public static class GateVerdictWriter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>How many classes measured above the allowance a class group's line names; the others are counted.</summary>
    public const int NamedClasses = 5;

    /// <summary>The first line: what was compared.</summary>
    public static string Header(EvaluationReport baseline, EvaluationReport current, MetricSet families, IReadOnlyCollection<IouType>? sections = null) =>
        $"baseline {baseline.Source}, current {current.Source} ({GateMetrics.Describe(families, sections ?? [])}, {Counting.Of(current.Inputs.Classes, "class")}, {Counting.Of(current.Inputs.Images, "image")})";

    /// <summary>How drops were judged, or null without a bootstrap.</summary>
    public static string? BootstrapLine(BootstrapSettings? bootstrap) => bootstrap is not { } b ? null : string.Create(Invariant,
        $"paired bootstrap: {Counting.Of(b.Replicates, "replicate")}, seed {b.Seed}; a drop fails only when its {b.Confidence * 100:0.##}% interval lies above the allowance");

    /// <summary>The verdict as text: one line per check, per-class checks summarised.</summary>
    public static void WriteText(TextWriter output, GateVerdict verdict, EvaluationReport baseline, EvaluationReport current)
    {
        output.WriteLine("deval gate: " + Header(baseline, current, verdict.Families, verdict.Sections));
        if (BootstrapLine(verdict.Bootstrap) is { } line) output.WriteLine(line);
        foreach (GateCheck check in verdict.Checks.Where(c => c.Kind != GateCheckKind.ClassDrop)) output.WriteLine($"{Status(check.Outcome),-5} {check.Describe()}");
        foreach (ClassGroup group in ClassGroups(verdict, current))
        {
            foreach (GateCheck check in group.Checks.Where(IsListed)) output.WriteLine($"{Status(check.Outcome),-5} {check.Describe()}");
            output.WriteLine($"{Status(GateOutcome.Pass),-5} {group.Describe()}");
        }
        output.WriteLine(verdict.Passed ? "PASS" : "FAIL");
    }

    /// <summary>
    /// The verdict as Markdown: a heading with the verdict, a table of the summary checks, the failed classes
    /// and those measured above the allowance, and every per-class check folded away.
    /// </summary>
    public static void WriteMarkdown(TextWriter output, GateVerdict verdict, EvaluationReport baseline, EvaluationReport current)
    {
        int failed = verdict.Failures.Count, total = verdict.Checks.Count(c => c.Outcome != GateOutcome.NotApplicable);
        output.WriteLine(verdict.Passed
            ? $"## deval gate: passed ({Counting.Of(total, "check")})"
            : $"## deval gate: FAILED ({Counting.Number(failed)} of {Counting.Of(total, "check")})");
        output.WriteLine();
        string header = Header(baseline, current, verdict.Families, verdict.Sections);
        output.WriteLine(MarkdownText.Escape(char.ToUpperInvariant(header[0]) + header[1..]) + ".");
        if (BootstrapLine(verdict.Bootstrap) is { } line)
        {
            output.WriteLine();
            output.WriteLine(char.ToUpperInvariant(line[0]) + line[1..] + ".");
        }
        output.WriteLine();
        bool intervals = verdict.Bootstrap is not null;
        WriteTableHeader(output, intervals);
        foreach (GateCheck check in verdict.Checks.Where(c => c.Kind != GateCheckKind.ClassDrop || IsListed(c)))
        {
            WriteRow(output, check, intervals);
        }
        IReadOnlyList<ClassGroup> groups = [.. ClassGroups(verdict, current)];
        foreach (ClassGroup group in groups)
        {
            output.WriteLine($"| pass | {MarkdownText.Escape(group.Describe())} | | | | {group.Checks[0].Amount(group.Checks[0].Limit)} |{(intervals ? " |" : "")}");
        }
        foreach (ClassGroup group in groups)
        {
            output.WriteLine();
            output.WriteLine($"<details><summary>{MarkdownText.Escape(group.Metric.ClassName())} per class: {Counting.Of(group.Checks.Count, "class")}</summary>");
            output.WriteLine();
            WriteTableHeader(output, intervals);
            foreach (GateCheck check in group.Checks) WriteRow(output, check, intervals);
            output.WriteLine();
            output.WriteLine("</details>");
        }
    }

    /// <summary>Per-class checks that get a line of their own: the failures, and the drops above the allowance that are not significant.</summary>
    private static bool IsListed(GateCheck check) => check.Outcome == GateOutcome.Fail || check.IsAboveAllowanceWithinNoise;

    private static void WriteTableHeader(TextWriter output, bool intervals)
    {
        output.WriteLine(intervals
            ? "| result | check | baseline | current | drop | allowed | interval of the drop |"
            : "| result | check | baseline | current | drop | allowed |");
        output.WriteLine(intervals ? "|---|---|---:|---:|---:|---:|---:|" : "|---|---|---:|---:|---:|---:|");
    }

    private static void WriteRow(TextWriter output, GateCheck check, bool intervals)
    {
        string result = check.Outcome switch
        {
            GateOutcome.Fail => "**FAIL**",
            GateOutcome.Pass when check.IsAboveAllowanceWithinNoise => "pass (not significant)",
            GateOutcome.Pass => "pass",
            _ => "n/a",
        };
        string name = check.Kind == GateCheckKind.Floor ? $"{check.Name} {check.DescribeRule()}" : check.Name;
        string allowed = check.Kind == GateCheckKind.Floor ? "" : check.Amount(check.Limit);
        string row = $"| {result} | {MarkdownText.Escape(name)} | {Cell(check.Baseline)} | {Cell(check.Current)} | {(check.Drop is null ? "" : check.Amount(check.Drop))} | {allowed} |";
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

    /// <summary>Per-class checks of one metric and allowance.</summary>
    private sealed record ClassGroup(GateMetric Metric, IReadOnlyList<GateCheck> Checks, IReadOnlyList<Category> Categories)
    {
        /// <summary>
        /// The checks that did not fail, in a phrase: "every drop within" the allowance when every measured drop
        /// is; with a bootstrap and drops measured above it, "no drop significantly above" it, naming those classes.
        /// </summary>
        public string Describe()
        {
            int failed = Checks.Count(c => c.Outcome == GateOutcome.Fail);
            int notApplicable = Checks.Count(c => c.Outcome == GateOutcome.NotApplicable);
            int passed = Checks.Count - failed - notApplicable;
            if (passed + failed == 0) return $"{Metric.ClassName()}: no class has ground truth ({Counting.Of(notApplicable, "class")} not checked)";
            string who = failed > 0 ? Counting.Of(passed, "other class") : passed == 1 ? "1 class" : $"all {Counting.Of(passed, "class")}";
            string limit = Checks[0].Amount(Checks[0].Limit);
            GateCheck[] noise = [.. Checks.Where(c => c.IsAboveAllowanceWithinNoise)];
            string text = noise.Length == 0
                ? $"{Metric.ClassName()} of {who}: every drop within {limit}"
                : $"{Metric.ClassName()} of {who}: no drop significantly above {limit}; measured above it: {NameClasses(noise)}";
            return notApplicable == 0 ? text : $"{text} ({Counting.Of(notApplicable, "class")} without ground truth not checked)";
        }

        /// <summary>The first <see cref="NamedClasses"/> classes with their measured drops, e.g. <c>class 47 "cup" 0.0242</c>, and how many more.</summary>
        private string NameClasses(IReadOnlyList<GateCheck> checks)
        {
            string named = string.Join(", ", checks.Take(NamedClasses).Select(c =>
            {
                Category category = Categories[c.Key.ClassIndex!.Value];
                return string.Create(Invariant, $"class {category.Id} \"{category.Name}\" {c.Amount(c.Drop)}");
            }));
            return checks.Count > NamedClasses ? $"{named} and {Counting.Number(checks.Count - NamedClasses)} more" : named;
        }
    }

    private static IEnumerable<ClassGroup> ClassGroups(GateVerdict verdict, EvaluationReport current) =>
        verdict.Checks.Where(c => c.Kind == GateCheckKind.ClassDrop)
            .GroupBy(c => (c.Key.Metric, c.Limit))
            .Select(g => new ClassGroup(g.Key.Metric, [.. g], current.Categories));
}
