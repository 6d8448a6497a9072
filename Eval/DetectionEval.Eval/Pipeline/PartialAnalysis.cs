using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Matches;
using DetectionEval.Matching;
using DetectionEval.Matching.Tide;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Pipeline;

// What a shard keeps for the error analysis (deval evaluate --shard I/N --partial FILE --analysis), and how a
// merge turns the shards' pieces back into the single run's analysis (../../docs/distributed.md).
//
// The analysis reads (ErrorAnalysis.cs): the VOC match records with each record's best ground truth and each
// detection's hits on other classes' ground truth (the confusion matrix and the worst images, taken at a
// confidence the merge decides: --score-threshold or the pooled best-F1), and TIDE's per-image records (its
// errors, data points and objects; its dAPs re-accumulate TIDE's AP over every image with the errors fixed).
// All of it is per image: a worker keeps, for each of its images,
//   its position in the ground-truth file (TIDE pushes images in that order, which breaks its score ties
//   and orders its mean) and file name (the worst images name it);
//   its VOC records unit by unit (class), each unit in score order: score, input position, outcome, the
//   best ground truth (index within the unit) and the cross-class hits (ground truth by index within the
//   image, VOC IoU);
//   its TIDE record: objects (class, matched) in TIDE's order, data points, errors with their fixes.
// The merge rebuilds a dataset of the partials' ground truth and of one row per VOC record (in unit order, so
// a record's row is its slot; no box: the analysis reads none), the VOC matches and overlaps over it, and
// TIDE's records in file order, then runs the single run's ErrorAnalyzer: the same analysis bit for bit.

/// <summary>One image of a partial, as the analysis needs it.</summary>
/// <param name="Order">Its index in the worker's ground truth (the file's order).</param>
/// <param name="FileName">Its file name, when the ground truth gives one.</param>
internal readonly record struct AnalysisImage(int Order, string? FileName);

/// <summary>One VOC record of a partial's image, in its unit's score order.</summary>
/// <param name="Image">The image (index into the partial's images).</param>
/// <param name="Class">Its class.</param>
/// <param name="Score">Its score.</param>
/// <param name="Position">Its input position.</param>
/// <param name="Outcome">TP, FP or ignored.</param>
/// <param name="Best">Its best overlap's ground truth, as an index within the unit; -1 when the unit has none.</param>
/// <param name="Hits">How many cross-class hits follow for it in the hits table.</param>
internal readonly record struct AnalysisVocRecord(int Image, int Class, double Score, int Position, VocOutcome Outcome, int Best, int Hits);

/// <summary>A detection's hit on a ground truth of another class of its image.</summary>
/// <param name="GroundTruth">The ground truth, as an index among its image's ground truth (the partial's row order).</param>
/// <param name="Iou">The VOC IoU.</param>
internal readonly record struct AnalysisHit(int GroundTruth, double Iou);

/// <summary>One of TIDE's objects (ground truth without flags) of an image, in TIDE's order.</summary>
internal readonly record struct TideObjectRow(int Image, TideObject Object);

/// <summary>One of TIDE's data points of an image, in its order.</summary>
internal readonly record struct TidePointRow(int Image, TidePoint Point);

/// <summary>One of TIDE's errors of an image, in its order.</summary>
internal readonly record struct TideErrorRow(int Image, TideError Error);

/// <summary>What a partial keeps for the error analysis; rows are grouped by image in ascending index.</summary>
internal sealed record PartialAnalysis(
    TideSettings Tide,
    AnalysisImage[] Images,
    AnalysisVocRecord[] Voc,
    AnalysisHit[] Hits,
    TideObjectRow[] Objects,
    TidePointRow[] Points,
    TideErrorRow[] Errors);

/// <summary>Collects a worker's analysis records group of images by group (ShardedEvaluation.Match).</summary>
internal sealed class PartialAnalysisCollector(AnalysisRequest request)
{
    private readonly SortedDictionary<int, ImageFacts> _images = [];

    /// <summary>An image's records while collecting; <see cref="AnalysisVocRecord.Image"/> is not set yet.</summary>
    private sealed record ImageFacts(List<AnalysisVocRecord> Voc, List<AnalysisHit> Hits, TideImageRecord Tide);

    /// <summary>What the VOC match stage must keep for the collector.</summary>
    public static VocOverlapsKept Overlaps => VocOverlapsKept.CrossClassHits;

    /// <summary>
    /// Keeps the records of the images of a matched group that <paramref name="keeps"/> accepts (by group index),
    /// after TIDE's match stage on the group.
    /// </summary>
    /// <param name="group">The group's dataset: some images of the ground truth.</param>
    /// <param name="indexOf">Each image of the group (group index) as an index into the ground truth.</param>
    /// <param name="voc">The group's VOC matches, with <see cref="Overlaps"/>.</param>
    /// <param name="parallelism">TIDE's images run in parallel.</param>
    /// <param name="keeps">Whether an image (group index) belongs to the worker.</param>
    public void Add(Dataset group, Func<int, int> indexOf, VocMatches voc, ParallelOptions parallelism, Func<int, bool> keeps)
    {
        VocOverlaps overlaps = voc.Overlaps ?? throw new ArgumentException("The analysis needs the cross-class hits of the match stage.", nameof(voc));
        TideMatches tide = TideMatchStage.Match(group, request.Tide, parallelism);
        int[] firstRow = FirstGroundTruthRowOfImages(group);
        ReadOnlySpan<EvaluationUnit> units = group.Units;
        for (int u = 0; u < units.Length; u++)
        {
            EvaluationUnit unit = units[u];
            if (!keeps(unit.Image)) continue;
            if (!_images.TryGetValue(indexOf(unit.Image), out ImageFacts? facts))
            {
                facts = new ImageFacts([], [], tide.Images[unit.Image]);
                _images.Add(indexOf(unit.Image), facts);
            }
            ReadOnlySpan<VocMatchRecord> records = voc.RecordsOfUnit(u);
            ReadOnlySpan<int> best = overlaps.BestGroundTruth.Slice(unit.DetectionStart, unit.DetectionCount);
            for (int i = 0; i < records.Length; i++)
            {
                ReadOnlySpan<int> hitRows = overlaps.HitRows(records[i].Row);
                ReadOnlySpan<double> hitIous = overlaps.HitIous(records[i].Row);
                facts.Voc.Add(new AnalysisVocRecord(0, unit.Category, records[i].Score, records[i].InputPosition, records[i].Outcome, best[i], hitRows.Length));
                for (int h = 0; h < hitRows.Length; h++) facts.Hits.Add(new AnalysisHit(hitRows[h] - firstRow[unit.Image], hitIous[h]));
            }
        }
    }

    /// <summary>The collected records of the partial's images, numbered as the partial numbers them.</summary>
    /// <param name="groundTruth">The worker's ground truth (every image, in the file's order).</param>
    /// <param name="images">The partial's images as ground-truth indices, in the partial's order.</param>
    public PartialAnalysis Build(Dataset groundTruth, IReadOnlyList<int> images)
    {
        var voc = new List<AnalysisVocRecord>();
        var hits = new List<AnalysisHit>();
        var objects = new List<TideObjectRow>();
        var points = new List<TidePointRow>();
        var errors = new List<TideErrorRow>();
        for (int local = 0; local < images.Count; local++)
        {
            if (!_images.TryGetValue(images[local], out ImageFacts? facts)) continue;
            foreach (AnalysisVocRecord record in facts.Voc) voc.Add(record with { Image = local });
            hits.AddRange(facts.Hits);
            TideImageRecord tide = facts.Tide;
            foreach (TideObject o in tide.Objects) objects.Add(new TideObjectRow(local, o));
            foreach (TidePoint p in tide.Points) points.Add(new TidePointRow(local, p));
            foreach (TideError e in tide.Errors) errors.Add(new TideErrorRow(local, e));
        }
        AnalysisImage[] kept = [.. images.Select(i => new AnalysisImage(i, groundTruth.Images[i].FileName))];
        return new PartialAnalysis(request.Tide, kept, [.. voc], [.. hits], [.. objects], [.. points], [.. errors]);
    }

    /// <summary>The first ground-truth row of each image of <paramref name="dataset"/> (rows are grouped by image).</summary>
    internal static int[] FirstGroundTruthRowOfImages(Dataset dataset)
    {
        ReadOnlySpan<int> rowImages = dataset.GroundTruth.Images;
        int[] first = new int[dataset.Images.Count + 1];
        foreach (int image in rowImages) first[image + 1]++;
        for (int i = 0; i < dataset.Images.Count; i++) first[i + 1] += first[i];
        return first;
    }
}

/// <summary>The merge's side: the single run's error analysis from the partials' analysis records.</summary>
internal static class PartialAnalysisMerge
{
    /// <summary>
    /// Rule: the analysis of a merge needs every partial's analysis records, taken with the TIDE settings asked
    /// for; partials keep what it reads of box matches, so it measures boxes (partials without bbox have none).
    /// </summary>
    public static void Check(IReadOnlyList<PartialResult> partials, AnalysisRequest request, Func<int, string> name)
    {
        if (request.Overlap != IouType.Bbox || !partials[0].Settings.IouTypes.Contains(IouType.Bbox))
        {
            string got = request.Overlap != IouType.Bbox ? "the analysis of masks" : $"partials of --iou-type {partials[0].Settings.IouTypeList}";
            throw new PartialResultException($"Expected the error analysis of boxes (a partial keeps what it reads of box matches), but got {got}; run it with 'deval evaluate --analysis' on one machine.");
        }
        for (int p = 0; p < partials.Count; p++)
        {
            if (partials[p].Analysis is not { } analysis)
            {
                throw new PartialResultException(
                    $"{name(p)}: Expected a partial that keeps the error analysis's records (deval evaluate --shard I/N --partial FILE --analysis), but got one without them.");
            }
            if (analysis.Tide != request.Tide)
            {
                throw new PartialResultException($"{name(p)}: Expected TIDE's settings {Describe(request.Tide)}, but got {Describe(analysis.Tide)}.");
            }
        }
    }

    private static string Describe(TideSettings tide) => FormattableString.Invariant(
        $"(foreground IoU {tide.ForegroundIou:R}, background IoU {tide.BackgroundIou:R}, {tide.MaxDetectionsPerImage} detections per image)");

    /// <summary>
    /// The analysis of the merged run: a dataset of the merged ground truth and one row per VOC record, the VOC
    /// matches and overlaps over it, TIDE's records in the file's image order, then the single run's analyzer.
    /// </summary>
    /// <param name="builder">The builder of the merged ground truth (images, in the partials' order, and boxes).</param>
    /// <param name="partials">The partials, each with its analysis records (<see cref="Check"/>).</param>
    /// <param name="imageIndices">Each partial's images as the builder numbered them.</param>
    /// <param name="result">The merged result, whose operating point sets the analysis confidence.</param>
    /// <param name="request">How many worst images to list.</param>
    /// <param name="options">The merge's options (its score threshold, threads).</param>
    public static ErrorAnalysis Analyze(
        DatasetBuilder builder, IReadOnlyList<PartialResult> partials, int[][] imageIndices, EvaluationResult result, AnalysisRequest request, EvaluationOptions options)
    {
        // Each partial lists its records by image, then class, then score order, and the builder numbered its
        // images after the previous partials'; the builder groups rows by image, then class, keeping the order
        // rows were added in, so each record's row is its slot in its unit.
        for (int p = 0; p < partials.Count; p++)
        {
            foreach (AnalysisVocRecord r in partials[p].Analysis!.Voc) builder.AddDetection(imageIndices[p][r.Image], r.Class, default, r.Score);
        }
        Dataset dataset = builder.Build();
        VocMatches voc = VocMatchesOf(dataset, partials, imageIndices, options);
        TideMatches tide = TideMatchesOf(dataset, partials, imageIndices, request.Tide);
        return EvaluationPipeline.Analyze(voc, tide, result, request, options);
    }

    private static VocMatches VocMatchesOf(Dataset dataset, IReadOnlyList<PartialResult> partials, int[][] imageIndices, EvaluationOptions options)
    {
        int n = dataset.Detections.Count;
        var records = new VocMatchRecord[n];
        int[] best = new int[n];
        int[] hitStart = new int[n + 1];
        var hitRows = new List<int>();
        var hitIous = new List<double>();
        int[] firstRow = PartialAnalysisCollector.FirstGroundTruthRowOfImages(dataset);
        int row = 0;
        for (int p = 0; p < partials.Count; p++)
        {
            PartialAnalysis analysis = partials[p].Analysis!;
            int hit = 0;
            foreach (AnalysisVocRecord r in analysis.Voc)
            {
                int image = imageIndices[p][r.Image];
                if (dataset.Detections.Images[row] != image || dataset.Detections.Categories[row] != r.Class) throw new InvalidOperationException("A merged analysis record left its unit.");
                records[row] = new VocMatchRecord(r.Score, image, row, r.Position, r.Outcome);
                best[row] = r.Best;
                for (int h = 0; h < r.Hits; h++, hit++)
                {
                    hitRows.Add(firstRow[image] + analysis.Hits[hit].GroundTruth);
                    hitIous.Add(analysis.Hits[hit].Iou);
                }
                hitStart[row + 1] = hitStart[row] + r.Hits;
                row++;
            }
        }
        ReadOnlySpan<EvaluationUnit> units = dataset.Units;
        int[] positives = new int[units.Length];
        for (int u = 0; u < units.Length; u++) positives[u] = VocMatcher.CountPositives(dataset.GroundTruth.Flags.Slice(units[u].GroundTruthStart, units[u].GroundTruthCount));
        return new VocMatches(dataset, options.Voc, records, positives, new VocOverlaps(best, hitStart, [.. hitRows], [.. hitIous]));
    }

    /// <summary>Rule: TIDE takes the images in the ground-truth file's order, as the single run does.</summary>
    private static TideMatches TideMatchesOf(Dataset dataset, IReadOnlyList<PartialResult> partials, int[][] imageIndices, TideSettings settings)
    {
        int images = dataset.Images.Count;
        var objects = new List<TideObject>[images];
        var points = new List<TidePoint>[images];
        var errors = new List<TideError>[images];
        int[] order = new int[images];
        for (int p = 0; p < partials.Count; p++)
        {
            PartialAnalysis analysis = partials[p].Analysis!;
            for (int i = 0; i < analysis.Images.Length; i++) order[imageIndices[p][i]] = analysis.Images[i].Order;
            foreach (TideObjectRow o in analysis.Objects) (objects[imageIndices[p][o.Image]] ??= []).Add(o.Object);
            foreach (TidePointRow t in analysis.Points) (points[imageIndices[p][t.Image]] ??= []).Add(t.Point);
            foreach (TideErrorRow e in analysis.Errors) (errors[imageIndices[p][e.Image]] ??= []).Add(e.Error);
        }
        TideImageRecord[] records = [.. Enumerable.Range(0, images)
            .OrderBy(i => order[i])
            .Select(i => objects[i] is null && points[i] is null && errors[i] is null
                ? TideImageRecord.Empty
                : new TideImageRecord(objects[i] ?? [], points[i] ?? [], errors[i] ?? []))];
        return new TideMatches(settings, dataset.Categories.Count, records);
    }
}
