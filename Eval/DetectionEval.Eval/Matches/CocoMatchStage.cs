using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Coco;

namespace DetectionEval.Eval.Matches;

// COCO's match stage, as pycocotools COCOeval.evaluate() matches (evaluateImg): every (image, category)
// unit on its own (CocoMatcher), in parallel, into match records: each kept detection (the first maxDets by
// score) with its outcome at every IoU threshold and area range, and each unit's ground truth that counts
// per area range. The records carry the keys of the accumulation order (score, image rank, input position).
// An engine (EvaluationOptions.Engine) may do the candidate search; the records are the same bit for bit.
// Reference: cocodataset/cocoapi PythonAPI/pycocotools/cocoeval.py.

/// <summary>One kept detection after COCO matching.</summary>
/// <param name="Score">Its score.</param>
/// <param name="Image">Its image index in the dataset.</param>
/// <param name="ImageRank">Its image's rank in ascending image-id order.</param>
/// <param name="Row">Its row in <see cref="Dataset.Detections"/>.</param>
/// <param name="InputPosition">Its position in the input, which breaks ties.</param>
/// <param name="RankInUnit">Its place in its (image, category) by score: 0 for the best.</param>
/// <param name="Outcome">TP / FP / ignored at every area range and IoU threshold.</param>
public readonly record struct CocoMatchRecord(
    double Score, int Image, int ImageRank, int Row, int InputPosition, int RankInUnit, CocoOutcome Outcome);

/// <summary>
/// The COCO match stage of a dataset: each unit's kept detections (in score order) and its number of
/// ground truths that count per area range. Accumulation reads only this, so resampling images (the
/// gate's bootstrap) or merging shards never matches again.
/// </summary>
public sealed class CocoMatches
{
    private readonly CocoMatchRecord[] _records;
    private readonly int[] _recordStart;
    private readonly int[] _countable;

    internal CocoMatches(Dataset dataset, CocoMatchRecord[] records, int[] recordStart, int[] countable, int areaRanges, IReadOnlyList<int>? maxDetections = null)
    {
        MaxDetections = maxDetections;
        Dataset = dataset;
        _records = records;
        _recordStart = recordStart;
        _countable = countable;
        AreaRanges = areaRanges;
    }

    /// <summary>The matched dataset.</summary>
    public Dataset Dataset { get; }

    /// <summary>Number of area ranges.</summary>
    public int AreaRanges { get; }

    /// <summary>The maxDets values of the protocol matched (keypoints: [20]); null for the options' values.</summary>
    internal IReadOnlyList<int>? MaxDetections { get; }

    /// <summary>All records, grouped by unit in <see cref="Dataset.Units"/> order.</summary>
    public ReadOnlySpan<CocoMatchRecord> Records => _records;

    /// <summary>The records of unit <paramref name="unit"/>, in score order.</summary>
    public ReadOnlySpan<CocoMatchRecord> RecordsOfUnit(int unit) => _records.AsSpan(_recordStart[unit], _recordStart[unit + 1] - _recordStart[unit]);

    /// <summary>Where the records of unit <paramref name="unit"/> start in <see cref="Records"/>.</summary>
    internal int RecordStartOfUnit(int unit) => _recordStart[unit];

    /// <summary>Ground truths of unit <paramref name="unit"/> that are not ignored in area range <paramref name="areaRange"/>.</summary>
    public int CountableGroundTruth(int unit, int areaRange) => _countable[unit * AreaRanges + areaRange];

    /// <summary>
    /// When the mask or keypoint stage was asked to keep them (the open records): per record and IoU threshold
    /// ([record][threshold], in <see cref="Records"/> order), the ground-truth row of the dataset it matched in area
    /// range "all", -1 for none. Null otherwise (the box records rerun the matcher instead).
    /// </summary>
    internal int[]? MatchedGroundTruthRows { get; init; }
}

/// <summary>COCO's match stage of a dataset.</summary>
internal static class CocoMatchStage
{
    /// <summary>The match stage: every unit matched on its own, in parallel, with identical results for any thread count.</summary>
    public static CocoMatches Match(Dataset dataset, EvaluationOptions options)
    {
        options.Validate();
        var matcher = new CocoMatcher(options.MaxDetections[^1]);
        options.Progress?.Begin(WorkStage.MatchingCoco, dataset.Units.Length);
        if (options.Engine is { } engine) return MatchWithEngine(dataset, options, matcher, engine);
        ReadOnlySpan<EvaluationUnit> units = dataset.Units;
        int[] recordStart = new int[units.Length + 1];
        for (int u = 0; u < units.Length; u++) recordStart[u + 1] = recordStart[u] + matcher.KeptDetections(units[u].DetectionCount);
        var records = new CocoMatchRecord[recordStart[^1]];
        int areaRanges = matcher.AreaRangeCount;
        int[] countable = new int[units.Length * areaRanges];

        EvaluationUnit[] unitArray = units.ToArray();
        IProgressSink? progress = options.Progress;
        Parallel.For(
            0,
            unitArray.Length,
            options.Parallelism,
            () => new UnitScratch(),
            (u, _, scratch) =>
            {
                MatchUnit(dataset, unitArray[u], matcher, scratch, records.AsSpan(recordStart[u]), countable.AsSpan(u * areaRanges, areaRanges));
                ProgressBatch.CountOne(progress, ref scratch.Finished);
                return scratch;
            },
            scratch => ProgressBatch.Flush(progress, scratch.Finished));
        return new CocoMatches(dataset, records, recordStart, countable, areaRanges);
    }

    /// <summary>
    /// The match stage with an engine: every unit's kept detections first (CPU, parallel), then the
    /// engine's sparse candidates of all of them in one call, then the greedy assignment per unit (CPU,
    /// parallel), which gives exactly the records of the plain path.
    /// </summary>
    private static CocoMatches MatchWithEngine(Dataset dataset, EvaluationOptions options, CocoMatcher matcher, IOverlapEngine engine)
    {
        EvaluationUnit[] units = dataset.Units.ToArray();
        DetectionTable dt = dataset.Detections;
        int[] recordStart = new int[units.Length + 1];
        for (int u = 0; u < units.Length; u++) recordStart[u + 1] = recordStart[u] + matcher.KeptDetections(units[u].DetectionCount);
        int slots = recordStart[^1];
        int[] keptOrder = new int[slots];
        var slotBoxes = new Box[slots];
        Parallel.For(
            0,
            units.Length,
            options.Parallelism,
            () => new UnitScratch(),
            (u, _, scratch) =>
            {
                EvaluationUnit unit = units[u];
                Span<int> kept = keptOrder.AsSpan(recordStart[u], recordStart[u + 1] - recordStart[u]);
                matcher.SelectKeptDetections(dt.Scores.Slice(unit.DetectionStart, unit.DetectionCount), kept, scratch.Matcher);
                for (int i = 0; i < kept.Length; i++) slotBoxes[recordStart[u] + i] = dt.Boxes[unit.DetectionStart + kept[i]];
                return scratch;
            },
            _ => { });

        EngineUnits layout = EngineUnits.Of(dataset, units, u => recordStart[u], slots);
        CocoCandidates candidates = engine.FindCocoCandidates(layout.Describe(slotBoxes), matcher.LowestThreshold);

        var records = new CocoMatchRecord[slots];
        int areaRanges = matcher.AreaRangeCount;
        int[] countable = new int[units.Length * areaRanges];
        IProgressSink? progress = options.Progress;
        Parallel.For(
            0,
            units.Length,
            options.Parallelism,
            () => new UnitScratch(),
            (u, _, scratch) =>
            {
                EvaluationUnit unit = units[u];
                int kept = recordStart[u + 1] - recordStart[u];
                if (scratch.Outcomes.Length < kept) scratch.Outcomes = new CocoDetectionOutcome[kept * 2];
                matcher.AssignCandidates(
                    UnitInput(dataset, unit), keptOrder.AsSpan(recordStart[u], kept), candidates, recordStart[u],
                    scratch.Outcomes, countable.AsSpan(u * areaRanges, areaRanges), scratch.Matcher);
                WriteRecords(dataset, unit, scratch.Outcomes.AsSpan(0, kept), records.AsSpan(recordStart[u], kept));
                // The units are counted as their assignment ends, the last of the engine path's three steps.
                ProgressBatch.CountOne(progress, ref scratch.Finished);
                return scratch;
            },
            scratch => ProgressBatch.Flush(progress, scratch.Finished));
        return new CocoMatches(dataset, records, recordStart, countable, areaRanges);
    }

    /// <summary>
    /// What COCO's matcher reads of a unit: its slices of the ground-truth and detection tables, with the
    /// keypoint run's ground truth ignored for lack of keypoints when <paramref name="ignoredByKeypoints"/> is
    /// given (one flag per ground-truth row of the dataset).
    /// </summary>
    internal static CocoUnit UnitInput(Dataset dataset, EvaluationUnit unit, bool[]? ignoredByKeypoints = null)
    {
        GroundTruthTable gt = dataset.GroundTruth;
        DetectionTable dt = dataset.Detections;
        return new CocoUnit(
            gt.Boxes.Slice(unit.GroundTruthStart, unit.GroundTruthCount),
            gt.Areas.Slice(unit.GroundTruthStart, unit.GroundTruthCount),
            gt.Flags.Slice(unit.GroundTruthStart, unit.GroundTruthCount),
            dt.Boxes.Slice(unit.DetectionStart, unit.DetectionCount),
            dt.Scores.Slice(unit.DetectionStart, unit.DetectionCount))
        {
            // Results without boxes carry pycocotools' areas (mask pixels, keypoint extent); others use w * h.
            DetectionAreas = dt.Areas.IsEmpty ? default : dt.Areas.Slice(unit.DetectionStart, unit.DetectionCount),
            GroundTruthIgnored = ignoredByKeypoints is not { Length: > 0 } ? default : ignoredByKeypoints.AsSpan(unit.GroundTruthStart, unit.GroundTruthCount),
        };
    }

    private static void WriteRecords(Dataset dataset, EvaluationUnit unit, ReadOnlySpan<CocoDetectionOutcome> outcomes, Span<CocoMatchRecord> records)
    {
        DetectionTable dt = dataset.Detections;
        int imageRank = dataset.ImageRank(unit.Image);
        for (int i = 0; i < outcomes.Length; i++)
        {
            CocoDetectionOutcome outcome = outcomes[i];
            int row = unit.DetectionStart + outcome.Detection;
            records[i] = new CocoMatchRecord(dt.Scores[row], unit.Image, imageRank, row, dt.InputPositions[row], i, outcome.Outcome);
        }
    }

    private sealed class UnitScratch
    {
        public readonly CocoMatchScratch Matcher = new();

        public CocoDetectionOutcome[] Outcomes = new CocoDetectionOutcome[128];

        /// <summary>Units this thread finished and has not yet told the progress sink.</summary>
        public int Finished;
    }

    private static void MatchUnit(
        Dataset dataset, EvaluationUnit unit, CocoMatcher matcher, UnitScratch scratch, Span<CocoMatchRecord> records, Span<int> countable)
    {
        if (scratch.Outcomes.Length < unit.DetectionCount) scratch.Outcomes = new CocoDetectionOutcome[unit.DetectionCount * 2];
        int kept = matcher.Match(UnitInput(dataset, unit), scratch.Outcomes, countable, scratch.Matcher);
        WriteRecords(dataset, unit, scratch.Outcomes.AsSpan(0, kept), records);
    }
}
