using DetectionEval.Eval.Data;
using DetectionEval.Matching;
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

/// <summary>One detection after VOC matching.</summary>
/// <param name="Score">Its score.</param>
/// <param name="Image">Its image index in the dataset.</param>
/// <param name="Row">Its row in <see cref="Dataset.Detections"/>.</param>
/// <param name="InputPosition">Its position in the input, which breaks ties.</param>
/// <param name="Outcome">TP, FP or ignored.</param>
public readonly record struct VocMatchRecord(double Score, int Image, int Row, int InputPosition, VocOutcome Outcome);

/// <summary>
/// The VOC match stage of a dataset under one profile: each unit's detections (in score order) and its
/// number of positives. Accumulation reads only this.
/// </summary>
public sealed class VocMatches
{
    private readonly VocMatchRecord[] _records;
    private readonly int[] _positives;

    internal VocMatches(Dataset dataset, VocMatchSettings settings, VocMatchRecord[] records, int[] positives)
    {
        Dataset = dataset;
        Settings = settings;
        _records = records;
        _positives = positives;
    }

    /// <summary>The matched dataset.</summary>
    public Dataset Dataset { get; }

    /// <summary>The profile the detections were matched under.</summary>
    public VocMatchSettings Settings { get; }

    /// <summary>All records, grouped by unit like the dataset's detection rows.</summary>
    public ReadOnlySpan<VocMatchRecord> Records => _records;

    /// <summary>The records of unit <paramref name="unit"/>, in score order.</summary>
    public ReadOnlySpan<VocMatchRecord> RecordsOfUnit(int unit)
    {
        EvaluationUnit u = Dataset.Units[unit];
        return _records.AsSpan(u.DetectionStart, u.DetectionCount);
    }

    /// <summary>Non-difficult ground truths of unit <paramref name="unit"/>.</summary>
    public int Positives(int unit) => _positives[unit];
}

/// <summary>VOC evaluation of a dataset under one profile.</summary>
public static class VocEvaluation
{
    /// <summary><c>np.finfo(np.float64).eps</c>, the floor of the precision denominator.</summary>
    public const double Epsilon = 2.220446049250313e-16;

    /// <summary>Matches and accumulates the dataset.</summary>
    public static VocResult Evaluate(Dataset dataset, EvaluationOptions options) => Accumulate(Match(dataset, options), options);

    /// <summary>The match stage: every unit matched on its own, in parallel, with identical results for any thread count.</summary>
    public static VocMatches Match(Dataset dataset, EvaluationOptions options)
    {
        options.Validate();
        var matcher = new VocMatcher(options.Voc);
        options.Progress?.Begin(WorkStage.MatchingVoc, dataset.Units.Length);
        if (options.Engine is { } engine) return MatchWithEngine(dataset, options, matcher, engine);
        EvaluationUnit[] units = dataset.Units.ToArray();
        var records = new VocMatchRecord[dataset.Detections.Count];
        int[] positives = new int[units.Length];
        IProgressSink? progress = options.Progress;
        Parallel.For(
            0,
            units.Length,
            options.Parallelism,
            () => new UnitScratch(),
            (u, _, scratch) =>
            {
                positives[u] = MatchUnit(dataset, units[u], matcher, scratch, records.AsSpan(units[u].DetectionStart, units[u].DetectionCount));
                ProgressBatch.CountOne(progress, ref scratch.Finished);
                return scratch;
            },
            scratch => ProgressBatch.Flush(progress, scratch.Finished));
        return new VocMatches(dataset, options.Voc, records, positives);
    }

    private sealed class UnitScratch
    {
        public readonly VocMatchScratch Matcher = new();
        public VocDetectionOutcome[] Outcomes = new VocDetectionOutcome[128];

        /// <summary>Units this thread finished and has not yet told the progress sink.</summary>
        public int Finished;
    }

    private static int MatchUnit(Dataset dataset, EvaluationUnit unit, VocMatcher matcher, UnitScratch scratch, Span<VocMatchRecord> records)
    {
        VocUnit input = MatcherInput(dataset, unit);
        if (scratch.Outcomes.Length < unit.DetectionCount) scratch.Outcomes = new VocDetectionOutcome[unit.DetectionCount * 2];
        int positives = matcher.Match(input, scratch.Outcomes, scratch.Matcher);
        WriteRecords(dataset, unit, scratch.Outcomes, records);
        return positives;
    }

    /// <summary>A unit's ground truth and detections as the VOC matcher reads them (views into the dataset's tables).</summary>
    internal static VocUnit MatcherInput(Dataset dataset, EvaluationUnit unit)
    {
        GroundTruthTable gt = dataset.GroundTruth;
        DetectionTable dt = dataset.Detections;
        return new VocUnit(
            gt.Boxes.Slice(unit.GroundTruthStart, unit.GroundTruthCount),
            gt.Flags.Slice(unit.GroundTruthStart, unit.GroundTruthCount),
            dt.Boxes.Slice(unit.DetectionStart, unit.DetectionCount),
            dt.Scores.Slice(unit.DetectionStart, unit.DetectionCount));
    }

    /// <summary>
    /// The unit matched as the evaluation matches it, with each detection's best ground truth, both in score
    /// order: for the analyses, which need to know which ground truth a true positive took.
    /// </summary>
    internal static (VocDetectionOutcome[] Outcomes, BestOverlap[] Best) MatchWithOverlaps(VocMatcher matcher, VocUnit input, VocMatchScratch scratch)
    {
        int[] order = new int[input.Detections.Length];
        ScoreOrder.SortByScoreDescending(input.Scores, order);
        var best = new BestOverlap[order.Length];
        VocMatcher.FindBestOverlaps(input, order, matcher.Settings.PixelOffset, best);
        var outcomes = new VocDetectionOutcome[order.Length];
        matcher.Assign(input.GroundTruthFlags, order, best, outcomes, scratch);
        return (outcomes, best);
    }

    private static void WriteRecords(Dataset dataset, EvaluationUnit unit, ReadOnlySpan<VocDetectionOutcome> outcomes, Span<VocMatchRecord> records)
    {
        DetectionTable dt = dataset.Detections;
        for (int i = 0; i < unit.DetectionCount; i++)
        {
            VocDetectionOutcome outcome = outcomes[i];
            int row = unit.DetectionStart + outcome.Detection;
            records[i] = new VocMatchRecord(dt.Scores[row], unit.Image, row, dt.InputPositions[row], outcome.Outcome);
        }
    }

    /// <summary>
    /// The match stage with an engine: every unit's score order first (CPU, parallel), then the engine's
    /// best overlap of every detection in one call, then the assignment per unit (CPU, parallel).
    /// </summary>
    private static VocMatches MatchWithEngine(Dataset dataset, EvaluationOptions options, VocMatcher matcher, IOverlapEngine engine)
    {
        EvaluationUnit[] units = dataset.Units.ToArray();
        DetectionTable dt = dataset.Detections;
        int[] order = new int[dt.Count];
        var slotBoxes = new Box[dt.Count];
        Parallel.For(0, units.Length, options.Parallelism, u =>
        {
            EvaluationUnit unit = units[u];
            Span<int> unitOrder = order.AsSpan(unit.DetectionStart, unit.DetectionCount);
            // Rule: detections are visited by score, descending; equal scores keep their input order.
            ScoreOrder.SortByScoreDescending(dt.Scores.Slice(unit.DetectionStart, unit.DetectionCount), unitOrder);
            for (int i = 0; i < unitOrder.Length; i++) slotBoxes[unit.DetectionStart + i] = dt.Boxes[unit.DetectionStart + unitOrder[i]];
        });

        var best = new BestOverlap[dt.Count];
        EngineUnits layout = EngineUnits.Of(dataset, units, u => units[u].DetectionStart, dt.Count);
        engine.FindBestOverlaps(layout.Describe(slotBoxes), options.Voc.PixelOffset, best);

        var records = new VocMatchRecord[dt.Count];
        int[] positives = new int[units.Length];
        IProgressSink? progress = options.Progress;
        Parallel.For(
            0,
            units.Length,
            options.Parallelism,
            () => new UnitScratch(),
            (u, _, scratch) =>
            {
                EvaluationUnit unit = units[u];
                ReadOnlySpan<GroundTruthFlags> flags = dataset.GroundTruth.Flags.Slice(unit.GroundTruthStart, unit.GroundTruthCount);
                if (scratch.Outcomes.Length < unit.DetectionCount) scratch.Outcomes = new VocDetectionOutcome[unit.DetectionCount * 2];
                matcher.Assign(flags, order.AsSpan(unit.DetectionStart, unit.DetectionCount), best.AsSpan(unit.DetectionStart, unit.DetectionCount), scratch.Outcomes, scratch.Matcher);
                positives[u] = VocMatcher.CountPositives(flags);
                WriteRecords(dataset, unit, scratch.Outcomes, records.AsSpan(unit.DetectionStart, unit.DetectionCount));
                // The units are counted as their assignment ends, the last of the engine path's three steps.
                ProgressBatch.CountOne(progress, ref scratch.Finished);
                return scratch;
            },
            scratch => ProgressBatch.Flush(progress, scratch.Finished));
        return new VocMatches(dataset, options.Voc, records, positives);
    }

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
        var records = new VocMatchRecord[count];
        ulong[] primary = new ulong[count], secondary = new ulong[count];
        var runStarts = new List<int>(units.Length + 1);
        int next = 0;
        foreach (int u in units)
        {
            if (weights is not null && weights[unitTable[u].Image] == 0) continue;
            runStarts.Add(next);
            foreach (VocMatchRecord r in matches.RecordsOfUnit(u))
            {
                primary[next] = RunMerge.ScoreKey(r.Score);
                secondary[next] = (uint)r.InputPosition;
                records[next++] = r;
            }
        }
        runStarts.Add(count);
        int[] order = RunMerge.Merge(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(runStarts), primary, secondary, threads);
        double[] scores = new double[count];
        var outcomes = new VocOutcome[count];
        int[]? recordWeights = weights is null ? null : new int[count];
        for (int i = 0; i < count; i++)
        {
            VocMatchRecord r = records[order[i]];
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
