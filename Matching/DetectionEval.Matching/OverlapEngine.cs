using DetectionEval.Matching.Voc;

namespace DetectionEval.Matching;

// The candidate search of the match stage, as an exchangeable engine: the plain CPU loops here, or a
// device (Matching.Gpu) that must return the same values bit for bit.
//
// Inputs: OverlapUnits, many (image, class) units in flat arrays: ground-truth boxes grouped by unit in
// input order, and detection "slots" grouped by unit in the order the matcher visits them (score order;
// for COCO only the kept ones). Slot s of unit u compares with ground truth
// [GroundTruthStart[u], GroundTruthStart[u] + GroundTruthCount[u]).
// Outputs, never a dense matrix: VOC, per slot the best ground truth (index within its unit, first on
// ties) and its IoU; COCO, per slot the ground truths whose COCO IoU reaches a floor, in input order, as a
// compressed sparse row list.
// Reference: the rules are IouRules.Voc and IouRules.Coco, in exactly their operation order.
// Sentinels: a slot of a unit without ground truth gets BestOverlap.None (index -1, IoU -inf).

/// <summary>Many units in flat arrays, the input of an <see cref="IOverlapEngine"/>.</summary>
/// <param name="GroundTruth">Ground-truth boxes, grouped by unit, in input order within a unit.</param>
/// <param name="GroundTruthIsCrowd">Per ground truth, 1 for a crowd region (COCO IoU divides by the detection's area), else 0.</param>
/// <param name="GroundTruthStart">Per unit, its first ground-truth row.</param>
/// <param name="GroundTruthCount">Per unit, its number of ground-truth rows.</param>
/// <param name="Detections">Detection boxes of the slots, grouped by unit, in matching order within a unit.</param>
/// <param name="SlotStart">Per unit, its first slot; length units + 1, the last entry the number of slots.</param>
public readonly ref struct OverlapUnits(
    ReadOnlySpan<Box> GroundTruth,
    ReadOnlySpan<byte> GroundTruthIsCrowd,
    ReadOnlySpan<int> GroundTruthStart,
    ReadOnlySpan<int> GroundTruthCount,
    ReadOnlySpan<Box> Detections,
    ReadOnlySpan<int> SlotStart)
{
    /// <summary>Ground-truth boxes, grouped by unit.</summary>
    public ReadOnlySpan<Box> GroundTruth { get; } = GroundTruth;

    /// <summary>Per ground truth, 1 for a crowd region, else 0.</summary>
    public ReadOnlySpan<byte> GroundTruthIsCrowd { get; } = GroundTruthIsCrowd;

    /// <summary>Per unit, its first ground-truth row.</summary>
    public ReadOnlySpan<int> GroundTruthStart { get; } = GroundTruthStart;

    /// <summary>Per unit, its number of ground-truth rows.</summary>
    public ReadOnlySpan<int> GroundTruthCount { get; } = GroundTruthCount;

    /// <summary>Detection boxes of the slots, grouped by unit.</summary>
    public ReadOnlySpan<Box> Detections { get; } = Detections;

    /// <summary>Per unit, its first slot; one entry more than there are units.</summary>
    public ReadOnlySpan<int> SlotStart { get; } = SlotStart;

    /// <summary>Number of units.</summary>
    public int UnitCount => SlotStart.Length - 1;

    /// <summary>Number of (slot, ground truth) pairs: the work of a full candidate search.</summary>
    public long PairCount()
    {
        long pairs = 0;
        for (int u = 0; u < UnitCount; u++) pairs += (long)(SlotStart[u + 1] - SlotStart[u]) * GroundTruthCount[u];
        return pairs;
    }
}

/// <summary>
/// COCO candidates in compressed sparse row form: the candidates of slot <c>s</c> are entries
/// <c>[Offsets[s], Offsets[s + 1])</c> of <see cref="GroundTruth"/> and <see cref="Iou"/>, in input order.
/// </summary>
/// <param name="Offsets">Per slot, the first entry; length slots + 1.</param>
/// <param name="GroundTruth">Each candidate's ground-truth index within its unit.</param>
/// <param name="Iou">Each candidate's COCO IoU.</param>
public sealed record CocoCandidates(int[] Offsets, int[] GroundTruth, double[] Iou);

/// <summary>
/// An engine for the candidate search of the match stage. Every engine returns exactly what
/// <see cref="CpuOverlapEngine"/> returns for the same input, so the choice never changes a result.
/// </summary>
public interface IOverlapEngine : IDisposable
{
    /// <summary>A short name for timings and messages, e.g. <c>cpu</c> or <c>cuda (NVIDIA H200)</c>.</summary>
    string Name { get; }

    /// <summary>VOC rule: per slot, the first ground truth of its unit with the largest <see cref="IouRules.Voc"/>.</summary>
    /// <param name="units">The units.</param>
    /// <param name="pixelOffset">0, or 1 for the inclusive-pixel convention.</param>
    /// <param name="best">Receives one entry per slot.</param>
    void FindBestOverlaps(OverlapUnits units, double pixelOffset, Span<BestOverlap> best);

    /// <summary>COCO rule: per slot, the ground truths of its unit whose <see cref="IouRules.Coco"/> is at least <paramref name="minimumIou"/>.</summary>
    /// <param name="units">The units.</param>
    /// <param name="minimumIou">The lowest IoU threshold the matcher will apply.</param>
    CocoCandidates FindCocoCandidates(OverlapUnits units, double minimumIou);
}
