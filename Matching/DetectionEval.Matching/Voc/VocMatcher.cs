namespace DetectionEval.Matching.Voc;

// Pascal VOC matching of one (image, class) unit, as the classic voc_eval (py-faster-rcnn, detectron2)
// and the VOC devkit's VOCevaldet.m do it.
//
// Inputs: the unit's ground truth (boxes, flags) and detections (boxes, scores), each in input order.
// Output: one VocDetectionOutcome per detection in score order (score descending, ties in input order),
// and the unit's number of positives (ground truth that is not difficult).
// Reference: detectron2/evaluation/pascal_voc_evaluation.py voc_eval, with a stable sort.
// Sentinels: an image without ground truth of the class has ovmax = -inf, so no detection there can hit.
// There is no cap on detections and no fallback to a second-best ground truth.

/// <summary>How an overlap is compared with the VOC threshold.</summary>
public enum VocIouRule
{
    /// <summary><c>IoU &gt;= t</c>: the VOC devkit, Cartucho/mAP, rafaelpadilla's tools, mmdetection.</summary>
    GreaterOrEqual,

    /// <summary><c>IoU &gt; t</c>: py-faster-rcnn and detectron2's <c>voc_eval</c>.</summary>
    Greater,
}

/// <summary>One VOC matching profile.</summary>
/// <param name="IouThreshold">The overlap a hit needs (0.5 in VOC).</param>
/// <param name="Rule">Whether an overlap equal to the threshold hits.</param>
/// <param name="PlusOnePixel">The inclusive-pixel convention: a box spans <c>x2 - x1 + 1</c> pixels.</param>
public sealed record VocMatchSettings(double IouThreshold = 0.5, VocIouRule Rule = VocIouRule.GreaterOrEqual, bool PlusOnePixel = false)
{
    /// <summary>The value added to every width and height: 1 with <see cref="PlusOnePixel"/>, else 0.</summary>
    public double PixelOffset => PlusOnePixel ? 1.0 : 0.0;

    /// <summary>True when <paramref name="iou"/> reaches the threshold under <see cref="Rule"/>.</summary>
    public bool IsHit(double iou) => Rule == VocIouRule.GreaterOrEqual ? iou >= IouThreshold : iou > IouThreshold;
}

/// <summary>What a detection became under the VOC rules.</summary>
public enum VocOutcome : byte
{
    /// <summary>No hit, or a hit on a ground truth that an earlier detection already took.</summary>
    FalsePositive,

    /// <summary>A hit on a free, non-difficult ground truth.</summary>
    TruePositive,

    /// <summary>A hit on a difficult ground truth: neither TP nor FP.</summary>
    Ignored,
}

/// <summary>One detection of a unit, in score order.</summary>
/// <param name="Detection">The detection's index within its unit's input.</param>
/// <param name="Outcome">What it became.</param>
public readonly record struct VocDetectionOutcome(int Detection, VocOutcome Outcome);

/// <summary>The best ground truth of one detection: the first one that reaches the largest IoU.</summary>
/// <param name="GroundTruth">Its index within the unit, or -1 when the unit has no ground truth.</param>
/// <param name="Iou">The largest IoU, or negative infinity when the unit has no ground truth.</param>
public readonly record struct BestOverlap(int GroundTruth, double Iou)
{
    /// <summary>The value for a detection in a unit without ground truth.</summary>
    public static BestOverlap None { get; } = new(-1, double.NegativeInfinity);
}

/// <summary>The spans that describe one (image, class) unit for VOC matching.</summary>
/// <param name="GroundTruth">Ground-truth boxes, in input order.</param>
/// <param name="GroundTruthFlags">Flags; any of difficult, ignore or crowd makes a ground truth difficult.</param>
/// <param name="Detections">Detection boxes, in input order.</param>
/// <param name="Scores">Detection scores, in input order.</param>
public readonly ref struct VocUnit(
    ReadOnlySpan<Box> GroundTruth,
    ReadOnlySpan<GroundTruthFlags> GroundTruthFlags,
    ReadOnlySpan<Box> Detections,
    ReadOnlySpan<double> Scores)
{
    /// <summary>Ground-truth boxes, in input order.</summary>
    public ReadOnlySpan<Box> GroundTruth { get; } = GroundTruth;

    /// <summary>Ground-truth flags, in input order.</summary>
    public ReadOnlySpan<GroundTruthFlags> GroundTruthFlags { get; } = GroundTruthFlags;

    /// <summary>Detection boxes, in input order.</summary>
    public ReadOnlySpan<Box> Detections { get; } = Detections;

    /// <summary>Detection scores, in input order.</summary>
    public ReadOnlySpan<double> Scores { get; } = Scores;
}

/// <summary>Reusable buffers for <see cref="VocMatcher"/>; one per thread, never shared.</summary>
public sealed class VocMatchScratch
{
    internal int[] DetectionOrder = [];
    internal BestOverlap[] Best = [];
    internal bool[] GroundTruthTaken = [];
    internal readonly VocGroundTruthColumns Columns = new();

    internal void Reserve(int detections, int groundTruth)
    {
        if (DetectionOrder.Length < detections)
        {
            DetectionOrder = new int[Math.Max(detections, DetectionOrder.Length * 2)];
            Best = new BestOverlap[DetectionOrder.Length];
        }
        if (GroundTruthTaken.Length < groundTruth) GroundTruthTaken = new bool[Math.Max(groundTruth, GroundTruthTaken.Length * 2)];
    }
}

/// <summary>The VOC matcher (<c>voc_eval</c>) for one unit at a time.</summary>
/// <param name="settings">The profile: threshold, overlap test, pixel convention.</param>
public sealed class VocMatcher(VocMatchSettings settings)
{
    /// <summary>The profile this matcher applies.</summary>
    public VocMatchSettings Settings { get; } = settings;

    /// <summary>Units with at least this many ground truths use the vector search (measured faster from here on).</summary>
    internal const int SimdFromGroundTruth = 8;

    /// <summary>
    /// Rule: a ground truth is difficult when it is marked difficult, ignore or crowd; it never counts as
    /// a positive, and a detection that hits it is neither TP nor FP.
    /// </summary>
    public static bool IsDifficult(GroundTruthFlags flags) =>
        (flags & (GroundTruthFlags.Difficult | GroundTruthFlags.Ignore | GroundTruthFlags.Crowd)) != 0;

    /// <summary>Rule: <c>npos</c> counts the ground truth that is not difficult.</summary>
    public static int CountPositives(ReadOnlySpan<GroundTruthFlags> flags)
    {
        int positives = 0;
        foreach (GroundTruthFlags f in flags)
        {
            if (!IsDifficult(f)) positives++;
        }
        return positives;
    }

    /// <summary>Matches one unit.</summary>
    /// <param name="unit">The unit's boxes.</param>
    /// <param name="outcomes">Receives one entry per detection, in score order.</param>
    /// <param name="scratch">This thread's buffers.</param>
    /// <returns>The unit's number of positives (<c>npos</c>).</returns>
    public int Match(VocUnit unit, Span<VocDetectionOutcome> outcomes, VocMatchScratch scratch) => Match(unit, outcomes, [], scratch);

    /// <summary>Matches one unit and gives each detection's best overlap, which a true positive took.</summary>
    /// <param name="unit">The unit's boxes.</param>
    /// <param name="outcomes">Receives one entry per detection, in score order.</param>
    /// <param name="bestOverlaps">Receives each detection's best overlap, in score order; empty to skip.</param>
    /// <param name="scratch">This thread's buffers.</param>
    /// <returns>The unit's number of positives (<c>npos</c>).</returns>
    public int Match(VocUnit unit, Span<VocDetectionOutcome> outcomes, Span<BestOverlap> bestOverlaps, VocMatchScratch scratch)
    {
        int detections = unit.Detections.Length;
        scratch.Reserve(detections, unit.GroundTruth.Length);
        Span<int> order = scratch.DetectionOrder.AsSpan(0, detections);
        // Rule: detections are visited by score, descending; equal scores keep their input order.
        ScoreOrder.SortByScoreDescending(unit.Scores, order);
        Span<BestOverlap> best = scratch.Best.AsSpan(0, detections);
        if (unit.GroundTruth.Length >= SimdFromGroundTruth && VocBestOverlapSimd.IsSupported)
        {
            // Same IoUs and the same first argmax, four ground truths at a time (VocBestOverlapSimd.cs).
            VocBestOverlapSimd.Prepare(unit.GroundTruth, Settings.PixelOffset, scratch.Columns);
            for (int d = 0; d < order.Length; d++) best[d] = VocBestOverlapSimd.FindBestOverlap(unit.Detections[order[d]], scratch.Columns, Settings.PixelOffset);
        }
        else
        {
            FindBestOverlaps(unit, order, Settings.PixelOffset, best);
        }
        Assign(unit.GroundTruthFlags, order, best, outcomes, scratch);
        if (!bestOverlaps.IsEmpty) best.CopyTo(bestOverlaps);
        return CountPositives(unit.GroundTruthFlags);
    }

    /// <summary>
    /// Rule: each detection is compared with every ground truth of its image and class, difficult and
    /// already-taken ones included; <c>ovmax</c> is the largest IoU and <c>jmax</c> the first ground truth
    /// that reaches it (numpy's <c>argmax</c>).
    /// </summary>
    public static void FindBestOverlaps(VocUnit unit, ReadOnlySpan<int> order, double pixelOffset, Span<BestOverlap> best)
    {
        for (int d = 0; d < order.Length; d++)
        {
            best[d] = FindBestOverlap(unit.Detections[order[d]], unit.GroundTruth, pixelOffset);
        }
    }

    /// <summary>The best overlap of one detection among <paramref name="groundTruth"/> (numpy's <c>max</c> and <c>argmax</c>).</summary>
    public static BestOverlap FindBestOverlap(in Box detection, ReadOnlySpan<Box> groundTruth, double pixelOffset)
    {
        int jmax = -1;
        double ovmax = double.NegativeInfinity;
        for (int g = 0; g < groundTruth.Length; g++)
        {
            double iou = IouRules.Voc(detection, groundTruth[g], pixelOffset);
            // Strictly greater keeps the first ground truth on ties.
            if (iou > ovmax)
            {
                ovmax = iou;
                jmax = g;
            }
        }
        return new BestOverlap(jmax, ovmax);
    }

    /// <summary>Scores the detections in order, given each one's best overlap.</summary>
    public void Assign(
        ReadOnlySpan<GroundTruthFlags> groundTruthFlags,
        ReadOnlySpan<int> order,
        ReadOnlySpan<BestOverlap> best,
        Span<VocDetectionOutcome> outcomes,
        VocMatchScratch scratch)
    {
        scratch.Reserve(0, groundTruthFlags.Length);
        Span<bool> taken = scratch.GroundTruthTaken.AsSpan(0, groundTruthFlags.Length);
        taken.Clear();
        for (int d = 0; d < order.Length; d++)
        {
            BestOverlap overlap = best[d];
            VocOutcome outcome;
            if (overlap.GroundTruth < 0 || !Settings.IsHit(overlap.Iou))
            {
                outcome = VocOutcome.FalsePositive;
            }
            else if (IsDifficult(groundTruthFlags[overlap.GroundTruth]))
            {
                // Rule: a hit on a difficult ground truth is ignored and does not take it.
                outcome = VocOutcome.Ignored;
            }
            else if (!taken[overlap.GroundTruth])
            {
                taken[overlap.GroundTruth] = true;
                outcome = VocOutcome.TruePositive;
            }
            else
            {
                // Rule: a hit on a taken ground truth is a duplicate, an FP; there is no second choice.
                outcome = VocOutcome.FalsePositive;
            }
            outcomes[d] = new VocDetectionOutcome(order[d], outcome);
        }
    }
}
