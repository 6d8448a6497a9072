using System.Text.Json;

namespace DetectionEval.Cli.Tests;

/// <summary><c>deval evaluate --iou-type</c>: one section per iou type, the JSON records each, and mistakes are one line with exit code 2.</summary>
public sealed class IouTypeCommandTests
{
    private static readonly string Segm = ReferenceData.Case("protocols/coco_val2014_100_segm");
    private static readonly string Keypoints = ReferenceData.Case("protocols/fce_keypoints");

    private static CommandRun Evaluate(string folder, params string[] more) =>
        Deval.Run(["evaluate", "--gt", Path.Combine(folder, "gt.json"), "--pred", Path.Combine(folder, "dt.json"), .. more]);

    [Fact]
    public void Segm_alone_prints_the_mask_summary_and_no_box_metrics()
    {
        CommandRun run = Evaluate(Segm, "--iou-type", "segm");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.StartsWith("100 images, 80 classes, 839 ground-truth boxes, 734 detections\n\nCOCO segm:\n", run.Output, StringComparison.Ordinal);
        Assert.Contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.320\n", run.Output, StringComparison.Ordinal);
        Assert.Contains(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.381\n", run.Output, StringComparison.Ordinal);
        Assert.Contains("Per class, COCO segm:\n", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("COCO bbox", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("VOC", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Bbox_and_segm_give_two_sections_and_the_json_records_each_iou_type()
    {
        CommandRun run = Evaluate(Segm, "--iou-type", "bbox,segm", "--json", "-");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        using JsonDocument report = JsonDocument.Parse(run.Output);
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Segm, "expected.json")));
        Assert.Equal(["bbox", "segm"], report.RootElement.GetProperty("iouTypes").EnumerateArray().Select(e => e.GetString()));
        JsonElement segm = report.RootElement.GetProperty("cocoSegm");
        Assert.Equal("segm", segm.GetProperty("iouType").GetString());
        foreach ((string key, JsonElement section) in new[] { ("coco_segm", segm), ("coco_bbox_from_masks", report.RootElement.GetProperty("coco")) })
        {
            int checkedStats = 0;
            foreach (JsonProperty stat in expected.RootElement.GetProperty(key).GetProperty("stats").EnumerateObject())
            {
                double actual = section.GetProperty(stat.Name).GetDouble();
                Assert.True(Math.Abs(stat.Value.GetDouble() - actual) <= 1e-12, $"{key} {stat.Name}: expected {stat.Value}, got {actual:R}");
                checkedStats++;
            }
            Assert.Equal(12, checkedStats);
        }
    }

    [Fact]
    public void Keypoints_print_the_ten_lines_at_max_dets_20()
    {
        CommandRun run = Evaluate(Keypoints, "--iou-type", "keypoints");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.Contains("COCO keypoints (17 keypoints):\n Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.505\n", run.Output, StringComparison.Ordinal);
        Assert.Contains(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 0.750\n", run.Output, StringComparison.Ordinal);
        Assert.Contains("     1  person   0.505   0.723   0.634   0.466   0.750   0.518\n", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--iou-type", "mask", "deval: error: --iou-type expects bbox, segm or keypoints, each at most once, like bbox,segm, but got 'mask'.")]
    [InlineData("--iou-type", "segm,segm", "deval: error: --iou-type expects bbox, segm or keypoints, each at most once, like bbox,segm, but got 'segm,segm'.")]
    [InlineData("--kpt-sigmas", "0.1,-1", "deval: error: --kpt-sigmas expects positive numbers, one per keypoint, like 0.026,0.025,0.025, but got '0.1,-1'.")]
    public void A_bad_iou_type_or_sigma_is_a_usage_error(string option, string value, string message)
    {
        CommandRun run = Evaluate(Segm, option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal(message, run.ErrorLines[0]);
    }

    [Fact]
    public void The_analysis_needs_the_box_matches()
    {
        CommandRun run = Evaluate(Segm, "--iou-type", "segm", "--analysis");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal(["deval: error: --analysis: Expected bbox among --iou-type (it reads the box matches), but got --iou-type segm."], run.ErrorLines);
    }

    [Fact]
    public void Open_records_hold_box_matches_and_say_so_for_masks()
    {
        string records = Path.Combine(Path.GetTempPath(), $"deval-records-{Guid.NewGuid():N}.parquet");
        CommandRun run = Evaluate(Segm, "--iou-type", "segm", "--records", records);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(["deval: error: --records: Expected bbox among --iou-type (it reads the box matches), but got --iou-type segm."], run.ErrorLines);
        Assert.False(File.Exists(records));
    }

    [Fact]
    public void A_shard_of_a_mask_evaluation_is_refused_before_anything_is_written()
    {
        string partial = Path.Combine(Path.GetTempPath(), $"deval-partial-{Guid.NewGuid():N}.part");
        CommandRun run = Evaluate(Segm, "--iou-type", "bbox,segm", "--shard", "0/2", "--partial", partial);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(["deval: error: --partial: Expected --iou-type bbox (a partial result holds box matches), but got --iou-type bbox,segm."], run.ErrorLines);
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public void Ground_truth_without_keypoints_is_one_line_naming_the_annotation()
    {
        CommandRun run = Evaluate(Segm, "--iou-type", "keypoints");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        string gt = Path.Combine(Segm, "gt.json");
        Assert.Equal([$"deval: error: {gt}: annotation 1210803: Expected 51 keypoint values (17 (x, y, v) triples, one per sigma), but got an annotation without \"keypoints\". --kpt-sigmas gives one sigma per keypoint; COCO's 17 person keypoints are the default."], run.ErrorLines);
    }

    [Fact]
    public void A_malformed_mask_is_one_line_with_file_line_and_json_path()
    {
        string gt = Deval.TestData("malformed", "coco", "segm_short_counts_gt.json");
        CommandRun run = Deval.Run("evaluate", "--gt", gt, "--pred", Deval.TestData("malformed", "coco", "dt.json"), "--iou-type", "segm");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal(
            [$"deval: error: {gt}:3:136: $.annotations[0].segmentation.counts: Expected run lengths that sum to height × width = 16, but got run lengths that sum to 5. The counts must cover every pixel of the mask's size, column by column."],
            run.ErrorLines);
    }
}
