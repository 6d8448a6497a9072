using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Analysis;

// The detection confusion matrix: which class each ground truth was detected as, at one confidence.
//
// Inputs: the VOC match records of the run (its profile: IoU threshold, overlap test, pixel convention),
// with each record's best ground truth and each detection's hits on other classes' ground truth (kept by
// the match stage for the analysis), and a confidence c (detections with score >= c are kept).
// Layout: (K + 1) x (K + 1) counts, row-major; rows are the ground truth's class, columns the detected
// class; index K (the last row and column) is "background".
// Rule, per image:
//   1. Every (image, class) unit's records (the evaluation's VOC matching of all its detections, in score
//      order); only detections with score >= c are kept. VOC matching is greedy in score order, so
//      dropping lower scores changes no kept outcome.
//   2. A kept TP of class k counts in cell [k, k]. A kept detection that hit a difficult (difficult,
//      ignore or crowd) ground truth is neither TP nor FP and counts nowhere (IgnoredDetections).
//   3. The kept FPs of the image, in score order (descending, equal scores in input order), each look at
//      the image's missed ground truth of the other classes (not difficult, not taken by a TP of its own
//      class) and take the one with the largest VOC IoU, the first one on ties, compared with all of them,
//      already confused or not (VOC's own rule). When that IoU passes the overlap test and the ground
//      truth is not yet confused, cell [its class, detected class] counts one and the ground truth is
//      confused; otherwise the FP counts in [background, detected class]. Only a hit can be confused, so
//      the largest IoU is looked for among the FP's hits (the match stage's cross-class hits) that are
//      missed: when none is, the largest IoU over all missed ground truth fails the test too.
//   4. Missed ground truth that no FP confused counts in [its class, background].
// So, per class k, at the same confidence and profile as the evaluation:
//   row k sums to npos_k (= TP_k + FN_k), column k sums to TP_k + FP_k, the diagonal is TP_k;
//   a confusion turns one FP and one FN into one cell, so the background row and column hold the rest.
// Sentinels: cell [background, background] is always 0. A confidence of -infinity keeps every detection.

/// <summary>
/// Counts of ground-truth class (rows) against detected class (columns) at one confidence, with a
/// background row and column; built with the VOC matching rules of the evaluation. Immutable.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[] _cells;

    internal ConfusionMatrix(IReadOnlyList<Category> categories, VocMatchSettings settings, double scoreThreshold, int[] cells, int ignoredDetections)
    {
        Categories = categories;
        Settings = settings;
        ScoreThreshold = scoreThreshold;
        _cells = cells;
        IgnoredDetections = ignoredDetections;
    }

    /// <summary>The classes, in ascending id order; index <see cref="Background"/> is background.</summary>
    public IReadOnlyList<Category> Categories { get; }

    /// <summary>The VOC profile the detections were matched under.</summary>
    public VocMatchSettings Settings { get; }

    /// <summary>Detections with a score at or above this are kept; negative infinity keeps all.</summary>
    public double ScoreThreshold { get; }

    /// <summary>Kept detections that hit a difficult ground truth: neither TP nor FP, in no cell.</summary>
    public int IgnoredDetections { get; }

    /// <summary>The index of the background row and column (the number of classes).</summary>
    public int Background => Categories.Count;

    /// <summary>Rows and columns: the classes and background.</summary>
    public int Size => Categories.Count + 1;

    /// <summary>All cells, row-major, <see cref="Size"/> x <see cref="Size"/>.</summary>
    public IReadOnlyList<int> Cells => _cells;

    /// <summary>Ground truth of class <paramref name="groundTruth"/> detected as <paramref name="detected"/> (either may be <see cref="Background"/>).</summary>
    public int this[int groundTruth, int detected] => _cells[groundTruth * Size + detected];

    /// <summary>The sum of row <paramref name="groundTruth"/>: for a class, its positives (npos).</summary>
    public int RowTotal(int groundTruth)
    {
        int sum = 0;
        for (int j = 0; j < Size; j++) sum += this[groundTruth, j];
        return sum;
    }

    /// <summary>The sum of column <paramref name="detected"/>: for a class, its kept TPs and FPs.</summary>
    public int ColumnTotal(int detected)
    {
        int sum = 0;
        for (int i = 0; i < Size; i++) sum += this[i, detected];
        return sum;
    }

    /// <summary>Kept detections of class <paramref name="k"/> that took a ground truth of their class.</summary>
    public int TruePositives(int k) => this[k, k];

    /// <summary>Kept detections of class <paramref name="k"/> that did not (column total minus the diagonal).</summary>
    public int FalsePositives(int k) => ColumnTotal(k) - this[k, k];

    /// <summary>Ground truth of class <paramref name="k"/> that no kept detection of its class took.</summary>
    public int FalseNegatives(int k) => RowTotal(k) - this[k, k];

    /// <summary>Cells off the diagonal between two classes: a detection of one class on a missed object of another.</summary>
    public int Confusions
    {
        get
        {
            int sum = 0;
            for (int i = 0; i < Background; i++)
            {
                for (int j = 0; j < Background; j++) if (i != j) sum += this[i, j];
            }
            return sum;
        }
    }

    /// <summary>The largest off-diagonal class-to-class cells, largest first (ties by row, then column).</summary>
    public IReadOnlyList<(int GroundTruth, int Detected, int Count)> TopConfusions(int count)
    {
        var cells = new List<(int, int, int)>();
        for (int i = 0; i < Background; i++)
        {
            for (int j = 0; j < Background; j++) if (i != j && this[i, j] > 0) cells.Add((i, j, this[i, j]));
        }
        return [.. cells.OrderByDescending(c => c.Item3).ThenBy(c => c.Item1).ThenBy(c => c.Item2).Take(count)];
    }
}

/// <summary>Builds the <see cref="ConfusionMatrix"/> from VOC match records.</summary>
public static class ConfusionMatrixBuilder
{
    /// <summary>The confusion matrix at <paramref name="scoreThreshold"/> of a run's VOC matches.</summary>
    /// <param name="matches">The VOC match records, with the overlaps kept for the analysis.</param>
    /// <param name="scoreThreshold">Detections with a score at or above it are kept; negative infinity keeps all.</param>
    /// <param name="threads">Worker threads; null for all cores. Results never depend on it.</param>
    public static ConfusionMatrix Build(VocMatches matches, double scoreThreshold, int? threads = null) =>
        BuildWithImages(matches, scoreThreshold, threads).Matrix;

    /// <summary>The matrix and, per image, how many of its kept FPs were confusions.</summary>
    internal static (ConfusionMatrix Matrix, int[] ConfusionsPerImage) BuildWithImages(VocMatches matches, double scoreThreshold, int? threads)
    {
        ArgumentNullException.ThrowIfNull(matches);
        if (double.IsNaN(scoreThreshold)) throw new ArgumentException("The score threshold must be a number.", nameof(scoreThreshold));
        if (matches.Overlaps is not { HasCrossClassHits: true }) throw new ArgumentException("The confusion matrix needs the cross-class hits of the match stage.", nameof(matches));
        Dataset dataset = matches.Dataset;
        int size = dataset.Categories.Count + 1;
        var perImage = new ImageCells[dataset.Images.Count];
        Parallel.For(
            0,
            perImage.Length,
            new ParallelOptions { MaxDegreeOfParallelism = threads ?? -1 },
            image => perImage[image] = CountImage(matches, scoreThreshold, image));

        // Integer counts: the order they are added in does not matter.
        int[] cells = new int[size * size];
        int ignored = 0;
        int[] confusions = new int[perImage.Length];
        for (int image = 0; image < perImage.Length; image++)
        {
            foreach ((int cell, int n) in perImage[image].Cells) cells[cell] += n;
            ignored += perImage[image].Ignored;
            confusions[image] = perImage[image].Confusions;
        }
        return (new ConfusionMatrix(dataset.Categories, matches.Settings, scoreThreshold, cells, ignored), confusions);
    }

    private sealed record ImageCells(Dictionary<int, int> Cells, int Ignored, int Confusions);

    private readonly record struct KeptFalsePositive(int Category, int Row, double Score, int InputPosition);

    private static ImageCells CountImage(VocMatches matches, double scoreThreshold, int image)
    {
        Dataset dataset = matches.Dataset;
        VocOverlaps overlaps = matches.Overlaps!;
        int background = dataset.Categories.Count, size = background + 1;
        var cells = new Dictionary<int, int>();
        void Count(int groundTruth, int detected) => cells[groundTruth * size + detected] = cells.GetValueOrDefault(groundTruth * size + detected) + 1;

        var falsePositives = new List<KeptFalsePositive>();
        // The image's missed ground truth (not difficult, not taken) by ground-truth row, with its class, in row order.
        var missed = new SortedDictionary<int, int>();
        int ignored = 0;
        ReadOnlySpan<EvaluationUnit> units = dataset.Units;
        GroundTruthTable gt = dataset.GroundTruth;
        (int firstUnit, int unitCount) = dataset.UnitsOfImage(image).GetOffsetAndLength(units.Length);
        for (int u = firstUnit; u < firstUnit + unitCount; u++)
        {
            EvaluationUnit unit = units[u];
            // Step 1: the unit's kept records, in score order, and the ground truth their TPs took.
            ReadOnlySpan<VocMatchRecord> kept = matches.KeptRecordsOfUnit(u, scoreThreshold);
            bool[] taken = matches.TakenGroundTruth(u, kept.Length);
            foreach (VocMatchRecord record in kept)
            {
                switch (record.Outcome)
                {
                    case VocOutcome.TruePositive:
                        Count(unit.Category, unit.Category);   // step 2
                        break;
                    case VocOutcome.Ignored:
                        ignored++;
                        break;
                    default:
                        falsePositives.Add(new KeptFalsePositive(unit.Category, record.Row, record.Score, record.InputPosition));
                        break;
                }
            }
            for (int g = 0; g < unit.GroundTruthCount; g++)
            {
                int row = unit.GroundTruthStart + g;
                if (!taken[g] && !VocMatcher.IsDifficult(gt.Flags[row])) missed.Add(row, unit.Category);
            }
        }

        // Step 3: the image's FPs in score order, equal scores in input order.
        falsePositives.Sort(static (x, y) =>
        {
            int c = y.Score.CompareTo(x.Score);
            return c != 0 ? c : x.InputPosition.CompareTo(y.InputPosition);
        });
        var confused = new HashSet<int>();
        int confusions = 0;
        foreach (KeptFalsePositive fp in falsePositives)
        {
            ReadOnlySpan<int> hitRows = overlaps.HitRows(fp.Row);
            ReadOnlySpan<double> hitIous = overlaps.HitIous(fp.Row);
            int jmax = -1;
            double ovmax = double.NegativeInfinity;
            for (int h = 0; h < hitRows.Length; h++)
            {
                // Hits come in ground-truth row order, the order of the missed list; strictly greater keeps the
                // first one on ties, as VOC's argmax does.
                if (missed.ContainsKey(hitRows[h]) && hitIous[h] > ovmax)
                {
                    ovmax = hitIous[h];
                    jmax = hitRows[h];
                }
            }
            if (jmax >= 0 && confused.Add(jmax))
            {
                confusions++;
                Count(missed[jmax], fp.Category);
            }
            else
            {
                Count(background, fp.Category);
            }
        }
        // Step 4.
        foreach ((int row, int category) in missed)
        {
            if (!confused.Contains(row)) Count(category, background);
        }
        return new ImageCells(cells, ignored, confusions);
    }
}
