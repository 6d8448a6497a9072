using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DetectionEval.Cli.Tests;

public sealed class EvaluateCommandTests : IDisposable
{
    private static readonly string SampleGroundTruth = Deval.Sample("coco-val2014-100", "instances_val2014_100.json");
    private static readonly string SamplePredictions = Deval.Sample("coco-val2014-100", "fakebbox100_results.json");
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_sample_prints_exactly_its_expected_output()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.Equal(File.ReadAllText(Deval.Sample("coco-val2014-100", "expected-output.txt")), run.Output);
        Assert.Contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505", run.Output);
        Assert.Contains(" Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.697", run.Output);
        Assert.Contains(" Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.573", run.Output);
    }

    [Fact]
    public void The_sample_files_are_the_published_files()
    {
        Assert.Equal("0b82aff564f8c3774595d5457d12dbcf92da59b6482d2bd973520910703762bd", Sha256(SampleGroundTruth));
        Assert.Equal("b4a7f9c8ab0eac60e3bf9b23052d20c7bf38d8c49c65a254e238989c84e15173", Sha256(SamplePredictions));
    }

    [Fact]
    public void The_sample_reproduces_all_twelve_pycocotools_stats_to_1e_12()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--json", "-");
        Assert.Equal(0, run.ExitCode);
        using JsonDocument report = JsonDocument.Parse(run.Output);
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(ReferenceData.Case("peer/coco_val2014_100/expected.json")));
        JsonElement stats = expected.RootElement.GetProperty("coco").GetProperty("stats");
        int checkedStats = 0;
        foreach (JsonProperty stat in stats.EnumerateObject())
        {
            double actual = report.RootElement.GetProperty("coco").GetProperty(stat.Name).GetDouble();
            Assert.True(Math.Abs(stat.Value.GetDouble() - actual) <= 1e-12, $"{stat.Name}: expected {stat.Value}, got {actual:R}");
            checkedStats++;
        }
        Assert.Equal(12, checkedStats);
    }

    [Fact]
    public void The_json_report_follows_the_contract()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--json", "-");
        using JsonDocument report = JsonDocument.Parse(run.Output);
        JsonElement root = report.RootElement;
        Assert.Equal("deval", root.GetProperty("tool").GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("tool").GetProperty("version").GetString()));
        JsonElement inputs = root.GetProperty("inputs");
        Assert.Equal(SampleGroundTruth, inputs.GetProperty("groundTruth").GetString());
        Assert.Equal(SamplePredictions, inputs.GetProperty("predictions").GetString());
        Assert.Equal((100, 80, 839, 734), (inputs.GetProperty("images").GetInt32(), inputs.GetProperty("classes").GetInt32(),
            inputs.GetProperty("groundTruthBoxes").GetInt32(), inputs.GetProperty("detections").GetInt32()));

        JsonElement coco = root.GetProperty("coco");
        foreach (string key in new[] { "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl" })
        {
            Assert.Equal(JsonValueKind.Number, coco.GetProperty(key).ValueKind);
        }
        JsonElement hydrant = coco.GetProperty("perClass").EnumerateArray().Single(c => c.GetProperty("id").GetInt32() == 11);
        Assert.Equal("fire hydrant", hydrant.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, hydrant.GetProperty("AP").ValueKind); // pycocotools' -1
        foreach (string key in new[] { "AP", "AP50", "AP75", "APs", "APm", "APl", "AR100" }) Assert.True(hydrant.TryGetProperty(key, out _), key);

        JsonElement voc = root.GetProperty("voc");
        Assert.Equal(0.5, voc.GetProperty("iou").GetDouble());
        Assert.Equal("ge", voc.GetProperty("iouRule").GetString());
        Assert.False(voc.GetProperty("plusOne").GetBoolean());
        foreach (string key in new[] { "mAP07", "mAPAll" }) Assert.Equal(JsonValueKind.Number, voc.GetProperty(key).ValueKind);
        JsonElement person = voc.GetProperty("perClass")[0];
        foreach (string key in new[] { "id", "name", "npos", "tp", "fp", "ap07", "apAll" }) Assert.True(person.TryGetProperty(key, out _), key);
    }

    [Theory]
    [InlineData("voc", 0.5, "ge", false)]
    [InlineData("voc_plus1_ge", 0.5, "ge", true)]
    [InlineData("voc_py_faster_rcnn", 0.5, "gt", true)]
    [InlineData("voc_iou0.75", 0.75, "ge", false)]
    [InlineData("voc_gt", 0.5, "gt", false)]
    public void Each_voc_variant_is_selected_from_the_command_line_and_written_bit_exactly(string profile, double iou, string rule, bool plusOne)
    {
        string caseFolder = ReferenceData.Case("cases/c11_iou_exact_half");
        var args = new List<string>
        {
            "evaluate", "--gt", Path.Combine(caseFolder, "gt.json"), "--pred", Path.Combine(caseFolder, "dt.json"),
            "--metric", "voc", "--iou", iou.ToString(System.Globalization.CultureInfo.InvariantCulture), "--voc-iou-rule", rule, "--json", "-",
        };
        if (plusOne) args.Add("--voc-plus-one");
        CommandRun run = Deval.Run([.. args]);
        Assert.Equal(0, run.ExitCode);

        using JsonDocument report = JsonDocument.Parse(run.Output);
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(caseFolder, "expected.json")));
        JsonElement want = expected.RootElement.GetProperty(profile);
        JsonElement got = report.RootElement.GetProperty("voc");
        Assert.Equal(JsonValueKind.Null, report.RootElement.GetProperty("coco").ValueKind);
        Assert.Equal(want.GetProperty("mAP07").GetDouble(), got.GetProperty("mAP07").GetDouble());
        Assert.Equal(want.GetProperty("mAP_all").GetDouble(), got.GetProperty("mAPAll").GetDouble());
        Assert.Equal(rule, got.GetProperty("iouRule").GetString());
        Assert.Equal(plusOne, got.GetProperty("plusOne").GetBoolean());
    }

    [Fact]
    public void Coco_only_leaves_voc_null()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--metric", "coco", "--json", "-");
        using JsonDocument report = JsonDocument.Parse(run.Output);
        Assert.Equal(JsonValueKind.Null, report.RootElement.GetProperty("voc").ValueKind);
        Assert.Equal(JsonValueKind.Object, report.RootElement.GetProperty("coco").ValueKind);
    }

    [Fact]
    public void A_json_file_is_written_next_to_the_printed_summary()
    {
        string json = Path.Combine(_folder, "result.json");
        CommandRun run = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--json", json);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Average Precision", run.Output);
        using JsonDocument report = JsonDocument.Parse(File.ReadAllBytes(json));
        Assert.Equal(0.5045806987249628, report.RootElement.GetProperty("coco").GetProperty("AP").GetDouble(), 1e-12);
        Assert.Equal([json], Directory.GetFiles(_folder)); // no temporary file left behind
    }

    [Fact]
    public void The_thread_count_never_changes_the_report()
    {
        string caseFolder = ReferenceData.Case("cases/c06_ties_duplicates");
        string[] args = ["evaluate", "--gt", Path.Combine(caseFolder, "gt.json"), "--pred", Path.Combine(caseFolder, "dt.json"), "--json", "-"];
        CommandRun one = Deval.Run([.. args, "--threads", "1"]);
        CommandRun many = Deval.Run([.. args, "--threads", "4"]);
        CommandRun all = Deval.Run(args);
        Assert.Equal(one.Output, many.Output);
        Assert.Equal(one.Output, all.Output);
    }

    [Fact]
    public void Custom_max_dets_change_the_recall_caps()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--metric", "coco", "--max-dets", "1,5,20");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("maxDets=  5 ] =", run.Output);
        Assert.Contains("maxDets= 20 ] =", run.Output);
    }

    // ---- the header line: what was evaluated and what was dropped ----

    [Fact]
    public void The_header_counts_the_detections_evaluated_and_those_of_unknown_classes_dropped()
    {
        JsonNode[] predictions = [.. JsonNode.Parse(File.ReadAllText(SamplePredictions))!.AsArray().Select(p => p!.DeepClone())];
        predictions[0]!["category_id"] = 999;
        predictions[1]!["category_id"] = 998;
        predictions[2]!["category_id"] = 999;
        string path = Path.Combine(_folder, "unknown.json");
        File.WriteAllText(path, new JsonArray(predictions).ToJsonString());

        foreach (string[] extra in new[] { Array.Empty<string>(), ["--low-memory"] })
        {
            CommandRun run = Deval.Run(["evaluate", "--gt", SampleGroundTruth, "--pred", path, .. extra]);
            Assert.Equal(0, run.ExitCode);
            Assert.StartsWith("100 images, 80 classes, 839 ground-truth boxes, 731 detections (3 more of classes not in the ground truth dropped)\n\n", run.Output);
            Assert.Equal($"deval: warning: {path}: 3 detections of category ids not in the ground truth were ignored (998, 999).", Assert.Single(run.ErrorLines));
        }
        // The JSON report counts what was read, and those dropped, as it always did.
        using JsonDocument report = JsonDocument.Parse(Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", path, "--json", "-").Output);
        JsonElement inputs = report.RootElement.GetProperty("inputs");
        Assert.Equal((734, 3), (inputs.GetProperty("detections").GetInt32(), inputs.GetProperty("detectionsOfUnknownCategories").GetInt32()));
    }

    [Fact]
    public void The_header_counts_the_detections_cocos_max_dets_leaves_out()
    {
        // Counted here from the file: beyond 3 per (image, category), pycocotools keeps none.
        int over = JsonNode.Parse(File.ReadAllText(SamplePredictions))!.AsArray()
            .GroupBy(p => ((int)p!["image_id"]!, (int)p!["category_id"]!))
            .Sum(g => Math.Max(0, g.Count() - 3));
        Assert.True(over > 0);
        string expected = $"100 images, 80 classes, 839 ground-truth boxes, 734 detections ({over} over maxDets 3 per image and class not counted by COCO)\n";
        foreach (string[] extra in new[] { Array.Empty<string>(), ["--low-memory"] })
        {
            CommandRun run = Deval.Run(["evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--max-dets", "1,2,3", .. extra]);
            Assert.Equal(0, run.ExitCode);
            Assert.StartsWith(expected, run.Output);
        }
        // VOC alone has no cap: nothing is left out.
        Assert.StartsWith("100 images, 80 classes, 839 ground-truth boxes, 734 detections\n",
            Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--max-dets", "1,2,3", "--metric", "voc").Output);
    }

    [Fact]
    public void One_of_each_is_counted_in_the_singular()
    {
        string gt = Path.Combine(_folder, "gt.json"), dt = Path.Combine(_folder, "dt.json");
        File.WriteAllText(gt, """
            {"images": [{"id": 1, "width": 100, "height": 100}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0}],
             "categories": [{"id": 1, "name": "person"}]}
            """);
        File.WriteAllText(dt, """[{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9}]""");
        CommandRun run = Deval.Run("evaluate", "--gt", gt, "--pred", dt);
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("1 image, 1 class, 1 ground-truth box, 1 detection\n", run.Output);
        Assert.Contains("VOC (IoU >= 0.50, continuous coordinates), over 1 class with positives:", run.Output);
    }

    [Fact]
    public void Help_shows_the_max_dets_default_as_it_is_written()
    {
        CommandRun run = Deval.Run("evaluate", "--help");
        Assert.Equal(0, run.ExitCode);
        string line = run.Output.Split('\n').Single(l => l.TrimStart().StartsWith("--max-dets", StringComparison.Ordinal));
        Assert.EndsWith("COCO's three detection caps per image and class, ascending. [default: 1,10,100]", line);
        // Without the option the default applies; with it, the given caps.
        Assert.Contains("maxDets=100 ] =", Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--metric", "coco").Output);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
