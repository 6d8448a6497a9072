using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// deval's own segm and keypoint cases (tests/data/masks, written by make_cases.py with pycocotools' numbers):
/// multi-polygon objects, polygons outside the image and along its border, crowd RLE, area fields that
/// differ from the pixel count, empty masks, score ties, detections of a class without ground truth, results
/// with boxes first (area w*h, box polygons for results without a mask), and keypoints with custom sigmas whose
/// results carry no box (area = keypoint extent). Every stat and per-class value within 1e-12.
/// </summary>
public sealed class OwnMaskAndKeypointCaseTests
{
    private static string Folder(string name) => Path.Combine(ReferenceData.RepositoryRoot, "tests", "data", "masks", name);

    private static (Dataset Dataset, JsonDocument Expected) Load(string name)
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Path.Combine(Folder(name), "gt.json"), builder);
        CocoJson.ReadDetections(Path.Combine(Folder(name), "dt.json"), builder);
        return (builder.Build(), JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder(name), "expected.json"))));
    }

    [Theory]
    [InlineData("m1_masks_without_boxes")]
    [InlineData("m2_boxes_first")]
    public void Segm_and_bbox_match_pycocotools(string name)
    {
        (Dataset dataset, JsonDocument expected) = Load(name);
        using (expected)
        {
            EvaluationResult result = Evaluations.Of(dataset, new EvaluationOptions { IouTypes = [IouType.Bbox, IouType.Segm] });
            MaskAndKeypointParityTests.AssertCoco(expected.RootElement.GetProperty("coco_segm"), result.CocoSegm!, $"{name} segm");
            MaskAndKeypointParityTests.AssertCoco(expected.RootElement.GetProperty("coco_bbox"), result.Coco!, $"{name} bbox");
        }
    }

    [Fact]
    public void Keypoints_with_custom_sigmas_and_results_without_boxes_match_pycocotools()
    {
        (Dataset dataset, JsonDocument expected) = Load("k2_custom_sigmas");
        using (expected)
        {
            JsonElement reference = expected.RootElement.GetProperty("coco_keypoints");
            double[] sigmas = [.. reference.GetProperty("kpt_oks_sigmas").EnumerateArray().Select(s => s.GetDouble())];
            CocoKeypointResult keypoints = Evaluations.Of(dataset, new EvaluationOptions { IouTypes = [IouType.Keypoints], KeypointSigmas = sigmas }).CocoKeypoints!;
            JsonElement stats = reference.GetProperty("stats_list");
            for (int i = 0; i < 10; i++)
            {
                GoldenParityTests.AssertCocoValue(stats[i], keypoints.Summary.Stats[i], $"k2 {CocoKeypointSummary.StatNames[i]}");
            }
            JsonElement c = reference.GetProperty("per_category")[0];
            CocoKeypointClassResult r = keypoints.PerClass[0];
            GoldenParityTests.AssertCocoValue(c.GetProperty("AP"), r.Ap, "k2 class AP");
            GoldenParityTests.AssertCocoValue(c.GetProperty("APm"), r.ApMedium, "k2 class APm");
            GoldenParityTests.AssertCocoValue(c.GetProperty("AR"), r.Ar, "k2 class AR");
        }
    }

    [Fact]
    public void The_default_sigmas_do_not_fit_a_five_keypoint_skeleton()
    {
        (Dataset dataset, JsonDocument expected) = Load("k2_custom_sigmas");
        expected.Dispose();
        var error = Assert.Throws<IO.AnnotationFormatException>(() => Evaluations.Of(dataset, new EvaluationOptions { IouTypes = [IouType.Keypoints] }));
        Assert.Equal("ground truth: annotation 1: Expected 51 keypoint values (17 (x, y, v) triples, one per sigma), but got 15 values. --kpt-sigmas gives one sigma per keypoint; COCO's 17 person keypoints are the default.", error.Message);
    }
}
