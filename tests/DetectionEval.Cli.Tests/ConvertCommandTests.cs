using System.Text.Json;
using System.Text.Json.Nodes;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// deval convert: COCO to each writable format and back evaluates identically (c02: 50 images, 184 boxes
/// with 22 difficult, 356 detections), and bad outputs are refused before anything is written.
/// </summary>
public sealed class ConvertCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-convert-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string C02(params string[] parts) => ReferenceData.Case(Path.Combine(["cases", "c02_basic", .. parts]));

    private string Temp(string name) => Path.Combine(_folder, name);

    private static CommandRun Succeed(params string[] args)
    {
        CommandRun run = Deval.Run(args);
        Assert.True(run.ExitCode == 0, $"deval {string.Join(' ', args)} exited {run.ExitCode}: {run.Error}");
        return run;
    }

    [Theory]
    [InlineData("coco", "coco", ".json", true)]
    [InlineData("voc-xml", "voc-results", "", true)]
    [InlineData("yolo", "yolo", "", false)]
    [InlineData("txt", "txt", "", true)]
    [InlineData("csv", "csv", ".csv", true)]
    [InlineData("labelme", "labelme", "", true)]
    [InlineData("cvat", "cvat", ".xml", true)]
    [InlineData("openimages", "openimages", ".csv", false)]
    public void Coco_to_a_format_and_back_evaluates_identically(string gtFormat, string predFormat, string extension, bool carriesDifficult)
    {
        // YOLO and Open Images have no difficult flag: their reference is the same boxes without it.
        string groundTruth = carriesDifficult ? C02("gt.json") : WithoutDifficult(C02("gt.json"));
        string predictions = C02("dt.json");
        string convertedGt = Temp("gt-" + gtFormat + extension), convertedDt = Temp("dt-" + predFormat + extension);
        Succeed("convert", "--to", gtFormat, groundTruth, convertedGt);
        Succeed("convert", "--to", predFormat, "--gt", groundTruth, predictions, convertedDt);

        string[] reading = gtFormat switch
        {
            // Relative coordinates need the image sizes; single-file formats without a class list get it from --names.
            "yolo" => ["--image-sizes", C02("formats", "yolo", "images.txt")],
            "openimages" => ["--image-sizes", C02("formats", "yolo", "images.txt"), "--names", C02("formats", "yolo", "classes.txt")],
            "csv" => ["--names", C02("formats", "yolo", "classes.txt")],
            _ => [],
        };
        string backGt = Temp("back-gt.json"), backDt = Temp("back-dt.json");
        Succeed(["convert", "--to", "coco", convertedGt, backGt, .. reading]);
        Succeed(["convert", "--to", "coco", "--gt", convertedGt, convertedDt, backDt, .. reading]);

        foreach (string[] profile in new[] { Array.Empty<string>(), ["--voc-plus-one"], ["--iou", "0.75"] })
        {
            using JsonDocument before = Report(groundTruth, predictions, profile);
            using JsonDocument after = Report(backGt, backDt, profile);
            Reports.AssertSameNumbers(before.RootElement, after.RootElement, $"{gtFormat} {string.Join(' ', profile)}");
        }
    }

    [Fact]
    public void Converting_to_yolo_and_back_with_image_folder_sizes_keeps_the_cartucho_numbers()
    {
        string peer = ReferenceData.Case(Path.Combine("peer", "cartucho"));
        string images = Path.Combine(peer, "images");
        string gt = Path.Combine(peer, "original", "ground-truth"), dt = Path.Combine(peer, "original", "detection-results");
        Succeed("convert", "--to", "yolo", "--images", images, gt, Temp("labels"));
        CommandRun convert = Succeed("convert", "--to", "yolo", "--images", images, "--ignore-unknown-classes", "--gt", gt, dt, Temp("predictions"));
        // The load stage says what it dropped as evaluate says it.
        Assert.Contains("44 predictions of classes not in the ground truth were ignored (", convert.Error);

        using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(peer, "expected.json")));
        CommandRun run = Succeed("evaluate", "--gt", Temp("labels"), "--pred", Temp("predictions"), "--images", images, "--voc-plus-one", "--metric", "voc", "--json", "-");
        using JsonDocument report = JsonDocument.Parse(run.Output);
        JsonElement reference = expected.RootElement.GetProperty("voc_plus1_ge");
        Assert.Equal(reference.GetProperty("mAP_all").GetDouble(), report.RootElement.GetProperty("voc").GetProperty("mAPAll").GetDouble());
        Assert.Equal(reference.GetProperty("mAP07").GetDouble(), report.RootElement.GetProperty("voc").GetProperty("mAP07").GetDouble());
        Assert.Equal(30, report.RootElement.GetProperty("voc").GetProperty("classesInMean").GetInt32());
    }

    [Fact]
    public void A_folder_output_that_is_not_empty_is_refused_before_anything_is_written()
    {
        string output = Temp("out");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "mine");
        CommandRun run = Deval.Run("convert", "--to", "txt", C02("gt.json"), output);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal($"deval: error: {output}: Expected a new or empty folder for OUT (txt writes one file per image or class), but got a folder that is not empty. Add --overwrite to replace it.", Assert.Single(run.ErrorLines));
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName));
    }

    [Fact]
    public void Overwrite_replaces_a_folder_output_as_a_whole()
    {
        string output = Temp("out");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "old.txt"), "from an earlier run");
        Succeed("convert", "--to", "txt", "--overwrite", C02("gt.json"), output);
        Assert.False(File.Exists(Path.Combine(output, "old.txt")));
        Assert.Equal(51, Directory.GetFiles(output).Length);
        // Neither the temporary folder nor the replaced one is left next to it.
        Assert.Equal(["out"], Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Predictions_cannot_be_written_as_voc_annotation_xml()
    {
        CommandRun run = Deval.Run("convert", "--to", "voc-xml", "--gt", C02("gt.json"), C02("dt.json"), Temp("out"));
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("deval: error: --to voc-xml: Expected a format that holds predictions, but got one that holds ground truth only.", Assert.Single(run.ErrorLines));
        Assert.False(Directory.Exists(Temp("out")));
    }

    [Fact]
    public void A_failed_conversion_leaves_no_output_behind()
    {
        // Without image sizes there are no relative YOLO numbers to write.
        string gt = Temp("gt-no-sizes.json");
        JsonNode root = JsonNode.Parse(File.ReadAllText(C02("gt.json")))!;
        foreach (JsonNode? image in root["images"]!.AsArray())
        {
            image!.AsObject().Remove("width");
            image.AsObject().Remove("height");
        }
        File.WriteAllText(gt, root.ToJsonString());
        CommandRun run = Deval.Run("convert", "--to", "yolo", gt, Temp("labels"));
        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"deval: error: {Temp("labels")}: Expected the size of image '", line);
        Assert.EndsWith(".jpg' for relative coordinates (from the ground truth, --images or --image-sizes), but got no size for it.", line);
        Assert.Equal(["gt-no-sizes.json"], Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void The_summary_line_says_what_was_written()
    {
        string output = Temp("voc");
        CommandRun run = Succeed("convert", "--to", "voc-xml", C02("gt.json"), output);
        Assert.Equal($"{C02("gt.json")} (coco) -> {output} (voc-xml): 50 images, 5 classes, 184 ground-truth boxes\n", run.Output);
        Assert.Equal(51, Directory.GetFiles(output).Length); // 50 annotations and classes.txt
        Assert.Contains("<name>person</name>", File.ReadAllText(Path.Combine(output, "000000008249.xml")));
    }

    private string WithoutDifficult(string path)
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(path))!;
        foreach (JsonNode? annotation in root["annotations"]!.AsArray()) annotation!.AsObject().Remove("difficult");
        string copy = Temp("gt-without-difficult.json");
        File.WriteAllText(copy, root.ToJsonString());
        return copy;
    }

    private static JsonDocument Report(string groundTruth, string predictions, string[] profile) =>
        JsonDocument.Parse(Succeed(["evaluate", "--gt", groundTruth, "--pred", predictions, "--json", "-", .. profile]).Output);
}
