using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Masks;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Matches;

// VOC's match stage, as the classic voc_eval matches one class: every (image, class) unit on its own
// (VocMatcher), in parallel; because matching state never crosses images, this equals voc_eval's single
// pass over the class's detections. Records: each detection's outcome (TP, FP, ignored) in score order,
// and each unit's positives (npos). For the analyses it also keeps, when asked, each record's best ground
// truth and each detection's hits on other classes' ground truth (VocOverlaps). An engine may do the
// candidate search; the records are the same bit for bit.
// Reference: detectron2/evaluation/pascal_voc_evaluation.py (voc_eval) with a stable sort.

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

    internal VocMatches(Dataset dataset, VocMatchSettings settings, VocMatchRecord[] records, int[] positives, VocOverlaps? overlaps)
    {
        Dataset = dataset;
        Settings = settings;
        _records = records;
        _positives = positives;
        Overlaps = overlaps;
    }

    /// <summary>The overlaps the analyses and the image review read, when the match stage was asked to keep them.</summary>
    public VocOverlaps? Overlaps { get; }

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

    /// <summary>Where the records of unit <paramref name="unit"/> start in <see cref="Records"/>.</summary>
    internal int RecordStartOfUnit(int unit) => Dataset.Units[unit].DetectionStart;

    /// <summary>Non-difficult ground truths of unit <paramref name="unit"/>.</summary>
    public int Positives(int unit) => _positives[unit];

    /// <summary>
    /// The records of unit <paramref name="unit"/> kept at a confidence: those with a score at or above
    /// <paramref name="minimumScore"/>. VOC matching is greedy in score order, so they are a prefix of the
    /// records and dropping the others changes none of their outcomes.
    /// </summary>
    public ReadOnlySpan<VocMatchRecord> KeptRecordsOfUnit(int unit, double minimumScore)
    {
        ReadOnlySpan<VocMatchRecord> records = RecordsOfUnit(unit);
        int kept = 0;
        while (kept < records.Length && records[kept].Score >= minimumScore) kept++;
        return records[..kept];
    }

    /// <summary>
    /// Which ground truth of unit <paramref name="unit"/> its first <paramref name="kept"/> records took: a
    /// true positive takes its best overlap's ground truth. Needs the overlaps kept by the match stage.
    /// </summary>
    public bool[] TakenGroundTruth(int unit, int kept)
    {
        EvaluationUnit u = Dataset.Units[unit];
        ReadOnlySpan<int> best = (Overlaps ?? throw new InvalidOperationException("The match stage kept no best overlaps.")).BestGroundTruth.Slice(u.DetectionStart, kept);
        ReadOnlySpan<VocMatchRecord> records = RecordsOfUnit(unit);
        bool[] taken = new bool[u.GroundTruthCount];
        for (int d = 0; d < kept; d++)
        {
            if (records[d].Outcome == VocOutcome.TruePositive) taken[best[d]] = true;
        }
        return taken;
    }
}

/// <summary>Which overlaps the VOC match stage keeps besides its records.</summary>
[Flags]
internal enum VocOverlapsKept
{
    /// <summary>The records only.</summary>
    None = 0,

    /// <summary>Each record's best ground truth (which ground truth a true positive took): the image review.</summary>
    BestGroundTruth = 1,

    /// <summary>Also each detection's hits on other classes' ground truth of its image: the confusion matrix.</summary>
    CrossClassHits = 2 | BestGroundTruth,
}

/// <summary>
/// What the VOC match stage measured besides the outcomes, for the analyses: per record, the ground truth
/// its best overlap went to; per detection row, the other classes' ground truth of its image that it hits
/// under the run's profile, in ground-truth row order, with the IoU.
/// </summary>
public sealed class VocOverlaps
{
    private readonly int[] _bestGroundTruth;
    private readonly int[]? _hitStart;
    private readonly int[]? _hitRows;
    private readonly double[]? _hitIous;

    internal VocOverlaps(int[] bestGroundTruth, int[]? hitStart, int[]? hitRows, double[]? hitIous)
    {
        _bestGroundTruth = bestGroundTruth;
        _hitStart = hitStart;
        _hitRows = hitRows;
        _hitIous = hitIous;
    }

    /// <summary>The best overlap's ground truth of each record, as an index within the record's unit; -1 when the unit has none.</summary>
    public ReadOnlySpan<int> BestGroundTruth => _bestGroundTruth;

    /// <summary>Whether the cross-class hits were kept.</summary>
    public bool HasCrossClassHits => _hitStart is not null;

    /// <summary>The ground-truth rows of other classes in detection row <paramref name="row"/>'s image that it hits, ascending.</summary>
    public ReadOnlySpan<int> HitRows(int row) => _hitRows.AsSpan(_hitStart![row], _hitStart[row + 1] - _hitStart[row]);

    /// <summary>The VOC IoUs of <see cref="HitRows"/>, in the same order.</summary>
    public ReadOnlySpan<double> HitIous(int row) => _hitIous.AsSpan(_hitStart![row], _hitStart[row + 1] - _hitStart[row]);
}

/// <summary>VOC's match stage of a dataset under one profile.</summary>
internal static class VocMatchStage
{
    /// <summary>The match stage: every unit matched on its own, in parallel, with identical results for any thread count.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="options">The profile, threads, engine and cancellation.</param>
    /// <param name="kept">The overlaps to keep besides the records, for the analyses.</param>
    public static VocMatches Match(Dataset dataset, EvaluationOptions options, VocOverlapsKept kept = VocOverlapsKept.None) =>
        MatchOn(dataset, options, kept, IouType.Bbox);

    /// <summary>
    /// VOC's rules on box IoU, or on mask IoU (<see cref="IouType.Segm"/>, for the error analysis of masks: the
    /// same greedy assignment, each detection's best overlap measured on the run-length masks; the VOC profile's
    /// <c>+1</c> pixel convention does not apply to pixel counts).
    /// </summary>
    internal static VocMatches MatchOn(Dataset dataset, EvaluationOptions options, VocOverlapsKept kept, IouType overlap)
    {
        options.Validate();
        var matcher = new VocMatcher(options.Voc);
        options.Progress?.Begin(WorkStage.MatchingVoc, dataset.Units.Length);
        EvaluationUnit[] units = dataset.Units.ToArray();
        var records = new VocMatchRecord[dataset.Detections.Count];
        int[] positives = new int[units.Length];
        BestOverlap[]? best = kept == VocOverlapsKept.None ? null : new BestOverlap[dataset.Detections.Count];
        IProgressSink? progress = options.Progress;
        if (overlap == IouType.Segm)
        {
            MatchMasks(dataset, options, matcher, units, records, positives, best ?? new BestOverlap[dataset.Detections.Count]);
        }
        else if (options.Engine is { } engine)
        {
            MatchWithEngine(dataset, options, matcher, engine, units, records, positives, best ?? new BestOverlap[dataset.Detections.Count]);
        }
        else
        {
            Parallel.For(
                0,
                units.Length,
                options.Parallelism,
                () => new UnitScratch(),
                (u, _, scratch) =>
                {
                    EvaluationUnit unit = units[u];
                    Span<BestOverlap> unitBest = best is null ? [] : best.AsSpan(unit.DetectionStart, unit.DetectionCount);
                    positives[u] = MatchUnit(dataset, unit, matcher, scratch, records.AsSpan(unit.DetectionStart, unit.DetectionCount), unitBest);
                    ProgressBatch.CountOne(progress, ref scratch.Finished);
                    return scratch;
                },
                scratch => ProgressBatch.Flush(progress, scratch.Finished));
        }
        VocOverlaps? overlaps = best is null ? null : KeepOverlaps(dataset, options, best, kept, overlap);
        return new VocMatches(dataset, options.Voc, records, positives, overlaps);
    }

    private sealed class UnitScratch
    {
        public readonly VocMatchScratch Matcher = new();
        public VocDetectionOutcome[] Outcomes = new VocDetectionOutcome[128];

        /// <summary>The mask path's detection runs, decoded once for all the unit's ground truth.</summary>
        public readonly DecodedCounts DecodedDetection = new();

        /// <summary>Units this thread finished and has not yet told the progress sink.</summary>
        public int Finished;
    }

    private static int MatchUnit(Dataset dataset, EvaluationUnit unit, VocMatcher matcher, UnitScratch scratch, Span<VocMatchRecord> records, Span<BestOverlap> best)
    {
        VocUnit input = MatcherInput(dataset, unit);
        if (scratch.Outcomes.Length < unit.DetectionCount) scratch.Outcomes = new VocDetectionOutcome[unit.DetectionCount * 2];
        int positives = matcher.Match(input, scratch.Outcomes, best, scratch.Matcher);
        WriteRecords(dataset, unit, scratch.Outcomes, records);
        return positives;
    }

    /// <summary>The overlaps the analyses read: each record's best ground truth, and the cross-class hits when asked for.</summary>
    private static VocOverlaps KeepOverlaps(Dataset dataset, EvaluationOptions options, BestOverlap[] best, VocOverlapsKept kept, IouType overlap)
    {
        int[] bestGroundTruth = new int[best.Length];
        for (int i = 0; i < best.Length; i++) bestGroundTruth[i] = best[i].GroundTruth;
        if (!kept.HasFlag(VocOverlapsKept.CrossClassHits)) return new VocOverlaps(bestGroundTruth, null, null, null);
        (int[] start, int[] rows, double[] ious) = CrossClassHits(dataset, options, overlap);
        return new VocOverlaps(bestGroundTruth, start, rows, ious);
    }

    /// <summary>
    /// The mask path: per unit, the detections in score order, each one's best overlap by mask IoU over the
    /// unit's ground truth (the first on ties, as numpy's argmax), then VOC's assignment.
    /// </summary>
    private static void MatchMasks(
        Dataset dataset, EvaluationOptions options, VocMatcher matcher, EvaluationUnit[] units, VocMatchRecord[] records, int[] positives, BestOverlap[] best)
    {
        DetectionTable dt = dataset.Detections;
        GroundTruthTable gt = dataset.GroundTruth;
        int[] order = new int[dt.Count];
        IProgressSink? progress = options.Progress;
        Parallel.For(
            0,
            units.Length,
            options.Parallelism,
            () => new UnitScratch(),
            (u, _, scratch) =>
            {
                EvaluationUnit unit = units[u];
                Span<int> unitOrder = order.AsSpan(unit.DetectionStart, unit.DetectionCount);
                // Rule: detections are visited by score, descending; equal scores keep their input order.
                ScoreOrder.SortByScoreDescending(dt.Scores.Slice(unit.DetectionStart, unit.DetectionCount), unitOrder);
                Span<BestOverlap> unitBest = best.AsSpan(unit.DetectionStart, unit.DetectionCount);
                for (int d = 0; d < unitOrder.Length; d++)
                {
                    RunLengthMask detection = CocoShapeMatchStage.DetectionMask(dataset, unit.DetectionStart + unitOrder[d]);
                    BestOverlap found = BestOverlap.None;
                    for (int g = 0; g < unit.GroundTruthCount; g++)
                    {
                        double iou = MaskRules.Iou(detection, gt.Shapes[unit.GroundTruthStart + g]!.Mask!, groundTruthIsCrowd: false, scratch.DecodedDetection);
                        // Strictly greater keeps the first ground truth on ties.
                        if (iou > found.Iou) found = new BestOverlap(g, iou);
                    }
                    unitBest[d] = found;
                }
                ReadOnlySpan<GroundTruthFlags> flags = gt.Flags.Slice(unit.GroundTruthStart, unit.GroundTruthCount);
                if (scratch.Outcomes.Length < unit.DetectionCount) scratch.Outcomes = new VocDetectionOutcome[unit.DetectionCount * 2];
                matcher.Assign(flags, unitOrder, unitBest, scratch.Outcomes, scratch.Matcher);
                positives[u] = VocMatcher.CountPositives(flags);
                WriteRecords(dataset, unit, scratch.Outcomes, records.AsSpan(unit.DetectionStart, unit.DetectionCount));
                ProgressBatch.CountOne(progress, ref scratch.Finished);
                return scratch;
            },
            scratch => ProgressBatch.Flush(progress, scratch.Finished));
    }

    /// <summary>
    /// For every detection row, the ground-truth rows of the other classes in its image whose VOC IoU passes
    /// the profile's overlap test, ascending, with their IoUs (row-major CSR: <c>start[row]..start[row + 1]</c>).
    /// The confusion matrix needs no other cross-class IoU: a false positive counts as a confusion only
    /// through a hit.
    /// </summary>
    private static (int[] Start, int[] Rows, double[] Ious) CrossClassHits(Dataset dataset, EvaluationOptions options, IouType overlap)
    {
        var perImage = new (int Row, int GroundTruth, double Iou)[dataset.Images.Count][];
        EvaluationUnit[] units = dataset.Units.ToArray();
        VocMatchSettings settings = options.Voc;
        Parallel.For(0, perImage.Length, options.Parallelism, image =>
        {
            var hits = new List<(int, int, double)>();
            var decoded = new DecodedCounts();
            DetectionTable dt = dataset.Detections;
            GroundTruthTable gt = dataset.GroundTruth;
            (int first, int count) = dataset.UnitsOfImage(image).GetOffsetAndLength(units.Length);
            int end = first + count;
            for (int u = first; u < end; u++)
            {
                for (int row = units[u].DetectionStart; row < units[u].DetectionStart + units[u].DetectionCount; row++)
                {
                    RunLengthMask? mask = overlap == IouType.Segm ? CocoShapeMatchStage.DetectionMask(dataset, row) : null;
                    for (int other = first; other < end; other++)
                    {
                        if (other == u) continue;
                        for (int g = units[other].GroundTruthStart; g < units[other].GroundTruthStart + units[other].GroundTruthCount; g++)
                        {
                            double iou = mask is null
                                ? IouRules.Voc(dt.Boxes[row], gt.Boxes[g], settings.PixelOffset)
                                : MaskRules.Iou(mask, gt.Shapes[g]!.Mask!, groundTruthIsCrowd: false, decoded);
                            if (settings.IsHit(iou)) hits.Add((row, g, iou));
                        }
                    }
                }
            }
            perImage[image] = [.. hits];
        });
        int detections = dataset.Detections.Count;
        int[] start = new int[detections + 1];
        foreach ((int Row, int, double)[] hits in perImage)
        {
            foreach ((int row, _, _) in hits) start[row + 1]++;
        }
        for (int row = 0; row < detections; row++) start[row + 1] += start[row];
        int[] next = start[..^1].ToArray();
        int[] rows = new int[start[^1]];
        double[] ious = new double[start[^1]];
        // Each image lists a detection's hits in ascending ground-truth row order (units, then rows within a unit).
        foreach ((int Row, int GroundTruth, double Iou)[] hits in perImage)
        {
            foreach ((int row, int g, double iou) in hits)
            {
                rows[next[row]] = g;
                ious[next[row]++] = iou;
            }
        }
        return (start, rows, ious);
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
    private static void MatchWithEngine(
        Dataset dataset, EvaluationOptions options, VocMatcher matcher, IOverlapEngine engine, EvaluationUnit[] units,
        VocMatchRecord[] records, int[] positives, BestOverlap[] best)
    {
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

        EngineUnits layout = EngineUnits.Of(dataset, units, u => units[u].DetectionStart, dt.Count);
        engine.FindBestOverlaps(layout.Describe(slotBoxes), options.Voc.PixelOffset, best);

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
    }
}
