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

/// <summary>What COCO measures the overlap of a detection and a ground truth on (pycocotools' <c>iouType</c>).</summary>
public enum IouType
{
    /// <summary>Boxes: box IoU, the 12 stats.</summary>
    Bbox,

    /// <summary>Instance masks: mask IoU on run-length masks, the 12 stats.</summary>
    Segm,

    /// <summary>Keypoints: OKS with per-keypoint sigmas, maxDets 20, areas all/medium/large, the 10 stats.</summary>
    Keypoints,
}

/// <summary>The names of the iou types in reports, partial results and on the command line.</summary>
public static class IouTypeNames
{
    /// <summary>The name: <c>bbox</c>, <c>segm</c> or <c>keypoints</c>.</summary>
    public static string Name(IouType type) => type switch
    {
        IouType.Segm => "segm",
        IouType.Keypoints => "keypoints",
        _ => "bbox",
    };

    /// <summary>The iou type of <paramref name="name"/>; null for another word.</summary>
    public static IouType? Parse(string? name) => name switch
    {
        "bbox" => IouType.Bbox,
        "segm" => IouType.Segm,
        "keypoints" => IouType.Keypoints,
        _ => null,
    };
}

/// <summary>How an evaluation runs.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Metric families to compute; both by default.</summary>
    public MetricSet Metrics { get; init; } = MetricSet.All;

    /// <summary>COCO's three maxDets values, ascending; [1, 10, 100] by default.</summary>
    public IReadOnlyList<int> MaxDetections { get; init; } = CocoParameters.DefaultMaxDetections;

    /// <summary>
    /// The COCO evaluations to run, in report order; boxes alone by default. VOC, the operating points and
    /// the analysis are box evaluations: they run only when <see cref="IouType.Bbox"/> is listed.
    /// </summary>
    public IReadOnlyList<IouType> IouTypes { get; init; } = [IouType.Bbox];

    /// <summary>The keypoint sigmas of OKS, one per keypoint; null for COCO's 17 person keypoints.</summary>
    public IReadOnlyList<double>? KeypointSigmas { get; init; }

    /// <summary>The sigmas a keypoint evaluation uses.</summary>
    internal IReadOnlyList<double> SigmasOrCoco => KeypointSigmas ?? Matching.Keypoints.OksRules.CocoPersonSigmas;

    /// <summary>True when the box evaluations (COCO bbox, VOC) run.</summary>
    internal bool EvaluatesBoxes => IouTypes.Contains(IouType.Bbox);

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
        if (IouTypes.Count == 0 || IouTypes.Distinct().Count() != IouTypes.Count) throw new ArgumentException("Ask for each iou type at most once, and for at least one.", nameof(IouTypes));
        if (KeypointSigmas is { } sigmas && (sigmas.Count == 0 || sigmas.Any(s => !(s > 0) || !double.IsFinite(s))))
        {
            throw new ArgumentException("Keypoint sigmas must be positive finite numbers, at least one.", nameof(KeypointSigmas));
        }
    }

    internal ParallelOptions Parallelism => new() { MaxDegreeOfParallelism = Threads ?? -1, CancellationToken = Cancellation };
}
