using System.Numerics;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Coco;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Gate;

// COCO metrics of a resampled dataset, fast enough to run a thousand times: the bootstrap's inner loop.
//
// Input: the match stage (CocoMatches) and, per call, one weight per image (how often a resample drew
// it). The result equals CocoAccumulation.Accumulate(matches, options, weights) to the last bit; the tests
// compare them. What makes it cheap:
// - Each class's records are sorted once, in accumulation order (score descending, image rank, input
//   position). Weights never change that order; an image drawn w times adds w to the counts at once.
// - Per (area range, maxDets) slice and class, the records are cut after the last true positive (nothing
//   later changes a precision at a true positive or the final recall). Records that are false positives
//   at every threshold keep only their image; the others keep image and a 32-bit mask, TP bits of the
//   IoU thresholds in the low half and ignored bits in the high half. Only the thresholds the requested
//   metrics read get bits (AP50 alone needs one of ten). False positives are counted as "weight seen -
//   ignored - TP", so a false positive costs one add.
// - Precision only rises at a true positive, so pycocotools' interpolated precision at recall point r
//   (the envelope read at the first entry whose recall reaches r) is the largest precision of a true
//   positive whose recall reaches r. Each true positive updates the best precision of the highest point
//   it reaches; a running maximum from point 100 down to 0 gives all 101 values. Recall is compared as
//   whole true-positive counts: SmallestTpReaching finds, per point, the count whose double tp / G
//   reaches it, so the answer is the double comparison's.
// Sentinel: a (class, slice) whose weighted countable ground truth is 0 is -1 in pycocotools and is left
// out of every mean, as in CocoAccumulation.

/// <summary>COCO values for any image weights, from one match stage.</summary>
internal sealed class CocoReplicates
{
    private const int RecallPoints = 101;

    private readonly int _classes;
    private readonly int _thresholds;
    private readonly int _areas;
    private readonly Slice[] _slices;
    private readonly int[][] _unitImages;     // per class: image of each unit with countable ground truth
    private readonly int[][] _unitCountable;  // per class: [unit * areas + area]
    private readonly double[] _recallPoints;

    /// <summary>Prepares the slices that <paramref name="keys"/> read.</summary>
    public CocoReplicates(CocoMatches matches, EvaluationOptions options, IEnumerable<MetricKey> keys)
        // Keypoint matches carry their own maxDets ([20]); boxes and masks use the options'.
        : this(matches.AreaRanges, matches.MaxDetections ?? options.MaxDetections, RecordsOfEachClass(matches), CountableGroundTruth(matches), keys)
    {
    }

    /// <summary>Prepares the slices that <paramref name="keys"/> read from each class's records (in any order) and the ground truth that counts per unit.</summary>
    /// <param name="areas">The area ranges of the records' outcome bits.</param>
    /// <param name="maxDetections">The maxDets values the records were matched with.</param>
    /// <param name="records">Per class: its records; <see cref="CocoMatchRecord.Image"/> indexes the weights.</param>
    /// <param name="units">Per class: the image of each unit with countable ground truth, and its counts per area range ([unit * areas + area]).</param>
    /// <param name="keys">The metrics to prepare.</param>
    internal CocoReplicates(int areas, IReadOnlyList<int> maxDetections, CocoMatchRecord[][] records, (int[][] Images, int[][] Countable) units, IEnumerable<MetricKey> keys)
    {
        _classes = records.Length;
        _thresholds = CocoParameters.IouThresholds.Count;
        _areas = areas;
        _recallPoints = [.. CocoTables.RecallThresholds];
        // A slice computes only the thresholds its keys read (AP50 alone needs one of ten).
        var slices = keys.Select(k => k.Metric.CocoSlice())
            .GroupBy(s => (s.Area, s.MaxDets))
            .OrderBy(g => g.Key)
            .Select(g => (g.Key.Area, g.Key.MaxDets, Thresholds: g.Aggregate(0u, (bits, s) => bits | (s.Threshold is int t ? 1u << t : (1u << _thresholds) - 1))));
        CocoMatchRecord[][] sorted = SortEachClassOnce(records);
        _slices = [.. slices.Select(s => BuildSlice(sorted, s.Area, maxDetections[s.MaxDets], s.MaxDets, s.Thresholds))];
        (_unitImages, _unitCountable) = units;
    }

    /// <summary>Scratch for one thread.</summary>
    public sealed class Workspace
    {
        internal Workspace(CocoReplicates owner)
        {
            Precision = [.. owner._slices.Select(_ => new double[owner._thresholds * RecallPoints * owner._classes])];
            Recall = [.. owner._slices.Select(_ => new double[owner._thresholds * owner._classes])];
            Valid = [.. owner._slices.Select(_ => new bool[owner._classes])];
            Gather = new double[owner._thresholds * RecallPoints * owner._classes];
            Countable = new int[owner._areas];
            Tp = new int[owner._thresholds];
            Ignored = new int[owner._thresholds];
            Reach = new int[RecallPoints];
            Reached = new int[owner._thresholds];
            Best = new double[owner._thresholds * RecallPoints];
        }

        internal readonly double[][] Precision;   // per slice: [(t * 101 + r) * classes + k]
        internal readonly double[][] Recall;      // per slice: [t * classes + k]
        internal readonly bool[][] Valid;         // per slice: class has countable ground truth
        internal readonly double[] Gather;
        internal readonly int[] Countable;
        internal readonly int[] Tp, Ignored, Reach, Reached;
        internal readonly double[] Best;            // [t * 101 + r]: best precision of a TP whose highest recall point is r
    }

    /// <summary>A workspace for one thread.</summary>
    public Workspace CreateWorkspace() => new(this);

    /// <summary>Fills the precision and recall tables of every prepared slice for <paramref name="weights"/>.</summary>
    public void Accumulate(int[] weights, Workspace ws)
    {
        for (int k = 0; k < _classes; k++)
        {
            WeightedCountable(k, weights, ws.Countable);
            for (int s = 0; s < _slices.Length; s++)
            {
                int groundTruth = ws.Countable[_slices[s].Area];
                ws.Valid[s][k] = groundTruth > 0;
                // Rule: without ground truth that counts, the class stays -1 in this slice.
                if (groundTruth > 0) FillClass(_slices[s], _slices[s].Classes[k], k, groundTruth, weights, ws, s);
            }
        }
    }

    /// <summary>
    /// A metric from the tables <see cref="Accumulate"/> filled; NaN where pycocotools has no value.
    /// Means take the entries in pycocotools' order (threshold, recall point, class) and add numpy's way.
    /// </summary>
    public double Value(MetricKey key, Workspace ws)
    {
        (int area, int maxDets, int? threshold, bool isPrecision) = key.Metric.CocoSlice();
        int s = Array.FindIndex(_slices, x => x.Area == area && x.MaxDetsIndex == maxDets);
        if (s < 0) throw new ArgumentException($"{key.Metric.SummaryName()} was not prepared.", nameof(key));
        double[] table = isPrecision ? ws.Precision[s] : ws.Recall[s];
        bool[] valid = ws.Valid[s];
        int points = isPrecision ? RecallPoints : 1;
        int firstK = key.ClassIndex ?? 0, lastK = key.ClassIndex ?? _classes - 1;
        if (key.ClassIndex is null && Array.TrueForAll(valid, v => v))
        {
            // Every class counts: the entries in (threshold, recall point, class) order are one block of the table.
            int rows = points * _classes;
            return threshold is int only
                ? NumpySum.Mean(table.AsSpan(only * rows, rows))
                : NumpySum.Mean(table.AsSpan(0, _thresholds * rows));
        }
        int n = 0;
        for (int t = threshold ?? 0; t <= (threshold ?? _thresholds - 1); t++)
        {
            for (int r = 0; r < points; r++)
            {
                int row = (t * points + r) * _classes;
                for (int k = firstK; k <= lastK; k++)
                {
                    if (valid[k]) ws.Gather[n++] = table[row + k];
                }
            }
        }
        return n == 0 ? double.NaN : NumpySum.Mean(ws.Gather.AsSpan(0, n));
    }

    // ---- one class of one slice ----

    private void FillClass(Slice slice, SliceClass data, int k, int groundTruth, int[] weights, Workspace ws, int s)
    {
        // Plain arrays rather than spans in the loops below: debug builds (the test suite's) do not inline
        // span indexers, and these loops run a million times in a bootstrap.
        int thresholds = _thresholds;
        int[] tp = ws.Tp, ignored = ws.Ignored, reached = ws.Reached, reach = ws.Reach;
        double[] best = ws.Best;
        Array.Clear(tp);
        Array.Clear(ignored);
        Array.Clear(reached);
        Array.Clear(best);
        SmallestTpReaching(groundTruth, reach);

        // fp at threshold t = (weight seen) - (weight ignored at t) - tp[t]: only TP and ignored bits need work.
        int seen = 0;
        int[] fpImages = data.FpImages, fpEnd = data.FpEnd, images = data.Images;
        uint[] masks = data.Masks;
        int fpNext = 0;
        for (int i = 0; i < images.Length; i++)
        {
            // The false positives at every threshold before this record only add to the weight seen.
            for (int end = fpEnd[i]; fpNext < end; fpNext++) seen += weights[fpImages[fpNext]];
            int w = weights[images[i]];
            if (w == 0) continue;
            seen += w;
            uint mask = masks[i];
            for (uint bits = mask >> 16; bits != 0; bits &= bits - 1) ignored[BitOperations.TrailingZeroCount(bits)] += w;
            for (uint bits = mask & 0xFFFF; bits != 0; bits &= bits - 1)
            {
                int t = BitOperations.TrailingZeroCount(bits);
                int cumulative = tp[t] += w;
                int fp = seen - ignored[t] - cumulative;
                // The highest recall point this true positive reaches; it counts for that point and all below.
                int r = reached[t];
                while (r < RecallPoints - 1 && reach[r + 1] <= cumulative) r++;
                reached[t] = r;
                int cell = t * RecallPoints + r;
                // pr = tp / ((fp + tp) + eps), as pycocotools; the counts are whole, so exact in double.
                double denominator = ((double)fp + cumulative) + CocoAccumulation.Epsilon;
                // Most true positives fall below the best precision already seen at their point. The fused
                // multiply-add gives the sign of tp - best * denominator exactly (one rounding, which keeps
                // the sign), and when that is not positive, tp / denominator rounds to at most best: no
                // division needed, the same answer.
                double b = best[cell];
                if (Math.FusedMultiplyAdd(-b, denominator, cumulative) <= 0) continue;
                double pr = cumulative / denominator;
                if (pr > b) best[cell] = pr;
            }
        }

        double[] precision = ws.Precision[s];
        double[] recall = ws.Recall[s];
        for (int t = 0; t < thresholds; t++)
        {
            if ((slice.Thresholds & (1u << t)) == 0) continue;
            recall[t * _classes + k] = (double)tp[t] / groundTruth;
            // Interpolated precision at point r: the largest precision of a true positive whose recall
            // reaches r (pycocotools' envelope read at np.searchsorted(rc, r, 'left')), or 0.
            double running = 0.0;
            int row = t * RecallPoints * _classes + k;
            for (int r = RecallPoints - 1; r >= 0; r--)
            {
                double b = best[t * RecallPoints + r];
                if (b > running) running = b;
                precision[row + r * _classes] = running;
            }
        }
    }

    /// <summary>
    /// For each recall point, the smallest true-positive count whose recall <c>tp / G</c>, computed in
    /// double as pycocotools does, reaches the point; so the lookups compare whole numbers and still give
    /// exactly the double comparison's answer.
    /// </summary>
    private void SmallestTpReaching(int groundTruth, int[] reach)
    {
        for (int r = 0; r < RecallPoints; r++)
        {
            double point = _recallPoints[r];
            int x = (int)Math.Ceiling(point * groundTruth);
            while (x > 0 && (double)(x - 1) / groundTruth >= point) x--;
            while ((double)x / groundTruth < point) x++;
            reach[r] = x;
        }
    }

    private void WeightedCountable(int k, int[] weights, int[] countable)
    {
        Array.Clear(countable);
        int[] images = _unitImages[k];
        int[] counts = _unitCountable[k];
        for (int u = 0; u < images.Length; u++)
        {
            int w = weights[images[u]];
            if (w == 0) continue;
            for (int a = 0; a < _areas; a++) countable[a] += w * counts[u * _areas + a];
        }
    }

    // ---- preparation ----

    /// <summary>
    /// One class of one slice, in accumulation order, cut after its last true positive (nothing after it
    /// changes a precision at a true positive or the final recall). Records that are false positives at
    /// every threshold are kept apart as images only (<paramref name="FpImages"/>); the others keep image
    /// and mask, and <paramref name="FpEnd"/> says how many false positives come before each of them.
    /// </summary>
    private sealed record SliceClass(int[] FpImages, int[] FpEnd, int[] Images, uint[] Masks);

    /// <summary>One (area range, maxDets) setting: per class its records, and the thresholds computed (a bit mask).</summary>
    private sealed record Slice(int Area, int MaxDetsIndex, uint Thresholds, SliceClass[] Classes);

    /// <summary>
    /// Rule: the order of pycocotools' stable sort over images concatenated in ascending id, i.e. score
    /// descending, then image rank, then input position (as CocoAccumulation.Accumulate).
    /// </summary>
    private static CocoMatchRecord[][] SortEachClassOnce(CocoMatchRecord[][] records)
    {
        var sorted = new CocoMatchRecord[records.Length][];
        for (int k = 0; k < records.Length; k++)
        {
            CocoMatchRecord[] array = [.. records[k]];
            AccumulationOrder.Sort(array, r => r.Score, r => ((long)r.ImageRank << 32) | (uint)r.InputPosition);
            sorted[k] = array;
        }
        return sorted;
    }

    /// <summary>Each class's records, unit by unit.</summary>
    private static CocoMatchRecord[][] RecordsOfEachClass(CocoMatches matches)
    {
        var records = new CocoMatchRecord[matches.Dataset.Categories.Count][];
        for (int k = 0; k < records.Length; k++)
        {
            var own = new List<CocoMatchRecord>();
            foreach (int u in matches.Dataset.UnitsOfCategory(k))
            {
                foreach (CocoMatchRecord r in matches.RecordsOfUnit(u)) own.Add(r);
            }
            records[k] = [.. own];
        }
        return records;
    }

    private Slice BuildSlice(CocoMatchRecord[][] sorted, int area, int maxDetections, int maxDetsIndex, uint thresholdBits)
    {
        var classes = new SliceClass[sorted.Length];
        int shift = area * CocoOutcome.MaxThresholds;
        for (int k = 0; k < sorted.Length; k++)
        {
            // Rule: for maxDets m, only the first m detections (by score) of each (image, category) count.
            CocoMatchRecord[] kept = [.. sorted[k].Where(r => r.RankInUnit < maxDetections)];
            var fpImages = new List<int>();
            var fpEnd = new List<int>();
            var images = new List<int>();
            var masks = new List<uint>();
            int last = Array.FindLastIndex(kept, r => ((uint)(r.Outcome.TruePositives >> shift) & thresholdBits) != 0);
            for (int i = 0; i <= last; i++)
            {
                uint tp = (uint)(kept[i].Outcome.TruePositives >> shift) & thresholdBits;
                uint ignored = (uint)(kept[i].Outcome.Ignored >> shift) & thresholdBits;
                if ((tp | ignored) == 0)
                {
                    fpImages.Add(kept[i].Image);
                    continue;
                }
                fpEnd.Add(fpImages.Count);
                images.Add(kept[i].Image);
                masks.Add(tp | (ignored << 16));
            }
            classes[k] = new SliceClass([.. fpImages], [.. fpEnd], [.. images], [.. masks]);
        }
        return new Slice(area, maxDetsIndex, thresholdBits, classes);
    }

    private static (int[][] Images, int[][] Countable) CountableGroundTruth(CocoMatches matches)
    {
        int classes = matches.Dataset.Categories.Count, areas = matches.AreaRanges;
        var images = new int[classes][];
        var countable = new int[classes][];
        for (int k = 0; k < classes; k++)
        {
            var unitImages = new List<int>();
            var unitCounts = new List<int>();
            foreach (int u in matches.Dataset.UnitsOfCategory(k))
            {
                bool any = false;
                for (int a = 0; a < areas; a++) any |= matches.CountableGroundTruth(u, a) > 0;
                if (!any) continue;
                unitImages.Add(matches.Dataset.Units[u].Image);
                for (int a = 0; a < areas; a++) unitCounts.Add(matches.CountableGroundTruth(u, a));
            }
            images[k] = [.. unitImages];
            countable[k] = [.. unitCounts];
        }
        return (images, countable);
    }
}
