using DetectionEval.Eval;
using DetectionEval.Cli.Runs;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Metrics;

namespace DetectionEval.Cli.Tests;

/// <summary>The trial a run makes in the background to compile its code ahead: it must run the code the real outputs run.</summary>
public sealed class CompileAheadTests
{
    [Fact]
    public void The_trial_writes_the_summary_and_the_json_of_a_made_up_evaluation()
    {
        string text = CompileAhead.Trial(new EvaluationOptions(), charts: false);
        Assert.Contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]", text);
        Assert.Contains("mAP (all-point)", text);
        Assert.Contains("\"tool\"", text);
        Assert.DoesNotContain("<!DOCTYPE html>", text);
    }

    [Fact]
    public void With_charts_asked_for_the_trial_also_draws_the_html_report_with_its_charts()
    {
        string text = CompileAhead.Trial(new EvaluationOptions(), charts: true);
        Assert.Contains("<!DOCTYPE html>", text);
        // Both classes have positives: a PR chart and a confidence chart each, and the whole-evaluation charts.
        Assert.True(text.Split("<svg ").Length - 1 >= 6, "expected the report's inline charts");
    }

    [Fact]
    public void The_trial_evaluates_only_the_metrics_the_run_asks_for()
    {
        Assert.DoesNotContain("mAP (all-point)", CompileAhead.Trial(new EvaluationOptions { Metrics = MetricSet.Coco }, charts: true));
        Assert.DoesNotContain("Average Precision  (AP)", CompileAhead.Trial(new EvaluationOptions { Metrics = MetricSet.Voc }, charts: true));
    }

    [Fact]
    public void The_gate_trial_bootstraps_its_made_up_runs_with_the_gates_rules_and_passes()
    {
        var rules = new GateRules([new MetricFloor(GateMetric.Ap, 0.1)], [new DropLimit(GateMetric.Ap, 0.005)], [new DropLimit(null, 0.02)]);
        string text = CompileAhead.GateTrial(new EvaluationOptions(), rules, MetricSet.All, bootstrap: true);
        // A floor, a summary drop and two rules (COCO AP, VOC apAll) for each of the two classes.
        Assert.Contains("gate passed: 6 of 6 checks within limits", text);
    }

    [Fact]
    public void A_trial_that_throws_ends_its_own_thread_and_nothing_else()
    {
        bool ran = false;
        Thread thread = CompileAhead.StartQuietly(() =>
        {
            ran = true;
            throw new InvalidOperationException("a defect the run itself would report");
        });
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
        // An exception escaping the thread would have ended this test process.
        Assert.True(ran);
    }
}
