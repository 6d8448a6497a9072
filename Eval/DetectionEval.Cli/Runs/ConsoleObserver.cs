using DetectionEval.Eval;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Cli.Runs;

/// <summary>
/// How a run looks on the console: stage names on the progress line (the stages' own sizes come through its
/// sink), stage times for --timings, how inputs were read, notices and warnings on stderr (through the
/// progress line's writer, which clears the line first).
/// </summary>
/// <param name="progress">The progress display of the verb.</param>
/// <param name="timings">The verb's stage times.</param>
/// <param name="messages">Where messages go: the progress display's writer, or a buffer when two runs load side by side.</param>
internal sealed class ConsoleObserver(Progress progress, StageTimings timings, TextWriter messages) : EvaluationObserver
{
    /// <inheritdoc/>
    public override IProgressSink? Progress => progress.Sink;

    /// <inheritdoc/>
    public override void StageStarted(EvaluationStage stage)
    {
        // The stages that count their work tell the display their size through the sink; these have none.
        string? name = stage switch
        {
            EvaluationStage.Group => "grouping",
            EvaluationStage.OperatingPoints => "operating points",
            EvaluationStage.MatchTide or EvaluationStage.Analysis => "analysing",
            _ => null,
        };
        if (name is not null) progress.Stage(name);
    }

    /// <inheritdoc/>
    public override void StageFinished(EvaluationStage stage, TimeSpan elapsed) => timings.Record(TimingName(stage), elapsed);

    /// <inheritdoc/>
    public override void InputResolved(InputFormat input)
    {
        // COCO json is the default input and is read silently, as it always was.
        if (input.Detected is { } detected && detected.Format != AnnotationFormat.Coco)
        {
            messages.WriteLine($"{DevalApp.ToolName}: {input.Path}: read as {AnnotationFormats.Name(detected.Format)} ({detected.Because})");
        }
    }

    /// <inheritdoc/>
    public override void Notice(string message) => messages.WriteLine($"{DevalApp.ToolName}: {message}");

    /// <inheritdoc/>
    public override void Warning(string message) => messages.WriteLine($"{DevalApp.ToolName}: warning: {message}");

    /// <summary>The stage's name in --timings.</summary>
    public static string TimingName(EvaluationStage stage) => stage switch
    {
        EvaluationStage.Load => "load",
        EvaluationStage.Group => "group",
        EvaluationStage.MatchCoco => "match COCO",
        EvaluationStage.MatchVoc => "match VOC",
        EvaluationStage.MatchTide => "match TIDE",
        EvaluationStage.MatchShards => "match shards",
        EvaluationStage.AccumulateCoco => "accumulate COCO",
        EvaluationStage.AccumulateVoc => "accumulate VOC",
        EvaluationStage.AccumulateClasses => "accumulate",
        EvaluationStage.OperatingPoints => "operating points",
        _ => "analysis",
    };
}
