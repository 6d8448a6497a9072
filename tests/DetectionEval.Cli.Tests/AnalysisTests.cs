using System.Text.Json;

namespace DetectionEval.Cli.Tests;

/// <summary>evaluate --analysis and --confusion-csv.</summary>
public sealed class AnalysisTests : IDisposable
{
    private static readonly string GroundTruth = Deval.Sample("coco-val2014-100", "instances_val2014_100.json");
    private static readonly string Predictions = Deval.Sample("coco-val2014-100", "fakebbox100_results.json");
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-analysis-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Out(string name) => Path.Combine(_folder, name);

    [Fact]
    public void The_analysis_goes_to_the_text_the_json_the_csv_the_charts_and_the_report()
    {
        CommandRun run = Deval.Run(
            "evaluate", "--gt", GroundTruth, "--pred", Predictions, "--analysis", "--worst", "3",
            "--json", Out("report.json"), "--confusion-csv", Out("confusion.csv"), "--plots", Out("plots"), "--report", Out("report.html"), "--markdown", Out("summary.md"));

        Assert.Equal("", run.Error);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Error analysis at confidence >= 0.012 (VOC, IoU >= 0.50, continuous coordinates):", run.Output);
        Assert.Contains(" confusion matrix: 648 correct, 81 confused between classes, 2 detections on background, 101 objects missed, 0 ignored", run.Output);
        Assert.Contains(" Cls       83   22.25       25    4.45       22    5.18       36    8.05", run.Output);
        Assert.Contains("     19     6    13    29         6  COCO_val2014_000000000196.jpg", run.Output);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Out("report.json")));
        JsonElement analysis = json.RootElement.GetProperty("analysis");
        Assert.Equal(81, analysis.GetProperty("confusionMatrix").GetProperty("counts").GetArrayLength());
        Assert.Equal(3, analysis.GetProperty("worstImages").GetArrayLength());

        string[] csv = File.ReadAllLines(Out("confusion.csv"));
        Assert.Equal(82, csv.Length);
        Assert.StartsWith("person,199,", csv[1]);
        Assert.EndsWith(",30", csv[1]);

        Assert.True(File.Exists(Out(Path.Combine("plots", "confusion_matrix.png"))));
        Assert.True(File.Exists(Out(Path.Combine("plots", "tide_errors.svg"))));
        string html = File.ReadAllText(Out("report.html"));
        Assert.Contains("<section id=\"analysis\">", html);
        Assert.Contains("aria-label=\"Confusion matrix at confidence &gt;= 0.012", html);
        Assert.Contains("#### Error analysis", File.ReadAllText(Out("summary.md")));
    }

    [Fact]
    public void The_confusion_csv_alone_runs_the_analysis_at_the_score_threshold()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", GroundTruth, "--pred", Predictions, "--score-threshold", "0.5", "--confusion-csv", Out("confusion.csv"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Error analysis at confidence >= 0.5 ", run.Output);
        Assert.True(File.Exists(Out("confusion.csv")));
    }

    [Fact]
    public void Without_the_option_there_is_no_analysis()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", GroundTruth, "--pred", Predictions, "--metric", "voc", "--json", "-");

        Assert.Equal(0, run.ExitCode);
        // The report's property, not the word: the inputs' paths may hold it (a checkout in a folder named analysis).
        Assert.DoesNotContain("\"analysis\":", run.Output);
        Assert.Contains("\"voc\":", run.Output);
    }

    [Fact]
    public void The_analysis_needs_the_voc_matches()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", GroundTruth, "--pred", Predictions, "--metric", "coco", "--analysis", "--confusion-csv", Out("confusion.csv"));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(["deval: error: --analysis: Expected the VOC matches (--metric voc or all), but got --metric coco."], run.ErrorLines);
        Assert.False(File.Exists(Out("confusion.csv")));
    }

    [Fact]
    public void A_confusion_csv_path_that_is_a_folder_is_refused_before_anything_runs()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", GroundTruth, "--pred", Predictions, "--confusion-csv", _folder);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal([$"deval: error: {_folder}: Expected a file for --confusion-csv, but got a folder."], run.ErrorLines);
    }
}
