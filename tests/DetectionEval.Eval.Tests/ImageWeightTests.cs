using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Tests;

/// <summary>Accumulating match records with image weights, the basis of resampling images without matching again.</summary>
public sealed class ImageWeightTests
{
    private static readonly EvaluationOptions Options = new();

    [Fact]
    public void Weights_of_one_give_the_reference_numbers()
    {
        // c03_crowd (crowds, ignore flags, score ties): every image once must give pycocotools' 12 stats and
        // voc_eval's class APs, as the unweighted run does (GoldenParityTests).
        const string Case = "cases/c03_crowd";
        Dataset dataset = GoldenParityTests.LoadCase(Case);
        using JsonDocument expected = GoldenParityTests.LoadExpected(Case);
        int[] ones = [.. Enumerable.Repeat(1, dataset.Images.Count)];

        CocoSummary coco = CocoAccumulation.Accumulate(CocoMatchStage.Match(dataset, Options), Options, ones).Summary;
        JsonElement stats = expected.RootElement.GetProperty("coco").GetProperty("stats_list");
        for (int i = 0; i < 12; i++) GoldenParityTests.AssertCocoValue(stats[i], coco.Stats[i], $"{Case} weighted {CocoSummary.StatNames[i]}");

        VocResult voc = VocAccumulation.Accumulate(VocMatchStage.Match(dataset, Options), Options, ones);
        JsonElement profile = expected.RootElement.GetProperty("voc");
        GoldenParityTests.AssertExact(profile.GetProperty("mAP07"), voc.MeanAp07, $"{Case} weighted mAP07");
        GoldenParityTests.AssertExact(profile.GetProperty("mAP_all"), voc.MeanApAll, $"{Case} weighted mAP_all");
        int k = 0;
        foreach (JsonElement c in profile.GetProperty("per_class").EnumerateArray())
        {
            VocClassResult r = voc.PerClass[k++];
            GoldenParityTests.AssertExact(c.GetProperty("ap07"), r.Ap07, $"{Case} weighted class {r.Category.Id} ap07");
            GoldenParityTests.AssertExact(c.GetProperty("ap_all"), r.ApAll, $"{Case} weighted class {r.Category.Id} ap_all");
            Assert.Equal(c.GetProperty("tp").GetInt32(), r.TruePositives);
        }
    }

    [Fact]
    public void Weight_zero_equals_leaving_the_image_out()
    {
        // c02_basic has no score ties, so removing images cannot reorder the others.
        Dataset dataset = GoldenParityTests.LoadCase("cases/c02_basic");
        int[] weights = [.. Enumerable.Range(0, dataset.Images.Count).Select(i => i % 3 == 0 ? 0 : 1)];
        Dataset without = Without(dataset, i => weights[i] == 0);

        Assert.Equal(
            CocoAccumulation.Evaluate(without, Options).Summary,
            CocoAccumulation.Accumulate(CocoMatchStage.Match(dataset, Options), Options, weights).Summary);
        VocResult expected = VocAccumulation.Evaluate(without, Options);
        VocResult weighted = VocAccumulation.Accumulate(VocMatchStage.Match(dataset, Options), Options, weights);
        Assert.Equal(expected.MeanAp07, weighted.MeanAp07);
        Assert.Equal(expected.MeanApAll, weighted.MeanApAll);
        Assert.Equal(expected.PerClass.Select(c => (c.Positives, c.TruePositives, c.FalsePositives)), weighted.PerClass.Select(c => (c.Positives, c.TruePositives, c.FalsePositives)));
    }

    [Fact]
    public void Doubling_every_image_leaves_ap_unchanged()
    {
        Dataset dataset = GoldenParityTests.LoadCase("cases/c08_sparse_empty");
        int[] twos = [.. Enumerable.Repeat(2, dataset.Images.Count)];
        CocoSummary once = CocoAccumulation.Evaluate(dataset, Options).Summary;
        CocoSummary twice = CocoAccumulation.Accumulate(CocoMatchStage.Match(dataset, Options), Options, twos).Summary;
        for (int i = 0; i < once.Stats.Count; i++) Assert.Equal(once.Stats[i]!.Value, twice.Stats[i]!.Value, 1e-12);
        VocResult vocTwice = VocAccumulation.Accumulate(VocMatchStage.Match(dataset, Options), Options, twos);
        Assert.Equal(VocAccumulation.Evaluate(dataset, Options).MeanApAll!.Value, vocTwice.MeanApAll!.Value, 1e-12);
        Assert.Equal(2 * VocAccumulation.Evaluate(dataset, Options).PerClass[0].TruePositives, vocTwice.PerClass[0].TruePositives);
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
