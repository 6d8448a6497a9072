namespace DetectionEval.Eval;

/// <summary>A long step of loading or evaluating, as a progress display tells it; each is counted in its own unit.</summary>
public enum WorkStage
{
    /// <summary>Reading the input files; counted in bytes of the files read.</summary>
    Loading,

    /// <summary>COCO's match stage (<see cref="Matches.CocoMatchStage.Match"/>); counted in units, one per (image, class) with boxes.</summary>
    MatchingCoco,

    /// <summary>VOC's match stage (<see cref="Matches.VocMatchStage.Match"/>); counted in units, one per (image, class) with boxes.</summary>
    MatchingVoc,

    /// <summary>COCO's accumulation (<see cref="Metrics.CocoAccumulation.Accumulate"/>); counted in classes.</summary>
    AccumulatingCoco,

    /// <summary>VOC's accumulation (<see cref="Metrics.VocAccumulation.Accumulate"/>); counted in classes.</summary>
    AccumulatingVoc,

    /// <summary>The low-memory match stage (<see cref="Pipeline.ShardedEvaluation.Match"/>), shard after shard; counted in detections.</summary>
    MatchingShards,

    /// <summary>The low-memory accumulation (<see cref="Pipeline.ShardedEvaluation.Accumulate"/>); counted in the detections of the classes done.</summary>
    AccumulatingShards,

    /// <summary>The paired bootstrap (<see cref="Gate.PairedBootstrap.Run"/>); counted in replicates.</summary>
    Resampling,
}

/// <summary>
/// Told how far the long steps of a load or an evaluation have come, for a progress display. A step
/// announces itself and its size with <see cref="Begin"/> before its first <see cref="Advance"/>, then
/// reports its work as it finishes it, a buffer or a batch at a time, from any of its threads.
/// </summary>
/// <remarks>
/// Implementations must be thread-safe and cheap: <see cref="Advance"/> runs on the steps' threads. Two
/// steps of the same stage may run at once (the gate loads two prediction files side by side); a display
/// adds their sizes. A step with no sink pays one null check per buffer or batch.
/// </remarks>
public interface IProgressSink
{
    /// <summary>A step of <paramref name="stage"/> starts, with <paramref name="total"/> of the stage's unit to do (0 when unknown).</summary>
    void Begin(WorkStage stage, long total);

    /// <summary>
    /// <paramref name="done"/> more of the current step's unit is done; negative to take back work that
    /// will be done again (a fast reader that gives up reads nothing twice in the count).
    /// </summary>
    void Advance(long done);
}

/// <summary>How a parallel loop tells a sink its finished items: in batches per thread, so that an item costs one null check.</summary>
internal static class ProgressBatch
{
    /// <summary>Items a loop thread finishes before it tells the sink: few calls, yet many a second on a large run.</summary>
    public const int Size = 256;

    /// <summary>Counts one finished item in the thread's <paramref name="pending"/>, passing a full batch on; nothing without a sink.</summary>
    public static void CountOne(IProgressSink? sink, ref int pending)
    {
        if (sink is null || ++pending < Size) return;
        sink.Advance(pending);
        pending = 0;
    }

    /// <summary>Passes on what a loop thread still holds when it ends.</summary>
    public static void Flush(IProgressSink? sink, int pending)
    {
        if (pending > 0) sink?.Advance(pending);
    }
}
