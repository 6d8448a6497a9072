namespace DetectionEval.Cli.Tests;

/// <summary>Bad input: exit code 2 and one stderr line naming the file, where, what was expected and what was found.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-bad-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Malformed(string name) => Deval.TestData("malformed", "coco", name);

    /// <summary>Every output option of evaluate, pointing into the test's (empty) folder.</summary>
    internal static string[] AllOutputs(string folder) =>
    [
        "--json", Path.Combine(folder, "out.json"), "--csv", Path.Combine(folder, "out.csv"), "--markdown", Path.Combine(folder, "out.md"),
        "--report", Path.Combine(folder, "out.html"), "--plots", Path.Combine(folder, "plots"),
    ];

    /// <summary>Runs evaluate with one malformed file and checks everything a bad input must give.</summary>
    private CommandRun RunWithBadInput(string groundTruth, string predictions, string badFile)
    {
        CommandRun run = Deval.Run(["evaluate", "--gt", groundTruth, "--pred", predictions, .. AllOutputs(_folder)]);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("deval: error: " + badFile, line);
        Assert.Contains("Expected ", line);
        Assert.Contains(", but got ", line);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.DoesNotContain("Exception", run.Error);
        Assert.True(Directory.GetFileSystemEntries(_folder).Length == 0, "no output file may be created");
        return run;
    }

    [Theory]
    [InlineData("truncated_gt.json", ":4:", "Expected valid JSON, but got the end of the file inside an unfinished object or array")]
    [InlineData("missing_annotations_gt.json", ": $:", "a top-level \"annotations\" array")]
    [InlineData("bbox_three_numbers_gt.json", ":3:", "$.annotations[0].bbox: Expected 4 numbers [x, y, width, height], but got 3 numbers")]
    [InlineData("negative_width_gt.json", ":3:", "$.annotations[0].bbox[2]: Expected a width of 0 or more, but got the number -50")]
    [InlineData("duplicate_annotation_id_gt.json", ":4:", "$.annotations[1].id: Expected a unique annotation id, but got 7 again")]
    [InlineData("unknown_category_gt.json", ":4:", "$.annotations[1].category_id: Expected a category id listed in \"categories\", but got 3")]
    [InlineData("lone_surrogate_gt.json", ":1:36:", "$.images[0].file_name: Expected a string of valid Unicode, but got an escaped half of a surrogate pair (\\uD800 to \\uDFFF) on its own.")]
    public void Malformed_ground_truth_is_reported_in_one_line(string file, string line, string message)
    {
        string path = Malformed(file);
        CommandRun run = RunWithBadInput(path, Malformed("dt.json"), path);
        Assert.Contains(path + line, run.Error);
        Assert.Contains(message, run.Error);
    }

    [Theory]
    [InlineData("nan_score_dt.json", ":2:", "$[1].score: Expected valid JSON, but got 'NaN', which is not a JSON number")]
    [InlineData("string_score_dt.json", ":2:", "$[1].score: Expected the score, a finite number, but got the string \"0.8\"")]
    [InlineData("unknown_image_dt.json", ":2:", "$[1].image_id: Expected an image id listed in the ground truth's \"images\", but got 3")]
    [InlineData("overflowing_box_dt.json", ":2:64:", "$[1].bbox: Expected a box whose edges, width, height and area are finite numbers (each below about 1e308), but got [1E+308, 5, 1E+308, 20].")]
    [InlineData("deep_nesting_dt.json", ":2:63:", ": Expected valid JSON, but got '[[[[[[[[[[[[[[[[[[[[' (The maximum configured depth of 64 has been exceeded.")]
    [InlineData("zero_bytes_dt.json", ": ", "Expected predictions, but got an empty file (0 bytes). A run without detections is written as [] in COCO json.")]
    public void Malformed_predictions_are_reported_in_one_line(string file, string line, string message)
    {
        string path = Malformed(file);
        CommandRun run = RunWithBadInput(Malformed("gt.json"), path, path);
        Assert.Contains(path + line, run.Error);
        Assert.Contains(message, run.Error);
    }

    [Fact]
    public void A_file_that_does_not_exist_is_reported_in_one_line()
    {
        string missing = Path.Combine(_folder, "nope", "dt.json");
        CommandRun run = RunWithBadInput(Malformed("gt.json"), missing, missing);
        Assert.Equal($"deval: error: {missing}: Expected an existing file or folder, but got a path in a folder that does not exist ({Path.Combine(_folder, "nope")}).\n", run.Error);
    }

    [Fact]
    public void A_results_list_given_as_ground_truth_is_reported_with_a_hint()
    {
        string path = Malformed("dt.json");
        CommandRun run = RunWithBadInput(path, path, path);
        Assert.Contains("Expected a JSON object with \"images\", \"annotations\" and \"categories\", but got an array", run.Error);
    }

    [Fact]
    public void The_valid_pair_next_to_the_malformed_files_evaluates_to_its_hand_worked_numbers()
    {
        // person: ground truth [10, 10, 50, 80] (area 4000, medium), detection [12, 10, 50, 80]: overlap
        // 48 x 80 = 3840, union 4000 + 4000 - 3840 = 4160, IoU 0.923: a hit at the nine thresholds up to
        // 0.8999999999999999, a miss at 0.95, so AP = 9/10. dog: ground truth [5, 5, 20, 20] (area 400, small)
        // found exactly: IoU 1, AP 1. COCO AP = (0.9 + 1) / 2 = 0.95; APm is the person's, APs the dog's, no
        // large object (-1). VOC: both hits at 0.5 with precision 1, mAP 1.
        CommandRun run = Deval.Run("evaluate", "--gt", Malformed("gt.json"), "--pred", Malformed("dt.json"));
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.StartsWith("2 images, 2 classes, 2 ground-truth boxes, 2 detections\n", run.Output);
        Assert.Contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.950\n", run.Output);
        Assert.Contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 1.000\n", run.Output);
        Assert.Contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.900\n", run.Output);
        Assert.Contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000\n", run.Output);
        Assert.Contains(" mAP (11-point)  = 1.0000\n mAP (all-point) = 1.0000\n", run.Output);
    }

    [Fact]
    public void A_json_path_under_a_file_is_a_usage_error()
    {
        string file = Path.Combine(_folder, "a-file");
        File.WriteAllText(file, "x");
        string json = Path.Combine(file, "out.json");
        CommandRun run = Deval.Run("evaluate", "--gt", Malformed("gt.json"), "--pred", Malformed("dt.json"), "--json", json);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"deval: error: {json}: Expected a path whose folders can be created for --json, but got a file in the way ({file}).", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public void A_json_path_in_missing_folders_creates_them_as_the_other_outputs_do()
    {
        string json = Path.Combine(_folder, "missing-folder", "deeper", "out.json");
        CommandRun run = Deval.Run("evaluate", "--gt", Malformed("gt.json"), "--pred", Malformed("dt.json"), "--json", json);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.StartsWith("{", File.ReadAllText(json));
    }

    [Fact]
    public void A_json_path_equal_to_an_input_is_refused_before_anything_is_written()
    {
        string gt = Path.Combine(_folder, "gt.json");
        File.Copy(Malformed("gt.json"), gt);
        CommandRun run = Deval.Run("evaluate", "--gt", gt, "--pred", Malformed("dt.json"), "--json", gt);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(File.ReadAllText(Malformed("gt.json")), File.ReadAllText(gt));
    }

    [Theory]
    [InlineData("--metric", "map")]
    [InlineData("--iou", "1.5")]
    [InlineData("--iou", "abc")]
    [InlineData("--voc-iou-rule", "gte")]
    [InlineData("--max-dets", "100,10,1")]
    [InlineData("--max-dets", "1,10")]
    [InlineData("--threads", "0")]
    public void A_bad_option_value_is_a_usage_error_naming_the_option(string option, string value)
    {
        CommandRun run = Deval.Run("evaluate", "--gt", Malformed("gt.json"), "--pred", Malformed("dt.json"), option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.StartsWith("deval: error: ", run.ErrorLines[0]);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public void A_missing_required_option_is_a_usage_error()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", Malformed("gt.json"));
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("deval: error: Option '--pred' is required.", run.ErrorLines[0]);
    }

    [Fact]
    public void Help_exits_zero_and_lists_every_option()
    {
        CommandRun run = Deval.Run("evaluate", "--help");
        Assert.Equal(0, run.ExitCode);
        foreach (string option in new[] { "--gt", "--pred", "--metric", "--iou", "--voc-iou-rule", "--voc-plus-one", "--max-dets", "--json", "--threads" })
        {
            Assert.Contains(option, run.Output);
        }
    }
}
