using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Masks;
using DetectionEval.Matching.Tide;

namespace DetectionEval.Eval.Matches;

// TIDE's match stage: every image matched by TIDE's rules (TideMatcher), all classes together, into the
// records TIDE's quantification reads: the image's objects (its positives) with their classes and whether a
// detection matched each, its data points (non-ignored detections within the cap, TP or not) in score order,
// and its errors with what fixing each does. Images share no state, so they run in parallel with the same records.
// Inputs per image, from the dataset: objects = ground truth without flags, ignore regions = the flagged
// (crowd, difficult, ignore) ground truth, both in ascending annotation id (TIDE keeps file order; COCO files
// list annotations by id); detections by score, descending, equal scores in input order, the first
// MaxDetectionsPerImage kept.
// What fixing does (TIDERun.fix_errors, BestGTMatch): a Localization or Classification error becomes a TP
// (of the object's class for Classification) only if its object is unused and it is the highest-scored
// error pointing at it; an unused object that such an error points at is not Missed.

/// <summary>One TIDE error: what it is, the data point it was, and what fixing it does.</summary>
/// <param name="Type">Its type.</param>
/// <param name="Class">The detection's class, or the missed object's.</param>
/// <param name="Score">The detection's score (unused for Missed).</param>
/// <param name="FixClass">The class it becomes a TP of when fixed, or -1 when fixing removes it.</param>
/// <param name="Size">The size range TIDE's qualifier puts it in.</param>
internal readonly record struct TideError(TideErrorType Type, int Class, double Score, int FixClass, ObjectSize Size);

/// <summary>One data point of TIDE's AP: a non-ignored detection (kept within the cap) and whether it was a TP.</summary>
internal readonly record struct TidePoint(int Class, double Score, bool True);

/// <summary>One of TIDE's objects (ground truth without flags): its class, and whether a detection matched it.</summary>
internal readonly record struct TideObject(int Class, bool Matched);

/// <summary>What one image contributes to TIDE, in TIDE's push order.</summary>
/// <param name="Objects">The objects (positives), in TIDE's order.</param>
/// <param name="Points">The data points, in score order.</param>
/// <param name="Errors">The errors: the detections' in score order, then the missed objects'.</param>
internal sealed record TideImageRecord(IReadOnlyList<TideObject> Objects, IReadOnlyList<TidePoint> Points, IReadOnlyList<TideError> Errors)
{
    /// <summary>An image with no objects and no detections.</summary>
    public static TideImageRecord Empty { get; } = new([], [], []);
}

/// <summary>TIDE's match records of a dataset: one per image, in image order.</summary>
public sealed class TideMatches
{
    internal TideMatches(TideSettings settings, int classCount, TideImageRecord[] images)
    {
        Settings = settings;
        ClassCount = classCount;
        Images = images;
    }

    /// <summary>The thresholds and detection cap the images were matched with.</summary>
    public TideSettings Settings { get; }

    /// <summary>Classes of the dataset.</summary>
    public int ClassCount { get; }

    internal IReadOnlyList<TideImageRecord> Images { get; }
}

/// <summary>Runs TIDE's match stage.</summary>
internal static class TideMatchStage
{
    /// <summary>Every image of <paramref name="dataset"/> matched by TIDE's rules.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="settings">TIDE's thresholds and cap.</param>
    /// <param name="parallelism">Images run in parallel.</param>
    /// <param name="overlap">Box IoU (<see cref="IouType.Bbox"/>) or, as TIDE's mask mode, mask IoU (<see cref="IouType.Segm"/>).</param>
    public static TideMatches Match(Dataset dataset, TideSettings settings, ParallelOptions parallelism, IouType overlap = IouType.Bbox)
    {
        settings.Validate();
        if (overlap == IouType.Keypoints) throw new ArgumentException("TIDE measures boxes or masks.", nameof(overlap));
        var images = new TideImageRecord[dataset.Images.Count];
        Parallel.For(0, images.Length, parallelism, image => images[image] = MatchImage(dataset, settings, image, overlap));
        return new TideMatches(settings, dataset.Categories.Count, images);
    }

    private readonly record struct GroundTruthRow(TideBox Box, RecordId AnnotationId, int Row);

    private readonly record struct Row(TideBox Box, int InputPosition, double Score, int DetectionRow);

    private static TideImageRecord MatchImage(Dataset dataset, TideSettings settings, int image, IouType overlap)
    {
        var objects = new List<GroundTruthRow>();
        var regions = new List<GroundTruthRow>();
        var detections = new List<Row>();
        GroundTruthTable gt = dataset.GroundTruth;
        DetectionTable dt = dataset.Detections;
        ReadOnlySpan<EvaluationUnit> units = dataset.Units;
        (int firstUnit, int unitCount) = dataset.UnitsOfImage(image).GetOffsetAndLength(units.Length);
        for (int u = firstUnit; u < firstUnit + unitCount; u++)
        {
            EvaluationUnit unit = units[u];
            for (int r = unit.GroundTruthStart; r < unit.GroundTruthStart + unit.GroundTruthCount; r++)
            {
                // Rule: crowd (TIDE's COCO loader), difficult and ignore boxes are ignore regions.
                var row = new GroundTruthRow(new TideBox(unit.Category, gt.Boxes[r]), gt.AnnotationIds[r], r);
                if (gt.Flags[r] == GroundTruthFlags.None) objects.Add(row);
                else regions.Add(row);
            }
            for (int r = unit.DetectionStart; r < unit.DetectionStart + unit.DetectionCount; r++)
            {
                detections.Add(new Row(new TideBox(unit.Category, dt.Boxes[r]), dt.InputPositions[r], dt.Scores[r], r));
            }
        }
        // Rule: ground truth in file order (ascending annotation id; string ids by code point); detections by
        // score, ties in input order, capped.
        objects.Sort(static (x, y) => x.AnnotationId.CompareTo(y.AnnotationId));
        regions.Sort(static (x, y) => x.AnnotationId.CompareTo(y.AnnotationId));
        detections.Sort(static (x, y) =>
        {
            int c = y.Score.CompareTo(x.Score);
            return c != 0 ? c : x.InputPosition.CompareTo(y.InputPosition);
        });
        if (detections.Count > settings.MaxDetectionsPerImage) detections.RemoveRange(settings.MaxDetectionsPerImage, detections.Count - settings.MaxDetectionsPerImage);

        if (detections.Count == 0)
        {
            // TIDE: an image without detections has every object missed.
            return new TideImageRecord(
                [.. objects.Select(o => new TideObject(o.Box.Class, Matched: false))], [],
                [.. objects.Select(o => new TideError(TideErrorType.Missed, o.Box.Class, 0, -1, TideMatcher.SizeOf(o.Box.Box.Area)))]);
        }

        TideBox[] objectBoxes = [.. objects.Select(o => o.Box)];
        var verdicts = new TideVerdict[detections.Count];
        bool[] used = new bool[objectBoxes.Length];
        TideBox[] regionBoxes = [.. regions.Select(r => r.Box)];
        TideBox[] detectionBoxes = [.. detections.Select(d => d.Box)];
        if (overlap == IouType.Segm)
        {
            (double[] iou, double[] regionIou) = MaskOverlaps(dataset, objects, regions, detections);
            TideMatcher.MatchImage(objectBoxes, regionBoxes, detectionBoxes, settings, iou, regionIou, verdicts, used);
        }
        else
        {
            TideMatcher.MatchImage(objectBoxes, regionBoxes, detectionBoxes, settings, verdicts, used);
        }
        return Record(objectBoxes, detections, verdicts, used);
    }

    /// <summary>
    /// TIDE's mask mode: the mask IoU of each detection with each object, and the mask crowd IoU (intersection
    /// over the detection's pixels) with each ignore region, on the run-length masks. A detection without a
    /// mask is its box's polygon, as in the segm evaluation.
    /// </summary>
    private static (double[] Iou, double[] RegionIou) MaskOverlaps(Dataset dataset, List<GroundTruthRow> objects, List<GroundTruthRow> regions, List<Row> detections)
    {
        GroundTruthTable gt = dataset.GroundTruth;
        int n = detections.Count, m = objects.Count, r = regions.Count;
        double[] iou = new double[n * m], regionIou = new double[n * r];
        var decoded = new DecodedCounts();
        for (int d = 0; d < n; d++)
        {
            RunLengthMask detection = CocoShapeMatchStage.DetectionMask(dataset, detections[d].DetectionRow);
            for (int g = 0; g < m; g++) iou[d * m + g] = MaskRules.Iou(detection, gt.Shapes[objects[g].Row]!.Mask!, groundTruthIsCrowd: false, decoded);
            for (int g = 0; g < r; g++) regionIou[d * r + g] = MaskRules.Iou(detection, gt.Shapes[regions[g].Row]!.Mask!, groundTruthIsCrowd: true, decoded);
        }
        return (iou, regionIou);
    }

    /// <summary>The image's data points and errors, with BestGTMatch deciding which errors a fix turns into TPs.</summary>
    private static TideImageRecord Record(TideBox[] objects, List<Row> detections, TideVerdict[] verdicts, bool[] used)
    {
        int m = objects.Length;
        var points = new List<TidePoint>();
        bool[] usable = new bool[m];
        double[] bestScore = new double[m];
        int[] bestDetection = new int[m];
        Array.Fill(bestScore, -1.0);   // BestGTMatch: best_score starts at -1
        Array.Fill(bestDetection, -1);
        for (int d = 0; d < detections.Count; d++)
        {
            TideVerdict verdict = verdicts[d];
            if (verdict.Kind == TideVerdictKind.Ignored) continue;
            points.Add(new TidePoint(detections[d].Box.Class, detections[d].Score, verdict.Kind == TideVerdictKind.Matched));
            if (verdict.Kind != TideVerdictKind.Error || !PointsAtUnusedObject(verdict, used)) continue;
            // BestGTMatch: the highest-scored error pointing at an unused object is the one a fix makes a TP.
            usable[verdict.Object] = true;
            if (bestScore[verdict.Object] < detections[d].Score)
            {
                bestScore[verdict.Object] = detections[d].Score;
                bestDetection[verdict.Object] = d;
            }
        }

        var errors = new List<TideError>();
        for (int d = 0; d < detections.Count; d++)
        {
            TideVerdict verdict = verdicts[d];
            if (verdict.Kind != TideVerdictKind.Error) continue;
            TideBox detection = detections[d].Box;
            int fixClass = -1;
            if (PointsAtUnusedObject(verdict, used) && bestDetection[verdict.Object] == d)
            {
                fixClass = verdict.Error == TideErrorType.Classification ? objects[verdict.Object].Class : detection.Class;
            }
            // Rule (TIDE's qualifiers): errors with an object take its area, the others the detection's.
            double area = verdict.Error is TideErrorType.Classification or TideErrorType.Localization ? objects[verdict.Object].Box.Area : detection.Box.Area;
            errors.Add(new TideError(verdict.Error, detection.Class, detections[d].Score, fixClass, TideMatcher.SizeOf(area)));
        }
        for (int g = 0; g < m; g++)
        {
            if (!used[g] && !usable[g]) errors.Add(new TideError(TideErrorType.Missed, objects[g].Class, 0, -1, TideMatcher.SizeOf(objects[g].Box.Area)));
        }
        return new TideImageRecord([.. objects.Select((o, g) => new TideObject(o.Class, used[g]))], points, errors);
    }

    private static bool PointsAtUnusedObject(TideVerdict verdict, bool[] used) =>
        verdict.Error is TideErrorType.Classification or TideErrorType.Localization && !used[verdict.Object];
}
