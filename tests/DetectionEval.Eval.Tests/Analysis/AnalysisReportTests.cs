using System.Text;
using System.Text.Json;
using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests.Analysis;

/// <summary>The analysis in the JSON, CSV, Markdown and HTML outputs.</summary>
public sealed class AnalysisReportTests
{
    private static readonly ReportHeader Header = new("deval", "0.1.0", "gt.json", "dt.json");

    /// <summary>Image 7 ("a.jpg"): a person found, a dog detected as "cat, big" (a class name with a comma), a person missed.</summary>
    private static (Dataset Dataset, EvaluationResult Result) Sample()
    {
        var b = new DatasetBuilder();
        b.TryAddCategory(new Category(1, "person"), out _);
        b.TryAddCategory(new Category(2, "dog"), out _);
        b.TryAddCategory(new Category(3, "cat, big"), out _);
        b.TryAddImage(new ImageInfo(7, "a.jpg"), out int image);
        b.AddGroundTruth(image, 0, new Box(0, 0, 10, 10), 100, GroundTruthFlags.None, 1);
        b.AddGroundTruth(image, 0, new Box(200, 0, 10, 10), 100, GroundTruthFlags.None, 2);
        b.AddGroundTruth(image, 1, new Box(100, 0, 10, 10), 100, GroundTruthFlags.None, 3);
        b.AddDetection(image, 0, new Box(0, 0, 10, 10), 0.9);
        b.AddDetection(image, 2, new Box(100, 0, 10, 10), 0.8);
        Dataset dataset = b.Build();
        EvaluationResult result = Evaluations.Of(dataset);
        return (dataset, result with { Analysis = ErrorAnalyzer.Analyze(Evaluations.VocRecords(dataset), Evaluations.TideRecords(dataset), new AnalysisOptions(0.5)) });
    }

    private static string Json(EvaluationResult result)
    {
        using var stream = new MemoryStream();
        JsonReport.Write(stream, Header, result);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public void The_json_report_gets_an_analysis_section_only_when_the_analysis_ran()
    {
        (_, EvaluationResult result) = Sample();

        using JsonDocument with = JsonDocument.Parse(Json(result));
        using JsonDocument without = JsonDocument.Parse(Json(result with { Analysis = null }));

        Assert.False(without.RootElement.TryGetProperty("analysis", out _));
        JsonElement analysis = with.RootElement.GetProperty("analysis");
        JsonElement matrix = analysis.GetProperty("confusionMatrix");
        Assert.Equal(0.5, matrix.GetProperty("scoreThreshold").GetDouble());
        Assert.Equal(["person", "dog", "cat, big", "background"], matrix.GetProperty("labels").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
        Assert.Equal(JsonValueKind.Null, matrix.GetProperty("labels")[3].GetProperty("id").ValueKind);
        int[][] counts = [.. matrix.GetProperty("counts").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt32()).ToArray())];
        Assert.Equal([[1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]], counts);
        JsonElement tide = analysis.GetProperty("tide");
        Assert.Equal(["Cls", "Loc", "Both", "Dupe", "Bkg", "Miss"], tide.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(1, tide.GetProperty("errors")[0].GetProperty("count").GetInt32());
        Assert.Equal(1, tide.GetProperty("errors")[0].GetProperty("bySize").GetProperty("small").GetProperty("count").GetInt32());
        JsonElement worst = analysis.GetProperty("worstImages")[0];
        Assert.Equal(7, worst.GetProperty("id").GetInt64());
        Assert.Equal("a.jpg", worst.GetProperty("fileName").GetString());
        Assert.Equal((3, 1, 2, 1), (worst.GetProperty("errors").GetInt32(), worst.GetProperty("fp").GetInt32(), worst.GetProperty("fn").GetInt32(), worst.GetProperty("confusions").GetInt32()));
        // Every name the report had before is still read back.
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Json(result)));
        Assert.Equal(result.Voc!.MeanApAll, JsonReport.Read(stream, "report.json").Voc!.MeanApAll);
    }

    [Fact]
    public void The_confusion_csv_has_a_header_of_detected_classes_and_a_row_per_ground_truth_class_with_names_quoted_where_needed()
    {
        (_, EvaluationResult result) = Sample();
        using var stream = new MemoryStream();

        AnalysisReport.WriteConfusionCsv(stream, result.Analysis!.Confusion);

        Assert.Equal(
            "ground truth \\ detected,person,dog,\"cat, big\",background\nperson,1,0,0,1\ndog,0,0,1,0\n\"cat, big\",0,0,0,0\nbackground,0,0,0,0\n",
            Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void Markdown_and_html_show_the_analysis_when_present_and_not_otherwise()
    {
        (_, EvaluationResult result) = Sample();
        string Markdown(EvaluationResult r)
        {
            var writer = new StringWriter();
            MarkdownReport.Write(writer, r, Header);
            return writer.ToString();
        }
        string Html(EvaluationResult r)
        {
            var writer = new StringWriter();
            HtmlReport.Write(writer, r, new ReportContent(Header, "deval evaluate", [], [new ReportFigure("TIDE errors", "<svg width=\"10\" height=\"10\"></svg>") { IsAnalysis = true }], [], null));
            return writer.ToString();
        }

        string markdown = Markdown(result);
        Assert.Contains("#### Error analysis at confidence >= 0.5", markdown);
        Assert.Contains("1 correct, 1 confused between classes, 0 detections on background, 1 object missed, 0 ignored", markdown);
        Assert.Contains("| Cls | 1 |", markdown);
        Assert.Contains("| a.jpg | 3 | 1 | 2 | 1 | 1 |", markdown);
        Assert.DoesNotContain("Error analysis", Markdown(result with { Analysis = null }));

        string html = Html(result);
        Assert.Contains("<section id=\"analysis\">", html);
        Assert.Contains("Most confused (ground truth as detected): dog as cat, big 1.", html);
        Assert.Contains("aria-label=\"TIDE errors\"", html);
        Assert.DoesNotContain("id=\"analysis\"", Html(result with { Analysis = null }));
    }

    [Fact]
    public void The_text_summary_ends_with_the_matrix_tide_table_and_worst_images()
    {
        (_, EvaluationResult result) = Sample();
        var writer = new StringWriter { NewLine = "\n" };

        TextReport.Write(writer, result);

        string text = writer.ToString();
        Assert.Contains("Error analysis at confidence >= 0.5 (VOC, IoU >= 0.50, continuous coordinates):\n confusion matrix: 1 correct, 1 confused between classes", text);
        Assert.Contains("\n Cls        1 ", text);
        Assert.Contains("      3     1     2     1         1  a.jpg\n", text);
    }
}
