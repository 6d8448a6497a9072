using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Keypoints;
using DetectionEval.Matching.Masks;

namespace DetectionEval.Eval.Matches;

// COCO's match stage for masks (iouType segm) and keypoints (iouType keypoints), as pycocotools'
// COCOeval.evaluate() does it with computeIoU on masks or computeOks. Everything but the overlap is the
// bbox stage's: the first maxDets detections of a unit by score (stable), the greedy assignment of
// CocoMatcher, the same match records. Masks: IoU of run-length masks, the crowd rule, a detection without a
// mask is its box's polygon (loadRes). Keypoints: OKS with the sigmas of the options, maxDets [20], area
// ranges all/medium/large, and a ground truth with num_keypoints 0 ignored (COCOeval._prepare).
// Units share no state and run in parallel; the records do not depend on the thread count.
// Reference: cocodataset/cocoapi PythonAPI/pycocotools/cocoeval.py.

/// <summary>COCO's match stage on masks or keypoints.</summary>
internal static class CocoShapeMatchStage
{
    /// <summary>Matches every unit of the dataset under <paramref name="iouType"/> (segm or keypoints).</summary>
    /// <remarks>The pipeline's <c>ShapeChecks</c> first make sure every object has what the iou type needs.</remarks>
    /// <param name="dataset">The dataset.</param>
    /// <param name="options">Sigmas, maxDets, threads, progress.</param>
    /// <param name="iouType">Segm or keypoints.</param>
    /// <param name="keepMatchedGroundTruth">Keep the ground truth each record matched (<see cref="CocoMatches.MatchedGroundTruthRows"/>).</param>
    public static CocoMatches Match(Dataset dataset, EvaluationOptions options, IouType iouType, bool keepMatchedGroundTruth = false)
    {
        options.Validate();
        bool keypoints = iouType == IouType.Keypoints;
        IReadOnlyList<int> maxDetections = keypoints ? CocoParameters.KeypointMaxDetections : options.MaxDetections;
        var matcher = keypoints
            ? new CocoMatcher(maxDetections[^1], CocoParameters.IouThresholds, CocoParameters.KeypointAreaRanges)
            : new CocoMatcher(maxDetections[^1]);
        double[] sigmas = [.. options.SigmasOrCoco];
        EvaluationUnit[] units = dataset.Units.ToArray();
        int[] recordStart = new int[units.Length + 1];
        for (int u = 0; u < units.Length; u++) recordStart[u + 1] = recordStart[u] + matcher.KeptDetections(units[u].DetectionCount);
        var records = new CocoMatchRecord[recordStart[^1]];
        int thresholds = CocoParameters.IouThresholds.Count;
        int[]? matchedRows = keepMatchedGroundTruth ? new int[records.Length * thresholds] : null;
        int areaRanges = matcher.AreaRangeCount;
        int[] countable = new int[units.Length * areaRanges];
        bool[] ignoredByKeypoints = keypoints ? GroundTruthWithoutKeypoints(dataset.GroundTruth) : [];
        options.Progress?.Begin(WorkStage.MatchingCoco, units.Length);
        IProgressSink? progress = options.Progress;
        Parallel.For(
            0,
            units.Length,
            options.Parallelism,
            () => new Scratch(),
            (u, _, scratch) =>
            {
                EvaluationUnit unit = units[u];
                CocoUnit input = CocoMatchStage.UnitInput(dataset, unit, ignoredByKeypoints);
                int kept = matcher.KeptDetections(unit.DetectionCount);
                scratch.Reserve(unit.DetectionCount, kept * unit.GroundTruthCount, sigmas.Length);
                Span<int> keptOrder = scratch.KeptOrder.AsSpan(0, kept);
                matcher.SelectKeptDetections(input.Scores, keptOrder, scratch.Matcher);
                Span<double> overlaps = scratch.Overlaps.AsSpan(0, kept * unit.GroundTruthCount);
                if (keypoints) KeypointOverlaps(dataset, unit, keptOrder, sigmas, overlaps, scratch.Terms);
                else MaskOverlaps(dataset, unit, keptOrder, overlaps, scratch.DecodedDetection);
                Span<CocoDetectionOutcome> outcomes = scratch.Outcomes.AsSpan(0, kept);
                Span<int> matched = matchedRows is null ? default : matchedRows.AsSpan(recordStart[u] * thresholds, kept * thresholds);
                matcher.Assign(input, keptOrder, overlaps, outcomes, countable.AsSpan(u * areaRanges, areaRanges), scratch.Matcher, matched);
                // The unit's ground-truth indices as the dataset's rows.
                for (int i = 0; i < matched.Length; i++) matched[i] = matched[i] < 0 ? -1 : unit.GroundTruthStart + matched[i];
                WriteRecords(dataset, unit, outcomes, records.AsSpan(recordStart[u], kept));
                ProgressBatch.CountOne(progress, ref scratch.Finished);
                return scratch;
            },
            scratch => ProgressBatch.Flush(progress, scratch.Finished));
        return new CocoMatches(dataset, records, recordStart, countable, areaRanges, maxDetections) { MatchedGroundTruthRows = matchedRows };
    }

    /// <summary>Rule (COCOeval._prepare for keypoints): a ground truth whose <c>num_keypoints</c> is 0 is ignored.</summary>
    private static bool[] GroundTruthWithoutKeypoints(GroundTruthTable gt)
    {
        bool[] ignored = new bool[gt.Count];
        for (int row = 0; row < gt.Count; row++)
        {
            ObjectShape? shape = gt.Shapes.IsEmpty ? null : gt.Shapes[row];
            ignored[row] = LabelledKeypoints(shape) == 0;
        }
        return ignored;
    }

    /// <summary>The <c>num_keypoints</c> field, or where it is absent the number of keypoints with v &gt; 0.</summary>
    internal static int LabelledKeypoints(ObjectShape? shape)
    {
        if (shape?.LabelledKeypoints is int written) return written;
        if (shape?.Keypoints is not { } values) return 0;
        int labelled = 0;
        for (int i = 2; i < values.Length; i += 3) labelled += values[i] > 0 ? 1 : 0;
        return labelled;
    }

    /// <summary>The unit's mask IoU matrix [kept detection][ground truth], with the crowd rule.</summary>
    private static void MaskOverlaps(Dataset dataset, EvaluationUnit unit, ReadOnlySpan<int> keptOrder, Span<double> overlaps, DecodedCounts decoded)
    {
        GroundTruthTable gt = dataset.GroundTruth;
        int groundTruthCount = unit.GroundTruthCount;
        if (groundTruthCount == 0) return;
        for (int d = 0; d < keptOrder.Length; d++)
        {
            RunLengthMask detection = DetectionMask(dataset, unit.DetectionStart + keptOrder[d]);
            for (int g = 0; g < groundTruthCount; g++)
            {
                int row = unit.GroundTruthStart + g;
                RunLengthMask groundTruth = gt.Shapes[row]!.Mask!;
                bool crowd = (gt.Flags[row] & GroundTruthFlags.Crowd) != 0;
                overlaps[(d * groundTruthCount) + g] = MaskRules.Iou(detection, groundTruth, crowd, decoded);
            }
        }
    }

    /// <summary>A detection's mask; without one, its box's polygon at the image's size (pycocotools' loadRes).</summary>
    internal static RunLengthMask DetectionMask(Dataset dataset, int row)
    {
        DetectionTable dt = dataset.Detections;
        if (!dt.Shapes.IsEmpty && dt.Shapes[row]?.Mask is { } mask) return mask;
        ImageInfo image = dataset.Images[dt.Images[row]];
        return PolygonRaster.FromBox(dt.Boxes[row], image.Height!.Value, image.Width!.Value);
    }

    /// <summary>The unit's OKS matrix [kept detection][ground truth].</summary>
    private static void KeypointOverlaps(Dataset dataset, EvaluationUnit unit, ReadOnlySpan<int> keptOrder, double[] sigmas, Span<double> overlaps, double[] terms)
    {
        GroundTruthTable gt = dataset.GroundTruth;
        DetectionTable dt = dataset.Detections;
        int groundTruthCount = unit.GroundTruthCount;
        for (int d = 0; d < keptOrder.Length; d++)
        {
            double[] detection = dt.Shapes[unit.DetectionStart + keptOrder[d]]!.Keypoints!;
            for (int g = 0; g < groundTruthCount; g++)
            {
                int row = unit.GroundTruthStart + g;
                double[] groundTruth = gt.Shapes[row]!.Keypoints!;
                overlaps[(d * groundTruthCount) + g] = OksRules.Oks(detection, groundTruth, gt.Boxes[row], gt.Areas[row], sigmas, terms);
            }
        }
    }

    private static void WriteRecords(Dataset dataset, EvaluationUnit unit, ReadOnlySpan<CocoDetectionOutcome> outcomes, Span<CocoMatchRecord> records)
    {
        DetectionTable dt = dataset.Detections;
        int imageRank = dataset.ImageRank(unit.Image);
        for (int i = 0; i < outcomes.Length; i++)
        {
            int row = unit.DetectionStart + outcomes[i].Detection;
            records[i] = new CocoMatchRecord(dt.Scores[row], unit.Image, imageRank, row, dt.InputPositions[row], i, outcomes[i].Outcome);
        }
    }

    private sealed class Scratch
    {
        public readonly CocoMatchScratch Matcher = new();
        public int[] KeptOrder = [];
        public double[] Overlaps = [];
        public double[] Terms = [];
        public CocoDetectionOutcome[] Outcomes = [];
        public readonly DecodedCounts DecodedDetection = new();
        public int Finished;

        public void Reserve(int detections, int overlaps, int keypoints)
        {
            if (KeptOrder.Length < detections) KeptOrder = new int[detections * 2];
            if (Outcomes.Length < detections) Outcomes = new CocoDetectionOutcome[detections * 2];
            if (Overlaps.Length < overlaps) Overlaps = new double[overlaps * 2];
            if (Terms.Length < keypoints) Terms = new double[keypoints];
        }
    }
}
