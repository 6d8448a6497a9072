using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// Level 2 for the other iou types: the segm case S1 (polygons, multi-polygon objects, crowd RLE, compressed-RLE
/// results without boxes) and the keypoint case K1 reproduce pycocotools' expected.json to 1e-12, every stat
/// and every per-class value.
/// </summary>
public sealed class MaskAndKeypointParityTests
{
    private const string Segm = "protocols/coco_val2014_100_segm";
    private const string Keypoints = "protocols/fce_keypoints";

    private static EvaluationResult Evaluate(string caseName, params IouType[] iouTypes) =>
        Evaluations.Of(GoldenParityTests.LoadCase(caseName), new EvaluationOptions { IouTypes = iouTypes });

    [Fact]
    public void Segm_stats_and_per_class_values_match_pycocotools()
    {
        using JsonDocument expected = GoldenParityTests.LoadExpected(Segm);
        CocoResult segm = Evaluate(Segm, IouType.Segm).CocoSegm!;
        AssertCoco(expected.RootElement.GetProperty("coco_segm"), segm, "segm");
    }

    [Fact]
    public void Box_stats_of_mask_results_without_boxes_match_pycocotools()
    {
        // The results carry masks only: their boxes are the masks' boxes and their areas the pixel counts (loadRes).
        using JsonDocument expected = GoldenParityTests.LoadExpected(Segm);
        CocoResult bbox = Evaluate(Segm, IouType.Bbox).Coco!;
        AssertCoco(expected.RootElement.GetProperty("coco_bbox_from_masks"), bbox, "bbox from masks");
    }

    [Fact]
    public void Bbox_and_segm_in_one_run_give_each_its_own_numbers()
    {
        using JsonDocument expected = GoldenParityTests.LoadExpected(Segm);
        EvaluationResult both = Evaluate(Segm, IouType.Bbox, IouType.Segm);
        AssertCoco(expected.RootElement.GetProperty("coco_bbox_from_masks"), both.Coco!, "bbox");
        AssertCoco(expected.RootElement.GetProperty("coco_segm"), both.CocoSegm!, "segm");
        Assert.Equal([IouType.Bbox, IouType.Segm], both.IouTypes);
    }

    [Fact]
    public void Keypoint_stats_and_per_class_values_match_pycocotools()
    {
        using JsonDocument expected = GoldenParityTests.LoadExpected(Keypoints);
        JsonElement reference = expected.RootElement.GetProperty("coco_keypoints");
        CocoKeypointResult keypoints = Evaluate(Keypoints, IouType.Keypoints).CocoKeypoints!;
        JsonElement stats = reference.GetProperty("stats_list");
        Assert.Equal(10, stats.GetArrayLength());
        for (int i = 0; i < 10; i++)
        {
            GoldenParityTests.AssertCocoValue(stats[i], keypoints.Summary.Stats[i], $"keypoints {CocoKeypointSummary.StatNames[i]}");
        }
        JsonElement perCategory = reference.GetProperty("per_category");
        Assert.Equal(perCategory.GetArrayLength(), keypoints.PerClass.Count);
        int k = 0;
        foreach (JsonElement c in perCategory.EnumerateArray())
        {
            CocoKeypointClassResult r = keypoints.PerClass[k++];
            Assert.Equal(c.GetProperty("category_id").GetInt64(), r.Category.Id);
            string where = $"keypoints class {r.Category.Id}";
            GoldenParityTests.AssertCocoValue(c.GetProperty("AP"), r.Ap, where + " AP");
            GoldenParityTests.AssertCocoValue(c.GetProperty("AP50"), r.Ap50, where + " AP50");
            GoldenParityTests.AssertCocoValue(c.GetProperty("AP75"), r.Ap75, where + " AP75");
            GoldenParityTests.AssertCocoValue(c.GetProperty("APm"), r.ApMedium, where + " APm");
            GoldenParityTests.AssertCocoValue(c.GetProperty("APl"), r.ApLarge, where + " APl");
            GoldenParityTests.AssertCocoValue(c.GetProperty("AR"), r.Ar, where + " AR");
        }
    }

    internal static void AssertCoco(JsonElement reference, CocoResult actual, string where)
    {
        JsonElement stats = reference.GetProperty("stats_list");
        Assert.Equal(12, stats.GetArrayLength());
        for (int i = 0; i < 12; i++) GoldenParityTests.AssertCocoValue(stats[i], actual.Summary.Stats[i], $"{where} {CocoSummary.StatNames[i]}");
        JsonElement perCategory = reference.GetProperty("per_category");
        Assert.Equal(perCategory.GetArrayLength(), actual.PerClass.Count);
        int k = 0;
        foreach (JsonElement c in perCategory.EnumerateArray())
        {
            CocoClassResult r = actual.PerClass[k++];
            Assert.Equal(c.GetProperty("category_id").GetInt64(), r.Category.Id);
            string at = $"{where} class {r.Category.Id}";
            GoldenParityTests.AssertCocoClass(c, r, at);
        }
    }
}
