using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval;

/// <summary>Which metric families to compute.</summary>
[Flags]
public enum MetricSet
{
    /// <summary>COCO 101-point AP over IoU .50:.95, sizes and maxDets.</summary>
    Coco = 1,

    /// <summary>Pascal VOC 11-point and all-point AP at one IoU threshold.</summary>
    Voc = 2,

    /// <summary>Both.</summary>
    All = Coco | Voc,
}

/// <summary>How an evaluation runs.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Metric families to compute; both by default.</summary>
    public MetricSet Metrics { get; init; } = MetricSet.All;

    /// <summary>COCO's three maxDets values, ascending; [1, 10, 100] by default.</summary>
    public IReadOnlyList<int> MaxDetections { get; init; } = CocoParameters.DefaultMaxDetections;

    /// <summary>The VOC profile; IoU &gt;= 0.5 in continuous coordinates by default.</summary>
    public VocMatchSettings Voc { get; init; } = new();

    /// <summary>Threads used for matching and accumulation; null uses every core. Results do not depend on it.</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// The confidence at which precision, recall and F1 are also reported (detections with a score at or
    /// above it are kept); null for the best-F1 point alone. Does not change any AP.
    /// </summary>
    public double? ScoreThreshold { get; init; }

    /// <summary>
    /// The engine of the candidate search (IoU) in the match stage; null for the plain CPU path, which
    /// matches every unit on its own, in parallel. Every engine gives identical results.
    /// </summary>
    public IOverlapEngine? Engine { get; init; }

    /// <summary>
    /// Stops the stages soon after it is cancelled, with <see cref="OperationCanceledException"/>: the
    /// parallel loops over units and classes start no new iteration. Set by the pipeline from the token
    /// <see cref="Pipeline.EvaluationPipeline.Run"/> is given; results never depend on it.
    /// </summary>
    internal CancellationToken Cancellation { get; init; }

    /// <summary>
    /// Keep the confidence curves of the operating points (one point per distinct score, per class and
    /// pooled), which charts draw; false computes the same operating points without them, in less time
    /// and memory. The VOC precision-recall curves are kept either way.
    /// </summary>
    public bool ConfidenceCurves { get; init; } = true;

    /// <summary>
    /// Told how far each stage has come (<see cref="WorkStage"/>): the match stages count units, the
    /// accumulations classes, the low-memory run detections. Set by the pipeline from its observer; null
    /// for none; results never depend on it.
    /// </summary>
    internal IProgressSink? Progress { get; init; }

    /// <summary>Checks the options, throwing <see cref="ArgumentException"/> for values no evaluation accepts.</summary>
    public void Validate()
    {
        if (MaxDetections.Count != 3) throw new ArgumentException("COCO needs exactly three maxDets values.", nameof(MaxDetections));
        for (int i = 0; i < MaxDetections.Count; i++)
        {
            if (MaxDetections[i] < 1) throw new ArgumentException("maxDets values must be at least 1.", nameof(MaxDetections));
            if (i > 0 && MaxDetections[i] <= MaxDetections[i - 1]) throw new ArgumentException("maxDets values must be ascending.", nameof(MaxDetections));
        }
        if (!(Voc.IouThreshold >= 0 && Voc.IouThreshold <= 1)) throw new ArgumentException("The VOC IoU threshold must lie in [0, 1].", nameof(Voc));
        if (ScoreThreshold is double t && !double.IsFinite(t)) throw new ArgumentException("The score threshold must be a finite number.", nameof(ScoreThreshold));
        if (Threads is < 1) throw new ArgumentException("Threads must be at least 1.", nameof(Threads));
        if ((Metrics & MetricSet.All) == 0) throw new ArgumentException("Ask for at least one metric family.", nameof(Metrics));
    }

    internal ParallelOptions Parallelism => new() { MaxDegreeOfParallelism = Threads ?? -1, CancellationToken = Cancellation };
}
