using System.Text.Json;
using System.Text.Json.Nodes;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// A low-memory run of masks and keypoints (each detection's mask spilled as run lengths, its keypoints with
/// it, read back shard by shard) prints and writes exactly what the in-memory run does, alone and with boxes.
/// </summary>
public sealed class LowMemoryShapeTests : IDisposable
{
    private static readonly string Segm = ReferenceData.Case("protocols/coco_val2014_100_segm");
    private static readonly string Keypoints = ReferenceData.Case("protocols/fce_keypoints");

    private readonly string _folder = Directory.CreateTempSubdirectory("deval-low-memory-shapes-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The JSON report and the table of the in-memory run, and those of low-memory runs in shards of the given sizes, which must equal them.</summary>
    private static string SameInEveryShardSize(string gt, string dt, string[] options, params string[] shardSizes)
    {
        string[] common = ["evaluate", "--gt", gt, "--pred", dt, .. options];
        CommandRun json = Deval.Run([.. common, "--json", "-"]);
        CommandRun table = Deval.Run(common);
        Assert.True(json.ExitCode == 0, json.Error);
        Assert.Equal("", json.Error);
        CommandRun lowJson = Deval.Run([.. common, "--json", "-", "--low-memory"]), lowTable = Deval.Run([.. common, "--low-memory"]);
        Assert.Equal(json.Output, lowJson.Output);
        Assert.Equal(table.Output, lowTable.Output);
        Assert.Equal(table.Error, lowTable.Error);
        foreach (string images in shardSizes)
        {
            Assert.Equal(json.Output, Deval.Run([.. common, "--json", "-", "--shard-images", images]).Output);
            Assert.Equal(table.Output, Deval.Run([.. common, "--shard-images", images, "--threads", "1"]).Output);
        }
        return json.Output;
    }

    /// <summary>Asserts that <paramref name="section"/> of a report holds pycocotools' stats of <paramref name="key"/> in expected.json to 1e-12.</summary>
    private static void HasExpectedStats(string folder, string key, JsonElement section, int count)
    {
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "expected.json")));
        int checkedStats = 0;
        foreach (JsonProperty stat in expected.RootElement.GetProperty(key).GetProperty("stats").EnumerateObject())
        {
            double actual = section.GetProperty(stat.Name).GetDouble();
            Assert.True(Math.Abs(stat.Value.GetDouble() - actual) <= 1e-12, $"{key} {stat.Name}: expected {stat.Value}, got {actual:R}");
            checkedStats++;
        }
        Assert.Equal(count, checkedStats);
    }

    [Theory]
    [InlineData("segm", "coco")]
    [InlineData("segm", "all")]
    [InlineData("bbox,segm", "coco")]
    [InlineData("bbox,segm", "all")]
    public void The_segm_reference_case_gives_the_in_memory_output_and_pycocotools_numbers_in_shards(string iouTypes, string metric)
    {
        string output = SameInEveryShardSize(
            Path.Combine(Segm, "gt.json"), Path.Combine(Segm, "dt.json"), ["--iou-type", iouTypes, "--metric", metric], "1", "7");
        using JsonDocument report = JsonDocument.Parse(output);
        HasExpectedStats(Segm, "coco_segm", report.RootElement.GetProperty("cocoSegm"), 12);
        if (iouTypes.StartsWith("bbox", StringComparison.Ordinal)) HasExpectedStats(Segm, "coco_bbox_from_masks", report.RootElement.GetProperty("coco"), 12);
        else Assert.Equal(JsonValueKind.Null, report.RootElement.GetProperty("coco").ValueKind);
    }

    [Fact]
    public void A_box_run_of_mask_results_without_boxes_keeps_their_mask_areas_without_the_masks()
    {
        // The results have no "bbox": their boxes and the areas COCO's ranges test come from the masks.
        string output = SameInEveryShardSize(Path.Combine(Segm, "gt.json"), Path.Combine(Segm, "dt.json"), ["--metric", "coco"], "3");
        using JsonDocument report = JsonDocument.Parse(output);
        HasExpectedStats(Segm, "coco_bbox_from_masks", report.RootElement.GetProperty("coco"), 12);
    }

    [Theory]
    [InlineData("keypoints")]
    [InlineData("bbox,keypoints")]
    public void The_keypoint_reference_case_gives_the_in_memory_output_and_pycocotools_numbers(string iouTypes)
    {
        string output = SameInEveryShardSize(Path.Combine(Keypoints, "gt.json"), Path.Combine(Keypoints, "dt.json"), ["--iou-type", iouTypes], "1");
        using JsonDocument report = JsonDocument.Parse(output);
        HasExpectedStats(Keypoints, "coco_keypoints", report.RootElement.GetProperty("cocoKeypoints"), 10);
    }

    [Theory]
    [InlineData("segm", "coco")]
    [InlineData("bbox,segm", "all")]
    public void Synthetic_masks_give_the_in_memory_output_in_shards_of_every_size(string iouTypes, string metric)
    {
        string dir = Path.Combine(_folder, "synth");
        Assert.Equal(0, Deval.Run("synth", "--images", "30", "--classes", "5", "--seed", "4", "--detections-per-image", "40", "--segm", "--out", dir).ExitCode);
        string output = SameInEveryShardSize(
            Path.Combine(dir, "gt.json"), Path.Combine(dir, "dt.json"), ["--iou-type", iouTypes, "--metric", metric, "--score-threshold", "0.3"], "1", "7");
        Assert.Contains("\"images\": 30", output, StringComparison.Ordinal);
        Assert.Contains("\"cocoSegm\": {", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bbox,segm,keypoints")]
    [InlineData("segm,keypoints")]
    public void Synthetic_masks_with_keypoints_give_the_in_memory_output_for_every_iou_type_together(string iouTypes)
    {
        (string gt, string dt) = SynthWithKeypoints();
        string output = SameInEveryShardSize(gt, dt, ["--iou-type", iouTypes, "--kpt-sigmas", "0.05,0.08,0.1"], "1", "4");
        Assert.Contains("\"cocoSegm\": {", output, StringComparison.Ordinal);
        Assert.Contains("\"cocoKeypoints\": {", output, StringComparison.Ordinal);
        using JsonDocument report = JsonDocument.Parse(output);
        // The keypoints are near their boxes' corners and centre: a real score, neither 0 nor 1.
        double ap = report.RootElement.GetProperty("cocoKeypoints").GetProperty("AP").GetDouble();
        Assert.InRange(ap, 0.01, 0.99);
    }

    [Fact]
    public void A_detection_with_the_wrong_number_of_keypoints_is_the_in_memory_runs_error_and_leaves_no_output()
    {
        string dt = Path.Combine(_folder, "dt.json"), json = Path.Combine(_folder, "report.json");
        JsonArray results = JsonNode.Parse(File.ReadAllText(Path.Combine(Keypoints, "dt.json")))!.AsArray();
        JsonArray keypoints = results[5]!["keypoints"]!.AsArray();
        // One (x, y, v) triple short: the reader takes it, the keypoint check of the match stage does not.
        for (int i = 0; i < 3; i++) keypoints.RemoveAt(keypoints.Count - 1);
        File.WriteAllText(dt, results.ToJsonString());
        string[] common = ["evaluate", "--gt", Path.Combine(Keypoints, "gt.json"), "--pred", dt, "--iou-type", "keypoints", "--json", json];
        CommandRun inMemory = Deval.Run(common), low = Deval.Run([.. common, "--shard-images", "1"]);
        Assert.Equal(2, inMemory.ExitCode);
        Assert.Equal($"deval: error: {dt}: detection 6 (image 139099): Expected 51 keypoint values (17 (x, y, v) triples, one per sigma), but got 48 values. --kpt-sigmas gives one sigma per keypoint; COCO's 17 person keypoints are the default.", Assert.Single(inMemory.ErrorLines));
        Assert.Equal((inMemory.ExitCode, inMemory.Error), (low.ExitCode, low.Error));
        Assert.False(File.Exists(json));
    }

    [Fact]
    public void Outputs_that_need_every_mask_are_still_refused_in_a_low_memory_run()
    {
        string[] common = ["evaluate", "--gt", Path.Combine(Segm, "gt.json"), "--pred", Path.Combine(Segm, "dt.json"), "--iou-type", "segm", "--low-memory"];
        CommandRun plots = Deval.Run([.. common, "--plots", Path.Combine(_folder, "plots")]);
        Assert.Equal(2, plots.ExitCode);
        Assert.Equal(["deval: error: --low-memory cannot be combined with --plots, which need every box or curve at once."], plots.ErrorLines);
        Assert.False(Directory.Exists(Path.Combine(_folder, "plots")));
        CommandRun analysis = Deval.Run([.. common, "--analysis"]);
        Assert.Equal(2, analysis.ExitCode);
        Assert.Single(analysis.ErrorLines);
        Assert.StartsWith("deval: error: --low-memory cannot be combined with --analysis", analysis.ErrorLines[0], StringComparison.Ordinal);
    }

    /// <summary>
    /// A small synthetic set with masks, where every ground truth and detection also gets three keypoints:
    /// its box's top-left corner, centre and bottom-right corner (a detection's own box, so its OKS follows
    /// its box's error), all visible but the third keypoint of every fifth ground truth.
    /// </summary>
    private (string Gt, string Dt) SynthWithKeypoints()
    {
        string dir = Path.Combine(_folder, "synth-keypoints");
        Assert.Equal(0, Deval.Run("synth", "--images", "24", "--classes", "3", "--seed", "9", "--detections-per-image", "30", "--segm", "--out", dir).ExitCode);
        string gt = Path.Combine(dir, "gt.json"), dt = Path.Combine(dir, "dt.json");
        JsonObject groundTruth = JsonNode.Parse(File.ReadAllText(gt))!.AsObject();
        int n = 0;
        foreach (JsonNode? annotation in groundTruth["annotations"]!.AsArray())
        {
            bool hidden = n++ % 5 == 0;
            annotation!["keypoints"] = KeypointsOf(annotation["bbox"]!.AsArray(), hidden ? 0 : 2);
            annotation["num_keypoints"] = hidden ? 2 : 3;
        }
        File.WriteAllText(gt, groundTruth.ToJsonString());
        JsonArray detections = JsonNode.Parse(File.ReadAllText(dt))!.AsArray();
        foreach (JsonNode? detection in detections) detection!["keypoints"] = KeypointsOf(detection["bbox"]!.AsArray(), 2);
        File.WriteAllText(dt, detections.ToJsonString());
        return (gt, dt);
    }

    private static JsonArray KeypointsOf(JsonArray box, int lastVisibility)
    {
        double x = box[0]!.GetValue<double>(), y = box[1]!.GetValue<double>(), w = box[2]!.GetValue<double>(), h = box[3]!.GetValue<double>();
        return [x, y, 2, Math.Round(x + w / 2, 2), Math.Round(y + h / 2, 2), 2, Math.Round(x + w, 2), Math.Round(y + h, 2), lastVisibility];
    }
}
