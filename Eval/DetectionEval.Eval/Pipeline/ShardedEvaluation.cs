using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Pipeline;

// Bounded-memory evaluation: the same numbers as the in-memory run, for predictions too large
// to hold.
//
// Flow: the loader spills the detections to disk by image shard (DetectionSpill); each shard is read back
// with its images' ground truth as a small dataset, matched by the usual match stages (so every rule is
// the whole-dataset one: the shard keeps the images' global ranks and the detections' global input
// positions), and its records are kept as 32-byte stored matches grouped by class (ClassMatchStore);
// then each class is sorted in place into accumulation order (score, then the unique tie keys, so the
// order the whole-dataset merge gives), accumulated by the same code and released. What needs every
// detection at once is not kept: the VOC curves and the confidence curves are left empty (plots read
// them), and the pooled operating points come from a heap merge of the classes' score keys and steps (9
// bytes a detection, kept from each class's accumulation). Memory: about 32 bytes per detection and
// iou type plus one shard's dataset.
//
// Masks and keypoints: the spill keeps each detection's mask as run lengths and its keypoints, so a shard
// read back is the dataset the in-memory run matches for its images, masks decoded for that shard only.
// Each of segm and keypoints has its own store of COCO records (the bbox store's layout, no VOC), matched
// by the in-memory run's shape stage and accumulated by the same class accumulation with its maxDets.

/// <summary>The match stage of a spilled run: every shard matched, the records stored by class.</summary>
public sealed class ShardedMatches
{
    internal ShardedMatches(Dataset groundTruth, ClassMatchStore store, long detections, int detectionsOverMaxDets)
    {
        GroundTruth = groundTruth;
        Store = store;
        Detections = detections;
        DetectionsOverMaxDets = detectionsOverMaxDets;
    }

    /// <summary>The ground truth (no detections).</summary>
    public Dataset GroundTruth { get; }

    /// <summary>Detections matched.</summary>
    public long Detections { get; }

    /// <summary>Detections COCO left out, beyond the last maxDets value in their image and class (0 without COCO).</summary>
    public int DetectionsOverMaxDets { get; }

    internal ClassMatchStore Store { get; }

    /// <summary>The COCO segm records (no VOC); null when masks are not evaluated.</summary>
    internal ClassMatchStore? SegmStore { get; init; }

    /// <summary>The COCO keypoint records (no VOC); null when keypoints are not evaluated.</summary>
    internal ClassMatchStore? KeypointStore { get; init; }

    /// <summary>The iou types matched, as the result reports them.</summary>
    internal IReadOnlyList<IouType> IouTypes { get; init; } = [IouType.Bbox];

    /// <summary>Set once accumulated: accumulation lets go of the stored matches.</summary>
    internal bool Accumulated { get; set; }
}

/// <summary>Evaluates predictions spilled to disk (<see cref="DatasetBuilder.SpillDetectionsTo"/>) one image shard at a time.</summary>
internal static class ShardedEvaluation
{
    private static readonly PrecisionRecallCurve NoCurve = new([], [], []);

    /// <summary>Matches every shard of the builder's spill against <paramref name="groundTruth"/> (what the builder built).</summary>
    /// <param name="builder">The builder that spilled the detections.</param>
    /// <param name="groundTruth">The dataset the builder built: ground truth only.</param>
    /// <param name="options">Metrics, iou types, profile, maxDets, threads, engine, cancellation; its progress sink is told the detections of each shard matched.</param>
    /// <param name="groundTruthName">How a missing mask or keypoints of a ground truth names its file.</param>
    /// <param name="predictionsName">How a missing mask or keypoints of a detection names the predictions.</param>
    /// <param name="analysis">Also collects what the error analysis reads of the kept images (a worker of a distributed run); null for none.</param>
    /// <param name="keepUnits">Keep the ground truth that counts per unit too (<see cref="ClassMatchStore.Units"/>), as a partial does for the bootstrap.</param>
    /// <exception cref="IO.AnnotationFormatException">A ground truth or detection lacks what an iou type measures (the in-memory run's message).</exception>
    public static ShardedMatches Match(
        DatasetBuilder builder, Dataset groundTruth, EvaluationOptions options, string groundTruthName = "ground truth", string predictionsName = "predictions", PartialAnalysisCollector? analysis = null, bool keepUnits = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(groundTruth);
        options.Validate();
        DetectionSpill spill = builder.Spill ?? throw new ArgumentException("The builder does not spill its detections.", nameof(builder));
        if (CocoParameters.IouThresholds.Count > StoredMatch.Thresholds) throw new InvalidOperationException("More COCO thresholds than a stored match holds.");
        // As in memory: the box families only when bbox is an iou type; the detections over maxDets whenever COCO is asked for.
        bool countOverMaxDets = options.Metrics.HasFlag(MetricSet.Coco);
        bool coco = options.EvaluatesBoxes && countOverMaxDets, voc = options.EvaluatesBoxes && options.Metrics.HasFlag(MetricSet.Voc);
        bool segm = options.IouTypes.Contains(IouType.Segm), keypoints = options.IouTypes.Contains(IouType.Keypoints);
        int[] categoryIndices = builder.DatasetCategoryIndices();
        int classes = groundTruth.Categories.Count, areaRanges = new CocoMatcher(options.MaxDetections[^1]).AreaRangeCount;
        var store = new ClassMatchStore(classes, areaRanges, coco, voc, keepUnits);
        ClassMatchStore? segmStore = segm ? new ClassMatchStore(classes, areaRanges, coco: true, voc: false, keepUnits) : null;
        ClassMatchStore? keypointStore = keypoints
            ? new ClassMatchStore(classes, new CocoMatcher(CocoParameters.KeypointMaxDetections[^1], CocoParameters.IouThresholds, CocoParameters.KeypointAreaRanges).AreaRangeCount, coco: true, voc: false, keepUnits)
            : null;
        // The ground truth is checked once, first, as in memory; each shard's detections when it is read.
        foreach (IouType iouType in options.IouTypes) ShapeChecks.Require(groundTruth, iouType, options, groundTruthName, predictionsName);
        options.Progress?.Begin(WorkStage.MatchingShards, spill.Count);
        // The shards' own stages are steps of this one: the sink hears of whole shards only.
        EvaluationOptions perShard = options with { Progress = null };
        int overMaxDets = 0;
        for (int s = 0; s < spill.ShardCount; s++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            (int first, int count) = spill.ImagesOf(s);
            Dataset shard = DatasetBuilder.BuildShard(groundTruth, first, count, spill.ReadShard(s), categoryIndices);
            foreach (IouType iouType in options.IouTypes) ShapeChecks.Require(shard, iouType, options, groundTruthName, predictionsName);
            CocoMatches? cocoMatches = coco ? CocoMatchStage.Match(shard, perShard) : null;
            VocMatches? vocMatches = voc ? VocMatchStage.Match(shard, perShard, analysis is null ? VocOverlapsKept.None : PartialAnalysisCollector.Overlaps) : null;
            Func<int, bool> keeps = image => spill.Keeps(first + image);
            StoreShard(shard, cocoMatches, vocMatches, store, keeps);
            if (segmStore is not null) StoreShard(shard, CocoShapeMatchStage.Match(shard, perShard, IouType.Segm), null, segmStore, keeps);
            if (keypointStore is not null) StoreShard(shard, CocoShapeMatchStage.Match(shard, perShard, IouType.Keypoints), null, keypointStore, keeps);
            if (analysis is not null) analysis.Add(shard, image => first + image, vocMatches!, perShard.Parallelism, keeps);
            // A shard holds whole images, so its (image, class) units are the whole dataset's.
            if (countOverMaxDets) overMaxDets += DatasetSummary.DetectionsOverCap(shard, options.MaxDetections[^1]);
            options.Progress?.Advance(shard.Detections.Count);
        }
        return new ShardedMatches(groundTruth, store, spill.StoredCount, overMaxDets)
        {
            SegmStore = segmStore,
            KeypointStore = keypointStore,
            IouTypes = options.IouTypes,
        };
    }

    /// <summary>
    /// Keeps a matched shard's records by class: per detection of each unit, its VOC and COCO results
    /// together. Units of images <paramref name="keeps"/> turns down (those of other workers' shards, whose
    /// detections were not spilled) count no ground truth.
    /// </summary>
    internal static void StoreShard(Dataset shard, CocoMatches? coco, VocMatches? voc, ClassMatchStore store, Func<int, bool> keeps)
    {
        ReadOnlySpan<EvaluationUnit> units = shard.Units;
        Span<int> countable = stackalloc int[store.AreaRanges];
        for (int u = 0; u < units.Length; u++)
        {
            if (!keeps(units[u].Image)) continue;
            int k = units[u].Category;
            for (int a = 0; coco is not null && a < store.AreaRanges; a++) countable[a] = coco.CountableGroundTruth(u, a);
            for (int a = 0; a < store.AreaRanges; a++) store.Countable[k * store.AreaRanges + a] += countable[a];
            int positives = voc is null ? 0 : voc.Positives(u);
            store.Positives[k] += positives;
            store.Units?.Add(shard.ImageRank(units[u].Image), k, countable, positives);
            ReadOnlySpan<CocoMatchRecord> cocoRecords = coco is null ? [] : coco.RecordsOfUnit(u);
            ReadOnlySpan<VocMatchRecord> vocRecords = voc is null ? [] : voc.RecordsOfUnit(u);
            int imageRank = shard.ImageRank(units[u].Image);
            int n = voc is null ? cocoRecords.Length : vocRecords.Length;
            for (int i = 0; i < n; i++)
            {
                bool kept = i < cocoRecords.Length;
                double score = voc is null ? cocoRecords[i].Score : vocRecords[i].Score;
                int position = voc is null ? cocoRecords[i].InputPosition : vocRecords[i].InputPosition;
                // Rule: both metrics order a unit by score, then input order; the stored match relies on it.
                if (kept && cocoRecords[i].InputPosition != position) throw new InvalidOperationException("COCO and VOC ordered a unit differently.");
                store.Add(k, new StoredMatch(
                    score, imageRank, position, kept ? cocoRecords[i].RankInUnit : StoredMatch.NoCocoRecord,
                    kept ? cocoRecords[i].Outcome : default, voc is null ? null : vocRecords[i].Outcome));
            }
        }
    }

    /// <summary>
    /// Accumulates every class, releasing its stored matches as it goes, and gives the result
    /// the in-memory run of <see cref="Pipeline.EvaluationPipeline"/> gives for the same inputs, without curves
    /// unless <paramref name="keepCurves"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The matches were accumulated already (they are let go of on the way).</exception>
    /// <param name="matches">The stored matches (released on the way).</param>
    /// <param name="options">Threads, the reported score threshold, whether to draw confidence curves.</param>
    /// <param name="keepCurves">
    /// Keep each class's VOC precision-recall curve and compute the operating points from the curves, as the
    /// in-memory run does (a merge that draws charts): memory per detection for the curves, the same numbers.
    /// </param>
    public static EvaluationResult Accumulate(ShardedMatches matches, EvaluationOptions options, bool keepCurves = false)
    {
        ArgumentNullException.ThrowIfNull(matches);
        options.Validate();
        if (matches.Accumulated) throw new InvalidOperationException("These matches were accumulated already; match the spill again.");
        matches.Accumulated = true;
        ClassMatchStore store = matches.Store;
        IReadOnlyList<Category> categories = matches.GroundTruth.Categories;
        int classes = categories.Count;
        CocoTables? tables = store.HasCoco
            ? new CocoTables(CocoParameters.IouThresholds.Count, classes, store.AreaRanges, options.MaxDetections.Count)
            : null;
        var vocClasses = new VocClassResult[classes];
        var points = new ClassOperatingPoints[classes];
        var classSteps = new ClassSteps[classes];

        // Smallest classes first: the largest, whose scratch is largest, run last, when little of the store is left.
        int[] bySize = [.. Enumerable.Range(0, classes).OrderBy(store.CountOf).ThenBy(k => k)];
        ClassMatchStore[] shapeStores = [.. new[] { matches.SegmStore, matches.KeypointStore }.OfType<ClassMatchStore>()];
        // Counted in detections, not classes: the largest classes, last, take most of the time.
        options.Progress?.Begin(WorkStage.AccumulatingShards, bySize.Sum(k => (long)store.CountOf(k)) + shapeStores.Sum(s => Enumerable.Range(0, classes).Sum(k => (long)s.CountOf(k))));
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(bySize, loadBalance: true), options.Parallelism, k =>
        {
            StoredMatch[] stored = store.Release(k);
            int size = stored.Length;
            ulong[] keys = new ulong[stored.Length];
            if (tables is not null) AccumulateCocoClass(stored, keys, store, options.MaxDetections, k, tables);
            if (store.HasVoc)
            {
                (double[] scores, VocOutcome[] outcomes) = InVocOrder(stored, keys);
                stored = [];
                VocClassResult result = VocAccumulation.Score(categories[k], scores, outcomes, null, store.Positives[k]);
                if (keepCurves)
                {
                    vocClasses[k] = result;
                }
                else
                {
                    points[k] = OperatingPointAnalysis.ForClass(result, options.ScoreThreshold, keepCurve: false);
                    classSteps[k] = ClassSteps.FromCurve(result.Curve)!;
                    vocClasses[k] = result with { Curve = NoCurve };
                }
            }
            options.Progress?.Advance(size);
        });

        CocoResult? coco = tables is null
            ? null
            : new CocoResult(options.MaxDetections, CocoAccumulation.Summarize(tables), CocoAccumulation.PerClass(categories, tables)) { Tables = tables };
        CocoResult? segm = null;
        if (matches.SegmStore is { } segmStore)
        {
            CocoTables segmTables = AccumulateCocoStore(segmStore, options.MaxDetections, options);
            segm = new CocoResult(options.MaxDetections, CocoAccumulation.Summarize(segmTables), CocoAccumulation.PerClass(categories, segmTables)) { Tables = segmTables };
        }
        CocoKeypointResult? keypoints = null;
        if (matches.KeypointStore is { } keypointStore)
        {
            CocoTables keypointTables = AccumulateCocoStore(keypointStore, CocoParameters.KeypointMaxDetections, options);
            keypoints = new CocoKeypointResult([.. options.SigmasOrCoco], CocoAccumulation.SummarizeKeypoints(keypointTables), CocoAccumulation.PerClassKeypoints(categories, keypointTables))
            {
                Tables = keypointTables,
            };
        }
        VocResult? voc = store.HasVoc ? VocAccumulation.Summarize(options.Voc, vocClasses) : null;
        OperatingPoints? operatingPoints = null;
        if (voc is not null && keepCurves)
        {
            // The in-memory run's operating points, from the same curves.
            operatingPoints = OperatingPointAnalysis.Compute(voc, options.ScoreThreshold, options.ConfidenceCurves, options.Parallelism);
        }
        else if (voc is not null)
        {
            double positives = 0;
            foreach (VocClassResult c in voc.PerClass) positives += c.Positives;
            operatingPoints = OperatingPointAnalysis.PooledFromClassSteps(classSteps, positives, options.ScoreThreshold, points);
        }
        DatasetSummary summary = DatasetSummary.Of(matches.GroundTruth) with
        {
            Detections = checked((int)matches.Detections) + matches.GroundTruth.DetectionsOfUnknownCategories,
            DetectionsOverMaxDets = matches.DetectionsOverMaxDets,
        };
        return new EvaluationResult(summary, categories, coco, voc)
        {
            OperatingPoints = operatingPoints,
            IouTypes = matches.IouTypes,
            CocoSegm = segm,
            CocoKeypoints = keypoints,
        };
    }

    /// <summary>The COCO tables of a store of COCO records alone (segm or keypoints), each class released once accumulated.</summary>
    private static CocoTables AccumulateCocoStore(ClassMatchStore store, IReadOnlyList<int> maxDetections, EvaluationOptions options)
    {
        int classes = store.Classes;
        var tables = new CocoTables(CocoParameters.IouThresholds.Count, classes, store.AreaRanges, maxDetections.Count);
        int[] bySize = [.. Enumerable.Range(0, classes).OrderBy(store.CountOf).ThenBy(k => k)];
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(bySize, loadBalance: true), options.Parallelism, k =>
        {
            StoredMatch[] stored = store.Release(k);
            AccumulateCocoClass(stored, new ulong[stored.Length], store, maxDetections, k, tables);
            options.Progress?.Advance(stored.Length);
        });
        return tables;
    }

    /// <summary>
    /// COCO's tables from a store of one iou type's COCO records (a merge's masks or keypoints), every class
    /// accumulated and released as <see cref="Accumulate"/> does it.
    /// </summary>
    /// <param name="store">The stored matches (released on the way).</param>
    /// <param name="maxDetections">The iou type's maxDets values.</param>
    /// <param name="options">Threads.</param>
    internal static CocoTables AccumulateCocoTables(ClassMatchStore store, IReadOnlyList<int> maxDetections, EvaluationOptions options)
    {
        var tables = new CocoTables(CocoParameters.IouThresholds.Count, store.Classes, store.AreaRanges, maxDetections.Count);
        Parallel.For(0, store.Classes, options.Parallelism, k =>
        {
            StoredMatch[] stored = store.Release(k);
            AccumulateCocoClass(stored, new ulong[stored.Length], store, maxDetections, k, tables);
        });
        return tables;
    }

    /// <summary>A class's COCO records in accumulation order, accumulated into the tables.</summary>
    private static void AccumulateCocoClass(StoredMatch[] stored, ulong[] keys, ClassMatchStore store, IReadOnlyList<int> maxDetections, int k, CocoTables tables)
    {
        // Rule: score descending, then image rank, then input position (the order of pycocotools' stable sort).
        SortByScoreThen(stored, keys, m => ((ulong)(uint)m.ImageRank << 32) | (uint)m.InputPosition);
        int n = 0;
        foreach (StoredMatch m in stored) n += m.RankInUnit != StoredMatch.NoCocoRecord ? 1 : 0;
        var outcomes = new CocoOutcome[n];
        int[] ranks = new int[n], weights = new int[n];
        int next = 0;
        foreach (StoredMatch m in stored)
        {
            if (m.RankInUnit == StoredMatch.NoCocoRecord) continue;
            outcomes[next] = m.Coco;
            ranks[next] = m.RankInUnit;
            weights[next++] = 1;
        }
        int[] countable = store.Countable.AsSpan(k * store.AreaRanges, store.AreaRanges).ToArray();
        CocoAccumulation.FillClassTables(new CocoAccumulation.ClassRecords(outcomes, ranks, weights), countable, maxDetections, k, tables);
    }

    /// <summary>A class's VOC records in accumulation order: score descending, then input position (<paramref name="keys"/> is scratch).</summary>
    private static (double[] Scores, VocOutcome[] Outcomes) InVocOrder(StoredMatch[] stored, ulong[] keys)
    {
        SortByScoreThen(stored, keys, m => (uint)m.InputPosition);
        double[] scores = new double[stored.Length];
        var outcomes = new VocOutcome[stored.Length];
        for (int i = 0; i < stored.Length; i++)
        {
            scores[i] = stored[i].Score;
            outcomes[i] = stored[i].Voc;
        }
        return (scores, outcomes);
    }

    /// <summary>
    /// Sorts in place by score descending, then by <paramref name="tieKey"/> ascending (unique within the
    /// class, so the order is the one the whole-dataset merge gives): a sort on the score keys, then a sort
    /// of each run of equal scores. <paramref name="keys"/> holds the score keys in the final order.
    /// </summary>
    private static void SortByScoreThen(StoredMatch[] stored, ulong[] keys, Func<StoredMatch, ulong> tieKey)
    {
        for (int i = 0; i < stored.Length; i++) keys[i] = RunMerge.ScoreKey(stored[i].Score);
        keys.AsSpan(0, stored.Length).Sort(stored.AsSpan());
        int start = 0;
        for (int i = 1; i <= stored.Length; i++)
        {
            if (i < stored.Length && keys[i] == keys[start]) continue;
            if (i - start > 1) stored.AsSpan(start, i - start).Sort((x, y) => tieKey(x).CompareTo(tieKey(y)));
            start = i;
        }
    }
}
