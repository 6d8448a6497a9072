using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Eval.Metrics;

namespace DetectionEval.Eval.Pipeline;

// Merging partial results: checked, then accumulated once.
//
// Checks, each refused with one line (PartialResultException): the same format, settings and categories;
// shards of a file run: the same ground-truth fingerprint and predictions (by content: size and SHA-256), every shard of N present once;
// ranks of a training loop: no image in two partials. Then the ground truth is rebuilt from the partials'
// images and boxes (its fingerprint must be the one the shards name), every record's image is renumbered
// by its rank among all images, a rank's input positions follow those of the partials before it, the
// per-class ground-truth counts are added, and the low-memory run's accumulation (ShardedEvaluation)
// turns the records into results: the numbers of one run over every image, bit for bit. Asked for the error
// analysis, the merge rebuilds it from the partials' analysis records (PartialAnalysis.cs), the single run's
// analysis bit for bit.

/// <summary>How a merge reports: the options that only accumulation reads.</summary>
/// <param name="ScoreThreshold">The confidence at which to report precision and recall; null for none.</param>
/// <param name="Threads">Worker threads; null for all cores.</param>
/// <param name="Curves">
/// Keep the VOC precision-recall curves and the confidence curves (charts and the HTML report draw them), as
/// the in-memory run does; they take memory per detection.
/// </param>
public sealed record MergeOptions(double? ScoreThreshold = null, int? Threads = null, bool Curves = false)
{
    /// <summary>
    /// The error analysis, from the analysis records the partials keep (shards written with
    /// <c>deval evaluate --shard I/N --partial FILE --analysis</c>, <see cref="PartialResult.HasAnalysis"/>); null for none.
    /// It measures boxes; its TIDE settings must be the workers'.
    /// </summary>
    public AnalysisRequest? Analysis { get; init; }
}

internal static class PartialMerge
{
    public static EvaluationRun Merge(IReadOnlyList<PartialResult> partials, MergeOptions options) =>
        Merge(partials, options, null, p => (partials[p].RecordClasses, partials[p].Records, partials[p].ShapeMatches));

    /// <summary>
    /// Merges <paramref name="partials"/>, whose records <paramref name="recordsOf"/> gives one partial at a
    /// time (so that a merge of files holds one partial's records besides the accumulation's store).
    /// </summary>
    public static EvaluationRun Merge(
        IReadOnlyList<PartialResult> partials, MergeOptions options, IReadOnlyList<string>? names,
        Func<int, (int[] Classes, StoredMatch[] Records, IReadOnlyList<PartialShapeMatches> Shapes)> recordsOf)
    {
        if (partials.Count == 0) throw new PartialResultException("Expected at least one partial result, but got none.");
        string Name(int i) => names is not null ? names[i] : $"partial {i + 1} ({partials[i].Describe()})";
        CheckSameRun(partials, Name);
        if (partials[0].Shard is not null) CheckShardsComplete(partials, Name);
        if (options.Analysis is { } asked) PartialAnalysisMerge.Check(partials, asked, Name);

        (DatasetBuilder builder, Dataset groundTruth, int[][] imageIndices) = RebuildGroundTruth(partials, Name);
        if (partials[0].Shard is not null && GroundTruthFingerprint.Of(groundTruth) != partials[0].GroundTruthFingerprint)
        {
            throw new PartialResultException($"{Name(0)}: Expected shards whose images and boxes make the ground truth {partials[0].GroundTruthFingerprint}, but got {GroundTruthFingerprint.Of(groundTruth)}.");
        }

        PartialSettings settings = partials[0].Settings;
        PartialCounts first = partials[0].Counts;
        bool boxes = settings.IouTypes.Contains(IouType.Bbox);
        var store = new ClassMatchStore(groundTruth.Categories.Count, first.AreaRanges, boxes && settings.Metrics.HasFlag(MetricSet.Coco), boxes && settings.Metrics.HasFlag(MetricSet.Voc));
        ClassMatchStore[] shapeStores = [.. partials[0].ShapeMatches.Select(s => new ClassMatchStore(groundTruth.Categories.Count, s.AreaRanges, coco: true, voc: false))];
        long detections = 0, positionBase = 0;
        int overMaxDets = 0, unknown = 0;
        for (int p = 0; p < partials.Count; p++)
        {
            PartialResult partial = partials[p];
            PartialCounts counts = partial.Counts;
            for (int i = 0; i < counts.Countable.Length; i++) store.Countable[i] += counts.Countable[i];
            for (int k = 0; k < counts.Positives.Length; k++) store.Positives[k] += counts.Positives[k];
            int[] rankOf = [.. imageIndices[p].Select(groundTruth.ImageRank)];
            // A rank numbered its own detections; one evaluator fed the ranks in turn numbers them on.
            long offset = counts.SharedPredictions ? 0 : positionBase;
            (int[] classes, StoredMatch[] records, IReadOnlyList<PartialShapeMatches> shapes) = recordsOf(p);
            AddRenumbered(store, classes, records, rankOf, offset);
            for (int s = 0; s < shapeStores.Length; s++)
            {
                for (int i = 0; i < shapes[s].Countable.Length; i++) shapeStores[s].Countable[i] += shapes[s].Countable[i];
                AddRenumbered(shapeStores[s], shapes[s].Classes, shapes[s].Records, rankOf, offset);
            }
            detections += counts.Detections;
            positionBase += counts.Detections;
            overMaxDets += counts.DetectionsOverMaxDets;
            unknown = counts.SharedPredictions ? counts.DetectionsOfUnknownCategories : unknown + counts.DetectionsOfUnknownCategories;
        }

        EvaluationOptions evaluation = settings.ToOptions() with { ScoreThreshold = options.ScoreThreshold, Threads = options.Threads, ConfidenceCurves = options.Curves };
        evaluation.Validate();
        var matches = new ShardedMatches(groundTruth, store, detections, overMaxDets);
        EvaluationResult result = ShardedEvaluation.Accumulate(matches, evaluation, keepCurves: options.Curves);
        result = result with
        {
            Inputs = result.Inputs with { Detections = checked((int)detections + unknown), DetectionsOfUnknownCategories = unknown },
            IouTypes = settings.IouTypes,
        };
        for (int s = 0; s < shapeStores.Length; s++) result = WithShapeResult(result, partials[0].ShapeMatches[s].IouType, shapeStores[s], evaluation);
        if (options.Analysis is { } analysis)
        {
            EvaluationResult evaluated = result;
            result = result with { Analysis = PartialAnalysisMerge.Analyze(builder, partials, imageIndices, evaluated, analysis, evaluation) };
        }
        return new EvaluationRun(result, groundTruth, null, LowMemory: true, null, evaluation);
    }

    /// <summary>A partial's records added to <paramref name="store"/>: images renumbered by rank among all, input positions offset.</summary>
    private static void AddRenumbered(ClassMatchStore store, int[] classes, StoredMatch[] records, int[] rankOf, long offset)
    {
        for (int r = 0; r < records.Length; r++)
        {
            StoredMatch m = records[r];
            store.Add(classes[r], m.Renumbered(rankOf[m.ImageRank], checked((int)(m.InputPosition + offset))));
        }
    }

    /// <summary>The result with the mask or keypoint evaluation of <paramref name="store"/> (released on the way), as the single run summarises it.</summary>
    private static EvaluationResult WithShapeResult(EvaluationResult result, IouType iouType, ClassMatchStore store, EvaluationOptions options)
    {
        if (iouType == IouType.Keypoints)
        {
            CocoTables keypoints = ShardedEvaluation.AccumulateCocoTables(store, CocoParameters.KeypointMaxDetections, options);
            return result with
            {
                CocoKeypoints = new CocoKeypointResult([.. options.SigmasOrCoco], CocoAccumulation.SummarizeKeypoints(keypoints), CocoAccumulation.PerClassKeypoints(result.Categories, keypoints))
                {
                    Tables = keypoints,
                },
            };
        }
        CocoTables masks = ShardedEvaluation.AccumulateCocoTables(store, options.MaxDetections, options);
        return result with
        {
            CocoSegm = new CocoResult(options.MaxDetections, CocoAccumulation.Summarize(masks), CocoAccumulation.PerClass(result.Categories, masks)) { Tables = masks },
        };
    }

    /// <summary>Rule: partials merge only when they were matched alike, against the same classes, and are all shards or all ranks.</summary>
    private static void CheckSameRun(IReadOnlyList<PartialResult> partials, Func<int, string> name)
    {
        PartialResult first = partials[0];
        for (int i = 1; i < partials.Count; i++)
        {
            PartialResult p = partials[i];
            if (p.Settings.Hash != first.Settings.Hash)
            {
                throw new PartialResultException($"{name(i)}: Expected the settings of {name(0)} ({first.Settings.Describe()}), but got {p.Settings.Describe()}.");
            }
            if ((p.Shard is null) != (first.Shard is null))
            {
                throw new PartialResultException($"{name(i)}: Expected {(first.Shard is null ? "a rank's partial" : "a shard of a file run")} like {name(0)}, but got {p.Describe()}.");
            }
            if (first.Shard is not null && p.GroundTruthFingerprint != first.GroundTruthFingerprint)
            {
                throw new PartialResultException($"{name(i)}: Expected the ground truth of {name(0)} ({first.GroundTruthFingerprint}), but got {p.GroundTruthFingerprint}.");
            }
            if (first.Shard is not null && !SamePredictions(first, p))
            {
                throw new PartialResultException(
                    $"{name(i)}: Expected the predictions of {name(0)} ({DescribePredictions(first)}), but got {DescribePredictions(p)}; every shard must read the same predictions.");
            }
            if (!p.Categories.SequenceEqual(first.Categories))
            {
                throw new PartialResultException($"{name(i)}: Expected the {Counting.Of(first.Categories.Count, "category")} of {name(0)}, but got other categories ({Counting.Of(p.Categories.Count, "category")}).");
            }
        }
    }

    /// <summary>
    /// Rule: shards read the same predictions when their contents (each part's size and SHA-256) are equal,
    /// wherever each machine found them; the paths only name them in messages.
    /// </summary>
    private static bool SamePredictions(PartialResult a, PartialResult b) =>
        a.PredictionDigests is { } x && b.PredictionDigests is { } y && x.SequenceEqual(y);

    private static string DescribePredictions(PartialResult p) =>
        p.PredictionDigests is { } digests ? $"{p.PredictionsLabel}: {string.Join("; ", digests.Select(d => d.Describe()))}" : $"{p.PredictionsLabel}";

    /// <summary>Rule: the shards of a file run are 0 to N-1 of one N, each once.</summary>
    private static void CheckShardsComplete(IReadOnlyList<PartialResult> partials, Func<int, string> name)
    {
        int count = partials[0].Shard!.Value.Count;
        var seen = new int?[count];
        for (int i = 0; i < partials.Count; i++)
        {
            ImageShard shard = partials[i].Shard!.Value;
            if (shard.Count != count)
            {
                throw new PartialResultException($"{name(i)}: Expected a shard of {count} like {name(0)}, but got shard {shard}.");
            }
            if (seen[shard.Index] is int before)
            {
                throw new PartialResultException($"{name(i)}: Expected each shard once, but got shard {shard} twice (also {name(before)}).");
            }
            seen[shard.Index] = i;
        }
        int[] missing = [.. Enumerable.Range(0, count).Where(s => seen[s] is null)];
        if (missing.Length > 0)
        {
            string list = string.Join(", ", missing.Take(10).Select(s => new ImageShard(s, count).ToString())) + (missing.Length > 10 ? ", ..." : "");
            throw new PartialResultException($"Expected all {count} shards, but got {partials.Count}: missing {list}.");
        }
    }

    /// <summary>
    /// The ground truth of every partial's images as one dataset (with the file names the analysis records
    /// keep), its builder, and each partial's image indices in it. Refuses an image in two partials.
    /// </summary>
    private static (DatasetBuilder Builder, Dataset GroundTruth, int[][] ImageIndices) RebuildGroundTruth(IReadOnlyList<PartialResult> partials, Func<int, string> name)
    {
        var builder = new DatasetBuilder();
        int[] categoryIndices = new int[partials[0].Categories.Count];
        for (int k = 0; k < categoryIndices.Length; k++) builder.TryAddCategory(partials[0].Categories[k], out categoryIndices[k]);
        var owner = new Dictionary<RecordId, int>();
        int[][] imageIndices = new int[partials.Count][];
        long annotationId = 0;
        for (int p = 0; p < partials.Count; p++)
        {
            PartialResult partial = partials[p];
            imageIndices[p] = new int[partial.Images.Length];
            for (int i = 0; i < partial.Images.Length; i++)
            {
                RecordId id = partial.Images[i];
                if (!builder.TryAddImage(new ImageInfo(id, partial.Analysis?.Images[i].FileName), out imageIndices[p][i]))
                {
                    throw new PartialResultException(
                        $"{name(p)}: Expected images no other partial holds, but got image {id.Describe()}, also in {name(owner[id])}. Each image must be evaluated by one rank or shard only.");
                }
                owner[id] = p;
            }
            PartialGroundTruth gt = partial.GroundTruth;
            for (int row = 0; row < gt.Count; row++)
            {
                builder.AddGroundTruth(imageIndices[p][gt.Images[row]], categoryIndices[gt.Categories[row]], gt.Boxes[row], gt.Areas[row], gt.Flags[row], ++annotationId);
            }
        }
        return (builder, builder.Build(), imageIndices);
    }
}
