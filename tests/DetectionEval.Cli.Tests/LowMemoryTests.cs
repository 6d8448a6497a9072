using System.Globalization;
using System.Text;
using DetectionEval.Eval;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// A low-memory run (predictions spilled to disk, matched image shard by image shard, accumulated class by
/// class) prints and writes exactly what the in-memory run does, whatever the shard size, and leaves no
/// temporary files behind.
/// </summary>
public sealed class LowMemoryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-low-memory-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string> CasesAndProfiles()
    {
        var data = new TheoryData<string, string>();
        foreach (string c in ReferenceData.CocoJsonCases())
        {
            foreach (string profile in new[] { "", "--voc-iou-rule gt", "--voc-plus-one --iou 0.75", "--max-dets 1,2,3 --score-threshold 0.5" }) data.Add(c, profile);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesAndProfiles))]
    public void Every_reference_case_gives_the_same_json_in_shards_of_one_two_and_three_images_and_the_same_table(string caseName, string profile)
    {
        string gt = ReferenceData.Case(Path.Combine(caseName, "gt.json")), dt = ReferenceData.Case(Path.Combine(caseName, "dt.json"));
        string[] options = profile.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        CommandRun json = Deval.Run(["evaluate", "--gt", gt, "--pred", dt, "--json", "-", .. options]);
        CommandRun table = Deval.Run(["evaluate", "--gt", gt, "--pred", dt, .. options]);
        Assert.Equal(0, json.ExitCode);
        Assert.Contains("\"AP\": ", json.Output);
        foreach (string images in new[] { "1", "2", "3" })
        {
            Assert.Equal(json.Output, Deval.Run(["evaluate", "--gt", gt, "--pred", dt, "--json", "-", "--shard-images", images, .. options]).Output);
        }
        Assert.Equal(table.Output, Deval.Run(["evaluate", "--gt", gt, "--pred", dt, "--shard-images", "1", .. options]).Output);
    }

    [Theory]
    [InlineData("coco")]
    [InlineData("voc")]
    [InlineData("all")]
    public void Synthetic_data_gives_the_same_json_for_every_metric_family_shard_size_and_thread_count(string metric)
    {
        string dir = Path.Combine(_folder, "synth");
        Assert.Equal(0, Deval.Run("synth", "--images", "30", "--classes", "5", "--seed", "4", "--detections-per-image", "60", "--out", dir).ExitCode);
        string[] common = ["evaluate", "--gt", Path.Combine(dir, "gt.json"), "--pred", Path.Combine(dir, "dt.json"), "--metric", metric, "--json", "-", "--score-threshold", "0.3"];
        string expected = Deval.Run(common).Output;
        Assert.Contains("\"images\": 30", expected);
        Assert.Equal(expected, Deval.Run([.. common, "--low-memory"]).Output);
        Assert.Equal(expected, Deval.Run([.. common, "--shard-images", "7", "--threads", "1"]).Output);
        Assert.Equal(expected, Deval.Run([.. common, "--shard-images", "1"]).Output);
    }

    [Fact]
    public void Predictions_the_fast_scanner_hands_over_parts_of_several_files_and_unknown_categories_give_the_same_output()
    {
        string dir = Path.Combine(_folder, "synth");
        Assert.Equal(0, Deval.Run("synth", "--images", "20", "--classes", "4", "--seed", "8", "--out", dir).ExitCode);
        string gt = Path.Combine(dir, "gt.json");
        string text = File.ReadAllText(Path.Combine(dir, "dt.json"));
        // An extra key makes the fast scanner give up; a detection of category 99 is dropped with a warning.
        string odd = Path.Combine(_folder, "odd.json");
        File.WriteAllText(odd, text.Replace("\"score\"", "\"extra\": 1, \"score\"", StringComparison.Ordinal).Insert(1, "{\"image_id\": 1, \"category_id\": 99, \"bbox\": [1, 1, 2, 2], \"score\": 0.5}, "));
        string first = Path.Combine(_folder, "first.json"), second = Path.Combine(_folder, "second.json");
        int cut = text.IndexOf("},", text.Length / 2, StringComparison.Ordinal) + 1;
        Assert.True(cut > 0);
        File.WriteAllText(first, text[..cut] + "]");
        File.WriteAllText(second, "[" + text[(cut + 1)..]);

        foreach (string[] predictions in new[] { new[] { odd }, new[] { first, second } })
        {
            CommandRun expected = Deval.Run(["evaluate", "--gt", gt, "--pred", .. predictions, "--json", "-"]);
            CommandRun low = Deval.Run(["evaluate", "--gt", gt, "--pred", .. predictions, "--json", "-", "--shard-images", "3"]);
            Assert.Equal(0, expected.ExitCode);
            Assert.Equal(expected.Output, low.Output);
            Assert.Equal(expected.Error, low.Error);
        }
        CommandRun dropped = Deval.Run("evaluate", "--gt", gt, "--pred", odd, "--low-memory");
        Assert.Contains("1 detection of category ids not in the ground truth was ignored (99)", dropped.Error);
        Assert.Matches(@"^20 images, 4 classes, \d+ ground-truth boxes, [\d,]+ detections \(1 more of classes not in the ground truth dropped\)\n", dropped.Output);
    }

    [Fact]
    public void The_csv_and_markdown_reports_are_the_same_files()
    {
        string c = ReferenceData.Case("peer/coco_val2014_100");
        string[] common = ["evaluate", "--gt", Path.Combine(c, "gt.json"), "--pred", Path.Combine(c, "dt.json"), "--score-threshold", "0.3"];
        Assert.Equal(0, Deval.Run([.. common, "--csv", Path.Combine(_folder, "a.csv"), "--markdown", Path.Combine(_folder, "a.md")]).ExitCode);
        Assert.Equal(0, Deval.Run([.. common, "--csv", Path.Combine(_folder, "b.csv"), "--markdown", Path.Combine(_folder, "b.md"), "--shard-images", "7"]).ExitCode);
        Assert.Contains("person", File.ReadAllText(Path.Combine(_folder, "a.csv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_folder, "a.csv")), File.ReadAllBytes(Path.Combine(_folder, "b.csv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_folder, "a.md")), File.ReadAllBytes(Path.Combine(_folder, "b.md")));
    }

    public static TheoryData<string, string> FormatPairs() => new()
    {
        { "voc/Annotations", "voc/results" },
        { "csv/gt.csv", "csv/predictions.csv" },
        { "labelme/gt", "labelme/predictions" },
        { "cvat/annotations.xml", "cvat/predictions.xml" },
    };

    [Theory]
    [MemberData(nameof(FormatPairs))]
    public void Every_sample_format_gives_the_same_output(string groundTruth, string predictions)
    {
        string gt = Deval.Sample(["formats", .. groundTruth.Split('/')]), dt = Deval.Sample(["formats", .. predictions.Split('/')]);
        // The sample's predictions name a class its ground truth lacks, and say so on stderr both times.
        CommandRun expected = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--json", "-", "--ignore-unknown-classes");
        Assert.Equal(0, expected.ExitCode);
        Assert.Contains("\"AP\": ", expected.Output);
        CommandRun low = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--json", "-", "--ignore-unknown-classes", "--shard-images", "1");
        Assert.Equal(expected.Output, low.Output);
        Assert.Equal(expected.Error, low.Error);
    }

    [Fact]
    public void Zero_and_negative_zero_scores_in_several_classes_report_the_same_operating_points()
    {
        var gt = new StringBuilder("{\"images\": [{\"id\": 1}, {\"id\": 2}], \"annotations\": [");
        var dt = new StringBuilder("[");
        int id = 0;
        foreach (int image in new[] { 1, 2 })
        {
            foreach (int k in new[] { 1, 2 })
            {
                gt.Append(id == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"{{\"id\": {++id}, \"image_id\": {image}, \"category_id\": {k}, \"bbox\": [0, 0, 10, 10], \"iscrowd\": 0}}");
                foreach (string score in new[] { "0.0", "-0.0", "0.5" })
                {
                    dt.Append(dt.Length == 1 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"{{\"image_id\": {image}, \"category_id\": {k}, \"bbox\": [{(score == "0.0" ? 0 : 20)}, 0, 10, 10], \"score\": {score}}}");
                }
            }
        }
        gt.Append("], \"categories\": [{\"id\": 1, \"name\": \"a\"}, {\"id\": 2, \"name\": \"b\"}]}");
        string gtPath = Path.Combine(_folder, "gt.json"), dtPath = Path.Combine(_folder, "dt.json");
        File.WriteAllText(gtPath, gt.ToString());
        File.WriteAllText(dtPath, dt.Append(']').ToString());
        string[] common = ["evaluate", "--gt", gtPath, "--pred", dtPath, "--json", "-", "--score-threshold", "0"];
        string expected = Deval.Run(common).Output;
        Assert.Contains("\"bestF1\": {", expected);
        // The last zero score of the last class is -0.0, so the pooled best point reports its cut as -0.
        Assert.Contains("\"confidence\": -0,", expected);
        // The last zero score of the last class is -0.0: the pooled best point reports that cut as -0.
        Assert.Contains("\"confidence\": -0,", expected);
        Assert.Equal(expected, Deval.Run([.. common, "--shard-images", "1"]).Output);
    }

    [Fact]
    public void Low_memory_refuses_outputs_that_need_every_box_or_curve()
    {
        string c = ReferenceData.Case("cases/c02_basic");
        CommandRun run = Deval.Run("evaluate", "--gt", Path.Combine(c, "gt.json"), "--pred", Path.Combine(c, "dt.json"), "--low-memory", "--plots", Path.Combine(_folder, "plots"));
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(["deval: error: --low-memory cannot be combined with --plots, which need every box or curve at once."], run.ErrorLines);
        Assert.False(Directory.Exists(Path.Combine(_folder, "plots")));
    }

    [Fact]
    public void The_spill_folder_is_deleted_after_a_run_and_after_a_malformed_predictions_file()
    {
        string spills = Path.Combine(_folder, "spills");
        Directory.CreateDirectory(spills);
        string c = ReferenceData.Case("cases/c02_basic");
        string bad = Path.Combine(_folder, "bad.json");
        File.WriteAllText(bad, File.ReadAllText(Path.Combine(c, "dt.json")).TrimEnd().TrimEnd(']') + ", {\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2], \"score\": 0.5}]");

        (int exit, string error) = RunSpillingIn(spills, Path.Combine(c, "gt.json"), Path.Combine(c, "dt.json"));
        Assert.Equal((0, ""), (exit, error));
        (exit, error) = RunSpillingIn(spills, Path.Combine(c, "gt.json"), bad);
        Assert.Equal(2, exit);
        Assert.StartsWith($"deval: error: {bad}:", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(Directory.EnumerateFileSystemEntries(spills));
    }

    [Fact]
    public void A_spill_folder_that_cannot_be_made_is_one_line_with_exit_code_two()
    {
        string notAFolder = Path.Combine(_folder, "file");
        File.WriteAllText(notAFolder, "");
        string c = ReferenceData.Case("cases/c02_basic");
        (int exit, string error) = RunSpillingIn(notAFolder, Path.Combine(c, "gt.json"), Path.Combine(c, "dt.json"));
        Assert.Equal(2, exit);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"deval: error: {notAFolder}{Path.DirectorySeparatorChar}deval-spill-", error);
        Assert.Contains("Expected room to write the predictions of a low-memory run (about 56 bytes per detection, more with masks or keypoints), but got ", error);
        Assert.EndsWith(". Set TMPDIR to a folder with room, or use --low-memory false.\n", error);
    }

    /// <summary>A low-memory run of shards of one image whose spill goes under <paramref name="folder"/>, as the command line runs it.</summary>
    private static (int Exit, string Error) RunSpillingIn(string folder, string gt, string dt)
    {
        var settings = new Commands.EvaluateSettings(gt, dt, MetricSet.All, new(), [1, 10, 100], null, null)
        {
            LowMemory = true,
            Spill = new Eval.Formats.SpillSettings(ImagesPerShard: 1, Folder: folder),
        };
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int exit = DevalApp.Guard(error, () => Commands.EvaluateCommand.Execute(settings, output, error));
        if (exit == 0) Assert.Contains("mAP", output.ToString());
        return (exit, error.ToString());
    }

    [Fact]
    public void Predictions_of_256_mebibytes_or_more_use_low_memory_for_every_iou_type_unless_an_output_needs_everything_or_it_is_turned_off()
    {
        string big = Path.Combine(_folder, "big.json"), small = Path.Combine(_folder, "small.json");
        // A sparse file: its length is what the choice reads, and it takes no disk.
        using (FileStream file = File.Create(big)) file.SetLength(Eval.Pipeline.EvaluationRequest.LowMemoryFromBytes);
        File.WriteAllText(small, "[]");
        var settings = new Commands.EvaluateSettings("gt.json", big, MetricSet.All, new(), [1, 10, 100], null, null);
        static bool LowMemory(Commands.EvaluateSettings s) => s.ToRequest().UsesLowMemory;

        Assert.True(LowMemory(settings));
        Assert.True(LowMemory(settings with { IouTypes = [IouType.Segm] }));
        Assert.True(LowMemory(settings with { IouTypes = [IouType.Bbox, IouType.Segm, IouType.Keypoints] }));
        Assert.False(LowMemory(settings with { Predictions = small }));
        Assert.True(LowMemory(settings with { Predictions = small, MorePredictions = [big] }));
        Assert.True(LowMemory(settings with { Predictions = _folder }));
        Assert.False(LowMemory(settings with { Predictions = Path.Combine(_folder, "missing") }));
        Assert.False(LowMemory(settings with { LowMemory = false }));
        Assert.True(LowMemory(settings with { Predictions = small, LowMemory = true }));
        Assert.False(LowMemory(settings with { Reports = Options.ReportSettings.None with { PlotsDirectory = "plots" } }));
        Assert.False(LowMemory(settings with { Reports = Options.ReportSettings.None with { OverlaysDirectory = "overlays" } }));
        Assert.False(LowMemory(settings with { Analysis = settings.Analysis with { Enabled = true } }));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("x")]
    public void Shard_images_must_be_a_whole_number_of_one_or_more(string value)
    {
        string c = ReferenceData.Case("cases/c02_basic");
        CommandRun run = Deval.Run("evaluate", "--gt", Path.Combine(c, "gt.json"), "--pred", Path.Combine(c, "dt.json"), "--shard-images", value);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--shard-images expects a whole number of 1 or more, but got '{value}'.", run.Error);
    }
}
