using System.Text.Json;
using System.Text.Json.Nodes;

namespace DetectionEval.Cli.Tests;

/// <summary>samples/formats, the COCO sample written in every other format, reads back as samples/formats/SOURCE.md says.</summary>
public sealed class FormatSampleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-format-samples-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The COCO values that do not read the ground truth's area field (the other formats only have the box's w*h).</summary>
    private static readonly IReadOnlySet<string> AreaFree = new HashSet<string> { "AP", "AP50", "AP75", "AR1", "AR10", "AR100", "AR", "maxDets", "name" };

    private static string Sample(string relative) => Deval.Sample(["formats", .. relative.Split('/')]);

    private static readonly string CocoGt = Deval.Sample("coco-val2014-100", "instances_val2014_100.json");
    private static readonly string CocoDt = Deval.Sample("coco-val2014-100", "fakebbox100_results.json");

    [Theory]
    [InlineData("voc/Annotations", "voc/results", "")]
    [InlineData("csv/gt.csv", "csv/predictions.csv", "--names|classes.txt")]
    [InlineData("labelme/gt", "labelme/predictions", "")]
    [InlineData("cvat/annotations.xml", "cvat/predictions.xml", "")]
    [InlineData("openimages/boxes.csv", "openimages/predictions.csv", "--names|classes.txt|--image-sizes|images.txt")]
    public void Formats_that_carry_crowd_regions_give_the_coco_sample_numbers(string groundTruth, string predictions, string options)
    {
        using JsonDocument coco = Reports.Evaluate("--gt", CocoGt, "--pred", CocoDt);
        using JsonDocument other = Reports.Evaluate([.. Arguments(groundTruth, predictions, options)]);
        Reports.AssertSameNumbers(coco.RootElement, other.RootElement, groundTruth, AreaFree);
    }

    [Fact]
    public void Txt_writes_crowds_as_difficult_which_keeps_the_voc_numbers()
    {
        using JsonDocument withoutCrowds = Reports.Evaluate("--gt", WithoutCrowds(), "--pred", CocoDt);
        using JsonDocument coco = Reports.Evaluate("--gt", CocoGt, "--pred", CocoDt);
        using JsonDocument txt = Reports.Evaluate([.. Arguments("txt/ground-truth", "txt/detection-results", "")]);
        Reports.AssertSameNumbers(withoutCrowds.RootElement, txt.RootElement, "txt", AreaFree, ["coco"]);
        Reports.AssertSameNumbers(coco.RootElement, txt.RootElement, "txt", families: ["voc"]);
    }

    [Fact]
    public void Yolo_has_no_flags_and_gives_the_voc_numbers_of_the_sample_without_crowds()
    {
        using JsonDocument withoutCrowds = Reports.Evaluate("--gt", WithoutCrowds(), "--pred", CocoDt);
        using JsonDocument yolo = Reports.Evaluate([.. Arguments("yolo/labels", "yolo/predictions", "--image-sizes|images.txt")]);
        Reports.AssertSameNumbers(withoutCrowds.RootElement, yolo.RootElement, "yolo", families: ["voc"]);
        Assert.Equal(839, yolo.RootElement.GetProperty("inputs").GetProperty("groundTruthBoxes").GetInt32());
        Assert.Equal(734, yolo.RootElement.GetProperty("inputs").GetProperty("detections").GetInt32());
    }

    private static IEnumerable<string> Arguments(string groundTruth, string predictions, string options)
    {
        yield return "--gt";
        yield return Sample(groundTruth);
        yield return "--pred";
        yield return Sample(predictions);
        string[] parts = options.Split('|', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i += 2)
        {
            yield return parts[i];
            yield return Sample(parts[i + 1]);
        }
    }

    private string WithoutCrowds()
    {
        string path = Path.Combine(_folder, "sample-without-crowds.json");
        JsonNode root = JsonNode.Parse(File.ReadAllText(CocoGt))!;
        foreach (JsonNode? annotation in root["annotations"]!.AsArray()) annotation!["iscrowd"] = 0;
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }
}
