using System.Text;
using DetectionEval.Cli.Commands;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Cli.Visuals;
using DetectionEval.Eval;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;

namespace DetectionEval.Cli.Runs;

/// <summary>
/// Compiles the code a run needs after loading while it loads. deval runs with tiered compilation off (its
/// hot loops want fully optimised code from the first pass), so every method is compiled with full
/// optimisation the first time it runs: about 0.4 s of a 5,000-image evaluation and 0.15 s more for its
/// HTML report, mostly on one core, after the inputs are read. Meanwhile the loading leaves a core idle
/// much of the time. So, as the run starts, a background thread evaluates a tiny made-up dataset (two
/// images, two classes) with the run's options and writes its summary, JSON and, when the run asks for
/// charts or a report, its charts and HTML, all thrown away: the same code the real run will call,
/// compiled by the time it does. The trial writes no file and shares no state with the run; code it
/// fails in fails the same way in the run, where the error is reported. `deval gate` does the same with
/// its own trial: the made-up runs bootstrapped under the gate's rules and the verdict written. A one-core
/// machine skips it.
/// </summary>
internal static class CompileAhead
{
    /// <summary>Starts the trial on a background thread (it never delays the process's exit).</summary>
    public static void Start(EvaluateSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (Environment.ProcessorCount < 2) return;
        EvaluationOptions options = settings.ToOptions() with { Threads = 1, Engine = null };
        bool charts = settings.Reports.HtmlPath is not null || settings.Reports.PlotsDirectory is not null;
        StartQuietly(() => Trial(options, charts));
    }

    /// <summary>The trial: evaluates the made-up dataset and formats what a run writes; returns the text, for tests.</summary>
    internal static string Trial(EvaluationOptions options, bool charts)
    {
        EvaluationResult result = EvaluationPipeline.Run(new EvaluationRequest(new DatasetInputs(TinyDataset())) { Options = options }).Result;
        var text = new StringWriter();
        // The charts first: their code is the most to compile, and the last the run needs.
        if (charts) text.Write(ReportPipeline.DrawTrialReport(result));
        TextReport.Write(text, result);
        using var json = new MemoryStream();
        JsonReport.Write(json, new ReportHeader(DevalApp.ToolName, DevalApp.Version, "gt.json", "predictions.json"), result);
        text.Write(Encoding.UTF8.GetString(json.ToArray()));
        return text.ToString();
    }

    /// <summary>
    /// Starts the gate's trial on a background thread: the made-up dataset evaluated as a gate evaluates
    /// its runs, bootstrapped (when the gate bootstraps) with the same rules, and the verdict written.
    /// </summary>
    public static void StartForGate(EvaluationOptions options, GateRules rules, MetricSet families, bool bootstrap)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rules);
        if (Environment.ProcessorCount < 2) return;
        EvaluationOptions trial = options with { Threads = 1, Engine = null };
        StartQuietly(() => GateTrial(trial, rules, families, bootstrap));
    }

    /// <summary>The gate's trial; returns the verdict text, for tests.</summary>
    internal static string GateTrial(EvaluationOptions options, GateRules rules, MetricSet families, bool bootstrap)
    {
        Dataset dataset = TinyDataset();
        EvaluationRun run = EvaluationPipeline.Run(new EvaluationRequest(new DatasetInputs(dataset)) { Options = options, Keep = RunProducts.Matches });
        BootstrapResult? resampled = bootstrap
            ? RunBootstrap.Compare(run, run, rules.DropKeys(families, dataset.Categories.Count), new BootstrapSettings(2), threads: 1)
            : null;
        EvaluationReport report = EvaluationReport.From("predictions.json", new ReportHeader(DevalApp.ToolName, DevalApp.Version, "gt.json", "predictions.json"), run.Result);
        GateVerdict verdict = RegressionGate.Check(report, report, rules, families, resampled);
        var text = new StringWriter();
        GateVerdictWriter.WriteText(text, verdict, report, report);
        text.WriteLine(verdict.Summary());
        return text.ToString();
    }

    /// <summary>
    /// Runs the trial on a background thread that never ends the process: an exception escaping a thread
    /// would stop deval with a stack trace, and the trial is only a head start. It takes no cancellation
    /// (Ctrl-C stops the run, not the trial, which ends with the process) and whatever fails in it is
    /// dropped here: the run calls the same code and reports the failure as it reports any.
    /// </summary>
    internal static Thread StartQuietly(Action trial)
    {
        var thread = new Thread(() =>
        {
            try
            {
                trial();
            }
#pragma warning disable CA1031 // The trial's failures are the run's to report; here they must not end the process.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        })
        {
            IsBackground = true,
            Name = "deval: compile ahead",
        };
        thread.Start();
        return thread;
    }

    /// <summary>Two images, two classes: a hit, a miss, a duplicate-free near hit and a false positive.</summary>
    private static Dataset TinyDataset()
    {
        var builder = new DatasetBuilder();
        builder.TryAddCategory(new Category(1, "a"), out int a);
        builder.TryAddCategory(new Category(2, "b"), out int b);
        for (int i = 0; i < 2; i++)
        {
            builder.TryAddImage(new ImageInfo(i + 1), out int image);
            builder.AddGroundTruth(image, a, new Box(10, 10, 20, 20), 400, GroundTruthFlags.None, 2 * i + 1);
            builder.AddGroundTruth(image, b, new Box(50, 50, 30, 30), 900, GroundTruthFlags.None, 2 * i + 2);
            builder.AddDetection(image, a, new Box(11, 10, 20, 20), 0.9 - 0.1 * i);
            builder.AddDetection(image, b, new Box(0, 0, 5, 5), 0.8);
            builder.AddDetection(image, b, new Box(50, 51, 30, 30), 0.7);
        }
        return builder.Build();
    }
}
