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

/// <summary>Computes operating points from VOC curves.</summary>
public static class OperatingPointAnalysis
{
    /// <summary>One detection's contribution, for pooling classes.</summary>
    private readonly record struct Step(double Score, double TruePositive, double FalsePositive);

    /// <summary>Operating points of every class and of all classes pooled.</summary>
    /// <param name="voc">A VOC result whose curves carry cumulative counts.</param>
    /// <param name="scoreThreshold">An extra threshold to report, or null.</param>
    public static OperatingPoints Compute(VocResult voc, double? scoreThreshold)
    {
        ArgumentNullException.ThrowIfNull(voc);
        var perClass = new ClassOperatingPoints[voc.PerClass.Count];
        var steps = new List<Step>();
        var classStarts = new List<int>(perClass.Length + 1);
        double positives = 0;
        for (int k = 0; k < perClass.Length; k++)
        {
            VocClassResult c = voc.PerClass[k];
            RequireCounts(c.Curve);
            positives += c.Positives;
            classStarts.Add(steps.Count);
            AddSteps(c.Curve, steps);
            if (c.Positives == 0)
            {
                perClass[k] = new ClassOperatingPoints(c.Category, null, null, ConfidenceCurve.Empty);
                continue;
            }
            Sweep sweep = SweepCurve(c.Curve.Scores, c.Curve.TruePositives, c.Curve.FalsePositives, c.Positives);
            perClass[k] = new ClassOperatingPoints(
                c.Category, sweep.Best, scoreThreshold is double t ? At(sweep, t, c.Positives) : null, sweep.Curve);
        }

        // Rule: pooling orders all detections by score; equal scores are one cut, so their order is irrelevant.
        // Each class's curve is in score order already, so the pooled order is a merge of the classes' runs
        // (the counts are whole numbers, so their running sums are exact in any order within a cut).
        classStarts.Add(steps.Count);
        ulong[] scoreKeys = new ulong[steps.Count], inputOrder = new ulong[steps.Count];
        for (int i = 0; i < scoreKeys.Length; i++)
        {
            scoreKeys[i] = RunMerge.ScoreKey(steps[i].Score);
            inputOrder[i] = (ulong)i;
        }
        int[] order = RunMerge.Merge(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(classStarts), scoreKeys, inputOrder, threads: -1);
        Step[] pooled = new Step[order.Length];
        for (int i = 0; i < pooled.Length; i++) pooled[i] = steps[order[i]];
        double[] scores = new double[pooled.Length], tp = new double[pooled.Length], fp = new double[pooled.Length];
        double runningTp = 0, runningFp = 0;
        for (int i = 0; i < pooled.Length; i++)
        {
            runningTp += pooled[i].TruePositive;
            runningFp += pooled[i].FalsePositive;
            scores[i] = pooled[i].Score;
            tp[i] = runningTp;
            fp[i] = runningFp;
        }
        if (positives == 0) return new OperatingPoints(scoreThreshold, null, null, ConfidenceCurve.Empty, perClass);
        Sweep all = SweepCurve(scores, tp, fp, positives);
        return new OperatingPoints(scoreThreshold, all.Best, scoreThreshold is double s ? At(all, s, positives) : null, all.Curve, perClass);
    }

    /// <summary>The point of a curve at one threshold: the last cut whose confidence is at or above it.</summary>
    private static OperatingPoint At(Sweep sweep, double threshold, double positives)
    {
        IReadOnlyList<double> confidence = sweep.Curve.Confidence;
        // Confidences descend: count those at or above the threshold.
        int lo = 0, hi = confidence.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (confidence[mid] >= threshold) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0) return Point(threshold, 0, 0, positives);
        return Point(threshold, sweep.TruePositives[lo - 1], sweep.FalsePositives[lo - 1], positives);
    }

    private sealed record Sweep(ConfidenceCurve Curve, double[] TruePositives, double[] FalsePositives, OperatingPoint? Best);

    /// <summary>Reads precision, recall and F1 at the end of every group of equal scores and keeps the best F1.</summary>
    private static Sweep SweepCurve(IReadOnlyList<double> scores, IReadOnlyList<double> tp, IReadOnlyList<double> fp, double positives)
    {
        var confidence = new List<double>();
        var precision = new List<double>();
        var recall = new List<double>();
        var f1 = new List<double>();
        var tpAt = new List<double>();
        var fpAt = new List<double>();
        OperatingPoint? best = null;
        for (int i = 0; i < scores.Count; i++)
        {
            if (i + 1 < scores.Count && scores[i + 1] == scores[i]) continue;
            OperatingPoint point = Point(scores[i], tp[i], fp[i], positives);
            confidence.Add(point.Confidence);
            precision.Add(point.Precision);
            recall.Add(point.Recall);
            f1.Add(point.F1);
            tpAt.Add(tp[i]);
            fpAt.Add(fp[i]);
            // Strictly greater: among equal F1 the highest confidence (the first seen) wins.
            if (best is null || point.F1 > best.F1) best = point;
        }
        return new Sweep(new ConfidenceCurve(confidence, precision, recall, f1), [.. tpAt], [.. fpAt], best);
    }

    /// <summary>Rule: precision with VOC's eps guard, recall over npos, F1 from the counts.</summary>
    private static OperatingPoint Point(double confidence, double tp, double fp, double positives) => new(
        confidence,
        tp / Math.Max(tp + fp, VocEvaluation.Epsilon),
        tp / positives,
        2 * tp / (tp + fp + positives),
        tp,
        fp,
        positives);

    private static void AddSteps(PrecisionRecallCurve curve, List<Step> steps)
    {
        double previousTp = 0, previousFp = 0;
        for (int i = 0; i < curve.Scores.Count; i++)
        {
            steps.Add(new Step(curve.Scores[i], curve.TruePositives[i] - previousTp, curve.FalsePositives[i] - previousFp));
            previousTp = curve.TruePositives[i];
            previousFp = curve.FalsePositives[i];
        }
    }

    private static void RequireCounts(PrecisionRecallCurve curve)
    {
        if (curve.TruePositives.Count != curve.Scores.Count || curve.FalsePositives.Count != curve.Scores.Count)
        {
            throw new ArgumentException("Operating points need curves with cumulative TP and FP counts (VocEvaluation records them).", nameof(curve));
        }
    }
}
