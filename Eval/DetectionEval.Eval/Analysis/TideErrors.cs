using DetectionEval.Eval.Data;
using DetectionEval.Eval.Matches;
using DetectionEval.Matching.Tide;

namespace DetectionEval.Eval.Analysis;

// TIDE's error counts and the AP each error type would give back if fixed (Bolya et al., "TIDE: A General
// Toolbox for Identifying Object Detection Errors", ECCV 2020; reference: dbolya/tide, tidecv/quantify.py
// TIDERun.fix_errors and fix_main_errors, tidecv/ap.py APDataObject.get_ap).
//
// Inputs: TIDE's match records (Matches/TideMatches.cs: per image its positives, data points, errors with
// what fixing each does, unmatched objects; the matching rules are Matching/Tide/TideMatcher.cs).
// Missed: an object no detection matched and no Classification or Localization error pointed at.
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
    public static ObjectSize SizeOf(double area) => TideMatcher.SizeOf(area);
}

/// <summary>Computes <see cref="TideResult"/>.</summary>
public static class TideAnalysis
{
    /// <summary>TIDE's errors and dAPs of a dataset: its TIDE match stage, then <see cref="Quantify"/> (tests use it).</summary>
    internal static TideResult Compute(Dataset dataset, TideSettings? settings = null, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Quantify(TideMatchStage.Match(dataset, settings ?? new TideSettings(), new ParallelOptions { MaxDegreeOfParallelism = threads ?? -1 }), threads);
    }

    /// <summary>Counts, the run's AP and every dAP from the images' outcomes, in image order.</summary>
    public static TideResult Quantify(TideMatches matches, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(matches);
        TideSettings settings = matches.Settings;
        var run = new TideRun(matches.ClassCount);
        foreach (TideImageRecord image in matches.Images) run.Add(image);
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
        private readonly List<TidePoint>[] _points = [.. Enumerable.Range(0, classCount).Select(_ => new List<TidePoint>())];
        private readonly int[] _positives = new int[classCount];
        private readonly int[] _unmatched = new int[classCount];
        private readonly List<int> _classOrder = [];
        private readonly bool[] _seen = new bool[classCount];

        public List<TideError> Errors { get; } = [];

        /// <summary>Rule (TIDERun._eval_image): positives first, then the detections' points; classes are seen in that order.</summary>
        public void Add(TideImageRecord image)
        {
            foreach (TideObject o in image.Objects)
            {
                See(o.Class);
                _positives[o.Class]++;
            }
            foreach (TidePoint point in image.Points)
            {
                See(point.Class);
                _points[point.Class].Add(point);
            }
            foreach (TideObject o in image.Objects)
            {
                if (!o.Matched) _unmatched[o.Class]++;
            }
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
            var points = new List<TidePoint>[_points.Length];
            for (int k = 0; k < points.Length; k++) points[k] = [];
            int[] positives = (int[])_positives.Clone();
            var order = new List<int>();
            bool[] seen = new bool[_points.Length];
            void Push(TidePoint p)
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
                    if (error.Type != TideErrorType.Missed) Push(new TidePoint(error.Class, error.Score, false));
                }
                else if (error.Type == TideErrorType.Missed)
                {
                    positives[error.Class]--;
                }
                else if (error.FixClass >= 0)
                {
                    Push(new TidePoint(error.FixClass, error.Score, true));
                }
            }
            foreach (int k in _classOrder)
            {
                foreach (TidePoint p in _points[k]) if (p.True) Push(p);
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
    private static double? MeanAp(IReadOnlyList<int> order, List<TidePoint>[] points, int[] positives)
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
    internal static double ClassAp(IReadOnlyList<TidePoint> points, int positives)
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
