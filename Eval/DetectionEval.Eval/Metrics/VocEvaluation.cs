using DetectionEval.Eval.Data;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Metrics;

// Pascal VOC evaluation of a whole dataset, as the classic voc_eval computes it per class.
//
// Flow: every (image, class) unit is matched on its own (VocMatcher); because matching state never
// crosses images, this equals voc_eval's single pass over the class's detections. The records of each
// class are then ordered by (score descending, input position ascending) (the stable sort of the whole
// class), turned into cumulative TP/FP, recall and precision, and into the 11-point and all-point AP.
// Reference: detectron2/evaluation/pascal_voc_evaluation.py (voc_eval, voc_ap) with a stable sort.
// Sentinels: a class with npos = 0 has null AP and is left out of the means.

/// <summary>VOC evaluation of a dataset under one profile.</summary>
public static class VocEvaluation
{
    /// <summary><c>np.finfo(np.float64).eps</c>, the floor of the precision denominator.</summary>
    public const double Epsilon = 2.220446049250313e-16;

    /// <summary>One detection after matching.</summary>
    internal readonly record struct MatchRecord(double Score, int InputPosition, VocOutcome Outcome);

    /// <summary>Matches and accumulates the dataset.</summary>
    public static VocResult Evaluate(Dataset dataset, EvaluationOptions options)
    {
        options.Validate();
        var matcher = new VocMatcher(options.Voc);
        (MatchRecord[] records, int[] positives) = MatchAllUnits(dataset, matcher, options.Parallelism);
        var perClass = new VocClassResult[dataset.Categories.Count];
        Parallel.For(0, perClass.Length, options.Parallelism, k => perClass[k] = EvaluateClass(dataset, records, positives, k));
        return Summarize(options.Voc, perClass);
    }

    /// <summary>Matches every unit; record i belongs to detection row i's unit, in score order within it.</summary>
    internal static (MatchRecord[] Records, int[] Positives) MatchAllUnits(Dataset dataset, VocMatcher matcher, ParallelOptions parallel)
    {
        EvaluationUnit[] units = dataset.Units.ToArray();
        var records = new MatchRecord[dataset.Detections.Count];
        int[] positives = new int[units.Length];
        Parallel.For(
            0,
            units.Length,
            parallel,
            () => new UnitScratch(),
            (u, _, scratch) =>
            {
                positives[u] = MatchUnit(dataset, units[u], matcher, scratch, records.AsSpan(units[u].DetectionStart, units[u].DetectionCount));
                return scratch;
            },
            _ => { });
        return (records, positives);
    }

    private sealed class UnitScratch
    {
        public readonly VocMatchScratch Matcher = new();
        public VocDetectionOutcome[] Outcomes = new VocDetectionOutcome[128];
    }

    private static int MatchUnit(Dataset dataset, EvaluationUnit unit, VocMatcher matcher, UnitScratch scratch, Span<MatchRecord> records)
    {
        GroundTruthTable gt = dataset.GroundTruth;
        DetectionTable dt = dataset.Detections;
        var input = new VocUnit(
            gt.Boxes.Slice(unit.GroundTruthStart, unit.GroundTruthCount),
            gt.Flags.Slice(unit.GroundTruthStart, unit.GroundTruthCount),
            dt.Boxes.Slice(unit.DetectionStart, unit.DetectionCount),
            dt.Scores.Slice(unit.DetectionStart, unit.DetectionCount));
        if (scratch.Outcomes.Length < unit.DetectionCount) scratch.Outcomes = new VocDetectionOutcome[unit.DetectionCount * 2];
        int positives = matcher.Match(input, scratch.Outcomes, scratch.Matcher);
        for (int i = 0; i < unit.DetectionCount; i++)
        {
            VocDetectionOutcome outcome = scratch.Outcomes[i];
            int row = unit.DetectionStart + outcome.Detection;
            records[i] = new MatchRecord(dt.Scores[row], dt.InputPositions[row], outcome.Outcome);
        }
        return positives;
    }

    private static VocClassResult EvaluateClass(Dataset dataset, MatchRecord[] allRecords, int[] positivesPerUnit, int k)
    {
        ReadOnlySpan<int> units = dataset.UnitsOfCategory(k);
        ReadOnlySpan<EvaluationUnit> unitTable = dataset.Units;
        int positives = 0, count = 0;
        foreach (int u in units)
        {
            positives += positivesPerUnit[u];
            count += unitTable[u].DetectionCount;
        }
        var records = new MatchRecord[count];
        int next = 0;
        foreach (int u in units)
        {
            allRecords.AsSpan(unitTable[u].DetectionStart, unitTable[u].DetectionCount).CopyTo(records.AsSpan(next));
            next += unitTable[u].DetectionCount;
        }
        // Rule: the class's detections in score order, equal scores in input order across images too.
        Array.Sort(records, static (x, y) =>
        {
            int c = y.Score.CompareTo(x.Score);
            return c != 0 ? c : x.InputPosition.CompareTo(y.InputPosition);
        });
        return Score(dataset.Categories[k], records, positives);
    }

    private static VocClassResult Score(Category category, MatchRecord[] records, int positives)
    {
        int n = records.Length;
        double[] recall = new double[n], precision = new double[n], scores = new double[n];
        int tpCount = 0, fpCount = 0, ignored = 0;
        double tp = 0, fp = 0;
        for (int i = 0; i < n; i++)
        {
            switch (records[i].Outcome)
            {
                case VocOutcome.TruePositive: tp++; tpCount++; break;
                case VocOutcome.FalsePositive: fp++; fpCount++; break;
                default: ignored++; break;
            }
            // rec = tp / float(npos); prec = tp / np.maximum(tp + fp, eps)
            recall[i] = tp / positives;
            precision[i] = tp / Math.Max(tp + fp, Epsilon);
            scores[i] = records[i].Score;
        }
        var curve = new PrecisionRecallCurve(recall, precision, scores);
        if (positives == 0)
        {
            return new VocClassResult(category, 0, n, tpCount, fpCount, ignored, null, null, null, null, curve);
        }
        return new VocClassResult(
            category, positives, n, tpCount, fpCount, ignored,
            VocAp.ElevenPoint(recall, precision),
            VocAp.AllPoint(recall, precision),
            n > 0 ? recall[^1] : 0.0,
            n > 0 ? precision[^1] : null,
            curve);
    }

    /// <summary>Rule: the means are numpy means over the classes with positives, in ascending category id.</summary>
    private static VocResult Summarize(VocMatchSettings settings, VocClassResult[] perClass)
    {
        double[] ap07 = [.. perClass.Where(c => c.Ap07 is not null).Select(c => c.Ap07!.Value)];
        double[] apAll = [.. perClass.Where(c => c.ApAll is not null).Select(c => c.ApAll!.Value)];
        return new VocResult(
            settings,
            ap07.Length == 0 ? null : NumpySum.Mean(ap07),
            apAll.Length == 0 ? null : NumpySum.Mean(apAll),
            ap07.Length,
            perClass);
    }
}
