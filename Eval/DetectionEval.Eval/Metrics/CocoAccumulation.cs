using DetectionEval.Eval.Data;
using DetectionEval.Eval.Matches;
using DetectionEval.Matching.Coco;

namespace DetectionEval.Eval.Metrics;

// COCO bbox evaluation of a whole dataset, as pycocotools COCOeval evaluate() + accumulate() +
// summarize() computes it.
//
// Flow: the match stage (Matches/CocoMatchStage.cs) gives each unit's records; the records
// of each class are then ordered by (score descending, image rank ascending, input position ascending),
// which is exactly the order of pycocotools' stable sort over images concatenated in ascending id order;
// cumulative TP/FP give precision and recall at each IoU threshold, area range and maxDets; the summary
// means numpy's way over the entries that are not -1.
// Reference: cocodataset/cocoapi PythonAPI/pycocotools/cocoeval.py.
// Sentinels: -1 in the tables where a (class, area, maxDets) has no ground truth that counts.

/// <summary>COCO's accumulation: the match records of each class into tables, the summary and per-class values.</summary>
internal static class CocoAccumulation
{
    /// <summary>pycocotools' <c>np.spacing(1)</c>, added to the precision denominator.</summary>
    public const double Epsilon = 2.220446049250313e-16;

    /// <summary>Matches and accumulates the dataset.</summary>
    public static CocoResult Evaluate(Dataset dataset, EvaluationOptions options) => Accumulate(CocoMatchStage.Match(dataset, options), options);

    /// <summary>
    /// The accumulation stage: precision and recall tables, the summary and per-class values.
    /// </summary>
    /// <param name="matches">The match stage's output.</param>
    /// <param name="options">maxDets and threads.</param>
    /// <param name="imageWeights">How many times each image counts (indexed like <see cref="Dataset.Images"/>);
    /// empty for once each. An image drawn twice by a bootstrap counts twice; weight 0 leaves it out.</param>
    public static CocoResult Accumulate(CocoMatches matches, EvaluationOptions options, ReadOnlySpan<int> imageWeights = default)
    {
        CocoTables tables = AccumulateTables(matches, options, imageWeights);
        return new CocoResult(matches.MaxDetections ?? options.MaxDetections, Summarize(tables), PerClass(matches.Dataset.Categories, tables)) { Tables = tables };
    }

    /// <summary>The precision and recall tables of the matches, with the maxDets of their protocol.</summary>
    internal static CocoTables AccumulateTables(CocoMatches matches, EvaluationOptions options, ReadOnlySpan<int> imageWeights)
    {
        options.Validate();
        Dataset dataset = matches.Dataset;
        if (!imageWeights.IsEmpty && imageWeights.Length != dataset.Images.Count)
        {
            throw new ArgumentException("One weight per image is needed.", nameof(imageWeights));
        }
        int[]? weights = imageWeights.IsEmpty ? null : imageWeights.ToArray();
        IReadOnlyList<int> maxDetections = matches.MaxDetections ?? options.MaxDetections;
        int classes = dataset.Categories.Count;
        var tables = new CocoTables(CocoParameters.IouThresholds.Count, classes, matches.AreaRanges, maxDetections.Count);
        options.Progress?.Begin(WorkStage.AccumulatingCoco, classes);
        Parallel.For(0, classes, options.Parallelism, k =>
        {
            AccumulateClass(matches, maxDetections, weights, k, tables, options.Parallelism.MaxDegreeOfParallelism);
            options.Progress?.Advance(1);
        });
        return tables;
    }

    private static void AccumulateClass(CocoMatches matches, IReadOnlyList<int> maxDetections, int[]? weights, int k, CocoTables tables, int threads)
    {
        ReadOnlySpan<int> units = matches.Dataset.UnitsOfCategory(k);
        ReadOnlySpan<EvaluationUnit> unitTable = matches.Dataset.Units;
        ClassRecords records = GatherInAccumulationOrder(matches, units, weights, threads);
        int[] countable = new int[matches.AreaRanges];
        foreach (int u in units)
        {
            int weight = weights?[unitTable[u].Image] ?? 1;
            for (int a = 0; a < countable.Length; a++) countable[a] += weight * matches.CountableGroundTruth(u, a);
        }
        FillClassTables(records, countable, maxDetections, k, tables);
    }

    /// <summary>The table entries of class <paramref name="k"/> from its records in accumulation order and its countable ground truth per area range.</summary>
    internal static void FillClassTables(ClassRecords records, int[] countable, IReadOnlyList<int> maxDetections, int k, CocoTables tables)
    {
        int n = records.Outcomes.Length;
        uint[] packed = new uint[n];
        int[] packedWeights = new int[n];
        // A curve has a run per TP plus the opening run of zero TPs, so this bounds every threshold's runs.
        int withTruePositives = 0;
        foreach (CocoOutcome o in records.Outcomes) withTruePositives += o.TruePositives != 0 ? 1 : 0;
        var curves = new CurveRuns(tables.Thresholds, withTruePositives);
        for (int m = 0; m < maxDetections.Count; m++)
        {
            for (int a = 0; a < countable.Length; a++)
            {
                // Rule: without ground truth that counts, the class stays -1 in this setting.
                if (countable[a] == 0) continue;
                int kept = PackAreaRange(records, maxDetections[m], a, packed, packedWeights);
                FollowCurves(packed.AsSpan(0, kept), packedWeights.AsSpan(0, kept), countable[a], curves);
                for (int t = 0; t < tables.Thresholds; t++) FillPrecisionAndRecall(curves, t, kept, countable[a], tables, k, a, m);
            }
        }
    }

    /// <summary>One class's records in accumulation order, as the columns accumulation reads.</summary>
    internal sealed record ClassRecords(CocoOutcome[] Outcomes, int[] RankInUnit, int[] Weights);

    /// <summary>
    /// Rule: pycocotools concatenates each image's kept detections in ascending image id and stable-sorts
    /// them by score; ties therefore go by image id, then by input order within the image. Each unit's
    /// records are already in that order, so the class's order is a stable merge of the units' runs on the key
    /// (score descending, image rank): records of equal key share a unit, whose run holds them by input position.
    /// </summary>
    private static ClassRecords GatherInAccumulationOrder(CocoMatches matches, ReadOnlySpan<int> units, int[]? weights, int threads)
    {
        ReadOnlySpan<EvaluationUnit> unitTable = matches.Dataset.Units;
        int total = 0, runCount = 0;
        foreach (int u in units)
        {
            if (weights is not null && weights[unitTable[u].Image] == 0) continue;
            total += matches.RecordsOfUnit(u).Length;
            runCount++;
        }
        var items = new RunMerge.Item[total];
        int[] runStarts = new int[runCount + 1];
        ReadOnlySpan<CocoMatchRecord> all = matches.Records;
        int next = 0, run = 0;
        foreach (int u in units)
        {
            if (weights is not null && weights[unitTable[u].Image] == 0) continue;
            runStarts[run++] = next;
            // Each item names its record in the match stage's array, read back once the order is known.
            int first = matches.RecordStartOfUnit(u);
            ReadOnlySpan<CocoMatchRecord> records = matches.RecordsOfUnit(u);
            for (int i = 0; i < records.Length; i++)
            {
                CocoMatchRecord r = records[i];
                // The image rank is the second key; equal scores within one image keep the unit's own order,
                // which is by input position (the merge is stable).
                items[next++] = new RunMerge.Item(RunMerge.ScoreKey(r.Score), (uint)r.ImageRank, first + i);
            }
        }
        runStarts[runCount] = total;
        RunMerge.Item[] ordered = RunMerge.Merge(items, runStarts, threads);
        var outcomes = new CocoOutcome[total];
        int[] ranks = new int[total], weightColumn = new int[total];
        for (int i = 0; i < total; i++)
        {
            ref readonly CocoMatchRecord r = ref all[ordered[i].Index];
            outcomes[i] = r.Outcome;
            ranks[i] = r.RankInUnit;
            weightColumn[i] = weights?[r.Image] ?? 1;
        }
        return new ClassRecords(outcomes, ranks, weightColumn);
    }

    /// <summary>
    /// Rule: for maxDets m, only the first m detections (by score) of each (image, category) count. Packs
    /// the kept records' bits of area range <paramref name="a"/>: TP bits in the low 16, ignored bits in the
    /// high 16 (one bit per threshold).
    /// </summary>
    /// <returns>The number of kept records.</returns>
    private static int PackAreaRange(ClassRecords records, int maxDetections, int a, uint[] packed, int[] weights)
    {
        int shift = a * CocoOutcome.MaxThresholds;
        int kept = 0;
        for (int i = 0; i < records.Outcomes.Length; i++)
        {
            if (records.RankInUnit[i] >= maxDetections) continue;
            CocoOutcome o = records.Outcomes[i];
            packed[kept] = (uint)((o.TruePositives >> shift) & 0xFFFF) | ((uint)((o.Ignored >> shift) & 0xFFFF) << 16);
            weights[kept++] = records.Weights[i];
        }
        return kept;
    }

    /// <summary>
    /// Scratch for one class: per threshold, the recall and precision at the start of each run of equal TP
    /// count (layout [threshold][run], row length = records with any TP + 1), the number of runs, and the
    /// final counts.
    /// </summary>
    private sealed class CurveRuns(int thresholds, int truePositives)
    {
        public readonly int Stride = truePositives + 1;
        public readonly double[] Recall = new double[thresholds * (truePositives + 1)];
        public readonly double[] Precision = new double[thresholds * (truePositives + 1)];
        public readonly int[] Runs = new int[thresholds];
        public readonly double[] TruePositives = new double[thresholds];
        public readonly int Thresholds = thresholds;
    }

    /// <summary>
    /// Cumulative TP/FP in order, for every threshold in one pass: <c>rc = tp / G</c>,
    /// <c>pr = tp / ((fp + tp) + eps)</c>, kept only at the first entry of each run of equal TP count.
    /// </summary>
    /// <remarks>
    /// Within a run recall is constant and precision cannot rise (its denominator only grows), so the first
    /// index that reaches a recall point is a run's start, and the right-to-left maximum read there equals
    /// the maximum over the run starts that follow. Each kept value is computed with the reference's own
    /// operations on the same counts, so the table entries are the same doubles. A detection that is a false
    /// positive at every threshold (most are) only adds to a shared count; one ignored at every threshold
    /// changes nothing.
    /// </remarks>
    private static void FollowCurves(ReadOnlySpan<uint> packed, ReadOnlySpan<int> weights, int groundTruth, CurveRuns curves)
    {
        int thresholds = curves.Thresholds;
        uint allIgnored = ((1u << thresholds) - 1) << 16;
        Span<double> tp = curves.TruePositives;
        Span<double> fpOwn = stackalloc double[thresholds];
        tp.Clear();
        fpOwn.Clear();
        curves.Runs.AsSpan().Clear();
        double fpShared = 0;
        for (int i = 0; i < packed.Length; i++)
        {
            uint bits = packed[i];
            int weight = weights[i];
            if (bits == 0)
            {
                fpShared += weight;
            }
            else if (bits != allIgnored)
            {
                for (int t = 0; t < thresholds; t++)
                {
                    if ((bits & (1u << t)) != 0)
                    {
                        tp[t] += weight;
                        double fp = fpShared + fpOwn[t];
                        int run = curves.Runs[t]++;
                        curves.Recall[t * curves.Stride + run] = tp[t] / groundTruth;
                        curves.Precision[t * curves.Stride + run] = tp[t] / ((fp + tp[t]) + Epsilon);
                    }
                    else if ((bits & (1u << (t + 16))) == 0)
                    {
                        fpOwn[t] += weight;
                    }
                }
            }
            if (i == 0)
            {
                // The run of zero TPs, where the curve does not open with a TP: recall 0, precision 0.
                for (int t = 0; t < thresholds; t++)
                {
                    if (curves.Runs[t] != 0) continue;
                    curves.Recall[t * curves.Stride] = 0.0;
                    curves.Precision[t * curves.Stride] = 0.0;
                    curves.Runs[t] = 1;
                }
            }
        }
    }

    /// <summary>
    /// The table entries of one threshold: final recall; precision made non-increasing from the right;
    /// then, per recall point, the precision at the first index whose recall reaches it
    /// (<c>np.searchsorted(rc, recThrs, side='left')</c>), or 0 past the end.
    /// </summary>
    private static void FillPrecisionAndRecall(CurveRuns curves, int t, int records, int groundTruth, CocoTables tables, int k, int a, int m)
    {
        tables.RecallValues[tables.RecallIndex(t, k, a, m)] = records > 0 ? curves.TruePositives[t] / groundTruth : 0.0;
        int count = curves.Runs[t];
        Span<double> recall = curves.Recall.AsSpan(t * curves.Stride, count);
        Span<double> precision = curves.Precision.AsSpan(t * curves.Stride, count);
        for (int i = count - 1; i > 0; i--)
        {
            if (precision[i] > precision[i - 1]) precision[i - 1] = precision[i];
        }

        IReadOnlyList<double> points = CocoTables.RecallThresholds;
        int j = 0;
        for (int r = 0; r < points.Count; r++)
        {
            while (j < count && recall[j] < points[r]) j++;
            tables.PrecisionValues[tables.PrecisionIndex(t, r, k, a, m)] = j < count ? precision[j] : 0.0;
        }
    }

    /// <summary>
    /// The keypoint accumulation: the same tables as <see cref="Accumulate"/> (maxDets [20], area ranges all,
    /// medium, large), summarised as pycocotools' <c>summarizeKps</c>.
    /// </summary>
    public static CocoKeypointResult AccumulateKeypoints(CocoMatches matches, EvaluationOptions options)
    {
        CocoTables tables = AccumulateTables(matches, options, default);
        return new CocoKeypointResult([.. options.SigmasOrCoco], SummarizeKeypoints(tables), PerClassKeypoints(matches.Dataset.Categories, tables))
        {
            Tables = tables,
        };
    }

    /// <summary>The ten stats of <c>COCOeval.summarizeKps</c>: area ranges all (0), medium (1), large (2); maxDets 20 (m = 0).</summary>
    internal static CocoKeypointSummary SummarizeKeypoints(CocoTables tables)
    {
        const int All = 0, Medium = 1, Large = 2, M = 0;
        return new CocoKeypointSummary(
            MeanPrecision(tables, null, All, M),
            MeanPrecision(tables, CocoParameters.Iou50, All, M),
            MeanPrecision(tables, CocoParameters.Iou75, All, M),
            MeanPrecision(tables, null, Medium, M),
            MeanPrecision(tables, null, Large, M),
            MeanRecall(tables, All, M),
            MeanRecall(tables, All, M, threshold: CocoParameters.Iou50),
            MeanRecall(tables, All, M, threshold: CocoParameters.Iou75),
            MeanRecall(tables, Medium, M),
            MeanRecall(tables, Large, M));
    }

    internal static IReadOnlyList<CocoKeypointClassResult> PerClassKeypoints(IReadOnlyList<Category> categories, CocoTables tables)
    {
        const int All = 0, Medium = 1, Large = 2, M = 0;
        var results = new CocoKeypointClassResult[tables.Classes];
        for (int k = 0; k < tables.Classes; k++)
        {
            results[k] = new CocoKeypointClassResult(
                categories[k],
                MeanPrecision(tables, null, All, M, k),
                MeanPrecision(tables, CocoParameters.Iou50, All, M, k),
                MeanPrecision(tables, CocoParameters.Iou75, All, M, k),
                MeanPrecision(tables, null, Medium, M, k),
                MeanPrecision(tables, null, Large, M, k),
                MeanRecall(tables, All, M, k));
        }
        return results;
    }

    // ---- summary ----

    /// <summary>The twelve stats of <c>COCOeval.summarizeDets</c>.</summary>
    internal static CocoSummary Summarize(CocoTables tables)
    {
        int last = tables.MaxDetectionSettings - 1;
        const int All = CocoParameters.AllAreas;
        return new CocoSummary(
            MeanPrecision(tables, null, All, last),
            MeanPrecision(tables, CocoParameters.Iou50, All, last),
            MeanPrecision(tables, CocoParameters.Iou75, All, last),
            MeanPrecision(tables, null, 1, last),
            MeanPrecision(tables, null, 2, last),
            MeanPrecision(tables, null, 3, last),
            MeanRecall(tables, All, 0),
            MeanRecall(tables, All, 1),
            MeanRecall(tables, All, last),
            MeanRecall(tables, 1, last),
            MeanRecall(tables, 2, last),
            MeanRecall(tables, 3, last));
    }

    internal static IReadOnlyList<CocoClassResult> PerClass(IReadOnlyList<Category> categories, CocoTables tables)
    {
        int last = tables.MaxDetectionSettings - 1;
        const int All = CocoParameters.AllAreas;
        var results = new CocoClassResult[tables.Classes];
        for (int k = 0; k < tables.Classes; k++)
        {
            results[k] = new CocoClassResult(
                categories[k],
                MeanPrecision(tables, null, All, last, k),
                MeanPrecision(tables, CocoParameters.Iou50, All, last, k),
                MeanPrecision(tables, CocoParameters.Iou75, All, last, k),
                MeanPrecision(tables, null, 1, last, k),
                MeanPrecision(tables, null, 2, last, k),
                MeanPrecision(tables, null, 3, last, k),
                MeanRecall(tables, All, last, k));
        }
        return results;
    }

    /// <summary>
    /// Mean of the precision entries &gt; -1 over thresholds (one or all), recall points and classes (one
    /// or all), in pycocotools' row-major (t, r, k) order and numpy's summation order; null when none.
    /// </summary>
    private static double? MeanPrecision(CocoTables tables, int? threshold, int a, int m, int? onlyClass = null)
    {
        var selected = new List<double>();
        for (int t = threshold ?? 0; t <= (threshold ?? tables.Thresholds - 1); t++)
        {
            for (int r = 0; r < CocoTables.RecallPoints; r++)
            {
                for (int k = onlyClass ?? 0; k <= (onlyClass ?? tables.Classes - 1); k++)
                {
                    double p = tables.Precision(t, r, k, a, m);
                    if (p > -1) selected.Add(p);
                }
            }
        }
        return MeanOrNull(selected);
    }

    /// <summary>Mean of the recall entries &gt; -1 over all thresholds and classes (or one class), in (t, k) order.</summary>
    private static double? MeanRecall(CocoTables tables, int a, int m, int? onlyClass = null, int? threshold = null)
    {
        var selected = new List<double>();
        for (int t = threshold ?? 0; t <= (threshold ?? tables.Thresholds - 1); t++)
        {
            for (int k = onlyClass ?? 0; k <= (onlyClass ?? tables.Classes - 1); k++)
            {
                double r = tables.Recall(t, k, a, m);
                if (r > -1) selected.Add(r);
            }
        }
        return MeanOrNull(selected);
    }

    private static double? MeanOrNull(List<double> values) =>
        values.Count == 0 ? null : NumpySum.Mean(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values));
}
