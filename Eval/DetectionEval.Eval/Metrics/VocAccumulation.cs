using DetectionEval.Eval.Data;
using DetectionEval.Eval.Matches;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Metrics;

// Pascal VOC evaluation of a whole dataset, as the classic voc_eval computes it per class.
//
// Flow: the match stage (Matches/VocMatchStage.cs) gives each unit's records; the records of each
// class are then ordered by (score descending, input position ascending) (the stable sort of the whole
// class), turned into cumulative TP/FP, recall and precision, and into the 11-point and all-point AP.
// Reference: detectron2/evaluation/pascal_voc_evaluation.py (voc_eval, voc_ap) with a stable sort.
// Sentinels: a class with npos = 0 has null AP and is left out of the means.

/// <summary>VOC's accumulation under one profile: the match records of each class into curves, APs and the means.</summary>
internal static class VocAccumulation
{
    /// <summary><c>np.finfo(np.float64).eps</c>, the floor of the precision denominator.</summary>
    public const double Epsilon = 2.220446049250313e-16;

    /// <summary>Matches and accumulates the dataset.</summary>
    public static VocResult Evaluate(Dataset dataset, EvaluationOptions options) => Accumulate(VocMatchStage.Match(dataset, options), options);

    /// <summary>The accumulation stage: per-class curves and APs, and the means.</summary>
    /// <param name="matches">The match stage's output.</param>
    /// <param name="options">Threads (the profile is the one the matches were made with).</param>
    /// <param name="imageWeights">How many times each image counts (indexed like <see cref="Dataset.Images"/>);
    /// empty for once each; weight 0 leaves an image out.</param>
    public static VocResult Accumulate(VocMatches matches, EvaluationOptions options, ReadOnlySpan<int> imageWeights = default)
    {
        Dataset dataset = matches.Dataset;
        if (!imageWeights.IsEmpty && imageWeights.Length != dataset.Images.Count)
        {
            throw new ArgumentException("One weight per image is needed.", nameof(imageWeights));
        }
        int[]? weights = imageWeights.IsEmpty ? null : imageWeights.ToArray();
        var perClass = new VocClassResult[dataset.Categories.Count];
        options.Progress?.Begin(WorkStage.AccumulatingVoc, perClass.Length);
        Parallel.For(0, perClass.Length, options.Parallelism, k =>
        {
            perClass[k] = EvaluateClass(matches, weights, k, options.Parallelism.MaxDegreeOfParallelism);
            options.Progress?.Advance(1);
        });
        return Summarize(matches.Settings, perClass);
    }

    private static VocClassResult EvaluateClass(VocMatches matches, int[]? weights, int k, int threads)
    {
        Dataset dataset = matches.Dataset;
        ReadOnlySpan<int> units = dataset.UnitsOfCategory(k);
        ReadOnlySpan<EvaluationUnit> unitTable = dataset.Units;
        int positives = 0, count = 0;
        foreach (int u in units)
        {
            int weight = weights?[unitTable[u].Image] ?? 1;
            positives += weight * matches.Positives(u);
            if (weight > 0) count += unitTable[u].DetectionCount;
        }
        // Rule: the class's detections in score order, equal scores in input order across images too.
        // Each unit's records are in that order already, so the class's order is a merge of the units' runs.
        var items = new RunMerge.Item[count];
        var runStarts = new List<int>(units.Length + 1);
        ReadOnlySpan<VocMatchRecord> all = matches.Records;
        int next = 0;
        foreach (int u in units)
        {
            if (weights is not null && weights[unitTable[u].Image] == 0) continue;
            runStarts.Add(next);
            // Each item names its record in the match stage's array, read back once the order is known.
            int first = matches.RecordStartOfUnit(u);
            ReadOnlySpan<VocMatchRecord> records = matches.RecordsOfUnit(u);
            for (int i = 0; i < records.Length; i++)
            {
                items[next++] = new RunMerge.Item(RunMerge.ScoreKey(records[i].Score), (uint)records[i].InputPosition, first + i);
            }
        }
        runStarts.Add(count);
        RunMerge.Item[] ordered = RunMerge.Merge(items, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(runStarts), threads);
        double[] scores = new double[count];
        var outcomes = new VocOutcome[count];
        int[]? recordWeights = weights is null ? null : new int[count];
        for (int i = 0; i < count; i++)
        {
            ref readonly VocMatchRecord r = ref all[ordered[i].Index];
            scores[i] = r.Score;
            outcomes[i] = r.Outcome;
            if (recordWeights is not null) recordWeights[i] = weights![r.Image];
        }
        return Score(dataset.Categories[k], scores, outcomes, recordWeights, positives);
    }

    /// <summary>
    /// The curve and APs of one class from its detections in accumulation order: their scores, outcomes and
    /// weights (null for 1 each). The curve keeps <paramref name="scores"/>.
    /// </summary>
    internal static VocClassResult Score(Category category, double[] scores, ReadOnlySpan<VocOutcome> outcomes, int[]? weights, int positives)
    {
        int n = scores.Length;
        double[] recall = new double[n], precision = new double[n], tpCurve = new double[n], fpCurve = new double[n];
        int tpCount = 0, fpCount = 0, ignored = 0;
        double tp = 0, fp = 0;
        for (int i = 0; i < n; i++)
        {
            int weight = weights?[i] ?? 1;
            switch (outcomes[i])
            {
                case VocOutcome.TruePositive: tp += weight; tpCount += weight; break;
                case VocOutcome.FalsePositive: fp += weight; fpCount += weight; break;
                default: ignored += weight; break;
            }
            // rec = tp / float(npos); prec = tp / np.maximum(tp + fp, eps)
            recall[i] = tp / positives;
            precision[i] = tp / Math.Max(tp + fp, Epsilon);
            tpCurve[i] = tp;
            fpCurve[i] = fp;
        }
        var curve = new PrecisionRecallCurve(recall, precision, scores) { TruePositives = tpCurve, FalsePositives = fpCurve };
        if (positives == 0)
        {
            return new VocClassResult(category, 0, tpCount + fpCount + ignored, tpCount, fpCount, ignored, null, null, null, null, curve);
        }
        return new VocClassResult(
            category, positives, tpCount + fpCount + ignored, tpCount, fpCount, ignored,
            VocAp.ElevenPoint(recall, precision),
            VocAp.AllPoint(recall, precision),
            n > 0 ? recall[^1] : 0.0,
            n > 0 ? precision[^1] : null,
            curve);
    }

    /// <summary>Rule: the means are numpy means over the classes with positives, in ascending category id.</summary>
    internal static VocResult Summarize(VocMatchSettings settings, VocClassResult[] perClass)
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
