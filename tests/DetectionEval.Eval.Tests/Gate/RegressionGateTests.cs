using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Eval.Tests.Gate;

/// <summary>The gate's rules on reports: floors, drops, per-class drops, tolerance and significance.</summary>
public sealed class RegressionGateTests
{
    private static EvaluationReport Baseline => GateFixture.Baseline.Value;

    private static EvaluationReport WithAp(double ap) => Baseline with { Coco = Baseline.Coco! with { Summary = Baseline.Coco.Summary with { Ap = ap } } };

    [Fact]
    public void Identical_reports_pass_every_rule()
    {
        var rules = new GateRules([new MetricFloor(GateMetric.Ap, 0.3)], [new DropLimit(GateMetric.Ap, 0), new DropLimit(GateMetric.VocApAll, 0)], [new DropLimit(null, 0)]);
        GateVerdict verdict = RegressionGate.Check(Baseline, Baseline, rules, MetricSet.All);
        Assert.True(verdict.Passed);
        // One floor, two drops, and for each family's main metric one check per class.
        Assert.Equal(3 + 2 * 80, verdict.Checks.Count);
        Assert.Equal(2 * 10, verdict.Checks.Count(c => c.Outcome == GateOutcome.NotApplicable));
    }

    [Fact]
    public void A_drop_of_exactly_the_allowance_passes_and_a_larger_one_fails()
    {
        double ap = Baseline.Coco!.Summary.Ap!.Value;
        GateRules rules = GateFixture.Drops(new DropLimit(GateMetric.Ap, 0.005));
        Assert.True(RegressionGate.Check(Baseline, WithAp(ap - 0.005), rules, MetricSet.Coco).Passed);
        GateVerdict failed = RegressionGate.Check(Baseline, WithAp(ap - 0.0051), rules, MetricSet.Coco);
        GateCheck check = Assert.Single(failed.Failures);
        Assert.Equal("AP: baseline 0.5046, current 0.4995, drop 0.0051 > allowed 0.0050", check.Describe());
    }

    [Fact]
    public void Relative_drops_are_fractions_of_the_baseline()
    {
        double ap = Baseline.Coco!.Summary.Ap!.Value;
        var rules = new GateRules([], [new DropLimit(GateMetric.Ap, 0.02)], [], DropMode.Relative);
        Assert.True(RegressionGate.Check(Baseline, WithAp(ap * 0.985), rules, MetricSet.Coco).Passed);
        GateCheck check = Assert.Single(RegressionGate.Check(Baseline, WithAp(ap * 0.97), rules, MetricSet.Coco).Failures);
        Assert.Equal("AP: baseline 0.5046, current 0.4894, drop 3.00% > allowed 2.00%", check.Describe());
    }

    [Fact]
    public void A_floor_fails_below_its_minimum()
    {
        var rules = new GateRules([new MetricFloor(GateMetric.Ap, 0.51), new MetricFloor(GateMetric.Ap50, 0.5)], [], []);
        GateVerdict verdict = RegressionGate.Check(Baseline, Baseline, rules, MetricSet.Coco);
        GateCheck failed = Assert.Single(verdict.Failures);
        Assert.Equal("AP: current 0.5046 < minimum 0.5100", failed.Describe());
    }

    [Fact]
    public void Dropping_one_class_fails_that_class_and_names_it()
    {
        EvaluationReport current = GateFixture.Report("cur.json", GateFixture.WithoutClass(18));
        var rules = new GateRules([], [], [new DropLimit(null, 0.02)]);
        GateVerdict verdict = RegressionGate.Check(Baseline, current, rules, MetricSet.All);
        Assert.False(verdict.Passed);
        Assert.Equal(
            ["AP of class 18 \"dog\": baseline 0.6337, current 0.0000, drop 0.6337 > allowed 0.0200",
             "apAll of class 18 \"dog\": baseline 1.0000, current 0.0000, drop 1.0000 > allowed 0.0200"],
            verdict.Failures.Select(f => f.Describe()));
        Assert.StartsWith("gate FAILED: 2 of 140 checks failed: AP of class 18 \"dog\"", verdict.Summary());
    }

    [Fact]
    public void A_metric_without_ground_truth_is_not_applicable()
    {
        EvaluationReport noSmall = Baseline with { Coco = Baseline.Coco! with { Summary = Baseline.Coco.Summary with { ApSmall = null } } };
        var rules = new GateRules([new MetricFloor(GateMetric.ApSmall, 0.9)], [new DropLimit(GateMetric.ApSmall, 0)], []);
        GateVerdict verdict = RegressionGate.Check(noSmall, noSmall, rules, MetricSet.Coco);
        Assert.True(verdict.Passed);
        Assert.All(verdict.Checks, c => Assert.Equal(GateOutcome.NotApplicable, c.Outcome));
    }

    [Fact]
    public void Rules_on_a_family_that_is_not_gated_are_refused()
    {
        Assert.Throws<ArgumentException>(() => RegressionGate.Check(Baseline, Baseline, GateFixture.Drops(new DropLimit(GateMetric.VocAp07, 0)), MetricSet.Coco));
    }

    [Fact]
    public void With_a_bootstrap_a_drop_fails_only_when_its_whole_interval_lies_beyond_the_allowance()
    {
        var baselineRun = Evaluations.Run(GateFixture.Dataset, new EvaluationOptions());
        // Weaken the current run a little: every detection of one class in three is gone.
        var currentRun = Evaluations.Run(GateFixture.Rebuild(GateFixture.Dataset, (k, row) => k % 3 != 0 || row % 2 == 0), new EvaluationOptions());
        EvaluationReport baseline = EvaluationReport.From("base.json", new ReportHeader("deval", "0", "gt", "a"), baselineRun.Result);
        EvaluationReport current = EvaluationReport.From("cur.json", new ReportHeader("deval", "0", "gt", "b"), currentRun.Result);
        double drop = baseline.Coco!.Summary.Ap!.Value - current.Coco!.Summary.Ap!.Value;
        Assert.InRange(drop, 0.005, 0.2);

        MetricKey[] keys = [new(GateMetric.Ap)];
        BootstrapResult bootstrap = RunBootstrap.Compare(baselineRun, currentRun, keys, new BootstrapSettings(300, Seed: 5));
        ConfidenceInterval ci = bootstrap.DropInterval(keys[0], DropMode.Absolute)!.Value;
        Assert.True(ci.Lower < drop && drop < ci.Upper, $"the interval {ci} should hold the measured drop {drop}");

        // An allowance inside the interval: above the allowance, but not significantly.
        double inside = (ci.Lower + drop) / 2;
        GateRules rules = GateFixture.Drops(new DropLimit(GateMetric.Ap, inside));
        Assert.False(RegressionGate.Check(baseline, current, rules, MetricSet.Coco).Passed);
        Assert.True(RegressionGate.Check(baseline, current, rules, MetricSet.Coco, bootstrap).Passed);
        // An allowance below the interval fails with the bootstrap too.
        GateRules strict = GateFixture.Drops(new DropLimit(GateMetric.Ap, ci.Lower / 2));
        GateCheck failed = Assert.Single(RegressionGate.Check(baseline, current, strict, MetricSet.Coco, bootstrap).Failures);
        Assert.Contains("95% interval", failed.Describe());
    }
}
