using DetectionEval.Eval.Formats;

namespace DetectionEval.Eval.Pipeline;

/// <summary>The stages of an evaluation, in the order a run goes through them.</summary>
public enum EvaluationStage
{
    /// <summary>Reading the ground truth and the predictions (or spilling them, in a low-memory run).</summary>
    Load,

    /// <summary>Grouping the rows by (image, class) into the dataset's units.</summary>
    Group,

    /// <summary>COCO's match stage: every unit's detections against its ground truth.</summary>
    MatchCoco,

    /// <summary>VOC's match stage.</summary>
    MatchVoc,

    /// <summary>TIDE's match stage, for the error analysis: every image, all classes together.</summary>
    MatchTide,

    /// <summary>A low-memory run's match stage: image shard by image shard, both families at once.</summary>
    MatchShards,

    /// <summary>COCO's accumulation: precision and recall tables, summary, per-class values.</summary>
    AccumulateCoco,

    /// <summary>VOC's accumulation: curves, APs, means.</summary>
    AccumulateVoc,

    /// <summary>A low-memory run's accumulation, class by class, both families at once.</summary>
    AccumulateClasses,

    /// <summary>Precision, recall and F1 at the best-F1 confidence and at the asked threshold.</summary>
    OperatingPoints,

    /// <summary>The error analysis from the match records.</summary>
    Analysis,
}

/// <summary>
/// Watches a run: stage timings and progress, how inputs were read, and what the user should be told.
/// Every method does nothing unless overridden; calls come from the thread that runs the pipeline (the
/// <see cref="Progress"/> sink is told from the stages' worker threads too).
/// </summary>
public abstract class EvaluationObserver
{
    /// <summary>An observer that ignores everything.</summary>
    public static EvaluationObserver None { get; } = new Silent();

    /// <summary>
    /// Where the loaders and stages tell how far they have come (bytes read, units matched, classes
    /// accumulated); null, the default, for nowhere, which costs the loops one null check per batch.
    /// </summary>
    public virtual IProgressSink? Progress => null;

    /// <summary>A stage begins.</summary>
    public virtual void StageStarted(EvaluationStage stage)
    {
    }

    /// <summary>A stage ended after <paramref name="elapsed"/>.</summary>
    public virtual void StageFinished(EvaluationStage stage, TimeSpan elapsed)
    {
    }

    /// <summary>An input's format is known, before it is read (so a reading error can be understood).</summary>
    public virtual void InputResolved(InputFormat input)
    {
    }

    /// <summary>Something the user should know that is not a problem (where class names came from, shapes skipped).</summary>
    public virtual void Notice(string message)
    {
    }

    /// <summary>Something the user should check (predictions of classes the ground truth lacks were dropped).</summary>
    public virtual void Warning(string message)
    {
    }

    private sealed class Silent : EvaluationObserver;
}
