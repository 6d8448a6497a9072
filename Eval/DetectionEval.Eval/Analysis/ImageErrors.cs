using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Analysis;

// Per-image error review: which boxes of an image are right, wrong or missed at one confidence.
//
// Inputs: the VOC match records of a run, with each record's best ground truth (kept by the match stage),
// and a confidence c.
// Rule: every (image, class) unit's records (the VOC matching of all its detections, in score order), of
// which only detections with score >= c are kept. VOC matching is greedy in score order, so dropping the
// lower-scored detections changes no kept detection's outcome. A kept TP takes its best ground truth;
// a non-difficult ground truth that no kept TP took is a false negative; difficult ground truth and
// detections that hit it are ignored. An image's errors are its false positives plus false negatives.
// Order of the worst images: errors descending, then ascending image id (the image's rank).
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
public readonly record struct ReviewedBox(int Category, Box Box, double? Score, BoxVerdict Verdict)
{
    /// <summary>Its row in <see cref="Dataset.Detections"/> (a detection) or <see cref="Dataset.GroundTruth"/> (ground truth, no score), for its mask and keypoints.</summary>
    public int Row { get; init; }
}

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

/// <summary>Finds the images with the most errors and lists their boxes, from the VOC match records.</summary>
public static class ImageErrors
{
    /// <summary>The <paramref name="count"/> images with the most errors at confidence <paramref name="minimumScore"/>.</summary>
    /// <param name="matches">The VOC match records, with each record's best ground truth kept.</param>
    /// <param name="minimumScore">Detections with a score at or above it are kept.</param>
    /// <param name="count">How many images to review.</param>
    /// <param name="threads">Worker threads; null for all cores. Results never depend on it.</param>
    public static IReadOnlyList<ImageReview> Worst(VocMatches matches, double minimumScore, int count, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ImageErrorCounts[] counts = CountAll(matches, minimumScore, threads);
        return [.. WorstFirst(matches.Dataset, counts).Take(count).Select(i => Review(matches, minimumScore, i))];
    }

    /// <summary>Rule: images with errors, most errors first, then by rank in ascending image id.</summary>
    internal static IEnumerable<int> WorstFirst(Dataset dataset, ImageErrorCounts[] counts) =>
        Enumerable.Range(0, counts.Length)
            .Where(i => counts[i].Errors > 0)
            .OrderByDescending(i => counts[i].Errors)
            .ThenBy(dataset.ImageRank);

    /// <summary>Error counts of every image, indexed like <see cref="Dataset.Images"/>.</summary>
    public static ImageErrorCounts[] CountAll(VocMatches matches, double minimumScore, int? threads = null)
    {
        RequireBestGroundTruth(matches);
        var counts = new ImageErrorCounts[matches.Dataset.Images.Count];
        Parallel.For(0, counts.Length, new ParallelOptions { MaxDegreeOfParallelism = threads ?? -1 },
            image => counts[image] = ReviewImage(matches, minimumScore, image, boxes: null));
        return counts;
    }

    /// <summary>One image's counts and boxes.</summary>
    public static ImageReview Review(VocMatches matches, double minimumScore, int image)
    {
        RequireBestGroundTruth(matches);
        var boxes = new List<ReviewedBox>();
        ImageErrorCounts counts = ReviewImage(matches, minimumScore, image, boxes);
        return new ImageReview(counts, boxes);
    }

    private static void RequireBestGroundTruth(VocMatches matches)
    {
        ArgumentNullException.ThrowIfNull(matches);
        if (matches.Overlaps is null) throw new ArgumentException("The image review needs each record's best ground truth from the match stage.", nameof(matches));
    }

    private static ImageErrorCounts ReviewImage(VocMatches matches, double minimumScore, int image, List<ReviewedBox>? boxes)
    {
        Dataset dataset = matches.Dataset;
        int tp = 0, fp = 0, fn = 0, ignored = 0;
        ReadOnlySpan<EvaluationUnit> units = dataset.Units;
        GroundTruthTable gt = dataset.GroundTruth;
        (int firstUnit, int unitCount) = dataset.UnitsOfImage(image).GetOffsetAndLength(units.Length);
        for (int u = firstUnit; u < firstUnit + unitCount; u++)
        {
            EvaluationUnit unit = units[u];
            ReadOnlySpan<VocMatchRecord> kept = matches.KeptRecordsOfUnit(u, minimumScore);
            bool[] found = matches.TakenGroundTruth(u, kept.Length);
            foreach (VocMatchRecord record in kept)
            {
                BoxVerdict verdict = record.Outcome switch
                {
                    VocOutcome.TruePositive => BoxVerdict.TruePositive,
                    VocOutcome.Ignored => BoxVerdict.Ignored,
                    _ => BoxVerdict.FalsePositive,
                };
                if (verdict == BoxVerdict.TruePositive) tp++;
                else if (verdict == BoxVerdict.FalsePositive) fp++;
                else ignored++;
                boxes?.Add(new ReviewedBox(unit.Category, dataset.Detections.Boxes[record.Row], record.Score, verdict) { Row = record.Row });
            }
            for (int g = 0; g < unit.GroundTruthCount; g++)
            {
                if (found[g]) continue;
                int row = unit.GroundTruthStart + g;
                bool difficult = VocMatcher.IsDifficult(gt.Flags[row]);
                if (difficult) ignored++;
                else fn++;
                boxes?.Add(new ReviewedBox(unit.Category, gt.Boxes[row], null, difficult ? BoxVerdict.Ignored : BoxVerdict.FalseNegative) { Row = row });
            }
        }
        return new ImageErrorCounts(image, tp, fp, fn, ignored);
    }
}
