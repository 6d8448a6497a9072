using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Analysis;

namespace DetectionEval.Eval.Tests;

public sealed class ImageErrorsTests
{
    private static Dataset Build(Action<DatasetBuilder> fill)
    {
        var builder = new DatasetBuilder();
        builder.TryAddCategory(new Category(1, "person"), out _);
        builder.TryAddCategory(new Category(2, "dog"), out _);
        fill(builder);
        return builder.Build();
    }

    /// <summary>
    /// Image 10: two persons and a difficult one; detections: a hit (0.9), a duplicate of it (0.6), a hit on
    /// the difficult one (0.55), a miss (0.3). Image 20: one dog found (0.8). Image 30: one dog missed.
    /// </summary>
    private static Dataset Sample() => Build(b =>
    {
        b.TryAddImage(new ImageInfo(10, "a.jpg"), out int a);
        b.TryAddImage(new ImageInfo(20, "b.jpg"), out int c);
        b.TryAddImage(new ImageInfo(30, "c.jpg"), out int d);
        b.AddGroundTruth(a, 0, new Box(0, 0, 10, 10), 100, GroundTruthFlags.None, 1);
        b.AddGroundTruth(a, 0, new Box(50, 0, 10, 10), 100, GroundTruthFlags.None, 2);
        b.AddGroundTruth(a, 0, new Box(100, 0, 10, 10), 100, GroundTruthFlags.Difficult, 3);
        b.AddDetection(a, 0, new Box(0, 0, 10, 10), 0.9);
        b.AddDetection(a, 0, new Box(0, 0, 10, 10), 0.6);
        b.AddDetection(a, 0, new Box(100, 0, 10, 10), 0.55);
        b.AddDetection(a, 0, new Box(300, 300, 10, 10), 0.3);
        b.AddGroundTruth(c, 1, new Box(0, 0, 20, 20), 400, GroundTruthFlags.None, 4);
        b.AddDetection(c, 1, new Box(0, 0, 20, 20), 0.8);
        b.AddGroundTruth(d, 1, new Box(0, 0, 20, 20), 400, GroundTruthFlags.None, 5);
    });

    [Fact]
    public void Kept_detections_are_judged_by_the_voc_rules_and_unfound_ground_truth_is_a_false_negative()
    {
        ImageReview review = ImageErrors.Review(Evaluations.VocRecords(Sample(), new VocMatchSettings()), 0.5, 0);

        Assert.Equal(new ImageErrorCounts(0, TruePositives: 1, FalsePositives: 1, FalseNegatives: 1, Ignored: 2), review.Counts);
        Assert.Equal(
            [
                (0.9, BoxVerdict.TruePositive),
                (0.6, BoxVerdict.FalsePositive),
                (0.55, BoxVerdict.Ignored),
            ],
            review.Boxes.Where(x => x.Score is not null).Select(x => (x.Score!.Value, x.Verdict)));
        Assert.Equal(
            [(new Box(50, 0, 10, 10), BoxVerdict.FalseNegative), (new Box(100, 0, 10, 10), BoxVerdict.Ignored)],
            review.Boxes.Where(x => x.Score is null).Select(x => (x.Box, x.Verdict)));
    }

    [Fact]
    public void Lowering_the_confidence_keeps_more_detections()
    {
        ImageErrorCounts counts = ImageErrors.CountAll(Evaluations.VocRecords(Sample(), new VocMatchSettings()), 0.0)[0];

        Assert.Equal(2, counts.FalsePositives);
        Assert.Equal(3, counts.Errors);
    }

    [Fact]
    public void The_worst_images_come_by_errors_then_image_id_and_error_free_images_are_left_out()
    {
        IReadOnlyList<ImageReview> worst = ImageErrors.Worst(Evaluations.VocRecords(Sample(), new VocMatchSettings()), 0.5, 10);

        Assert.Equal([0, 2], worst.Select(w => w.Counts.Image));
        Assert.Equal([2, 1], worst.Select(w => w.Counts.Errors));
        Assert.Single(ImageErrors.Worst(Evaluations.VocRecords(Sample(), new VocMatchSettings()), 0.5, 1));
    }

    [Fact]
    public void Image_counts_agree_with_the_voc_evaluation_when_every_detection_is_kept()
    {
        Dataset dataset = Sample();
        VocResult voc = VocAccumulation.Evaluate(dataset, new EvaluationOptions());
        ImageErrorCounts[] counts = ImageErrors.CountAll(Evaluations.VocRecords(dataset, new VocMatchSettings()), double.NegativeInfinity);

        Assert.Equal(voc.PerClass.Sum(c => c.TruePositives), counts.Sum(c => c.TruePositives));
        Assert.Equal(voc.PerClass.Sum(c => c.FalsePositives), counts.Sum(c => c.FalsePositives));
        Assert.Equal(voc.PerClass.Sum(c => c.Positives - c.TruePositives), counts.Sum(c => c.FalseNegatives));
    }
}
