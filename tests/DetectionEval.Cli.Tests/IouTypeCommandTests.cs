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
    public void Plots_csv_and_report_of_a_mask_run_draw_and_list_the_mask_values()
    {
        string folder = Directory.CreateTempSubdirectory("deval-segm-outputs-").FullName;
        try
        {
            string csv = Path.Combine(folder, "classes.csv"), html = Path.Combine(folder, "report.html"), plots = Path.Combine(folder, "plots");
            CommandRun run = Evaluate(Segm, "--iou-type", "bbox,segm", "--metric", "coco", "--plots", plots, "--csv", csv, "--report", html);
            Assert.Equal(0, run.ExitCode);
            Assert.Equal("", run.Error);
            Assert.Equal(
                ["ap_per_class.png", "ap_per_class.svg", "ap_per_class_segm.png", "ap_per_class_segm.svg", "pr_coco.png", "pr_coco.svg", "pr_coco_segm.png", "pr_coco_segm.svg"],
                Directory.GetFiles(plots).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Contains("<text", File.ReadAllText(Path.Combine(plots, "pr_coco_segm.svg")), StringComparison.Ordinal);

            // The box table in classes.csv, the mask table next to it; the mask values are pycocotools' per-class segm values.
            Assert.StartsWith("id,class,AP,AP50,AP75,APs,APm,APl,AR100,npos,", File.ReadAllText(csv), StringComparison.Ordinal);
            string[] segmRows = File.ReadAllLines(Path.Combine(folder, "classes.segm.csv"));
            Assert.Equal("id,class,AP,AP50,AP75,APs,APm,APl,AR100", segmRows[0]);
            Assert.Equal(81, segmRows.Length);
            using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Segm, "expected.json")));
            JsonElement dog = expected.RootElement.GetProperty("coco_segm").GetProperty("per_category").EnumerateArray().Single(c => c.GetProperty("category_id").GetInt64() == 18);
            string[] dogRow = segmRows.Single(r => r.StartsWith("18,dog,", StringComparison.Ordinal)).Split(',');
            Assert.Equal(dog.GetProperty("AP").GetDouble(), double.Parse(dogRow[2], System.Globalization.CultureInfo.InvariantCulture), 1e-12);
            Assert.Equal(dog.GetProperty("AP50").GetDouble(), double.Parse(dogRow[3], System.Globalization.CultureInfo.InvariantCulture), 1e-12);
            Assert.Equal("", dogRow[5]); // pycocotools: no small dogs (-1)
            // docs/masks-and-keypoints.md shows this row as the command writes it.
            string docs = File.ReadAllText(Path.Combine(ReferenceData.RepositoryRoot, "docs", "masks-and-keypoints.md"));
            Assert.Contains("```text\n" + string.Join(',', dogRow) + "\n```", docs, StringComparison.Ordinal);

            // The mask charts sit in the report's segm section, the box charts under Charts.
            string report = File.ReadAllText(html);
            int segmSection = report.IndexOf("<section id=\"segm\">", StringComparison.Ordinal), charts = report.IndexOf("<section id=\"charts\">", StringComparison.Ordinal);
            int segmCurve = report.IndexOf("aria-label=\"COCO segm: mean precision over classes (area all, maxDets 100)\"", StringComparison.Ordinal);
            int boxCurve = report.IndexOf("aria-label=\"COCO: mean precision over classes (area all, maxDets 100)\"", StringComparison.Ordinal);
            Assert.True(segmSection >= 0 && segmCurve > segmSection && segmCurve < charts, "the segm curve is in the segm section");
            Assert.True(boxCurve > charts, "the box curve is under Charts");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_keypoint_run_alone_writes_its_table_to_the_csv_file_and_its_curves()
    {
        string folder = Directory.CreateTempSubdirectory("deval-kpt-outputs-").FullName;
        try
        {
            string csv = Path.Combine(folder, "classes.csv"), plots = Path.Combine(folder, "plots");
            CommandRun run = Evaluate(Keypoints, "--iou-type", "keypoints", "--csv", csv, "--plots", plots);
            Assert.Equal(0, run.ExitCode);
            Assert.Equal("", run.Error);
            Assert.Equal(["ap_per_class_keypoints.png", "ap_per_class_keypoints.svg", "pr_coco_keypoints.png", "pr_coco_keypoints.svg"],
                Directory.GetFiles(plots).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            string[] rows = File.ReadAllLines(csv);
            Assert.Equal("id,class,AP,AP50,AP75,APm,APl,AR", rows[0]);
            using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Keypoints, "expected.json")));
            JsonElement stats = expected.RootElement.GetProperty("coco_keypoints").GetProperty("stats_list");
            string[] person = rows[1].Split(',');
            Assert.Equal("1", person[0]);
            // One class: its values are the summary's AP and AR (pycocotools' stats[0] and stats[5]).
            Assert.Equal(stats[0].GetDouble(), double.Parse(person[2], System.Globalization.CultureInfo.InvariantCulture), 1e-12);
            Assert.Equal(stats[5].GetDouble(), double.Parse(person[7], System.Globalization.CultureInfo.InvariantCulture), 1e-12);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_analysis_needs_the_box_or_mask_matches()
    {
        CommandRun run = Evaluate(Keypoints, "--iou-type", "keypoints", "--analysis");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal(["deval: error: --analysis: Expected bbox or segm among --iou-type (it reads the box or mask matches), but got --iou-type keypoints."], run.ErrorLines);
    }

    [Fact]
    public void The_analysis_of_masks_says_it_measured_mask_IoU_and_finds_the_confusion_boxes_miss()
    {
        string folder = Deval.TestData("masks", "a1_box_vs_mask");
        CommandRun run = Deval.Run("evaluate", "--gt", Path.Combine(folder, "gt.json"), "--pred", Path.Combine(folder, "dt.json"), "--iou-type", "segm", "--analysis", "--score-threshold", "0.5");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        // By hand (MaskAnalysisTests): the dog's mask is detected as a cat; the cat detection's mask misses the cat's.
        Assert.Contains(
            "Error analysis at confidence >= 0.5 (VOC rules on mask IoU >= 0.50):\n" +
            " confusion matrix: 0 correct, 1 confused between classes, 1 detection on background, 1 object missed, 0 ignored\n" +
            " most confused (ground truth as detected): dog as cat 1\n",
            run.Output, StringComparison.Ordinal);
        Assert.Contains("TIDE errors on masks (foreground IoU 0.5, background IoU 0.1, every detection up to 100 per image), TIDE AP50 = 0.00:\n", run.Output, StringComparison.Ordinal);
        Assert.Contains(" Cls        1   50.00        0    0.00        1   50.00        0    0.00\n", run.Output, StringComparison.Ordinal);

        CommandRun json = Deval.Run("evaluate", "--gt", Path.Combine(folder, "gt.json"), "--pred", Path.Combine(folder, "dt.json"), "--iou-type", "segm", "--analysis", "--score-threshold", "0.5", "--json", "-");
        using JsonDocument report = JsonDocument.Parse(json.Output);
        Assert.Equal("segm", report.RootElement.GetProperty("analysis").GetProperty("iouType").GetString());
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
