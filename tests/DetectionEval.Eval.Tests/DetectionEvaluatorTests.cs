using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests;

public sealed class DetectionEvaluatorTests
{
    [Fact]
    public void Batch_updates_give_the_reference_numbers_of_the_files()
    {
        // c02_basic has no score ties, so the order images arrive in cannot matter: the images fed in batches
        // of 7 must give pycocotools' 12 stats and voc_eval's means.
        const string Case = "cases/c02_basic";
        Dataset dataset = GoldenParityTests.LoadCase(Case);
        using JsonDocument expected = GoldenParityTests.LoadExpected(Case);

        var evaluator = new DetectionEvaluator(dataset.Categories);
        ImageSample[] samples = [.. ToSamples(dataset)];
        foreach (ImageSample[] batch in samples.Chunk(7)) evaluator.Update(batch);
        EvaluationResult incremental = evaluator.Compute();

        JsonElement stats = expected.RootElement.GetProperty("coco").GetProperty("stats_list");
        for (int i = 0; i < 12; i++) GoldenParityTests.AssertCocoValue(stats[i], incremental.Coco!.Summary.Stats[i], $"{Case} in batches {CocoSummary.StatNames[i]}");
        GoldenParityTests.AssertExact(expected.RootElement.GetProperty("voc").GetProperty("mAP07"), incremental.Voc!.MeanAp07, $"{Case} in batches mAP07");
        GoldenParityTests.AssertExact(expected.RootElement.GetProperty("voc").GetProperty("mAP_all"), incremental.Voc.MeanApAll, $"{Case} in batches mAP_all");
    }

    [Fact]
    public void Compute_can_be_called_again_after_more_updates_and_reset_forgets_everything()
    {
        Dataset dataset = GoldenParityTests.LoadCase("cases/c02_basic");
        var evaluator = new DetectionEvaluator(dataset.Categories);
        ImageSample[] samples = [.. ToSamples(dataset)];
        evaluator.Update(samples[..10]);
        EvaluationResult partial = evaluator.Compute();
        evaluator.Update(samples[10..]);
        EvaluationResult full = evaluator.Compute();
        Assert.Equal(10, partial.Inputs.Images);
        Assert.Equal(dataset.Images.Count, full.Inputs.Images);

        evaluator.Reset();
        Assert.Equal(0, evaluator.ImageCount);
    }

    [Fact]
    public void An_image_added_twice_is_refused()
    {
        var evaluator = new DetectionEvaluator([new Category(1, "a")]);
        evaluator.Update(new ImageSample(1, [], []));
        Assert.Throws<ArgumentException>(() => evaluator.Update(new ImageSample(1, [], [])));
    }

    [Fact]
    public void Ground_truth_of_an_unknown_category_is_refused()
    {
        var evaluator = new DetectionEvaluator([new Category(1, "a")]);
        Assert.Throws<ArgumentException>(() => evaluator.Update(new ImageSample(1, [new GroundTruthBox(2, new(0, 0, 1, 1))], [])));
        Assert.Equal(0, evaluator.ImageCount);
    }

    internal static IEnumerable<ImageSample> ToSamples(Dataset dataset)
    {
        var byImage = new Dictionary<int, (List<GroundTruthBox> Gt, List<(int Position, DetectedBox Box)> Dt)>();
        for (int i = 0; i < dataset.Images.Count; i++) byImage[i] = ([], []);
        for (int row = 0; row < dataset.GroundTruth.Count; row++)
        {
            byImage[dataset.GroundTruth.Images[row]].Gt.Add(new GroundTruthBox(
                dataset.Categories[dataset.GroundTruth.Categories[row]].Id,
                dataset.GroundTruth.Boxes[row],
                dataset.GroundTruth.Flags[row],
                dataset.GroundTruth.Areas[row]));
        }
        for (int row = 0; row < dataset.Detections.Count; row++)
        {
            byImage[dataset.Detections.Images[row]].Dt.Add((dataset.Detections.InputPositions[row], new DetectedBox(
                dataset.Categories[dataset.Detections.Categories[row]].Id,
                dataset.Detections.Boxes[row],
                dataset.Detections.Scores[row])));
        }
        for (int i = 0; i < dataset.Images.Count; i++)
        {
            yield return new ImageSample(dataset.Images[i].Id.Number, byImage[i].Gt, [.. byImage[i].Dt.OrderBy(d => d.Position).Select(d => d.Box)]);
        }
    }
}
