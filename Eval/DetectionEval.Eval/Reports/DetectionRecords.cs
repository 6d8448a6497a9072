using DetectionEval.Eval.Data;
using DetectionEval.Eval.Matches;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;
using Parquet;
using Parquet.Schema;

namespace DetectionEval.Eval.Reports;

// The open records of a run (`deval evaluate --records FILE.parquet`): one Parquet row per detection
// evaluated and iou type, in input order (all the detections of the first iou type asked for, then of the
// next), with what each metric made of it, for slicing results in DuckDB or pandas.
//
// Columns (docs/distributed.md#open-records): image_id (int64; null for a string id), image (utf8: the id as
// text), category_id (int64), category (utf8), score (float64), position (int32: input order among the
// detections of known categories), coco_rank (int32: place in its image and class by score; null beyond the
// last maxDets or without COCO), coco_iou50 ... coco_iou95 (utf8 "tp", "fp" or "ignored" at area "all", on
// the row's overlap: box IoU, mask IoU or OKS; null when COCO left the detection out), coco_gt_id50 ...
// coco_gt_id95 (int64: the annotation id of the ground truth it matched at that threshold, area "all", a
// crowd region or ignored one included; null when none or a string id), voc ("tp", "fp" or "ignored"; null
// without VOC and on segm and keypoints rows), voc_gt_id (int64: the annotation id of the ground truth of the
// detection's class with its best overlap, the one a true positive took; null when the image has none of its
// class, the id is a string, or the row is not a bbox row), voc_iou_threshold (float64, the run's VOC
// threshold), iou_type (utf8: "bbox", "segm" or "keypoints", which overlap the COCO columns are of). Row
// groups of a million rows.

/// <summary>Writes a run's detections with their COCO and VOC outcomes as a Parquet table.</summary>
public static class DetectionRecords
{
    private const int RowsPerGroup = 1 << 20;

    private static readonly string[] OutcomeWords = ["fp", "tp", "ignored"];

    /// <summary>The IoU thresholds' column names: coco_iou50 to coco_iou95.</summary>
    public static IReadOnlyList<string> CocoColumns { get; } =
        [.. CocoParameters.IouThresholds.Select(t => "coco_iou" + ((int)Math.Round(t * 100)).ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>The matched ground truth's column names, one per IoU threshold: coco_gt_id50 to coco_gt_id95.</summary>
    public static IReadOnlyList<string> CocoGroundTruthColumns { get; } = [.. CocoColumns.Select(c => c.Replace("coco_iou", "coco_gt_id", StringComparison.Ordinal))];

    /// <summary>Writes the detections of <paramref name="run"/>, which kept its match records (<see cref="RunProducts.Matches"/>): one row per detection and iou type.</summary>
    /// <exception cref="InvalidOperationException">The run kept no match records.</exception>
    public static void Write(Stream stream, EvaluationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        MatchRecords matches = run.Matches ?? throw new InvalidOperationException("The records are read from the run's match records; ask the run to keep them (RunProducts.Matches).");
        Dataset dataset = run.Dataset;
        int n = dataset.Detections.Count;
        // Rows in input order: a known-category detection's input position is its row here.
        int[] rowOfPosition = new int[n];
        ReadOnlySpan<int> positions = dataset.Detections.InputPositions;
        for (int row = 0; row < n; row++) rowOfPosition[positions[row]] = row;

        IReadOnlyList<IouType> iouTypes = run.Result.IouTypes;
        var blocks = new List<RowBlock>();
        foreach (IouType iouType in iouTypes)
        {
            CocoMatches? coco = iouType switch { IouType.Segm => matches.CocoSegm, IouType.Keypoints => matches.CocoKeypoints, _ => matches.Coco };
            blocks.Add(iouType == IouType.Bbox ? BoxBlock(matches, coco, run.Options, n) : CocoBlock(iouType, coco, n));
        }

        var fields = new List<DataField>
        {
            new DataField<long?>("image_id"), new DataField<string>("image"), new DataField<long>("category_id"), new DataField<string>("category"),
            new DataField<double>("score"), new DataField<int>("position"), new DataField<int?>("coco_rank"),
        };
        fields.AddRange(CocoColumns.Select(c => new DataField<string>(c)));
        fields.AddRange(CocoGroundTruthColumns.Select(c => new DataField<long?>(c)));
        fields.AddRange([new DataField<string>("voc"), new DataField<long?>("voc_gt_id"), new DataField<double>("voc_iou_threshold"), new DataField<string>("iou_type")]);
        var schema = new ParquetSchema(fields.ToArray<Field>());
        WriteAsync(stream, schema, fields, dataset, rowOfPosition, blocks, matches.Voc?.Settings.IouThreshold ?? run.Options.Voc.IouThreshold).GetAwaiter().GetResult();
    }

    /// <summary>One iou type's columns, by input position.</summary>
    private sealed record RowBlock(string IouType, int?[] CocoRank, string?[][] CocoOutcomes, long?[][] CocoGroundTruth, string?[] Voc, long?[] VocGroundTruth);

    /// <summary>The rank and outcome columns of <paramref name="coco"/>'s records, by input position (all null without COCO).</summary>
    private static (int?[] Rank, string?[][] Outcomes) CocoColumnsOf(CocoMatches? coco, int n)
    {
        var cocoRank = new int?[n];
        var cocoOutcomes = new string?[CocoColumns.Count][];
        for (int t = 0; t < cocoOutcomes.Length; t++) cocoOutcomes[t] = new string?[n];
        if (coco is null) return (cocoRank, cocoOutcomes);
        foreach (CocoMatchRecord r in coco.Records)
        {
            int at = r.InputPosition;
            cocoRank[at] = r.RankInUnit;
            for (int t = 0; t < cocoOutcomes.Length; t++)
            {
                cocoOutcomes[t][at] = r.Outcome.IsTruePositive(CocoParameters.AllAreas, t) ? "tp" : r.Outcome.IsIgnored(CocoParameters.AllAreas, t) ? "ignored" : "fp";
            }
        }
        return (cocoRank, cocoOutcomes);
    }

    /// <summary>The rows of the box matches: COCO's and VOC's.</summary>
    private static RowBlock BoxBlock(MatchRecords matches, CocoMatches? coco, EvaluationOptions options, int n)
    {
        (int?[] cocoRank, string?[][] cocoOutcomes) = CocoColumnsOf(coco, n);
        long?[][] cocoGt = coco is not null ? MatchedGroundTruthIds(coco, options, n) : [.. CocoGroundTruthColumns.Select(_ => new long?[n])];
        var voc = new string?[n];
        var vocGt = new long?[n];
        if (matches.Voc is { } vocMatches)
        {
            Dataset dataset = vocMatches.Dataset;
            ReadOnlySpan<int> best = vocMatches.Overlaps is { } overlaps ? overlaps.BestGroundTruth : [];
            ReadOnlySpan<EvaluationUnit> units = dataset.Units;
            for (int u = 0; u < units.Length; u++)
            {
                ReadOnlySpan<VocMatchRecord> records = vocMatches.RecordsOfUnit(u);
                for (int i = 0; i < records.Length; i++)
                {
                    int at = records[i].InputPosition;
                    voc[at] = OutcomeWords[(int)records[i].Outcome];
                    int index = best.IsEmpty ? -1 : best[units[u].DetectionStart + i];
                    if (index >= 0 && dataset.GroundTruth.AnnotationIds[units[u].GroundTruthStart + index] is { IsText: false } id) vocGt[at] = id.Number;
                }
            }
        }
        return new RowBlock("bbox", cocoRank, cocoOutcomes, cocoGt, voc, vocGt);
    }

    /// <summary>The rows of a mask or keypoint iou type: COCO's matches on that overlap, no VOC.</summary>
    private static RowBlock CocoBlock(IouType iouType, CocoMatches? coco, int n)
    {
        (int?[] cocoRank, string?[][] cocoOutcomes) = CocoColumnsOf(coco, n);
        long?[][] cocoGt = [.. CocoGroundTruthColumns.Select(_ => new long?[n])];
        if (coco?.MatchedGroundTruthRows is { } matched)
        {
            int thresholds = cocoGt.Length;
            ReadOnlySpan<CocoMatchRecord> records = coco.Records;
            for (int r = 0; r < records.Length; r++)
            {
                for (int t = 0; t < thresholds; t++)
                {
                    int row = matched[r * thresholds + t];
                    if (row >= 0 && coco.Dataset.GroundTruth.AnnotationIds[row] is { IsText: false } id) cocoGt[t][records[r].InputPosition] = id.Number;
                }
            }
        }
        return new RowBlock(ReportDocument.IouTypeName(iouType), cocoRank, cocoOutcomes, cocoGt, new string?[n], new long?[n]);
    }

    /// <summary>
    /// Per IoU threshold, by input position, the annotation id of the ground truth each detection matched at
    /// area "all" (null when it matched none, or the id is a string). The match records keep each threshold's
    /// outcome, not the ground truth it went to, so the matcher runs once more on each unit with the same
    /// rules, and its outcomes must be the records' own.
    /// </summary>
    private static long?[][] MatchedGroundTruthIds(CocoMatches coco, EvaluationOptions options, int n)
    {
        int thresholds = CocoParameters.IouThresholds.Count;
        long?[][] ids = [.. Enumerable.Range(0, thresholds).Select(_ => new long?[n])];
        Dataset dataset = coco.Dataset;
        var matcher = new CocoMatcher(options.MaxDetections[^1]);
        EvaluationUnit[] units = dataset.Units.ToArray();
        Parallel.For(0, units.Length, new ParallelOptions { MaxDegreeOfParallelism = options.Threads ?? -1 }, () => new UnitScratch(), (u, _, scratch) =>
        {
            EvaluationUnit unit = units[u];
            if (unit.DetectionCount == 0) return scratch;
            scratch.Reserve(unit.DetectionCount, matcher.KeptDetections(unit.DetectionCount) * thresholds, matcher.AreaRangeCount);
            int kept = matcher.Match(CocoMatchStage.UnitInput(dataset, unit), scratch.Outcomes, scratch.Countable, scratch.Matcher, scratch.Matched);
            ReadOnlySpan<CocoMatchRecord> records = coco.RecordsOfUnit(u);
            for (int i = 0; i < kept; i++)
            {
                int row = unit.DetectionStart + scratch.Outcomes[i].Detection;
                if (records.Length != kept || records[i].Row != row || records[i].Outcome != scratch.Outcomes[i].Outcome)
                {
                    throw new InvalidOperationException("The COCO matcher gave other outcomes than the run's records on the same unit.");
                }
                int at = dataset.Detections.InputPositions[row];
                for (int t = 0; t < thresholds; t++)
                {
                    int g = scratch.Matched[i * thresholds + t];
                    if (g >= 0 && dataset.GroundTruth.AnnotationIds[unit.GroundTruthStart + g] is { IsText: false } id) ids[t][at] = id.Number;
                }
            }
            return scratch;
        }, _ => { });
        return ids;
    }

    private sealed class UnitScratch
    {
        public readonly CocoMatchScratch Matcher = new();

        public CocoDetectionOutcome[] Outcomes = [];

        public int[] Matched = [];

        public int[] Countable = [];

        public void Reserve(int detections, int matched, int areaRanges)
        {
            if (Outcomes.Length < detections) Outcomes = new CocoDetectionOutcome[detections];
            if (Matched.Length < matched) Matched = new int[matched];
            if (Countable.Length < areaRanges) Countable = new int[areaRanges];
        }
    }

    private static async Task WriteAsync(
        Stream stream, ParquetSchema schema, List<DataField> fields, Dataset dataset, int[] rowOfPosition, List<RowBlock> blocks, double vocThreshold)
    {
        await using ParquetWriter writer = await ParquetWriter.CreateAsync(schema, stream).ConfigureAwait(false);
        int n = rowOfPosition.Length;
        foreach (RowBlock block in blocks)
        {
            for (int start = 0; start == 0 || start < n; start += RowsPerGroup)
            {
                int count = Math.Min(RowsPerGroup, n - start);
                var imageId = new long?[count];
                string[] image = new string[count], category = new string[count], iouType = new string[count];
                long[] categoryId = new long[count];
                double[] score = new double[count], threshold = new double[count];
                int[] position = new int[count];
                for (int i = 0; i < count; i++)
                {
                    int row = rowOfPosition[start + i];
                    RecordId id = dataset.Images[dataset.Detections.Images[row]].Id;
                    imageId[i] = id.IsText ? null : id.Number;
                    image[i] = id.ToString();
                    Category c = dataset.Categories[dataset.Detections.Categories[row]];
                    (categoryId[i], category[i]) = (c.Id, c.Name);
                    score[i] = dataset.Detections.Scores[row];
                    position[i] = start + i;
                    threshold[i] = vocThreshold;
                    iouType[i] = block.IouType;
                }
                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                int f = 0;
                await group.WriteAsync(fields[f++], new ReadOnlyMemory<long?>(imageId)).ConfigureAwait(false);
                await group.WriteAsync(fields[f++], image).ConfigureAwait(false);
                await group.WriteAsync(fields[f++], new ReadOnlyMemory<long>(categoryId)).ConfigureAwait(false);
                await group.WriteAsync(fields[f++], category).ConfigureAwait(false);
                await group.WriteAsync(fields[f++], new ReadOnlyMemory<double>(score)).ConfigureAwait(false);
                await group.WriteAsync(fields[f++], new ReadOnlyMemory<int>(position)).ConfigureAwait(false);
                await group.WriteAsync(fields[f++], new ReadOnlyMemory<int?>(block.CocoRank, start, count)).ConfigureAwait(false);
                foreach (string?[] outcomes in block.CocoOutcomes) await group.WriteAsync(fields[f++], outcomes[start..(start + count)]).ConfigureAwait(false);
                foreach (long?[] ids in block.CocoGroundTruth) await group.WriteAsync(fields[f++], new ReadOnlyMemory<long?>(ids, start, count)).ConfigureAwait(false);
                await group.WriteAsync(fields[f++], block.Voc[start..(start + count)]).ConfigureAwait(false);
                await group.WriteAsync(fields[f++], new ReadOnlyMemory<long?>(block.VocGroundTruth, start, count)).ConfigureAwait(false);
                await group.WriteAsync(fields[f++], new ReadOnlyMemory<double>(threshold)).ConfigureAwait(false);
                await group.WriteAsync(fields[f++], iouType).ConfigureAwait(false);
            }
        }
    }
}
