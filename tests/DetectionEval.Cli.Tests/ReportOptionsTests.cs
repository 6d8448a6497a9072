using System.Text.Json;
using System.Text.RegularExpressions;

namespace DetectionEval.Cli.Tests;

/// <summary>--plots, --report, --markdown, --csv, --overlays, --images, --worst and --score-threshold.</summary>
public sealed class ReportOptionsTests : IDisposable
{
    private static readonly string Cartucho = ReferenceData.Case("peer/cartucho");
    private static readonly string CartuchoGroundTruth = Path.Combine(Cartucho, "gt.json");
    private static readonly string CartuchoPredictions = Path.Combine(Cartucho, "dt.json");
    private static readonly string CartuchoImages = Path.Combine(Cartucho, "images");
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-reports-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Out(string name) => Path.Combine(_folder, name);

    [Fact]
    public void The_cartucho_images_get_overlays_charts_and_a_report_that_links_them()
    {
        CommandRun run = Deval.Run(
            "evaluate", "--gt", CartuchoGroundTruth, "--pred", CartuchoPredictions, "--voc-plus-one",
            "--plots", Out("plots"), "--report", Out("report.html"), "--markdown", Out("summary.md"), "--csv", Out("classes.csv"),
            "--overlays", Out("overlays"), "--images", CartuchoImages, "--worst", "3", "--score-threshold", "0.5");

        Assert.Equal("", run.Error);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(" F1      = 0.3054 at --score-threshold 0.5: precision 0.7189, recall 0.1939 (tp 133, fp 52, fn 553)", run.Output);

        string[] overlays = [.. Directory.GetFiles(Out("overlays")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.Equal(["01_2007_000027.jpg", "02_2007_000243.jpg", "03_2007_000363.jpg"], overlays);
        Assert.All(overlays, f => Assert.Equal([0xFF, 0xD8, 0xFF], File.ReadAllBytes(Out(Path.Combine("overlays", f)))[..3]));

        // 30 classes with positives get a PR chart, the 28 of them with detections a confidence chart, plus
        // the four whole-evaluation charts; each as PNG and SVG.
        string[] charts = Directory.GetFiles(Out("plots"));
        Assert.Equal((30 + 28 + 4) * 2, charts.Length);
        Assert.DoesNotContain(Out(Path.Combine("plots", "confidence_13_doll.png")), charts);
        Assert.Contains(Out(Path.Combine("plots", "pr_8_chair.png")), charts);
        Assert.Contains(Out(Path.Combine("plots", "confidence_all_classes.svg")), charts);
        Assert.Contains(Out(Path.Combine("plots", "pr_coco.png")), charts);
        Assert.Contains(Out(Path.Combine("plots", "ap_per_class.png")), charts);

        string html = File.ReadAllText(Out("report.html"));
        Assert.DoesNotMatch(new Regex("https?:", RegexOptions.IgnoreCase), html);
        Assert.Contains("<a href=\"overlays/01_2007_000027.jpg\">", html);
        Assert.Equal(62, Regex.Matches(html, "<svg viewBox=").Count);
        Assert.Contains("--score-threshold 0.5", html);
        Assert.Contains("2007_000027: 15 errors (FP 1, FN 14, TP 1)", html);

        Assert.Contains("| VOC mAP | 0.310 |", File.ReadAllText(Out("summary.md")));
        Assert.Equal(39, File.ReadAllLines(Out("classes.csv")).Length);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_json_report_carries_the_operating_point()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", CartuchoGroundTruth, "--pred", CartuchoPredictions, "--voc-plus-one", "--score-threshold", "0.5", "--json", "-");

        using JsonDocument report = JsonDocument.Parse(run.Output);
        JsonElement point = report.RootElement.GetProperty("operatingPoint");
        Assert.Equal(0.5, point.GetProperty("scoreThreshold").GetDouble());
        JsonElement best = point.GetProperty("bestF1");
        Assert.Equal(0.25275, best.GetProperty("confidence").GetDouble());
        Assert.Equal(267, best.GetProperty("tp").GetDouble());
        Assert.Equal(223, best.GetProperty("fp").GetDouble());
        Assert.Equal(419, best.GetProperty("fn").GetDouble());
        Assert.Equal(2 * 267.0 / (267 + 223 + 686), best.GetProperty("f1").GetDouble());
        Assert.Equal(133, point.GetProperty("atThreshold").GetProperty("tp").GetDouble());
        Assert.Equal(38, point.GetProperty("perClass").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, point.GetProperty("perClass")[15].GetProperty("bestF1").ValueKind);
    }

    [Fact]
    public void Coco_only_has_no_operating_point_and_only_the_coco_charts()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", CartuchoGroundTruth, "--pred", CartuchoPredictions, "--metric", "coco", "--plots", Out("plots"), "--json", "-");

        Assert.Equal(0, run.ExitCode);
        using JsonDocument report = JsonDocument.Parse(run.Output);
        Assert.Equal(JsonValueKind.Null, report.RootElement.GetProperty("operatingPoint").ValueKind);
        Assert.Equal(["ap_per_class.png", "ap_per_class.svg", "pr_coco.png", "pr_coco.svg"], Directory.GetFiles(Out("plots")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Overlays_without_images_are_a_usage_error()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", CartuchoGroundTruth, "--pred", CartuchoPredictions, "--overlays", Out("overlays"));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(["deval: error: --overlays: Expected --images DIR naming the folder of the images, but got none."], run.ErrorLines);
        Assert.False(Directory.Exists(Out("overlays")));
    }

    [Theory]
    [InlineData("--worst", "0")]
    [InlineData("--worst", "many")]
    [InlineData("--score-threshold", "high")]
    [InlineData("--score-threshold", "NaN")]
    public void A_bad_report_option_value_is_a_usage_error_naming_the_option(string option, string value)
    {
        CommandRun run = Deval.Run("evaluate", "--gt", CartuchoGroundTruth, "--pred", CartuchoPredictions, option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"deval: error: {option} expects ", run.ErrorLines[0]);
    }

    [Fact]
    public void An_image_name_that_leaves_the_images_folder_stops_the_run_and_writes_nothing()
    {
        string images = Directory.CreateDirectory(Out("images")).FullName;
        File.WriteAllText(Out("secret.jpg"), "not for overlays");
        string gt = Out("gt.json");
        File.WriteAllText(gt, """
            {"images": [{"id": 1, "file_name": "ok.jpg"}, {"id": 2, "file_name": "../secret.jpg"}],
             "categories": [{"id": 1, "name": "cat"}],
             "annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}]}
            """);
        string dt = Out("dt.json");
        File.WriteAllText(dt, """[{"image_id": 2, "category_id": 1, "bbox": [50, 50, 10, 10], "score": 0.9}]""");

        CommandRun run = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--overlays", Out("overlays"), "--images", images, "--report", Out("report.html"), "--plots", Out("plots"));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal([$"deval: error: {gt}: $.images[1].file_name: Expected an image file name inside the images folder (relative, without '..', no link leading out), but got '../secret.jpg'."], run.ErrorLines);
        Assert.False(File.Exists(Out("report.html")));
        Assert.False(Directory.Exists(Out("overlays")));
        Assert.False(Directory.Exists(Out("plots")));
    }

    [Fact]
    public void A_missing_image_is_skipped_with_a_warning()
    {
        string images = Directory.CreateDirectory(Out("empty-images")).FullName;

        CommandRun run = Deval.Run("evaluate", "--gt", CartuchoGroundTruth, "--pred", CartuchoPredictions, "--overlays", Out("overlays"), "--images", images, "--worst", "1");

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith($"deval: warning: {images}: no image file '2007_000027' (from {CartuchoGroundTruth}: $.images[0].file_name); no overlay drawn.", run.Error);
        Assert.Empty(Directory.GetFiles(Out("overlays")));
    }

    [Fact]
    public void Malformed_input_leaves_no_report_behind()
    {
        CommandRun run = Deval.Run(
            "evaluate", "--gt", Deval.TestData("malformed", "coco", "bbox_three_numbers_gt.json"), "--pred", Deval.TestData("malformed", "coco", "dt.json"),
            "--report", Out("report.html"), "--csv", Out("classes.csv"), "--plots", Out("plots"));

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void Missing_output_folders_are_created()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", CartuchoGroundTruth, "--pred", CartuchoPredictions, "--metric", "voc", "--report", Out(Path.Combine("a", "b", "report.html")), "--csv", Out(Path.Combine("c", "classes.csv")));

        Assert.Equal(0, run.ExitCode);
        Assert.True(File.Exists(Out(Path.Combine("a", "b", "report.html"))));
        Assert.True(File.Exists(Out(Path.Combine("c", "classes.csv"))));
    }

    [Fact]
    public void A_file_standing_where_an_output_folder_should_be_fails_before_the_evaluation()
    {
        File.WriteAllText(Out("plain"), "");

        CommandRun run = Deval.Run("evaluate", "--gt", CartuchoGroundTruth, "--pred", CartuchoPredictions, "--report", Out(Path.Combine("plain", "report.html")));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal([$"deval: error: {Out(Path.Combine("plain", "report.html"))}: Expected a path whose folders can be created for --report, but got a file in the way ({Out("plain")})."], run.ErrorLines);
    }

    [Fact]
    public void Help_lists_the_report_options()
    {
        CommandRun run = Deval.Run("evaluate", "--help");

        Assert.Equal(0, run.ExitCode);
        foreach (string option in new[] { "--plots", "--report", "--markdown", "--csv", "--overlays", "--images", "--worst", "--score-threshold" })
        {
            Assert.Contains(option, run.Output);
        }
    }
}
