using System.Text.Json.Nodes;

namespace DetectionEval.Cli.Tests;

/// <summary><c>deval compare</c>: two reports side by side.</summary>
public sealed class CompareCommandTests : IDisposable
{
    private static readonly string SampleGroundTruth = Deval.Sample("coco-val2014-100", "instances_val2014_100.json");
    private static readonly string SamplePredictions = Deval.Sample("coco-val2014-100", "fakebbox100_results.json");
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-compare-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (string A, string B, string PredictionsB) Reports()
    {
        JsonArray all = JsonNode.Parse(File.ReadAllText(SamplePredictions))!.AsArray();
        string predictionsB = Path.Combine(_folder, "nodog.json");
        File.WriteAllText(predictionsB, new JsonArray([.. all.Where(p => (int)p!["category_id"]! != 18).Select(p => p!.DeepClone())]).ToJsonString());
        string a = Path.Combine(_folder, "a.json"), b = Path.Combine(_folder, "b.json");
        Assert.Equal(0, Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--json", a).ExitCode);
        Assert.Equal(0, Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", predictionsB, "--json", b).ExitCode);
        return (a, b, predictionsB);
    }

    [Fact]
    public void Bbox_and_segm_reports_are_compared_in_both_sections()
    {
        string masks = Deval.Sample("coco-val2014-100", "fakesegm100_results.json");
        string withoutDogs = Deval.Sample("coco-val2014-100", "gate", "segm_regressed_results.json");
        string a = Path.Combine(_folder, "a.json"), b = Path.Combine(_folder, "b.json");
        Assert.Equal(0, Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", masks, "--iou-type", "bbox,segm", "--metric", "coco", "--json", a).ExitCode);
        Assert.Equal(0, Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", withoutDogs, "--iou-type", "bbox,segm", "--metric", "coco", "--json", b).ExitCode);
        CommandRun run = Deval.Run("compare", a, b);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        string[] lines = run.Output.Split('\n');
        Assert.Equal($"deval compare: A {a}, B {b} (coco+segm, 80 classes, 100 images)", lines[0]);
        // pycocotools' segm AP of the masks is 0.31951...; without the dogs (AP 0.2) the mean over 70 classes loses 0.2 / 70.
        Assert.Contains("segm.AP       0.3195    0.3167   -0.0029\n", run.Output, StringComparison.Ordinal);
        int segmTable = Array.IndexOf(lines, "COCO segm AP per class, largest drop first:");
        Assert.True(segmTable > Array.IndexOf(lines, "COCO AP per class, largest drop first:"));
        Assert.Equal("    18  dog               0.2000    0.0000   -0.2000", lines[segmTable + 2]);
    }

    [Fact]
    public void Per_class_changes_are_sorted_largest_drop_first()
    {
        (string a, string b, _) = Reports();
        CommandRun run = Deval.Run("compare", a, b, "--markdown", Path.Combine(_folder, "compare.md"));
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        string[] lines = run.Output.Split('\n');
        Assert.Equal($"deval compare: A {a}, B {b} (coco+voc, 80 classes, 100 images)", lines[0]);
        Assert.Contains("AP          0.5046    0.4955   -0.0091", run.Output);
        int cocoTable = Array.IndexOf(lines, "COCO AP per class, largest drop first:");
        Assert.StartsWith("    18  dog", lines[cocoTable + 2]);
        Assert.Contains("0.6337    0.0000   -0.6337", lines[cocoTable + 2]);
        int vocTable = Array.IndexOf(lines, "VOC apAll per class, largest drop first:");
        Assert.StartsWith("    18  dog", lines[vocTable + 2]);
        string markdown = File.ReadAllText(Path.Combine(_folder, "compare.md"));
        Assert.Contains("| 18 | dog | 0.6337 | 0.0000 | -0.6337 |", markdown);
    }

    [Fact]
    public void With_a_bootstrap_every_change_has_an_interval()
    {
        (string a, string b, string predictionsB) = Reports();
        string[] args = ["compare", a, b, "--gt", SampleGroundTruth, "--pred-a", SamplePredictions, "--pred-b", predictionsB, "--bootstrap", "30", "--seed", "1"];
        CommandRun run = Deval.Run(args);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("paired bootstrap: 30 replicates, seed 1, 95% intervals of B - A", run.Output);
        Assert.Matches(@"\n    18  dog\s+0\.6337\s+0\.0000\s+-0\.6337\s+-0\.\d{4} to -0\.\d{4}\n", run.Output);
        // The replicates are a function of the seed, not of how many threads draw them.
        Assert.Equal(run.Output, Deval.Run([.. args, "--threads", "1"]).Output);
    }

    [Fact]
    public void Reports_without_a_family_in_common_exit_2()
    {
        string coco = Path.Combine(_folder, "coco.json"), voc = Path.Combine(_folder, "voc.json");
        Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--metric", "coco", "--json", coco);
        Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--metric", "voc", "--json", voc);
        CommandRun run = Deval.Run("compare", coco, voc);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"deval: error: Expected reports with a metric family in common, but got coco ({coco}) and voc ({voc}).", Assert.Single(run.ErrorLines));
    }
}
