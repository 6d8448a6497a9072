using DetectionEval.Eval.Data;

namespace DetectionEval.Eval.Metrics;

// Operating points: what a detector delivers once detections below a confidence are dropped.
//
// Inputs: the VOC result's per-class curves (detections in score order with cumulative TP and FP counts,
// ignored detections repeating the counts) and each class's npos.
// Rule: keeping the detections with score >= c gives TP(c), FP(c); precision = TP / max(TP + FP, eps)
// (VOC's own guard, so an empty selection has precision 0), recall = TP / npos, and
// F1 = 2·TP / (TP + FP + npos), which equals 2PR / (P + R) and is 0 when TP is 0.
// A threshold never splits detections of equal score, so the candidate confidences are the distinct
// scores, and a point is read at the last detection of each group of equal scores.
// The best-F1 point is the highest confidence that reaches the largest F1.
// Overall ("all classes pooled", a micro average): the counts of every class added up, npos of all
// classes added up; detections of classes without ground truth are false positives there too.
// Sentinels: a class without positives has no operating point (null), as it has no AP; a class with
// positives but no detection has no best-F1 point.

/// <summary>Precision, recall and F1 when only detections with a score at or above <paramref name="Confidence"/> are kept.</summary>
/// <param name="Confidence">The confidence threshold (detections with score &gt;= it are kept).</param>
/// <param name="Precision">TP / (TP + FP); 0 when nothing is kept.</param>
/// <param name="Recall">TP / positives.</param>
/// <param name="F1">2·TP / (TP + FP + positives).</param>
/// <param name="TruePositives">Kept detections that took a ground truth.</param>
/// <param name="FalsePositives">Kept detections that did not (misses and duplicates).</param>
/// <param name="Positives">Ground truth that counts (npos).</param>
public sealed record OperatingPoint(
    double Confidence, double Precision, double Recall, double F1, double TruePositives, double FalsePositives, double Positives)
{
    /// <summary>Ground truth that no kept detection found.</summary>
    public double FalseNegatives => Positives - TruePositives;
}

/// <summary>Precision, recall and F1 against confidence: one entry per distinct score, in descending score order.</summary>
/// <param name="Confidence">The distinct scores, descending.</param>
/// <param name="Precision">Precision when detections with score &gt;= the confidence are kept.</param>
/// <param name="Recall">Recall at the same cut.</param>
/// <param name="F1">F1 at the same cut.</param>
public sealed record ConfidenceCurve(
    IReadOnlyList<double> Confidence, IReadOnlyList<double> Precision, IReadOnlyList<double> Recall, IReadOnlyList<double> F1)
{
    /// <summary>A curve without points.</summary>
    public static ConfidenceCurve Empty { get; } = new([], [], [], []);
}

/// <summary>The operating points of one class.</summary>
/// <param name="Category">The class.</param>
/// <param name="BestF1">The best-F1 point; null without positives or without detections.</param>
/// <param name="AtThreshold">The point at the asked score threshold; null when none was asked or the class has no positives.</param>
/// <param name="Curve">Precision, recall and F1 against confidence; empty without positives.</param>
public sealed record ClassOperatingPoints(Category Category, OperatingPoint? BestF1, OperatingPoint? AtThreshold, ConfidenceCurve Curve);

/// <summary>Operating points of a whole evaluation: all classes pooled, and per class.</summary>
/// <param name="ScoreThreshold">The asked score threshold, or null.</param>
/// <param name="BestF1">The best-F1 point of all classes pooled; null without positives or detections.</param>
/// <param name="AtThreshold">All classes pooled at <paramref name="ScoreThreshold"/>; null when none was asked or there are no positives.</param>
/// <param name="Curve">All classes pooled: precision, recall and F1 against confidence.</param>
/// <param name="PerClass">One entry per category, in ascending id order.</param>
public sealed record OperatingPoints(
    double? ScoreThreshold, OperatingPoint? BestF1, OperatingPoint? AtThreshold, ConfidenceCurve Curve, IReadOnlyList<ClassOperatingPoints> PerClass);

/// <summary>One class's detections in score order, for pooling classes without their confidence curves.</summary>
/// <param name="Keys">Each detection's score key (<see cref="RunMerge.ScoreKey"/>), ascending.</param>
/// <param name="Steps">Each detection's step: 1 a true positive, 2 a false positive, 0 neither.</param>
/// <param name="LastZero">The last score of 0.0 or -0.0 in the class, if any.</param>
internal sealed record ClassSteps(ulong[] Keys, byte[] Steps, double? LastZero)
{
    /// <summary>The steps of a class's VOC curve; null when the curve counts weighted detections (its steps are not single detections).</summary>
    public static ClassSteps? FromCurve(PrecisionRecallCurve curve)
    {
        double[] scores = OperatingPointAnalysis.AsArray(curve.Scores), tp = OperatingPointAnalysis.AsArray(curve.TruePositives), fp = OperatingPointAnalysis.AsArray(curve.FalsePositives);
        ulong[] keys = new ulong[scores.Length];
        byte[] steps = new byte[scores.Length];
        double? lastZero = null;
        double previousTp = 0, previousFp = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            double newTp = tp[i] - previousTp, newFp = fp[i] - previousFp;
            if (newTp is not (0 or 1) || newFp is not (0 or 1) || newTp + newFp > 1) return null;
            keys[i] = RunMerge.ScoreKey(scores[i]);
            steps[i] = newTp == 1 ? (byte)1 : newFp == 1 ? (byte)2 : (byte)0;
            if (scores[i] == 0) lastZero = scores[i];
            (previousTp, previousFp) = (tp[i], fp[i]);
        }
        return new ClassSteps(keys, steps, lastZero);
    }
}

/// <summary>Computes operating points from VOC curves.</summary>
public static class OperatingPointAnalysis
{
    /// <summary>One detection's contribution, for pooling classes.</summary>
    private readonly record struct Step(double Score, double TruePositive, double FalsePositive);

    /// <summary>Operating points of every class and of all classes pooled.</summary>
    /// <param name="voc">A VOC result whose curves carry cumulative counts.</param>
    /// <param name="scoreThreshold">An extra threshold to report, or null.</param>
    /// <param name="confidenceCurves">Keep the confidence curves (charts draw them); false leaves them empty and
    /// computes the same points with less work, for curves of unweighted detections.</param>
    /// <param name="parallelism">Threads the classes may use; null for all cores.</param>
    public static OperatingPoints Compute(VocResult voc, double? scoreThreshold, bool confidenceCurves = true, ParallelOptions? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(voc);
        return FromClassSteps(voc, scoreThreshold, confidenceCurves, parallelism ?? new ParallelOptions()) ?? BySorting(voc, scoreThreshold);
    }

    /// <summary>
    /// The operating points of <see cref="Compute"/> with every class's detections pooled by sorting them
    /// all; for curves of weighted detections (a bootstrap's), whose steps are not single detections. It keeps
    /// the confidence curves.
    /// </summary>
    internal static OperatingPoints BySorting(VocResult voc, double? scoreThreshold)
    {
        var perClass = new ClassOperatingPoints[voc.PerClass.Count];
        int total = 0;
        foreach (VocClassResult c in voc.PerClass)
        {
            RequireCounts(c.Curve);
            total += c.Curve.Scores.Count;
        }
        var steps = new Step[total];
        var classStarts = new int[perClass.Length + 1];
        double positives = 0;
        for (int k = 0; k < perClass.Length; k++)
        {
            VocClassResult c = voc.PerClass[k];
            positives += c.Positives;
            classStarts[k + 1] = AddSteps(AsArray(c.Curve.Scores), AsArray(c.Curve.TruePositives), AsArray(c.Curve.FalsePositives), steps, classStarts[k]);
            perClass[k] = ForClass(c, scoreThreshold, keepCurve: true);
        }

        // Rule: pooling orders all detections by score; equal scores are one cut, so their order is irrelevant.
        // Each class's curve is in score order already, so the pooled order is a merge of the classes' runs
        // (the counts are whole numbers, so their running sums are exact in any order within a cut).
        ulong[] scoreKeys = new ulong[total];
        uint[] inputOrder = new uint[total];
        for (int i = 0; i < total; i++)
        {
            scoreKeys[i] = RunMerge.ScoreKey(steps[i].Score);
            inputOrder[i] = (uint)i;
        }
        int[] order = RunMerge.Merge(classStarts, scoreKeys, inputOrder, threads: -1);
        double[] pooledScores = new double[total], pooledTp = new double[total], pooledFp = new double[total];
        double runningTp = 0, runningFp = 0;
        for (int i = 0; i < total; i++)
        {
            Step step = steps[order[i]];
            runningTp += step.TruePositive;
            runningFp += step.FalsePositive;
            pooledScores[i] = step.Score;
            pooledTp[i] = runningTp;
            pooledFp[i] = runningFp;
        }
        if (positives == 0) return new OperatingPoints(scoreThreshold, null, null, ConfidenceCurve.Empty, perClass);
        (ConfidenceCurve all, OperatingPoint? pooledBest) = SweepCurve(pooledScores, pooledTp, pooledFp, positives, keepCurve: true);
        return new OperatingPoints(scoreThreshold, pooledBest, scoreThreshold is double s ? At(pooledScores, pooledTp, pooledFp, s, positives) : null, all, perClass);
    }

    /// <summary>
    /// The points of <see cref="Compute"/> with each class swept on its own and the classes pooled by
    /// <see cref="PooledFromClassSteps"/>, which allocates nothing of the size of all detections beyond the
    /// pooled curve. Null for curves of weighted detections (a bootstrap's), whose steps are not single
    /// detections; those take <see cref="BySorting"/>.
    /// </summary>
    private static OperatingPoints? FromClassSteps(VocResult voc, double? scoreThreshold, bool keepCurves, ParallelOptions parallelism)
    {
        int classes = voc.PerClass.Count;
        var perClass = new ClassOperatingPoints[classes];
        var steps = new ClassSteps?[classes];
        double positives = 0;
        foreach (VocClassResult c in voc.PerClass)
        {
            RequireCounts(c.Curve);
            positives += c.Positives;
        }
        // Each class on its own, in parallel; only the pooling below walks all classes at once.
        Parallel.For(0, classes, parallelism, k =>
        {
            VocClassResult c = voc.PerClass[k];
            if (ClassSteps.FromCurve(c.Curve) is not { } classSteps) return;
            steps[k] = classSteps;
            perClass[k] = ForClass(c, scoreThreshold, keepCurves);
        });
        if (steps.Any(s => s is null)) return null;
        return PooledFromClassSteps(steps!, positives, scoreThreshold, perClass, keepCurves);
    }

    /// <summary>The operating points of one class from its VOC curve; the confidence curve is left empty unless <paramref name="keepCurve"/>.</summary>
    internal static ClassOperatingPoints ForClass(VocClassResult c, double? scoreThreshold, bool keepCurve)
    {
        RequireCounts(c.Curve);
        if (c.Positives == 0) return new ClassOperatingPoints(c.Category, null, null, ConfidenceCurve.Empty);
        double[] scores = AsArray(c.Curve.Scores), tp = AsArray(c.Curve.TruePositives), fp = AsArray(c.Curve.FalsePositives);
        (ConfidenceCurve curve, OperatingPoint? best) = SweepCurve(scores, tp, fp, c.Positives, keepCurve);
        return new ClassOperatingPoints(c.Category, best, scoreThreshold is double t ? At(scores, tp, fp, t, c.Positives) : null, curve);
    }

    /// <summary>
    /// All classes pooled, from each class's detections in score order (<see cref="ClassSteps"/>). The classes
    /// are merged through a heap, one detection at a time, so nothing of the size of all detections is
    /// allocated but the curve, when kept. The same points and curve as <see cref="BySorting"/>: equal scores
    /// are one cut, so only each cut's totals count, and these are exact whole numbers in any order within
    /// the cut; a cut's confidence is its score, read back from the key.
    /// </summary>
    /// <param name="classes">Each class's score keys and steps.</param>
    /// <param name="positives">npos of all classes.</param>
    /// <param name="scoreThreshold">An extra threshold to report, or null.</param>
    /// <param name="perClass">The classes' points.</param>
    /// <param name="keepCurve">Keep the pooled confidence curve; false leaves it empty.</param>
    internal static OperatingPoints PooledFromClassSteps(
        IReadOnlyList<ClassSteps> classes, double positives, double? scoreThreshold, IReadOnlyList<ClassOperatingPoints> perClass, bool keepCurve = false)
    {
        if (positives == 0) return new OperatingPoints(scoreThreshold, null, null, ConfidenceCurve.Empty, perClass);
        // A cut of zero scores reports 0.0 or -0.0: the one the sorted pooling puts last, from the last class that has one.
        double zeroScore = classes.LastOrDefault(c => c.LastZero is not null)?.LastZero ?? 0.0;
        ulong[][] keys = [.. classes.Select(c => c.Keys)];
        byte[][] steps = [.. classes.Select(c => c.Steps)];
        int detections = 0;
        foreach (ulong[] classKeys in keys) detections += classKeys.Length;
        var curve = new CurveBuilder(keepCurve ? detections : 0);
        var merge = new ClassHeap(keys);
        double tp = 0, fp = 0, bestF1 = double.NaN;
        OperatingPoint? best = null;
        double keptTp = 0, keptFp = 0;
        ulong zeroKey = RunMerge.ScoreKey(0.0);
        while (merge.TryTake(out int k, out int i))
        {
            ulong key = keys[k][i];
            if (steps[k][i] == 1) tp++;
            else if (steps[k][i] == 2) fp++;
            if (merge.TryPeek(out ulong next) && next == key) continue;
            double confidence = key == zeroKey ? zeroScore : RunMerge.ScoreOfKey(key);
            double f1 = F1(tp, fp, positives);
            if (keepCurve) curve.Add(confidence, Precision(tp, fp), tp / positives, f1);
            // Strictly greater: among equal F1 the highest confidence (the first seen) wins.
            if (best is null || f1 > bestF1)
            {
                best = Point(confidence, tp, fp, positives);
                bestF1 = f1;
            }
            if (scoreThreshold is double t && confidence >= t)
            {
                keptTp = tp;
                keptFp = fp;
            }
        }
        return new OperatingPoints(
            scoreThreshold, best, scoreThreshold is double s ? Point(s, keptTp, keptFp, positives) : null, keepCurve ? curve.Build() : ConfidenceCurve.Empty, perClass);
    }

    /// <summary>A confidence curve written cut by cut into arrays of at most <c>capacity</c> entries, trimmed to the cuts written.</summary>
    private sealed class CurveBuilder(int capacity)
    {
        private readonly double[] _confidence = new double[capacity], _precision = new double[capacity], _recall = new double[capacity], _f1 = new double[capacity];
        private int _count;

        public void Add(double confidence, double precision, double recall, double f1)
        {
            _confidence[_count] = confidence;
            _precision[_count] = precision;
            _recall[_count] = recall;
            _f1[_count++] = f1;
        }

        public ConfidenceCurve Build() => new(Trimmed(_confidence), Trimmed(_precision), Trimmed(_recall), Trimmed(_f1));

        private double[] Trimmed(double[] values)
        {
            if (_count == values.Length) return values;
            var trimmed = new double[_count];
            Array.Copy(values, trimmed, _count);
            return trimmed;
        }
    }

    /// <summary>A min-heap of the classes by the key at each class's cursor: yields every (class, index) in ascending key order.</summary>
    private sealed class ClassHeap
    {
        private readonly ulong[][] _keys;
        // The heap's classes and, beside each, the key at its cursor, so that sifting compares one array.
        private readonly int[] _heap;
        private readonly ulong[] _heapKeys;
        private readonly int[] _cursor;
        private int _count;

        public ClassHeap(ulong[][] keys)
        {
            _keys = keys;
            _cursor = new int[keys.Length];
            _heap = new int[keys.Length];
            _heapKeys = new ulong[keys.Length];
            for (int k = 0; k < keys.Length; k++)
            {
                if (keys[k].Length == 0) continue;
                _heapKeys[_count] = keys[k][0];
                _heap[_count++] = k;
            }
            for (int i = _count / 2 - 1; i >= 0; i--) SiftDown(i);
        }

        /// <summary>The smallest key not yet taken.</summary>
        public bool TryPeek(out ulong key)
        {
            key = _count > 0 ? _heapKeys[0] : 0;
            return _count > 0;
        }

        /// <summary>Takes the entry with the smallest key: its class and its index in the class.</summary>
        public bool TryTake(out int k, out int index)
        {
            if (_count == 0)
            {
                (k, index) = (-1, -1);
                return false;
            }
            k = _heap[0];
            index = _cursor[k]++;
            if (_cursor[k] == _keys[k].Length)
            {
                _count--;
                _heap[0] = _heap[_count];
                _heapKeys[0] = _heapKeys[_count];
            }
            else
            {
                _heapKeys[0] = _keys[k][_cursor[k]];
            }
            SiftDown(0);
            return true;
        }

        private void SiftDown(int i)
        {
            while (true)
            {
                int smallest = i, left = 2 * i + 1, right = left + 1;
                if (left < _count && _heapKeys[left] < _heapKeys[smallest]) smallest = left;
                if (right < _count && _heapKeys[right] < _heapKeys[smallest]) smallest = right;
                if (smallest == i) return;
                (_heap[i], _heap[smallest]) = (_heap[smallest], _heap[i]);
                (_heapKeys[i], _heapKeys[smallest]) = (_heapKeys[smallest], _heapKeys[i]);
                i = smallest;
            }
        }
    }

    /// <summary>
    /// The point at one threshold: the counts after the last detection whose score is at or above it (a
    /// group of equal scores is all kept or all dropped, so this is the last cut at or above it).
    /// </summary>
    private static OperatingPoint At(double[] scores, double[] tp, double[] fp, double threshold, double positives)
    {
        // Scores descend: count those at or above the threshold.
        int lo = 0, hi = scores.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (scores[mid] >= threshold) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0) return Point(threshold, 0, 0, positives);
        return Point(threshold, tp[lo - 1], fp[lo - 1], positives);
    }

    /// <summary>Reads precision, recall and F1 at the end of every group of equal scores and keeps the best F1.</summary>
    private static (ConfidenceCurve Curve, OperatingPoint? Best) SweepCurve(double[] scores, double[] tp, double[] fp, double positives, bool keepCurve)
    {
        int cuts = 0;
        for (int i = 0; keepCurve && i < scores.Length; i++)
        {
            if (EndsGroup(scores, i)) cuts++;
        }
        double[] confidence = new double[cuts], precision = new double[cuts], recall = new double[cuts], f1 = new double[cuts];
        int bestAt = -1;
        double bestF1 = double.NaN;
        for (int i = 0, j = 0; i < scores.Length; i++)
        {
            if (!EndsGroup(scores, i)) continue;
            double value = F1(tp[i], fp[i], positives);
            if (keepCurve)
            {
                confidence[j] = scores[i];
                precision[j] = Precision(tp[i], fp[i]);
                recall[j] = tp[i] / positives;
                f1[j++] = value;
            }
            // Strictly greater: among equal F1 the highest confidence (the first seen) wins.
            if (bestAt < 0 || value > bestF1)
            {
                bestAt = i;
                bestF1 = value;
            }
        }
        OperatingPoint? bestPoint = bestAt < 0 ? null : Point(scores[bestAt], tp[bestAt], fp[bestAt], positives);
        return (keepCurve ? new ConfidenceCurve(confidence, precision, recall, f1) : ConfidenceCurve.Empty, bestPoint);
    }

    /// <summary>A threshold never splits equal scores: a point is read at the last detection of each group.</summary>
    private static bool EndsGroup(double[] scores, int i) => i + 1 == scores.Length || scores[i + 1] != scores[i];

    /// <summary>Rule: precision with VOC's eps guard, recall over npos, F1 from the counts.</summary>
    private static OperatingPoint Point(double confidence, double tp, double fp, double positives) =>
        new(confidence, Precision(tp, fp), tp / positives, F1(tp, fp, positives), tp, fp, positives);

    private static double Precision(double tp, double fp) => tp / Math.Max(tp + fp, VocAccumulation.Epsilon);

    private static double F1(double tp, double fp, double positives) => 2 * tp / (tp + fp + positives);

    /// <summary>Writes one step per detection of a class (its own TP and FP, from the cumulative counts) from <paramref name="start"/>; returns the end.</summary>
    private static int AddSteps(double[] scores, double[] tp, double[] fp, Step[] steps, int start)
    {
        double previousTp = 0, previousFp = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            steps[start + i] = new Step(scores[i], tp[i] - previousTp, fp[i] - previousFp);
            previousTp = tp[i];
            previousFp = fp[i];
        }
        return start + scores.Length;
    }

    internal static double[] AsArray(IReadOnlyList<double> values) => values as double[] ?? [.. values];

    private static void RequireCounts(PrecisionRecallCurve curve)
    {
        if (curve.TruePositives.Count != curve.Scores.Count || curve.FalsePositives.Count != curve.Scores.Count)
        {
            throw new ArgumentException("Operating points need curves with cumulative TP and FP counts (VocAccumulation records them).", nameof(curve));
        }
    }
}
