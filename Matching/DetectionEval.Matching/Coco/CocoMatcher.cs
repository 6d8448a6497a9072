namespace DetectionEval.Matching.Coco;

// COCO bbox matching of one (image, category) unit, as pycocotools COCOeval.evaluateImg does it.
//
// Inputs: the unit's ground truth (boxes, the annotation's `area` field, flags) and detections (boxes,
// scores), each in input order. Output: for each kept detection, in score order, a CocoOutcome with two
// bits per (area range, IoU threshold); and per area range the number of ground truths that count.
// Layout of the IoU matrix: row-major [kept detection in score order][ground truth in input order].
// Reference: cocodataset/cocoapi PythonAPI/pycocotools/cocoeval.py (computeIoU, evaluateImg).
// Sentinels: a detection with no acceptable ground truth is unmatched (pycocotools' m = -1).
// Every rule below is named where it is applied. No state survives a call except the scratch buffers.

/// <summary>The spans that describe one (image, category) unit for COCO matching.</summary>
/// <param name="GroundTruth">Ground-truth boxes, in input order.</param>
/// <param name="GroundTruthAreas">The annotations' <c>area</c> field (not necessarily w·h), in input order.</param>
/// <param name="GroundTruthFlags">Crowd/difficult/ignore flags; COCO reads only <c>Crowd</c>.</param>
/// <param name="Detections">Detection boxes, in input order.</param>
/// <param name="Scores">Detection scores, in input order.</param>
public readonly ref struct CocoUnit(
    ReadOnlySpan<Box> GroundTruth,
    ReadOnlySpan<double> GroundTruthAreas,
    ReadOnlySpan<GroundTruthFlags> GroundTruthFlags,
    ReadOnlySpan<Box> Detections,
    ReadOnlySpan<double> Scores)
{
    /// <summary>Ground-truth boxes, in input order.</summary>
    public ReadOnlySpan<Box> GroundTruth { get; } = GroundTruth;

    /// <summary>The annotations' <c>area</c> field, in input order.</summary>
    public ReadOnlySpan<double> GroundTruthAreas { get; } = GroundTruthAreas;

    /// <summary>Ground-truth flags, in input order.</summary>
    public ReadOnlySpan<GroundTruthFlags> GroundTruthFlags { get; } = GroundTruthFlags;

    /// <summary>Detection boxes, in input order.</summary>
    public ReadOnlySpan<Box> Detections { get; } = Detections;

    /// <summary>Detection scores, in input order.</summary>
    public ReadOnlySpan<double> Scores { get; } = Scores;

    /// <summary>
    /// The detections' areas for the area ranges, in input order; empty for each box's <c>w * h</c> (the
    /// bbox rule). pycocotools takes a mask's pixel count or a keypoint extent where results carry no box.
    /// </summary>
    public ReadOnlySpan<double> DetectionAreas { get; init; }

    /// <summary>
    /// Ground truth ignored in every area range besides the crowds, in input order; empty for none. The
    /// keypoint rule sets it for a ground truth with <c>num_keypoints</c> 0. Unlike a crowd, such a ground
    /// truth takes one detection at most.
    /// </summary>
    public ReadOnlySpan<bool> GroundTruthIgnored { get; init; }

    /// <summary>The area a detection is tested against the ranges with.</summary>
    internal double DetectionArea(int detection) => DetectionAreas.IsEmpty ? Detections[detection].Area : DetectionAreas[detection];
}

/// <summary>Reusable buffers for <see cref="CocoMatcher"/>; one per thread, never shared.</summary>
public sealed class CocoMatchScratch
{
    internal int[] DetectionOrder = [];
    internal double[] Overlaps = [];
    internal int[] GroundTruthOrder = [];
    internal bool[] GroundTruthIgnored = [];
    internal bool[] GroundTruthIsCrowd = [];
    internal bool[] GroundTruthMatched = [];

    internal void Reserve(int detections, int keptDetections, int groundTruth)
    {
        Grow(ref DetectionOrder, detections);
        Grow(ref Overlaps, keptDetections * groundTruth);
        ReserveGroundTruth(groundTruth);
    }

    internal int[] CandidateRows = [];
    internal int[] WalkStart = [];
    internal int[] WalkGroundTruth = [];
    internal int[] WalkOrdered = [];
    internal int[] GroundTruthPlace = [];

    internal void ReserveRows(int rows) => Grow(ref CandidateRows, rows);

    /// <summary>Room for the walks of <paramref name="rows"/> rows with at most <paramref name="entries"/> entries in all.</summary>
    internal int[] ReserveWalks(int rows, int entries)
    {
        Grow(ref WalkStart, rows + 1);
        Grow(ref WalkGroundTruth, entries);
        Grow(ref WalkOrdered, entries);
        return WalkStart;
    }

    internal void ReserveGroundTruth(int groundTruth)
    {
        Grow(ref GroundTruthPlace, groundTruth);
        Grow(ref GroundTruthOrder, groundTruth);
        Grow(ref GroundTruthIgnored, groundTruth);
        Grow(ref GroundTruthIsCrowd, groundTruth);
        Grow(ref GroundTruthMatched, groundTruth);
    }

    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[Math.Max(length, buffer.Length * 2)];
    }
}

/// <summary>The COCO greedy matcher (pycocotools <c>evaluateImg</c>) for one unit at a time.</summary>
public sealed class CocoMatcher
{
    private readonly double[] _iouThresholds;
    private readonly AreaRange[] _areaRanges;

    /// <summary>Creates a matcher with the standard thresholds and area ranges.</summary>
    /// <param name="maxDetections">The largest maxDets value: detections kept per (image, category).</param>
    public CocoMatcher(int maxDetections)
        : this(maxDetections, CocoParameters.IouThresholds, CocoParameters.AreaRanges)
    {
    }

    /// <summary>Creates a matcher with explicit thresholds and area ranges.</summary>
    public CocoMatcher(int maxDetections, IReadOnlyList<double> iouThresholds, IReadOnlyList<AreaRange> areaRanges)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDetections, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iouThresholds.Count, CocoOutcome.MaxThresholds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(areaRanges.Count, CocoOutcome.MaxAreaRanges);
        MaxDetections = maxDetections;
        _iouThresholds = [.. iouThresholds];
        _areaRanges = [.. areaRanges];
        LowestThreshold = Lowest(_iouThresholds);
    }

    /// <summary>Detections kept per (image, category): the largest maxDets.</summary>
    public int MaxDetections { get; }

    /// <summary>Number of area ranges; the length <see cref="Match"/> expects for its counts.</summary>
    public int AreaRangeCount => _areaRanges.Length;

    /// <summary>How many of <paramref name="detections"/> a unit keeps.</summary>
    public int KeptDetections(int detections) => Math.Min(detections, MaxDetections);

    /// <summary>Matches one unit.</summary>
    /// <param name="unit">The unit's boxes.</param>
    /// <param name="outcomes">Receives one entry per kept detection, in score order; length at least
    /// <see cref="KeptDetections"/>.</param>
    /// <param name="countableGroundTruth">Receives, per area range, the ground truths that are not ignored.</param>
    /// <param name="scratch">This thread's buffers.</param>
    /// <param name="matchedGroundTruth">
    /// Empty, or receives the ground truth (index in the unit) each kept detection matched at each threshold in
    /// area range <see cref="CocoParameters.AllAreas"/>, -1 for none: [kept detection][threshold], length at
    /// least <see cref="KeptDetections"/> times the thresholds (the open records' matched ground truth).
    /// </param>
    /// <returns>The number of kept detections written to <paramref name="outcomes"/>.</returns>
    public int Match(CocoUnit unit, Span<CocoDetectionOutcome> outcomes, Span<int> countableGroundTruth, CocoMatchScratch scratch, Span<int> matchedGroundTruth = default)
    {
        int kept = KeptDetections(unit.Detections.Length);
        int groundTruthCount = unit.GroundTruth.Length;
        scratch.Reserve(unit.Detections.Length, kept, groundTruthCount);

        Span<int> order = scratch.DetectionOrder.AsSpan(0, unit.Detections.Length);
        ScoreOrder.SortByScoreDescending(unit.Scores, order);
        // Rule: keep the first maxDets[-1] detections of the (image, category) in score order.
        Span<int> keptOrder = order[..kept];

        Span<double> overlaps = scratch.Overlaps.AsSpan(0, kept * groundTruthCount);
        ComputeOverlaps(unit, keptOrder, overlaps);
        Assign(unit, keptOrder, overlaps, outcomes, countableGroundTruth, scratch, matchedGroundTruth);
        return kept;
    }

    /// <summary>
    /// The lowest threshold the matcher applies, <c>min(t, 1 - 1e-10)</c> over its thresholds: a pair below
    /// it can never match, so a candidate search may leave it out.
    /// </summary>
    public double LowestThreshold { get; }

    private static double Lowest(double[] thresholds)
    {
        double lowest = CocoParameters.LargestUsableThreshold;
        foreach (double t in thresholds) lowest = Math.Min(lowest, Math.Min(t, CocoParameters.LargestUsableThreshold));
        return lowest;
    }

    /// <summary>
    /// Rule: the unit's detections in score order (stable), of which the first maxDets[-1] are kept.
    /// </summary>
    /// <param name="scores">The unit's scores, in input order.</param>
    /// <param name="keptOrder">Receives the kept detections' input indices, best first; length at least <see cref="KeptDetections"/>.</param>
    /// <param name="scratch">This thread's buffers.</param>
    /// <returns>The number of kept detections.</returns>
    public int SelectKeptDetections(ReadOnlySpan<double> scores, Span<int> keptOrder, CocoMatchScratch scratch)
    {
        int kept = KeptDetections(scores.Length);
        scratch.Reserve(scores.Length, 0, 0);
        Span<int> order = scratch.DetectionOrder.AsSpan(0, scores.Length);
        ScoreOrder.SortByScoreDescending(scores, order);
        order[..kept].CopyTo(keptOrder);
        return kept;
    }

    /// <summary>
    /// Matches one unit whose candidates an <see cref="IOverlapEngine"/> found: the sparse candidates are
    /// laid into the unit's IoU matrix, every other pair below <see cref="LowestThreshold"/>, and the
    /// greedy assignment runs as in <see cref="Match"/>, which gives the identical outcomes.
    /// </summary>
    /// <param name="unit">The unit's boxes.</param>
    /// <param name="keptOrder">The kept detections' input indices in score order (<see cref="SelectKeptDetections"/>).</param>
    /// <param name="candidates">The engine's candidates.</param>
    /// <param name="firstSlot">The slot of the unit's first kept detection in <paramref name="candidates"/>.</param>
    /// <param name="outcomes">Receives one entry per kept detection, in score order.</param>
    /// <param name="countableGroundTruth">Receives, per area range, the ground truths that are not ignored.</param>
    /// <param name="scratch">This thread's buffers.</param>
    public void AssignCandidates(
        CocoUnit unit,
        ReadOnlySpan<int> keptOrder,
        CocoCandidates candidates,
        int firstSlot,
        Span<CocoDetectionOutcome> outcomes,
        Span<int> countableGroundTruth,
        CocoMatchScratch scratch)
    {
        int groundTruthCount = unit.GroundTruth.Length;
        scratch.Reserve(0, keptOrder.Length, groundTruthCount);
        Span<double> overlaps = scratch.Overlaps.AsSpan(0, keptOrder.Length * groundTruthCount);
        // IoU is never negative, so -1 lies below every threshold, as the left-out pairs do.
        overlaps.Fill(-1.0);
        for (int d = 0; d < keptOrder.Length; d++)
        {
            Span<double> row = overlaps.Slice(d * groundTruthCount, groundTruthCount);
            for (int e = candidates.Offsets[firstSlot + d]; e < candidates.Offsets[firstSlot + d + 1]; e++)
            {
                row[candidates.GroundTruth[e]] = candidates.Iou[e];
            }
        }
        Assign(unit, keptOrder, overlaps, outcomes, countableGroundTruth, scratch);
    }

    /// <summary>The dense IoU matrix [kept detection][ground truth] with the COCO IoU rule.</summary>
    public static void ComputeOverlaps(CocoUnit unit, ReadOnlySpan<int> keptOrder, Span<double> overlaps)
    {
        int groundTruthCount = unit.GroundTruth.Length;
        for (int d = 0; d < keptOrder.Length; d++)
        {
            Box detection = unit.Detections[keptOrder[d]];
            Span<double> row = overlaps.Slice(d * groundTruthCount, groundTruthCount);
            for (int g = 0; g < groundTruthCount; g++)
            {
                // Rule: crowd IoU = intersection / detection area.
                bool crowd = (unit.GroundTruthFlags[g] & GroundTruthFlags.Crowd) != 0;
                row[g] = IouRules.Coco(detection, unit.GroundTruth[g], crowd);
            }
        }
    }

    /// <summary>
    /// The greedy assignment at every area range and threshold, given the IoU matrix. Only pairs with IoU
    /// at or above the lowest threshold can ever match, so an engine may leave the others at 0.
    /// <paramref name="matchedGroundTruth"/> is empty, or receives what <see cref="Match"/> describes.
    /// </summary>
    public void Assign(
        CocoUnit unit,
        ReadOnlySpan<int> keptOrder,
        ReadOnlySpan<double> overlaps,
        Span<CocoDetectionOutcome> outcomes,
        Span<int> countableGroundTruth,
        CocoMatchScratch scratch,
        Span<int> matchedGroundTruth = default)
    {
        int kept = keptOrder.Length;
        int groundTruthCount = unit.GroundTruth.Length;
        scratch.ReserveGroundTruth(groundTruthCount);
        scratch.ReserveRows(kept);
        Span<bool> isCrowd = scratch.GroundTruthIsCrowd.AsSpan(0, groundTruthCount);
        for (int g = 0; g < groundTruthCount; g++) isCrowd[g] = (unit.GroundTruthFlags[g] & GroundTruthFlags.Crowd) != 0;

        // Only a detection with some IoU at or above the lowest threshold can ever match; the others are
        // unmatched at every threshold and never take a ground truth, so the walks below skip them.
        Span<int> candidateRows = scratch.CandidateRows.AsSpan(0, kept);
        int candidates = FindRowsWithCandidates(overlaps, kept, groundTruthCount, LowestThreshold, candidateRows);
        candidateRows = candidateRows[..candidates];
        // The walk of a row visits, in the matcher's order, only its ground truths at or above the lowest
        // threshold: every other one would be passed over (IoU below the limit), and the early stop at the
        // first ignored ground truth cannot be missed, since after it nothing may be chosen anyway.
        int[] walkStart = scratch.ReserveWalks(candidates, kept * groundTruthCount);
        int entries = 0;
        for (int c = 0; c < candidates; c++)
        {
            walkStart[c] = entries;
            ReadOnlySpan<double> row = overlaps.Slice(candidateRows[c] * groundTruthCount, groundTruthCount);
            for (int g = 0; g < groundTruthCount; g++)
            {
                if (row[g] >= LowestThreshold) scratch.WalkGroundTruth[entries++] = g;
            }
        }
        walkStart[candidates] = entries;

        if (!matchedGroundTruth.IsEmpty) matchedGroundTruth[..(kept * _iouThresholds.Length)].Fill(-1);
        ulong allThresholds = (1UL << _iouThresholds.Length) - 1;
        for (int d = 0; d < kept; d++) outcomes[d] = new CocoDetectionOutcome(keptOrder[d], default);

        for (int a = 0; a < _areaRanges.Length; a++)
        {
            AreaRange range = _areaRanges[a];
            Span<bool> ignored = scratch.GroundTruthIgnored.AsSpan(0, groundTruthCount);
            Span<int> groundTruthOrder = scratch.GroundTruthOrder.AsSpan(0, groundTruthCount);
            countableGroundTruth[a] = OrderGroundTruthIgnoredLast(unit.GroundTruthAreas, isCrowd, unit.GroundTruthIgnored, range, ignored, groundTruthOrder);

            // Rule: an unmatched detection whose own area (w*h by default) is outside the range is ignored; until a
            // walk below matches it, every detection is unmatched at every threshold.
            ulong unmatchedIgnored = allThresholds << (a * CocoOutcome.MaxThresholds);
            for (int d = 0; d < kept; d++)
            {
                if (!range.Excludes(unit.DetectionArea(keptOrder[d]))) continue;
                CocoOutcome outcome = outcomes[d].Outcome;
                outcomes[d] = outcomes[d] with { Outcome = outcome with { Ignored = outcome.Ignored | unmatchedIgnored } };
            }
            if (candidates == 0) continue;
            OrderWalksLikeGroundTruth(groundTruthOrder, walkStart, candidates, scratch);

            for (int t = 0; t < _iouThresholds.Length; t++)
            {
                Span<bool> matched = scratch.GroundTruthMatched.AsSpan(0, groundTruthCount);
                matched.Clear();
                ulong bit = CocoOutcome.Bit(a, t);
                // Rule: the threshold is min(t, 1 - 1e-10).
                double threshold = Math.Min(_iouThresholds[t], CocoParameters.LargestUsableThreshold);
                for (int c = 0; c < candidates; c++)
                {
                    int d = candidateRows[c];
                    ReadOnlySpan<double> row = overlaps.Slice(d * groundTruthCount, groundTruthCount);
                    ReadOnlySpan<int> walk = scratch.WalkOrdered.AsSpan(walkStart[c], walkStart[c + 1] - walkStart[c]);
                    int best = FindBestGroundTruth(row, walk, ignored, isCrowd, matched, threshold);
                    if (best < 0) continue;
                    matched[best] = true;
                    if (a == CocoParameters.AllAreas && !matchedGroundTruth.IsEmpty) matchedGroundTruth[d * _iouThresholds.Length + t] = best;
                    CocoOutcome outcome = outcomes[d].Outcome;
                    // A match replaces the unmatched verdict set above.
                    outcome = outcome with { Ignored = outcome.Ignored & ~bit };
                    // Rule: a detection matched to an ignored ground truth (crowd or out of range) is ignored.
                    outcome = ignored[best]
                        ? outcome with { Ignored = outcome.Ignored | bit }
                        : outcome with { TruePositives = outcome.TruePositives | bit };
                    outcomes[d] = outcomes[d] with { Outcome = outcome };
                }
            }
        }
    }

    /// <summary>
    /// Each row's walk in this area range's order (not ignored first, then ignored, each in input order):
    /// its candidates sorted by their place in <paramref name="groundTruthOrder"/>.
    /// </summary>
    private static void OrderWalksLikeGroundTruth(ReadOnlySpan<int> groundTruthOrder, int[] walkStart, int rows, CocoMatchScratch scratch)
    {
        Span<int> place = scratch.GroundTruthPlace.AsSpan(0, groundTruthOrder.Length);
        for (int i = 0; i < groundTruthOrder.Length; i++) place[groundTruthOrder[i]] = i;
        for (int c = 0; c < rows; c++)
        {
            Span<int> walk = scratch.WalkOrdered.AsSpan(walkStart[c], walkStart[c + 1] - walkStart[c]);
            scratch.WalkGroundTruth.AsSpan(walkStart[c], walk.Length).CopyTo(walk);
            // Insertion sort by place: walks hold a few ground truths, and places are distinct.
            for (int i = 1; i < walk.Length; i++)
            {
                int g = walk[i];
                int j = i - 1;
                while (j >= 0 && place[walk[j]] > place[g])
                {
                    walk[j + 1] = walk[j];
                    j--;
                }
                walk[j + 1] = g;
            }
        }
    }

    /// <summary>The rows (kept detections) with at least one IoU at or above <paramref name="floor"/>.</summary>
    private static int FindRowsWithCandidates(ReadOnlySpan<double> overlaps, int rows, int columns, double floor, Span<int> found)
    {
        int count = 0;
        for (int d = 0; d < rows; d++)
        {
            ReadOnlySpan<double> row = overlaps.Slice(d * columns, columns);
            foreach (double iou in row)
            {
                if (iou >= floor)
                {
                    found[count++] = d;
                    break;
                }
            }
        }
        return count;
    }

    /// <summary>
    /// Rule: a ground truth is ignored in a range when it is a crowd, is ignored by the protocol
    /// (<see cref="CocoUnit.GroundTruthIgnored"/>) or its <c>area</c> field lies outside the range (bounds inclusive); the matcher visits the others first, then the ignored ones, each
    /// group in input order (pycocotools' stable <c>argsort</c> of the ignore flags).
    /// </summary>
    /// <returns>The number of ground truths that are not ignored.</returns>
    private static int OrderGroundTruthIgnoredLast(
        ReadOnlySpan<double> areas, ReadOnlySpan<bool> isCrowd, ReadOnlySpan<bool> alwaysIgnored, AreaRange range, Span<bool> ignored, Span<int> order)
    {
        int countable = 0;
        for (int g = 0; g < areas.Length; g++)
        {
            ignored[g] = isCrowd[g] || (!alwaysIgnored.IsEmpty && alwaysIgnored[g]) || range.Excludes(areas[g]);
            if (!ignored[g]) order[countable++] = g;
        }
        int next = countable;
        for (int g = 0; g < areas.Length; g++)
        {
            if (ignored[g]) order[next++] = g;
        }
        return countable;
    }

    /// <summary>
    /// The walk of pycocotools' inner loop for one detection at one threshold.
    /// </summary>
    /// <returns>The chosen ground truth's input index, or -1 when none is acceptable.</returns>
    private static int FindBestGroundTruth(
        ReadOnlySpan<double> row,
        ReadOnlySpan<int> groundTruthOrder,
        ReadOnlySpan<bool> ignored,
        ReadOnlySpan<bool> isCrowd,
        ReadOnlySpan<bool> matched,
        double threshold)
    {
        int best = -1;
        double limit = threshold;
        foreach (int g in groundTruthOrder)
        {
            // Rule: a ground truth already matched at this threshold is taken, unless it is a crowd,
            // which absorbs any number of detections.
            if (matched[g] && !isCrowd[g]) continue;
            // Rule: once a regular ground truth is matched, stop at the first ignored one.
            if (best >= 0 && !ignored[best] && ignored[g]) break;
            // Rule: IoU >= limit accepts; an equal IoU later in the order replaces the earlier one.
            if (row[g] < limit) continue;
            limit = row[g];
            best = g;
        }
        return best;
    }
}
