namespace DetectionEval.Matching.Tide;

// TIDE's matching of one image (Bolya et al., "TIDE: A General Toolbox for Identifying Object Detection
// Errors", ECCV 2020; reference: dbolya/tide, tidecv/quantify.py TIDEExample._run and TIDERun._eval_image).
//
// Inputs, per image, all classes together: the objects (ground truth without a crowd, difficult or ignore
// flag) in ascending annotation id; the ignore regions (the flagged boxes) in the same order; the detections
// by score, descending, equal scores in input order, already cut to the image's detection cap.
// IoU: pycocotools' box IoU (IouRules.Coco); crowd IoU (over the detection's area) for ignore regions. TIDE's
// mask mode gives the same rules mask IoU and mask crowd IoU, measured by the caller.
// Rules:
//   Matching: each detection in order takes the unused object of its class with the largest IoU (the first
//   on ties) when that IoU >= ForegroundIou.
//   Ignoring: an unmatched detection whose crowd IoU with an ignore region of its class is > ForegroundIou
//   is ignored (no data point, no error).
//   Errors of the other unmatched detections, tested in TIDE's order: no object in the image -> Background;
//   BackgroundIou <= max IoU with its class's objects (used or not) <= ForegroundIou -> Localization;
//   max IoU with another class's object >= ForegroundIou -> Classification; max IoU with a used object of
//   its class >= ForegroundIou -> Duplicate; max IoU with any object <= BackgroundIou -> Background;
//   anything else -> Both. The argmaxes are numpy's over a row whose other entries are 0.
// Output: one verdict per detection, and which objects were used.

/// <summary>TIDE's main error types, in the order TIDE reports them.</summary>
public enum TideErrorType
{
    /// <summary>Cls: right place (IoU &gt;= 0.5 with an object), wrong class.</summary>
    Classification,

    /// <summary>Loc: right class, badly placed (0.1 &lt;= IoU &lt;= 0.5 with an object of its class).</summary>
    Localization,

    /// <summary>Both: wrong class and badly placed.</summary>
    Both,

    /// <summary>Dupe: would have been a TP had a higher-scored detection not taken its object.</summary>
    Duplicate,

    /// <summary>Bkg: on background (IoU &lt;= 0.1 with every object).</summary>
    Background,

    /// <summary>Miss: an object no detection found or nearly found.</summary>
    Missed,
}

/// <summary>COCO's object size ranges as TIDE's qualifiers draw them: small &lt;= 32², medium &lt;= 96², large above.</summary>
public enum ObjectSize
{
    /// <summary>Area up to 32² = 1024.</summary>
    Small,

    /// <summary>Area above 32², up to 96² = 9216.</summary>
    Medium,

    /// <summary>Area above 96².</summary>
    Large,
}

/// <summary>How TIDE runs.</summary>
/// <param name="ForegroundIou">A match needs at least this IoU (TIDE's pos_threshold, 0.5).</param>
/// <param name="BackgroundIou">At most this IoU with every object is background (TIDE's background_threshold, 0.1).</param>
/// <param name="MaxDetectionsPerImage">Detections kept per image, all classes together (TIDE's max_dets, 100 for COCO).</param>
public sealed record TideSettings(double ForegroundIou = 0.5, double BackgroundIou = 0.1, int MaxDetectionsPerImage = 100)
{
    /// <summary>Checks the settings, throwing <see cref="ArgumentException"/> for values TIDE cannot run with.</summary>
    public void Validate()
    {
        if (MaxDetectionsPerImage < 1) throw new ArgumentException("TIDE keeps at least one detection per image.", nameof(MaxDetectionsPerImage));
        if (!(BackgroundIou >= 0 && BackgroundIou <= ForegroundIou && ForegroundIou > 0 && ForegroundIou <= 1))
        {
            throw new ArgumentException("TIDE needs 0 <= background IoU <= foreground IoU <= 1 and a positive foreground IoU.", nameof(ForegroundIou));
        }
    }
}

/// <summary>A box of one image for TIDE: an object, an ignore region or a detection.</summary>
/// <param name="Class">Its class index.</param>
/// <param name="Box">The box.</param>
public readonly record struct TideBox(int Class, Box Box);

/// <summary>What TIDE made of one detection.</summary>
/// <param name="Kind">Matched, ignored or an error.</param>
/// <param name="Error">The error type, for <see cref="TideVerdictKind.Error"/>.</param>
/// <param name="Object">The object it matched, or the one its Classification, Localization or Duplicate error points at; -1 otherwise.</param>
public readonly record struct TideVerdict(TideVerdictKind Kind, TideErrorType Error, int Object);

/// <summary>The three fates of a detection in TIDE.</summary>
public enum TideVerdictKind
{
    /// <summary>It took an object of its class: a TP.</summary>
    Matched,

    /// <summary>It lies in an ignore region of its class: no data point, no error.</summary>
    Ignored,

    /// <summary>A false positive, with its error type.</summary>
    Error,
}

/// <summary>TIDE's matching of one image.</summary>
public static class TideMatcher
{
    /// <summary>Rule (TIDE's AREA qualifiers, tidecv/errors/qualifiers.py): small &lt;= 32², medium &lt;= 96², large above.</summary>
    public static ObjectSize SizeOf(double area) => area <= 32 * 32 ? ObjectSize.Small : area <= 96 * 96 ? ObjectSize.Medium : ObjectSize.Large;

    /// <summary>Matches one image's detections and names the error of each false positive.</summary>
    /// <param name="objects">Ground truth without flags, in ascending annotation id.</param>
    /// <param name="regions">Flagged ground truth (crowd, difficult, ignore): TIDE's ignore regions.</param>
    /// <param name="detections">Detections by score, descending (ties in input order), cut to the cap.</param>
    /// <param name="settings">TIDE's thresholds.</param>
    /// <param name="verdicts">Receives one verdict per detection.</param>
    /// <param name="used">Receives, per object, whether a detection matched it.</param>
    public static void MatchImage(
        ReadOnlySpan<TideBox> objects, ReadOnlySpan<TideBox> regions, ReadOnlySpan<TideBox> detections, TideSettings settings,
        Span<TideVerdict> verdicts, Span<bool> used)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int n = detections.Length, m = objects.Length, r = regions.Length;
        double[] iou = new double[n * m];   // row-major [detection, object], pycocotools' box IoU
        double[] regionIou = new double[n * r];   // row-major [detection, region], crowd IoU (over the detection's area)
        for (int d = 0; d < n; d++)
        {
            for (int g = 0; g < m; g++) iou[d * m + g] = IouRules.Coco(detections[d].Box, objects[g].Box, groundTruthIsCrowd: false);
            for (int g = 0; g < r; g++) regionIou[d * r + g] = IouRules.Coco(detections[d].Box, regions[g].Box, groundTruthIsCrowd: true);
        }
        MatchImage(objects, regions, detections, settings, iou, regionIou, verdicts, used);
    }

    /// <summary>
    /// Matches one image on overlaps measured elsewhere (TIDE's mask mode: mask IoU, and mask crowd IoU with
    /// the ignore regions); every rule but the overlap is the box path's.
    /// </summary>
    /// <param name="objects">Ground truth without flags, in ascending annotation id (classes; boxes unused here).</param>
    /// <param name="regions">Flagged ground truth: TIDE's ignore regions (classes).</param>
    /// <param name="detections">Detections by score, descending (ties in input order), cut to the cap (classes).</param>
    /// <param name="settings">TIDE's thresholds.</param>
    /// <param name="iou">IoU of each detection with each object, row-major [detection, object].</param>
    /// <param name="regionIou">Crowd IoU (intersection over the detection's area) of each detection with each region, row-major [detection, region].</param>
    /// <param name="verdicts">Receives one verdict per detection.</param>
    /// <param name="used">Receives, per object, whether a detection matched it.</param>
    public static void MatchImage(
        ReadOnlySpan<TideBox> objects, ReadOnlySpan<TideBox> regions, ReadOnlySpan<TideBox> detections, TideSettings settings,
        ReadOnlySpan<double> iou, ReadOnlySpan<double> regionIou, Span<TideVerdict> verdicts, Span<bool> used)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (verdicts.Length < detections.Length || used.Length < objects.Length) throw new ArgumentException("One verdict per detection and one flag per object are needed.", nameof(verdicts));
        int n = detections.Length, m = objects.Length, r = regions.Length;
        if (iou.Length < n * m || regionIou.Length < n * r) throw new ArgumentException("One overlap per detection and object, and per detection and region, is needed.", nameof(iou));
        used[..m].Clear();
        for (int d = 0; d < n; d++)
        {
            int match = MatchInScoreOrder(detections[d].Class, iou.Slice(d * m, m), objects, used, settings.ForegroundIou);
            verdicts[d] = match >= 0 ? new TideVerdict(TideVerdictKind.Matched, default, match) : new TideVerdict(TideVerdictKind.Error, default, -1);
        }
        for (int d = 0; d < n; d++)
        {
            if (verdicts[d].Kind == TideVerdictKind.Matched) continue;
            if (InIgnoreRegion(detections[d].Class, regionIou.Slice(d * r, r), regions, settings.ForegroundIou))
            {
                verdicts[d] = new TideVerdict(TideVerdictKind.Ignored, default, -1);
                continue;
            }
            (TideErrorType type, int target) = ClassifyFalsePositive(detections[d].Class, iou.Slice(d * m, m), objects, used, settings);
            verdicts[d] = new TideVerdict(TideVerdictKind.Error, type, target);
        }
    }

    /// <summary>
    /// Rule (TIDEExample): the unused object of the detection's class with the largest IoU, the first on
    /// ties, when it reaches the foreground IoU; it is marked used. -1 when there is none.
    /// </summary>
    private static int MatchInScoreOrder(int detectionClass, ReadOnlySpan<double> row, ReadOnlySpan<TideBox> objects, Span<bool> used, double foreground)
    {
        int best = -1;
        double max = 0;   // numpy's argmax over a row where other classes and used objects are 0
        for (int g = 0; g < row.Length; g++)
        {
            if (used[g] || objects[g].Class != detectionClass) continue;
            if (row[g] > max)
            {
                max = row[g];
                best = g;
            }
        }
        if (best < 0 || max < foreground) return -1;
        used[best] = true;
        return best;
    }

    /// <summary>Rule: an unmatched detection whose crowd IoU with an ignore region of its class is above the foreground IoU is ignored.</summary>
    private static bool InIgnoreRegion(int detectionClass, ReadOnlySpan<double> crowdIou, ReadOnlySpan<TideBox> regions, double foreground)
    {
        for (int g = 0; g < regions.Length; g++)
        {
            if (regions[g].Class == detectionClass && crowdIou[g] > foreground) return true;
        }
        return false;
    }

    /// <summary>Rule (TIDERun._eval_image): the tests in TIDE's order; the first that holds names the error.</summary>
    private static (TideErrorType Type, int Object) ClassifyFalsePositive(
        int detectionClass, ReadOnlySpan<double> row, ReadOnlySpan<TideBox> objects, ReadOnlySpan<bool> used, TideSettings settings)
    {
        if (row.Length == 0) return (TideErrorType.Background, -1);
        (int own, double ownIou) = ArgMax(row, objects, used, g => g.Class == detectionClass);
        if (settings.BackgroundIou <= ownIou && ownIou <= settings.ForegroundIou) return (TideErrorType.Localization, own);
        (int other, double otherIou) = ArgMax(row, objects, used, g => g.Class != detectionClass);
        if (otherIou >= settings.ForegroundIou) return (TideErrorType.Classification, other);
        (int taken, double takenIou) = ArgMax(row, objects, used, g => g.Used && g.Class == detectionClass);
        if (takenIou >= settings.ForegroundIou) return (TideErrorType.Duplicate, taken);
        (_, double anyIou) = ArgMax(row, objects, used, _ => true);
        if (anyIou <= settings.BackgroundIou) return (TideErrorType.Background, -1);
        return (TideErrorType.Both, -1);
    }

    private readonly record struct Candidate(int Class, bool Used);

    /// <summary>numpy's argmax of a row whose entries outside <paramref name="include"/> are 0: the first largest, index 0 when all are 0.</summary>
    private static (int Index, double Value) ArgMax(ReadOnlySpan<double> row, ReadOnlySpan<TideBox> objects, ReadOnlySpan<bool> used, Func<Candidate, bool> include)
    {
        int index = 0;
        double max = include(new Candidate(objects[0].Class, used[0])) ? row[0] : 0;
        for (int g = 1; g < row.Length; g++)
        {
            double v = include(new Candidate(objects[g].Class, used[g])) ? row[g] : 0;
            if (v > max)
            {
                max = v;
                index = g;
            }
        }
        return (index, max);
    }
}
