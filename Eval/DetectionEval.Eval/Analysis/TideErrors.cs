using DetectionEval.Eval.Data;
using DetectionEval.Matching;

namespace DetectionEval.Eval.Analysis;

// TIDE's six error types and the AP each would give back if fixed (Bolya et al., "TIDE: A General Toolbox
// for Identifying Object Detection Errors", ECCV 2020; reference: dbolya/tide, tidecv/quantify.py
// TIDEExample, TIDERun._eval_image and fix_errors, tidecv/ap.py APDataObject.get_ap, tidecv/errors/).
//
// Inputs: the dataset. Per image, all classes together:
//   - ground truth: boxes without a crowd, difficult or ignore flag, in ascending annotation id (TIDE keeps
//     file order; COCO files list annotations by id). Flagged boxes are TIDE's "ignore regions" (TIDE's
//     COCO loader makes each crowd one; deval also makes difficult and ignore boxes one).
//   - detections: score descending, equal scores in input order, the first MaxDetectionsPerImage (100) kept.
//   - IoU: pycocotools' box IoU (IouRules.Coco); crowd IoU (over the detection's area) for ignore regions.
// Matching (TIDEExample._run): each detection in order takes the unused ground truth of its class with the
// largest IoU (the first one on ties) when that IoU >= ForegroundIou. An unmatched detection whose crowd
// IoU with an ignore region of its class is > ForegroundIou is ignored: no data point and no error.
// Errors of the other unmatched detections, tested in TIDE's order (TIDERun._eval_image):
//   no ground truth in the image -> Background;
//   Localization: BackgroundIou <= max IoU with its class's ground truth (used or not) <= ForegroundIou;
//   Classification: max IoU with another class's ground truth >= ForegroundIou;
//   Duplicate: max IoU with a used ground truth of its class >= ForegroundIou;
//   Background: max IoU with any ground truth <= BackgroundIou;
//   Both: anything else (wrong class and badly placed).
// Missed: a ground truth no detection matched and no Classification or Localization error pointed at.
// dAP (TIDERun.fix_errors, fix_main_errors): the detections are re-scored with the errors of one type fixed
// and the others as they were: a Localization or Classification error becomes a TP (of the ground truth's
// class for Classification) only if its ground truth is unused and it is the highest-scored error pointing
// at it (BestGTMatch), otherwise it is removed; Duplicate, Background and Both errors are removed; a Missed
// error removes its ground truth from the positives. dAP = max(mAP fixed - mAP, 0). The special errors:
// FalsePos scores every TP 1 and every FP 0 (perfect precision), FalseNeg removes every unmatched ground
// truth from the positives (perfect recall); their dAP is not clamped.
// AP (APDataObject.get_ap): per class, data points stably sorted by score descending (in the order TIDE
// pushes them: the run's in image order, a fixed run's errors first, then its TPs), precision tp/(tp+fp)
// made non-increasing from the right, read at np.searchsorted(recall, r/100, 'left') for r = 0..100 (0 past
// the end), AP = sum / 101 * 100: TIDE's AP points, 0..100. A class with positives but no data point has
// AP 0, a class with data points but no positives has AP 0 and counts in the mean, a class with neither is
// left out; the mean adds classes in the order TIDE's dictionary first saw them.
// Size ranges (tidecv/errors/qualifiers.py AREA): a Classification, Localization or Missed error takes the
// area w*h of its ground truth, the others of the detection; small <= 32^2 < medium <= 96^2 < large. A
// size's dAP fixes only the errors of that type and size.
// Sentinels: AP and the dAPs are null when no class has data points or positives (TIDE divides by zero).

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
public sealed record TideSettings(double ForegroundIou = 0.5, double BackgroundIou = 0.1, int MaxDetectionsPerImage = 100);

/// <summary>One error type in one size range.</summary>
/// <param name="Size">The size range.</param>
/// <param name="Count">Errors of the type in that range.</param>
/// <param name="DeltaAp">AP points gained by fixing only those; null when TIDE's AP does not exist.</param>
public sealed record TideSizeErrors(ObjectSize Size, int Count, double? DeltaAp);

/// <summary>One error type: how many, and the AP points fixing all of them would give.</summary>
/// <param name="Type">The type.</param>
/// <param name="Count">How many errors of the type.</param>
/// <param name="DeltaAp">AP points gained by fixing them (TIDE's dAP); null when TIDE's AP does not exist.</param>
/// <param name="BySize">The same per size range, small, medium, large.</param>
public sealed record TideErrorSummary(TideErrorType Type, int Count, double? DeltaAp, IReadOnlyList<TideSizeErrors> BySize);

/// <summary>TIDE's breakdown of a whole evaluation.</summary>
/// <param name="Settings">The thresholds and detection cap.</param>
/// <param name="Ap">TIDE's mAP at <see cref="TideSettings.ForegroundIou"/>, in AP points (0..100); null without data.</param>
/// <param name="Errors">The six main error types in TIDE's order.</param>
/// <param name="FalsePositiveDeltaAp">TIDE's special FalsePos dAP: perfect precision at the same recall.</param>
/// <param name="FalseNegativeDeltaAp">TIDE's special FalseNeg dAP: perfect recall at the same precision.</param>
public sealed record TideResult(
    TideSettings Settings, double? Ap, IReadOnlyList<TideErrorSummary> Errors, double? FalsePositiveDeltaAp, double? FalseNegativeDeltaAp)
{
    /// <summary>TIDE's short names (Cls, Loc, Both, Dupe, Bkg, Miss), as its summary table prints them.</summary>
    public static string ShortName(TideErrorType type) => type switch
    {
        TideErrorType.Classification => "Cls",
        TideErrorType.Localization => "Loc",
        TideErrorType.Both => "Both",
        TideErrorType.Duplicate => "Dupe",
        TideErrorType.Background => "Bkg",
        _ => "Miss",
    };

    /// <summary>The lower-case name of a size range.</summary>
    public static string SizeName(ObjectSize size) => size switch
    {
        ObjectSize.Small => "small",
        ObjectSize.Medium => "medium",
        _ => "large",
    };

    /// <summary>Rule (TIDE's AREA qualifiers): small &lt;= 32², medium &lt;= 96², large above.</summary>
    public static ObjectSize SizeOf(double area) => area <= 32 * 32 ? ObjectSize.Small : area <= 96 * 96 ? ObjectSize.Medium : ObjectSize.Large;
}

/// <summary>Computes <see cref="TideResult"/>.</summary>
public static class TideAnalysis
{
    /// <summary>One TIDE error: what it is, the data point it was, and what fixing it does.</summary>
    /// <param name="Type">Its type.</param>
    /// <param name="Class">The detection's class, or the missed ground truth's.</param>
    /// <param name="Score">The detection's score (unused for Missed).</param>
    /// <param name="FixClass">The class it becomes a TP of when fixed, or -1 when fixing removes it.</param>
    /// <param name="Size">The size range TIDE's qualifier puts it in.</param>
    internal readonly record struct TideError(TideErrorType Type, int Class, double Score, int FixClass, ObjectSize Size);

    /// <summary>One data point of TIDE's AP: a non-ignored detection (kept within the cap) and whether it was a TP.</summary>
    internal readonly record struct DataPoint(int Class, double Score, bool True);

    /// <summary>What one image contributes, in TIDE's push order.</summary>
    internal sealed record ImageOutcome(
        IReadOnlyList<int> GroundTruthClasses, IReadOnlyList<DataPoint> Points, IReadOnlyList<TideError> Errors, IReadOnlyList<int> UnmatchedClasses);

    /// <summary>TIDE's errors and dAPs of a dataset.</summary>
    public static TideResult Compute(Dataset dataset, TideSettings? settings = null, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        settings ??= new TideSettings();
        if (settings.MaxDetectionsPerImage < 1) throw new ArgumentException("TIDE keeps at least one detection per image.", nameof(settings));
        if (!(settings.BackgroundIou >= 0 && settings.BackgroundIou <= settings.ForegroundIou && settings.ForegroundIou > 0 && settings.ForegroundIou <= 1))
        {
            throw new ArgumentException("TIDE needs 0 <= background IoU <= foreground IoU <= 1 and a positive foreground IoU.", nameof(settings));
        }
        ImageOutcome[] images = ClassifyImages(dataset, settings, threads);
        return Quantify(dataset.Categories.Count, images, settings, threads);
    }

    /// <summary>Every image matched and its errors found; images share no state.</summary>
    internal static ImageOutcome[] ClassifyImages(Dataset dataset, TideSettings settings, int? threads)
    {
        int[] firstUnit = ImageUnits.FirstUnitOfEachImage(dataset);
        var images = new ImageOutcome[dataset.Images.Count];
        Parallel.For(0, images.Length, new ParallelOptions { MaxDegreeOfParallelism = threads ?? -1 },
            image => images[image] = ClassifyImage(dataset, settings, image, firstUnit));
        return images;
    }

    private readonly record struct Object(int Class, Box Box, RecordId AnnotationId);

    private readonly record struct Detection(int Class, Box Box, double Score, int InputPosition);

    private static ImageOutcome ClassifyImage(Dataset dataset, TideSettings settings, int image, int[] firstUnit)
    {
        var objects = new List<Object>();
        var regions = new List<Object>();
        var detections = new List<Detection>();
        GroundTruthTable gt = dataset.GroundTruth;
        DetectionTable dt = dataset.Detections;
        ReadOnlySpan<EvaluationUnit> units = dataset.Units;
        for (int u = firstUnit[image]; u < firstUnit[image + 1]; u++)
        {
            EvaluationUnit unit = units[u];
            for (int r = unit.GroundTruthStart; r < unit.GroundTruthStart + unit.GroundTruthCount; r++)
            {
                // Rule: crowd (TIDE's COCO loader), difficult and ignore boxes are ignore regions.
                var o = new Object(unit.Category, gt.Boxes[r], gt.AnnotationIds[r]);
                if (gt.Flags[r] == GroundTruthFlags.None) objects.Add(o);
                else regions.Add(o);
            }
            for (int r = unit.DetectionStart; r < unit.DetectionStart + unit.DetectionCount; r++)
            {
                detections.Add(new Detection(unit.Category, dt.Boxes[r], dt.Scores[r], dt.InputPositions[r]));
            }
        }
        // Rule: ground truth in file order (ascending annotation id; string ids by code point); detections by score, ties in input order, capped.
        objects.Sort(static (x, y) => x.AnnotationId.CompareTo(y.AnnotationId));
        regions.Sort(static (x, y) => x.AnnotationId.CompareTo(y.AnnotationId));
        detections.Sort(static (x, y) =>
        {
            int c = y.Score.CompareTo(x.Score);
            return c != 0 ? c : x.InputPosition.CompareTo(y.InputPosition);
        });
        if (detections.Count > settings.MaxDetectionsPerImage) detections.RemoveRange(settings.MaxDetectionsPerImage, detections.Count - settings.MaxDetectionsPerImage);

        int[] groundTruthClasses = [.. objects.Select(o => o.Class)];
        if (detections.Count == 0)
        {
            // TIDE: an image without detections has every object missed.
            return new ImageOutcome(
                groundTruthClasses, [],
                [.. objects.Select(o => new TideError(TideErrorType.Missed, o.Class, 0, -1, TideResult.SizeOf(o.Box.Area)))],
                groundTruthClasses);
        }

        int n = detections.Count, m = objects.Count;
        double[] iou = new double[n * m];   // row-major [detection, object], pycocotools' box IoU
        for (int d = 0; d < n; d++)
        {
            for (int g = 0; g < m; g++) iou[d * m + g] = IouRules.Coco(detections[d].Box, objects[g].Box, groundTruthIsCrowd: false);
        }
        bool[] used = new bool[m];
        int?[] matched = MatchInScoreOrder(detections, objects, iou, used, settings.ForegroundIou);
        bool[] ignored = IgnoredByRegions(detections, regions, matched, settings.ForegroundIou);

        var points = new List<DataPoint>();
        var errors = new List<(TideError Error, int Detection, int Object)>();
        bool[] usable = new bool[m];
        double[] bestScore = new double[m];
        int[] bestDetection = new int[m];
        Array.Fill(bestScore, -1.0);   // BestGTMatch: best_score starts at -1
        Array.Fill(bestDetection, -1);
        for (int d = 0; d < n; d++)
        {
            Detection det = detections[d];
            if (ignored[d]) continue;
            points.Add(new DataPoint(det.Class, det.Score, matched[d] is not null));
            if (matched[d] is not null) continue;
            (TideErrorType type, int target) = ClassifyFalsePositive(det, d, objects, iou, used, settings);
            if (type is TideErrorType.Classification or TideErrorType.Localization && !used[target])
            {
                // BestGTMatch: the highest-scored error pointing at an unused object is the one a fix makes a TP.
                usable[target] = true;
                if (bestScore[target] < det.Score)
                {
                    bestScore[target] = det.Score;
                    bestDetection[target] = d;
                }
            }
            errors.Add((new TideError(type, det.Class, det.Score, -1, SizeOfError(type, det, target, objects)), d, target));
        }

        var outcome = new List<TideError>(errors.Count + m);
        foreach ((TideError error, int d, int target) in errors)
        {
            int fixClass = -1;
            if (error.Type is TideErrorType.Classification or TideErrorType.Localization && !used[target] && bestDetection[target] == d)
            {
                fixClass = error.Type == TideErrorType.Classification ? objects[target].Class : error.Class;
            }
            outcome.Add(error with { FixClass = fixClass });
        }
        var unmatchedClasses = new List<int>();
        for (int g = 0; g < m; g++)
        {
            if (used[g]) continue;
            unmatchedClasses.Add(objects[g].Class);
            if (!usable[g]) outcome.Add(new TideError(TideErrorType.Missed, objects[g].Class, 0, -1, TideResult.SizeOf(objects[g].Box.Area)));
        }
        return new ImageOutcome(groundTruthClasses, points, outcome, unmatchedClasses);
    }

    /// <summary>
    /// Rule (TIDEExample): in score order, each detection takes the unused object of its class with the
    /// largest IoU, the first on ties, when it reaches the foreground IoU.
    /// </summary>
    private static int?[] MatchInScoreOrder(List<Detection> detections, List<Object> objects, double[] iou, bool[] used, double foreground)
    {
        int m = objects.Count;
        var matched = new int?[detections.Count];
        for (int d = 0; d < detections.Count; d++)
        {
            int best = -1;
            double max = 0;   // numpy's argmax over a row where other classes and used objects are 0
            for (int g = 0; g < m; g++)
            {
                if (used[g] || objects[g].Class != detections[d].Class) continue;
                if (iou[d * m + g] > max)
                {
                    max = iou[d * m + g];
                    best = g;
                }
            }
            if (best >= 0 && max >= foreground)
            {
                used[best] = true;
                matched[d] = best;
            }
        }
        return matched;
    }

    /// <summary>Rule: an unmatched detection whose crowd IoU with an ignore region of its class is above the foreground IoU is ignored.</summary>
    private static bool[] IgnoredByRegions(List<Detection> detections, List<Object> regions, int?[] matched, double foreground)
    {
        bool[] ignored = new bool[detections.Count];
        foreach (Object region in regions)
        {
            for (int d = 0; d < detections.Count; d++)
            {
                if (matched[d] is null && !ignored[d] && region.Class == detections[d].Class
                    && IouRules.Coco(detections[d].Box, region.Box, groundTruthIsCrowd: true) > foreground)
                {
                    ignored[d] = true;
                }
            }
        }
        return ignored;
    }

    /// <summary>Rule (TIDERun._eval_image): the tests in TIDE's order; the first that holds names the error.</summary>
    private static (TideErrorType Type, int Object) ClassifyFalsePositive(
        Detection det, int d, List<Object> objects, double[] iou, bool[] used, TideSettings settings)
    {
        int m = objects.Count;
        if (m == 0) return (TideErrorType.Background, -1);
        ReadOnlySpan<double> row = iou.AsSpan(d * m, m);
        (int own, double ownIou) = ArgMax(row, g => objects[g].Class == det.Class);
        if (settings.BackgroundIou <= ownIou && ownIou <= settings.ForegroundIou) return (TideErrorType.Localization, own);
        (int other, double otherIou) = ArgMax(row, g => objects[g].Class != det.Class);
        if (otherIou >= settings.ForegroundIou) return (TideErrorType.Classification, other);
        (int taken, double takenIou) = ArgMax(row, g => used[g] && objects[g].Class == det.Class);
        if (takenIou >= settings.ForegroundIou) return (TideErrorType.Duplicate, taken);
        (_, double anyIou) = ArgMax(row, _ => true);
        if (anyIou <= settings.BackgroundIou) return (TideErrorType.Background, -1);
        return (TideErrorType.Both, -1);
    }

    /// <summary>numpy's argmax of a row whose entries outside <paramref name="include"/> are 0: the first largest, index 0 when all are 0.</summary>
    private static (int Index, double Value) ArgMax(ReadOnlySpan<double> row, Func<int, bool> include)
    {
        int index = 0;
        double max = include(0) ? row[0] : 0;
        for (int g = 1; g < row.Length; g++)
        {
            double v = include(g) ? row[g] : 0;
            if (v > max)
            {
                max = v;
                index = g;
            }
        }
        return (index, max);
    }

    /// <summary>Rule (TIDE's qualifiers): errors with a ground truth take its area, the others the detection's.</summary>
    private static ObjectSize SizeOfError(TideErrorType type, Detection det, int target, List<Object> objects) =>
        type is TideErrorType.Classification or TideErrorType.Localization
            ? TideResult.SizeOf(objects[target].Box.Area)
            : TideResult.SizeOf(det.Box.Area);

    /// <summary>Counts, the run's AP and every dAP from the images' outcomes, in image order.</summary>
    internal static TideResult Quantify(int classCount, IReadOnlyList<ImageOutcome> images, TideSettings settings, int? threads = null)
    {
        var run = new TideRun(classCount);
        foreach (ImageOutcome image in images) run.Add(image);
        double? ap = run.BaseMeanAp();
        TideErrorType[] types = Enum.GetValues<TideErrorType>();
        ObjectSize[] sizes = Enum.GetValues<ObjectSize>();
        // Every re-scoring reads the run and writes its own slot, so they run in parallel with the same results:
        // per type, one for all its errors and one per size; then FalsePos and FalseNeg.
        int perType = 1 + sizes.Length;
        var fixedAp = new double?[types.Length * perType + 2];
        Parallel.For(0, fixedAp.Length, new ParallelOptions { MaxDegreeOfParallelism = threads ?? -1 }, i =>
        {
            if (i == fixedAp.Length - 2) fixedAp[i] = run.FixedMeanAp(_ => false, perfectPrecision: true);
            else if (i == fixedAp.Length - 1) fixedAp[i] = run.FixedMeanAp(_ => false, perfectRecall: true);
            else
            {
                TideErrorType type = types[i / perType];
                int size = i % perType - 1;
                fixedAp[i] = size < 0 ? run.FixedMeanAp(e => e.Type == type) : run.FixedMeanAp(e => e.Type == type && e.Size == sizes[size]);
            }
        });
        var errors = new List<TideErrorSummary>();
        for (int t = 0; t < types.Length; t++)
        {
            TideErrorType type = types[t];
            TideSizeErrors[] bySize = [.. sizes.Select((size, s) => new TideSizeErrors(
                size, run.Errors.Count(e => e.Type == type && e.Size == size), Gain(ap, fixedAp[t * perType + 1 + s])))];
            errors.Add(new TideErrorSummary(type, run.Errors.Count(e => e.Type == type), Gain(ap, fixedAp[t * perType]), bySize));
        }
        return new TideResult(
            settings, ap, errors,
            ap is double a && fixedAp[^2] is double p ? p - a : null,
            ap is double b && fixedAp[^1] is double r ? r - b : null);
    }

    /// <summary>Rule: a negative gain is a binning artefact and counts as 0 (TIDE's fix_main_errors).</summary>
    private static double? Gain(double? ap, double? fixedAp) => ap is double a && fixedAp is double f ? Math.Max(f - a, 0) : null;

    /// <summary>TIDE's run state: data points per class in push order, positives, errors and the order classes were first seen.</summary>
    private sealed class TideRun(int classCount)
    {
        private readonly List<DataPoint>[] _points = [.. Enumerable.Range(0, classCount).Select(_ => new List<DataPoint>())];
        private readonly int[] _positives = new int[classCount];
        private readonly int[] _unmatched = new int[classCount];
        private readonly List<int> _classOrder = [];
        private readonly bool[] _seen = new bool[classCount];

        public List<TideError> Errors { get; } = [];

        /// <summary>Rule (TIDERun._eval_image): positives first, then the detections' points; classes are seen in that order.</summary>
        public void Add(ImageOutcome image)
        {
            foreach (int k in image.GroundTruthClasses)
            {
                See(k);
                _positives[k]++;
            }
            foreach (DataPoint point in image.Points)
            {
                See(point.Class);
                _points[point.Class].Add(point);
            }
            foreach (int k in image.UnmatchedClasses) _unmatched[k]++;
            Errors.AddRange(image.Errors);
        }

        private void See(int k)
        {
            if (_seen[k]) return;
            _seen[k] = true;
            _classOrder.Add(k);
        }

        public double? BaseMeanAp() => MeanAp(_classOrder, _points, _positives);

        /// <summary>
        /// Rule (TIDERun.fix_errors): the errors' points first, in error order (fixed or as they were), then
        /// every TP of the run; classes first seen through the errors come first in the mean.
        /// </summary>
        public double? FixedMeanAp(Func<TideError, bool> fix, bool perfectPrecision = false, bool perfectRecall = false)
        {
            var points = new List<DataPoint>[_points.Length];
            for (int k = 0; k < points.Length; k++) points[k] = [];
            int[] positives = (int[])_positives.Clone();
            var order = new List<int>();
            bool[] seen = new bool[_points.Length];
            void Push(DataPoint p)
            {
                if (perfectPrecision) p = p with { Score = p.True ? 1 : 0 };
                points[p.Class].Add(p);
                if (seen[p.Class]) return;
                seen[p.Class] = true;
                order.Add(p.Class);
            }
            foreach (TideError error in Errors)
            {
                if (!fix(error))
                {
                    if (error.Type != TideErrorType.Missed) Push(new DataPoint(error.Class, error.Score, false));
                }
                else if (error.Type == TideErrorType.Missed)
                {
                    positives[error.Class]--;
                }
                else if (error.FixClass >= 0)
                {
                    Push(new DataPoint(error.FixClass, error.Score, true));
                }
            }
            foreach (int k in _classOrder)
            {
                foreach (DataPoint p in _points[k]) if (p.True) Push(p);
            }
            foreach (int k in _classOrder)
            {
                if (perfectRecall) positives[k] -= _unmatched[k];
                if (seen[k]) continue;
                seen[k] = true;
                order.Add(k);
            }
            return MeanAp(order, points, positives);
        }
    }

    /// <summary>Rule (ClassedAPDataObject.get_mAP): the plain mean over classes with data points or positives, in <paramref name="order"/>.</summary>
    private static double? MeanAp(IReadOnlyList<int> order, List<DataPoint>[] points, int[] positives)
    {
        double sum = 0;
        int count = 0;
        foreach (int k in order)
        {
            if (points[k].Count == 0 && positives[k] == 0) continue;
            sum += ClassAp(points[k], positives[k]);
            count++;
        }
        return count == 0 ? null : sum / count;
    }

    /// <summary>Rule (APDataObject.get_ap): COCO-style 101-point AP, in AP points.</summary>
    internal static double ClassAp(IReadOnlyList<DataPoint> points, int positives)
    {
        if (positives == 0) return 0;
        // Python's list.sort is stable: equal scores keep push order.
        int[] order = [.. Enumerable.Range(0, points.Count)];
        Array.Sort(order, (x, y) =>
        {
            int c = points[y].Score.CompareTo(points[x].Score);
            return c != 0 ? c : x.CompareTo(y);
        });
        int n = points.Count;
        double[] precision = new double[n], recall = new double[n];
        int tp = 0, fp = 0;
        for (int i = 0; i < n; i++)
        {
            if (points[order[i]].True) tp++;
            else fp++;
            precision[i] = (double)tp / (tp + fp);
            recall[i] = (double)tp / positives;
        }
        for (int i = n - 1; i > 0; i--)
        {
            if (precision[i] > precision[i - 1]) precision[i - 1] = precision[i];
        }
        // Python's sum over the 101 bars, left to right; a bar past the curve's end is 0.
        double sum = 0;
        int index = 0;
        for (int bar = 0; bar <= 100; bar++)
        {
            double x = bar / 100.0;
            // np.searchsorted(recall, x, side='left'): the first index whose recall is >= x.
            while (index < n && recall[index] < x) index++;
            if (index < n) sum += precision[index];
        }
        return sum / 101 * 100;
    }
}
