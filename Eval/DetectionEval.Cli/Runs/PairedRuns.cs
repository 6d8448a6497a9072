using DetectionEval.Eval;
using DetectionEval.Cli.Options;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Cli.Runs;

/// <summary>
/// The evaluations of <c>gate</c> and <c>compare</c>: one run of predictions against ground truth, or two
/// runs of two prediction sets against the same ground truth, side by side, that keep their match records
/// for a bootstrap. Each goes through <see cref="EvaluationPipeline"/>.
/// </summary>
internal static class PairedRuns
{
    /// <summary>The request of one predictions input against the ground truth.</summary>
    public static EvaluationRequest Request(AnnotationInput groundTruth, AnnotationInput predictions, InputSettings inputs, EvaluationOptions options, CancellationToken cancellation) =>
        new(new FileInputs(groundTruth, [predictions], inputs.ToLoadOptions(cancellation))) { Options = options };

    /// <summary>One run, its messages on <paramref name="progress"/>'s writer.</summary>
    public static EvaluationRun One(EvaluationRequest request, Progress progress, CancellationToken cancellation) =>
        EvaluationPipeline.Run(request, new ConsoleObserver(progress, new StageTimings(), progress.Writer), cancellation);

    /// <summary>
    /// Two runs over the same ground truth, loaded side by side, each keeping its match records. What was
    /// said about the inputs is printed once per line, first run first: the ground truth is read twice.
    /// </summary>
    public static (EvaluationRun First, EvaluationRun Second) Pair(EvaluationRequest first, EvaluationRequest second, Progress progress, CancellationToken cancellation)
    {
        using var firstMessages = new StringWriter { NewLine = "\n" };
        using var secondMessages = new StringWriter { NewLine = "\n" };
        Task<EvaluationRun> secondRun = Task.Run(() => Kept(second, progress, secondMessages, cancellation), cancellation);
        EvaluationRun firstRun;
        try
        {
            firstRun = Kept(first, progress, firstMessages, cancellation);
        }
        finally
        {
            // Never leave the second run going past this call, whatever the first one met.
            ((IAsyncResult)secondRun).AsyncWaitHandle.WaitOne();
        }
        EvaluationRun other = secondRun.GetAwaiter().GetResult();
        foreach (string line in (firstMessages.ToString() + secondMessages).Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal))
        {
            progress.Writer.WriteLine(line);
        }
        return (firstRun, other);
    }

    private static EvaluationRun Kept(EvaluationRequest request, Progress progress, TextWriter messages, CancellationToken cancellation) =>
        EvaluationPipeline.Run(request with { Keep = RunProducts.Matches, Memory = MemoryMode.InMemory }, new ConsoleObserver(progress, new StageTimings(), messages), cancellation);

    /// <summary>The report of a run made in this process; messages name it by its predictions file.</summary>
    public static EvaluationReport ReportOf(EvaluationRun run, string groundTruth, string predictions) =>
        EvaluationReport.From(predictions, Header(groundTruth, predictions), run.Result);

    /// <summary>The header of a report written by this process.</summary>
    public static ReportHeader Header(string groundTruth, string predictions) => new(DevalApp.ToolName, DevalApp.Version, groundTruth, predictions);
}
