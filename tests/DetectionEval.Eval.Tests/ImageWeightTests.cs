using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;

namespace DetectionEval.Eval.Tests;

/// <summary>Accumulating match records with image weights, the basis of resampling images without matching again.</summary>
public sealed class ImageWeightTests
{
    private static readonly EvaluationOptions Options = new();

    [Fact]
    public void Weights_of_one_give_exactly_the_unweighted_result()
    {
        Dataset dataset = GoldenParityTests.LoadCase("cases/c03_crowd");
        int[] ones = [.. Enumerable.Repeat(1, dataset.Images.Count)];
        CocoMatches coco = CocoEvaluation.Match(dataset, Options);
        VocMatches voc = VocEvaluation.Match(dataset, Options);
        Assert.Equal(CocoEvaluation.Accumulate(coco, Options).Summary, CocoEvaluation.Accumulate(coco, Options, ones).Summary);
        Assert.Equal(VocEvaluation.Accumulate(voc, Options).MeanApAll, VocEvaluation.Accumulate(voc, Options, ones).MeanApAll);
    }

    [Fact]
    public void Weight_zero_equals_leaving_the_image_out()
    {
        // c02_basic has no score ties, so removing images cannot reorder the others.
        Dataset dataset = GoldenParityTests.LoadCase("cases/c02_basic");
        int[] weights = [.. Enumerable.Range(0, dataset.Images.Count).Select(i => i % 3 == 0 ? 0 : 1)];
        Dataset without = Without(dataset, i => weights[i] == 0);

        Assert.Equal(
            CocoEvaluation.Evaluate(without, Options).Summary,
            CocoEvaluation.Accumulate(CocoEvaluation.Match(dataset, Options), Options, weights).Summary);
        VocResult expected = VocEvaluation.Evaluate(without, Options);
        VocResult weighted = VocEvaluation.Accumulate(VocEvaluation.Match(dataset, Options), Options, weights);
        Assert.Equal(expected.MeanAp07, weighted.MeanAp07);
        Assert.Equal(expected.MeanApAll, weighted.MeanApAll);
        Assert.Equal(expected.PerClass.Select(c => (c.Positives, c.TruePositives, c.FalsePositives)), weighted.PerClass.Select(c => (c.Positives, c.TruePositives, c.FalsePositives)));
    }

    [Fact]
    public void Doubling_every_image_leaves_ap_unchanged()
    {
        Dataset dataset = GoldenParityTests.LoadCase("cases/c08_sparse_empty");
        int[] twos = [.. Enumerable.Repeat(2, dataset.Images.Count)];
        CocoSummary once = CocoEvaluation.Evaluate(dataset, Options).Summary;
        CocoSummary twice = CocoEvaluation.Accumulate(CocoEvaluation.Match(dataset, Options), Options, twos).Summary;
        for (int i = 0; i < once.Stats.Count; i++) Assert.Equal(once.Stats[i]!.Value, twice.Stats[i]!.Value, 1e-12);
        VocResult vocTwice = VocEvaluation.Accumulate(VocEvaluation.Match(dataset, Options), Options, twos);
        Assert.Equal(VocEvaluation.Evaluate(dataset, Options).MeanApAll!.Value, vocTwice.MeanApAll!.Value, 1e-12);
        Assert.Equal(2 * VocEvaluation.Evaluate(dataset, Options).PerClass[0].TruePositives, vocTwice.PerClass[0].TruePositives);
    }

    private static Dataset Without(Dataset dataset, Func<int, bool> dropImage)
    {
        var builder = new DatasetBuilder();
        var imageIndex = new Dictionary<int, int>();
        for (int i = 0; i < dataset.Images.Count; i++)
        {
            if (dropImage(i)) continue;
            builder.TryAddImage(dataset.Images[i], out int index);
            imageIndex[i] = index;
        }
        foreach (Category c in dataset.Categories) builder.TryAddCategory(c, out _);
        GroundTruthTable gt = dataset.GroundTruth;
        for (int row = 0; row < gt.Count; row++)
        {
            if (imageIndex.TryGetValue(gt.Images[row], out int image)) builder.AddGroundTruth(image, gt.Categories[row], gt.Boxes[row], gt.Areas[row], gt.Flags[row], gt.AnnotationIds[row]);
        }
        DetectionTable dt = dataset.Detections;
        foreach (int row in Enumerable.Range(0, dt.Count).OrderBy(r => dt.InputPositions[r]))
        {
            if (imageIndex.TryGetValue(dt.Images[row], out int image)) builder.AddDetection(image, dt.Categories[row], dt.Boxes[row], dt.Scores[row]);
        }
        return builder.Build();
    }
}
