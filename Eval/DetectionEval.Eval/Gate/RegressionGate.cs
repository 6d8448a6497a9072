using System.Globalization;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Eval.Gate;

// The regression gate: typed rules checked on a baseline report and a current report.
//
// Rules: floors (the current value must be at least the minimum), drops of summary metrics and drops of
// per-class metrics (baseline - current, or that divided by the baseline for relative drops, must be at
// most the allowance). A value that pycocotools reports as -1 (no ground truth in that setting) makes the
// check not applicable: it neither passes nor fails.
// Tolerance: a value exactly at the limit passes; limits are compared with a slack of 1e-12, so that a
// drop of 0.005 computed as 0.0050000000000000044 does not fail a 0.005 allowance.
// Significance: with a bootstrap, a drop check fails only when the measured drop and the whole confidence
// interval of the drop lie above the allowance (the interval's lower bound exceeds it); a measured drop
// above the allowance whose interval reaches below it is noise and passes. Floors are checked on the
// measured value.

/// <summary>The current value of a metric must be at least <paramref name="Minimum"/>.</summary>
/// <param name="Metric">The metric.</param>
/// <param name="Minimum">Its floor.</param>
public sealed record MetricFloor(GateMetric Metric, double Minimum);

/// <summary>A metric may drop by at most <paramref name="MaxDrop"/>.</summary>
/// <param name="Metric">The metric; for per-class limits, null stands for the main metric of every gated family (COCO AP, VOC apAll).</param>
/// <param name="MaxDrop">The allowance, in metric points or, for relative drops, as a fraction of the baseline.</param>
public sealed record DropLimit(GateMetric? Metric, double MaxDrop);

/// <summary>What the gate checks.</summary>
/// <param name="Floors">Absolute floors of summary metrics (<c>--min</c>).</param>
/// <param name="Drops">Allowed drops of summary metrics (<c>--max-drop</c>).</param>
/// <param name="ClassDrops">Allowed drops of every class's value (<c>--per-class-max-drop</c>).</param>
/// <param name="Mode">Whether drops are absolute or relative (<c>--relative</c>).</param>
public sealed record GateRules(
    IReadOnlyList<MetricFloor> Floors, IReadOnlyList<DropLimit> Drops, IReadOnlyList<DropLimit> ClassDrops, DropMode Mode = DropMode.Absolute)
{
    /// <summary>True when there is nothing to check.</summary>
    public bool IsEmpty => Floors.Count == 0 && Drops.Count == 0 && ClassDrops.Count == 0;

    /// <summary>The metrics the rules name explicitly (a bare per-class limit names none).</summary>
    public IEnumerable<GateMetric> NamedMetrics =>
        Floors.Select(f => f.Metric).Concat(Drops.Concat(ClassDrops).Where(d => d.Metric is not null).Select(d => d.Metric!.Value));

    /// <summary>The box families the rules name explicitly (a bare per-class limit names none).</summary>
    public MetricSet NamedFamilies =>
        NamedMetrics.Where(m => m.IouType() == IouType.Bbox).Aggregate((MetricSet)0, (set, m) => set | m.Family());

    /// <summary>The mask and keypoint sections the rules name explicitly (<c>segm.AP</c> names segm).</summary>
    public IReadOnlyList<IouType> NamedSections => [.. NamedMetrics.Select(m => m.IouType()).Where(t => t != IouType.Bbox).Distinct().Order()];

    /// <summary>
    /// The per-class limits with a bare limit spelled out for each family in <paramref name="families"/> and
    /// each mask or keypoint section in <paramref name="sections"/> (its AP).
    /// </summary>
    public IReadOnlyList<(GateMetric Metric, double MaxDrop)> ClassDropsFor(MetricSet families, IReadOnlyCollection<IouType>? sections = null) =>
    [
        .. ClassDrops.SelectMany(d => d.Metric is GateMetric m
            ? [(m, d.MaxDrop)]
            : GateMetrics.FamiliesOf(families).Select(f => (GateMetrics.PrimaryOf(f), d.MaxDrop))
                .Concat((sections ?? []).Select(t => (GateMetrics.PrimaryOf(t), d.MaxDrop)))),
    ];

    /// <summary>The values whose drops the rules check, for a bootstrap.</summary>
    public IReadOnlyList<MetricKey> DropKeys(MetricSet families, int classes, IReadOnlyCollection<IouType>? sections = null) =>
    [
        .. Drops.Select(d => new MetricKey(d.Metric!.Value))
            .Concat(ClassDropsFor(families, sections).SelectMany(d => Enumerable.Range(0, classes).Select(k => new MetricKey(d.Metric, k))))
            .Distinct(),
    ];
}

/// <summary>Which rule a check comes from.</summary>
public enum GateCheckKind
{
    /// <summary>A floor of a summary metric.</summary>
    Floor,

    /// <summary>An allowed drop of a summary metric.</summary>
    Drop,

    /// <summary>An allowed drop of one class's value.</summary>
    ClassDrop,
}

/// <summary>How a check ended.</summary>
public enum GateOutcome
{
    /// <summary>Within the rule.</summary>
    Pass,

    /// <summary>A regression.</summary>
    Fail,

    /// <summary>The metric has no value here (no ground truth in that setting): nothing to check.</summary>
    NotApplicable,
}

/// <summary>One checked rule.</summary>
/// <param name="Kind">Floor, drop or class drop.</param>
/// <param name="Key">The metric, and the class for a class drop.</param>
/// <param name="Name">The value in words, e.g. <c>AP of class 1 "person"</c>.</param>
/// <param name="Baseline">The baseline value (null for floors, or where there is none).</param>
/// <param name="Current">The current value.</param>
/// <param name="Limit">The floor, or the allowed drop.</param>
/// <param name="Mode">Absolute or relative drop.</param>
/// <param name="Drop">The measured drop; null for floors.</param>
/// <param name="Interval">The bootstrap interval of the drop, when one was run.</param>
/// <param name="Outcome">Pass, fail or not applicable.</param>
public sealed record GateCheck(
    GateCheckKind Kind, MetricKey Key, string Name, double? Baseline, double? Current, double Limit, DropMode Mode,
    double? Drop, ConfidenceInterval? Interval, GateOutcome Outcome)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The check in one phrase, naming metric, baseline, current and what is allowed.</summary>
    public string Describe()
    {
        if (Kind == GateCheckKind.Floor)
        {
            return Outcome == GateOutcome.NotApplicable
                ? $"{Name}: no value (no ground truth in that setting), minimum {Value(Limit)}"
                : $"{Name}: current {Value(Current)}{(Outcome == GateOutcome.Fail ? " < " : ", ")}minimum {Value(Limit)}";
        }
        if (Outcome == GateOutcome.NotApplicable) return $"{Name}: no value (no ground truth in that setting)";
        string text = $"{Name}: baseline {Value(Baseline)}, current {Value(Current)}, drop {Amount(Drop)}";
        if (Interval is { } ci) text += string.Create(Invariant, $" ({ConfidencePercent}% interval {Amount(ci.Lower)} to {Amount(ci.Upper)})");
        if (IsAboveAllowanceWithinNoise) return text + $" > allowed {Amount(Limit)}, but not significantly";
        return text + (Outcome == GateOutcome.Fail ? " > " : ", ") + $"allowed {Amount(Limit)}";
    }

    /// <summary>
    /// True for a drop that passed although its measured value is above the allowance: its bootstrap
    /// interval reaches the allowance, so the drop cannot be told from resampling noise.
    /// </summary>
    public bool IsAboveAllowanceWithinNoise =>
        Kind != GateCheckKind.Floor && Outcome == GateOutcome.Pass && Interval is not null && Drop > Limit + RegressionGate.Slack;

    /// <summary>The rule in a phrase: <c>&gt;= 0.3000</c>, <c>drop &lt;= 0.0050</c>, or with a bootstrap <c>drop not significantly above 0.0050</c>.</summary>
    public string DescribeRule() => Kind == GateCheckKind.Floor
        ? $">= {Value(Limit)}"
        : BySignificance ? $"drop not significantly above {Amount(Limit)}" : $"drop <= {Amount(Limit)}";

    /// <summary>True when a bootstrap judged the drops: a drop fails only when its interval lies above the allowance. Set by the gate.</summary>
    public bool BySignificance { get; init; }

    /// <summary>The confidence of <see cref="Interval"/> in percent; set by the gate.</summary>
    public double ConfidencePercent { get; init; } = 95;

    /// <summary>A metric value with four decimals, or "-".</summary>
    public static string Value(double? value) => value is double v ? v.ToString("F4", Invariant) : "-";

    /// <summary>A drop or allowance in this check's mode: four decimals, or a percentage for relative drops.</summary>
    public string Amount(double? value) => value is not double v ? "-"
        : Mode == DropMode.Relative ? (v * 100).ToString("0.00", Invariant) + "%" : v.ToString("F4", Invariant);
}

/// <summary>The result of a gate: every check, and whether any failed.</summary>
/// <param name="Checks">Floors, then summary drops, then class drops by metric and class.</param>
/// <param name="Families">The metric families gated.</param>
/// <param name="Bootstrap">The bootstrap settings, when drops were judged by intervals.</param>
public sealed record GateVerdict(IReadOnlyList<GateCheck> Checks, MetricSet Families, BootstrapSettings? Bootstrap)
{
    /// <summary>The mask and keypoint sections gated (the baseline's <c>cocoSegm</c>, <c>cocoKeypoints</c>).</summary>
    public IReadOnlyList<IouType> Sections { get; init; } = [];

    /// <summary>True when no check failed.</summary>
    public bool Passed => Checks.All(c => c.Outcome != GateOutcome.Fail);

    /// <summary>The failed checks.</summary>
    public IReadOnlyList<GateCheck> Failures => [.. Checks.Where(c => c.Outcome == GateOutcome.Fail)];

    /// <summary>The verdict in one line, naming the first failures.</summary>
    public string Summary()
    {
        int applicable = Checks.Count(c => c.Outcome != GateOutcome.NotApplicable);
        int notApplicable = Checks.Count - applicable;
        string extra = notApplicable > 0 ? $", {Counting.Number(notApplicable)} not applicable" : "";
        if (Passed)
        {
            int noise = Checks.Count(c => c.IsAboveAllowanceWithinNoise);
            string measured = noise > 0 ? $" ({Counting.Of(noise, "drop")} above the allowance, but not significantly)" : "";
            return $"gate passed: {Counting.Number(applicable)} of {Counting.Of(applicable, "check")} within limits{measured}{extra}";
        }
        IReadOnlyList<GateCheck> failures = Failures;
        string first = string.Join("; ", failures.Take(3).Select(f => f.Describe()));
        string more = failures.Count > 3 ? $"; and {Counting.Number(failures.Count - 3)} more" : "";
        return $"gate FAILED: {Counting.Number(failures.Count)} of {Counting.Of(applicable, "check")} failed: {first}{more}";
    }
}

/// <summary>Checks gate rules on two compatible reports.</summary>
public static class RegressionGate
{
    /// <summary>Limits are compared with this slack, so that rounding in the last bits never decides.</summary>
    public const double Slack = 1e-12;

    /// <summary>
    /// Checks <paramref name="rules"/> on <paramref name="baseline"/> and <paramref name="current"/>, which
    /// <see cref="ReportCompatibility.Require"/> has accepted for <paramref name="families"/>.
    /// </summary>
    /// <param name="baseline">The baseline report.</param>
    /// <param name="current">The current report.</param>
    /// <param name="rules">The rules; every metric they name must be in <paramref name="families"/>.</param>
    /// <param name="families">The families gated.</param>
    /// <param name="bootstrap">Replicates of every drop the rules check, or null to judge drops by their measured value.</param>
    public static GateVerdict Check(
        EvaluationReport baseline, EvaluationReport current, GateRules rules, MetricSet families, BootstrapResult? bootstrap = null)
    {
        if (rules.Drops.Any(d => d.Metric is null)) throw new ArgumentException("A drop of a summary value needs its metric.", nameof(rules));
        if ((rules.NamedFamilies & ~families) != 0)
        {
            throw new ArgumentException($"The rules name {GateMetrics.Describe(rules.NamedFamilies & ~families)} metrics, which are not gated.", nameof(rules));
        }
        IReadOnlyList<IouType> sections = GateMetrics.SectionsOf(baseline);
        if (rules.NamedSections.Except(sections).ToList() is { Count: > 0 } missing)
        {
            throw new ArgumentException($"The rules name {GateMetrics.Describe(0, missing)} metrics, which the baseline does not hold.", nameof(rules));
        }
        IReadOnlyList<Category> categories = current.Categories;
        double confidence = (bootstrap?.Settings.Confidence ?? 0.95) * 100;
        var checks = new List<GateCheck>();
        foreach (MetricFloor floor in rules.Floors)
        {
            double? value = GateMetrics.SummaryValue(current, floor.Metric);
            GateOutcome outcome = value is not double v ? GateOutcome.NotApplicable : v < floor.Minimum - Slack ? GateOutcome.Fail : GateOutcome.Pass;
            checks.Add(new GateCheck(GateCheckKind.Floor, new MetricKey(floor.Metric), floor.Metric.SummaryName(), null, value, floor.Minimum, rules.Mode, null, null, outcome));
        }
        foreach (DropLimit limit in rules.Drops)
        {
            var key = new MetricKey(limit.Metric!.Value);
            checks.Add(CheckDrop(GateCheckKind.Drop, key, key.Describe(categories), GateMetrics.SummaryValue(baseline, key.Metric),
                GateMetrics.SummaryValue(current, key.Metric), limit.MaxDrop, rules.Mode, bootstrap) with { ConfidencePercent = confidence, BySignificance = bootstrap is not null });
        }
        foreach ((GateMetric metric, double maxDrop) in rules.ClassDropsFor(families, sections))
        {
            for (int k = 0; k < categories.Count; k++)
            {
                var key = new MetricKey(metric, k);
                checks.Add(CheckDrop(GateCheckKind.ClassDrop, key, key.Describe(categories), GateMetrics.ClassValue(baseline, metric, k),
                    GateMetrics.ClassValue(current, metric, k), maxDrop, rules.Mode, bootstrap) with { ConfidencePercent = confidence, BySignificance = bootstrap is not null });
            }
        }
        return new GateVerdict(checks, families, bootstrap?.Settings) { Sections = sections };
    }

    /// <summary>The drop from <paramref name="baseline"/> to <paramref name="current"/>: positive when the current value is lower.</summary>
    public static double Drop(double baseline, double current, DropMode mode) => mode switch
    {
        DropMode.Relative => baseline > 0 ? (baseline - current) / baseline : 0.0,
        _ => baseline - current,
    };

    private static GateCheck CheckDrop(
        GateCheckKind kind, MetricKey key, string name, double? baseline, double? current, double maxDrop, DropMode mode, BootstrapResult? bootstrap)
    {
        if (baseline is not double b || current is not double c)
        {
            // Both reports come from the same ground truth, so a value exists in both or in neither.
            GateOutcome none = baseline is null && current is null ? GateOutcome.NotApplicable : GateOutcome.Fail;
            return new GateCheck(kind, key, name, baseline, current, maxDrop, mode, null, null, none);
        }
        double drop = Drop(b, c, mode);
        ConfidenceInterval? interval = bootstrap?.DropInterval(key, mode);
        // With an interval, only a drop whose whole interval lies beyond the allowance is a regression.
        bool beyond = drop > maxDrop + Slack && (interval is not { } ci || ci.Lower > maxDrop + Slack);
        GateOutcome outcome = beyond ? GateOutcome.Fail : GateOutcome.Pass;
        return new GateCheck(kind, key, name, b, c, maxDrop, mode, drop, interval, outcome);
    }
}
