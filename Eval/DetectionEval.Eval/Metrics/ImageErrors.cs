using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Metrics;

// Per-image error review: which boxes of an image are right, wrong or missed at one confidence.
//
// Inputs: the dataset, a VOC profile and a confidence c.
// Rule: every (image, class) unit is matched with the VOC rules on all its detections (VocMatcher), and
// then only detections with score >= c are kept. VOC matching is greedy in score order, so dropping the
// lower-scored detections changes no kept detection's outcome. A kept TP takes its best ground truth;
// a non-difficult ground truth that no kept TP took is a false negative; difficult ground truth and
// detections that hit it are ignored. An image's errors are its false positives plus false negatives.
// Order of the worst images: errors descending, then ascending image id.
// Sentinels: images without errors are never among the worst.

/// <summary>What a box on an image turned out to be.</summary>
public enum BoxVerdict
{
    /// <summary>A kept detection that took a ground truth.</summary>
    TruePositive,

    /// <summary>A kept detection that missed or duplicated.</summary>
    FalsePositive,

    /// <summary>A ground truth that no kept detection found.</summary>
    FalseNegative,

    /// <summary>A difficult (ignored) ground truth, or a kept detection that hit one.</summary>
    Ignored,
}

/// <summary>One box of a reviewed image.</summary>
/// <param name="Category">Category index into <see cref="Dataset.Categories"/>.</param>
/// <param name="Box">The box as loaded.</param>
/// <param name="Score">The detection's score; null for ground truth.</param>
/// <param name="Verdict">What it turned out to be.</param>
public readonly record struct ReviewedBox(int Category, Box Box, double? Score, BoxVerdict Verdict);

/// <summary>The error counts of one image at one confidence.</summary>
/// <param name="Image">Image index into <see cref="Dataset.Images"/>.</param>
/// <param name="TruePositives">Kept detections that took a ground truth.</param>
/// <param name="FalsePositives">Kept detections that did not.</param>
/// <param name="FalseNegatives">Ground truth that no kept detection found.</param>
/// <param name="Ignored">Difficult ground truth and kept detections that hit it.</param>
public sealed record ImageErrorCounts(int Image, int TruePositives, int FalsePositives, int FalseNegatives, int Ignored)
{
    /// <summary>False positives plus false negatives.</summary>
    public int Errors => FalsePositives + FalseNegatives;
}

/// <summary>One image with its counts and every box to draw.</summary>
/// <param name="Counts">Its error counts.</param>
/// <param name="Boxes">Ground truth (false negatives and ignored) and kept detections.</param>
public sealed record ImageReview(ImageErrorCounts Counts, IReadOnlyList<ReviewedBox> Boxes);

/// <summary>Finds the images with the most errors and lists their boxes.</summary>
public static class ImageErrors
{
    /// <summary>The <paramref name="count"/> images with the most errors at confidence <paramref name="minimumScore"/>.</summary>
    public static IReadOnlyList<ImageReview> Worst(Dataset dataset, VocMatchSettings settings, double minimumScore, int count, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ImageErrorCounts[] counts = CountAll(dataset, settings, minimumScore, threads);
        int[] worst = [.. Enumerable.Range(0, counts.Length)
            .Where(i => counts[i].Errors > 0)
            .OrderByDescending(i => counts[i].Errors)
            .ThenBy(i => dataset.Images[i].Id)
            .Take(count)];
        return [.. worst.Select(i => Review(dataset, settings, minimumScore, i))];
    }

    /// <summary>Error counts of every image, indexed like <see cref="Dataset.Images"/>.</summary>
    public static ImageErrorCounts[] CountAll(Dataset dataset, VocMatchSettings settings, double minimumScore, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        int[] firstUnit = FirstUnitOfEachImage(dataset);
        var counts = new ImageErrorCounts[dataset.Images.Count];
        var matcher = new VocMatcher(settings);
        Parallel.For(
            0,
            counts.Length,
            new ParallelOptions { MaxDegreeOfParallelism = threads ?? -1 },
            () => new VocMatchScratch(),
            (image, _, scratch) =>
            {
                counts[image] = ReviewImage(dataset, matcher, scratch, minimumScore, image, firstUnit, boxes: null);
                return scratch;
            },
            _ => { });
        return counts;
    }

    /// <summary>One image's counts and boxes.</summary>
    public static ImageReview Review(Dataset dataset, VocMatchSettings settings, double minimumScore, int image)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var boxes = new List<ReviewedBox>();
        ImageErrorCounts counts = ReviewImage(dataset, new VocMatcher(settings), new VocMatchScratch(), minimumScore, image, FirstUnitOfEachImage(dataset), boxes);
        return new ImageReview(counts, boxes);
    }

    private static int[] FirstUnitOfEachImage(Dataset dataset)
    {
        // Units are ordered by (image, category): the units of image i are [first[i], first[i + 1]).
        ReadOnlySpan<EvaluationUnit> units = dataset.Units;
        int[] first = new int[dataset.Images.Count + 1];
        int u = 0;
        for (int image = 0; image <= dataset.Images.Count; image++)
        {
            while (u < units.Length && units[u].Image < image) u++;
            first[image] = u;
        }
        return first;
    }

    private static ImageErrorCounts ReviewImage(
        Dataset dataset, VocMatcher matcher, VocMatchScratch scratch, double minimumScore, int image, int[] firstUnit, List<ReviewedBox>? boxes)
    {
        int tp = 0, fp = 0, fn = 0, ignored = 0;
        ReadOnlySpan<EvaluationUnit> units = dataset.Units;
        for (int u = firstUnit[image]; u < firstUnit[image + 1]; u++)
        {
            EvaluationUnit unit = units[u];
            VocUnit input = VocEvaluation.MatcherInput(dataset, unit);
            (VocDetectionOutcome[] outcomes, BestOverlap[] best) = VocEvaluation.MatchWithOverlaps(matcher, input, scratch);

            bool[] found = new bool[unit.GroundTruthCount];
            for (int d = 0; d < outcomes.Length; d++)
            {
                int detection = outcomes[d].Detection;
                double score = input.Scores[detection];
                // Rule: outcomes come in score order, so the kept detections are a prefix.
                if (!(score >= minimumScore)) break;
                BoxVerdict verdict = outcomes[d].Outcome switch
                {
                    VocOutcome.TruePositive => BoxVerdict.TruePositive,
                    VocOutcome.Ignored => BoxVerdict.Ignored,
                    _ => BoxVerdict.FalsePositive,
                };
                if (verdict == BoxVerdict.TruePositive)
                {
                    found[best[d].GroundTruth] = true;
                    tp++;
                }
                else if (verdict == BoxVerdict.FalsePositive) fp++;
                else ignored++;
                boxes?.Add(new ReviewedBox(unit.Category, input.Detections[detection], score, verdict));
            }
            for (int g = 0; g < unit.GroundTruthCount; g++)
            {
                if (found[g]) continue;
                bool difficult = VocMatcher.IsDifficult(input.GroundTruthFlags[g]);
                if (difficult) ignored++;
                else fn++;
                boxes?.Add(new ReviewedBox(unit.Category, input.GroundTruth[g], null, difficult ? BoxVerdict.Ignored : BoxVerdict.FalseNegative));
            }
        }
        return new ImageErrorCounts(image, tp, fp, fn, ignored);
    }
}
