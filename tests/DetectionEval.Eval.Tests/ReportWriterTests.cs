using System.Text;
using System.Text.RegularExpressions;
using CsvHelper;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Analysis;

namespace DetectionEval.Eval.Tests;

public sealed class ReportWriterTests
{
    private const string Svg = """
        <?xml version="1.0" encoding="utf-8" ?>
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="800" height="600">
          <clipPath id="cl_4"><rect x="0" y="0" width="10" height="10"/></clipPath>
          <g clip-path="url(#cl_4)"><text>person: precision / recall</text></g>
        </svg>
        """;

    private static readonly ReportHeader Header = new("deval", "0.1.0", "gt.json", "dt.json");

    // Evaluated once for the whole class: the tests only read it.
    private static readonly Lazy<EvaluationResult> Evaluated = new(() => Evaluate(0.5));

    private static EvaluationResult Sample() => Evaluated.Value;

    private static EvaluationResult Evaluate(double? threshold)
    {
        string folder = Path.Combine(ReferenceData.RepositoryRoot, "samples", "coco-val2014-100");
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Path.Combine(folder, "instances_val2014_100.json"), builder);
        CocoJson.ReadDetections(Path.Combine(folder, "fakebbox100_results.json"), builder);
        return Evaluations.Of(builder.Build(), new EvaluationOptions { ScoreThreshold = threshold });
    }

    private static string Html(EvaluationResult result)
    {
        var content = new ReportContent(
            Header,
            "deval evaluate --gt gt.json --pred dt.json --report r.html",
            [new ReportInput("ground truth", "gt.json", 12, "ab"), new ReportInput("predictions", "dt.json", 34, "cd")],
            [new ReportFigure("AP per class", Svg), new ReportFigure("person: precision / recall", Svg, "person")],
            [new ReportOverlay("a.jpg", "overlays/01_a.jpg", [0xFF, 0xD8, 0xFF], new ImageErrorCounts(0, 1, 2, 3, 0))],
            0.5);
        var writer = new StringWriter { NewLine = "\n" };
        HtmlReport.Write(writer, result, content);
        return writer.ToString();
    }

    [Fact]
    public void The_html_report_references_nothing_on_the_network()
    {
        string html = Html(Sample());

        Assert.DoesNotMatch(new Regex("https?:", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script src", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_html_report_holds_the_summary_the_table_the_charts_the_worst_images_and_the_command_line()
    {
        EvaluationResult result = Sample();
        string html = Html(result);

        Assert.Contains("<div class=\"name\">COCO AP</div><div class=\"value\">0.505</div>", html, StringComparison.Ordinal);
        Assert.Contains("<table class=\"sortable\">", html, StringComparison.Ordinal);
        Assert.Equal(result.Categories.Count, Regex.Matches(html, "<tr><td data-v=").Count);
        Assert.Contains("<svg viewBox=\"0 0 800 600\"", html, StringComparison.Ordinal);
        // Each chart's ids are made unique so that clip paths of different charts do not collide.
        Assert.Contains("id=\"charts0cl_4\"", html, StringComparison.Ordinal);
        Assert.Contains("url(#charts0cl_4)", html, StringComparison.Ordinal);
        Assert.Contains("<details><summary>person</summary>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"overlays/01_a.jpg\"><img alt=\"a.jpg\" src=\"data:image/jpeg;base64,/9j/\"></a>", html, StringComparison.Ordinal);
        Assert.Contains("deval evaluate --gt gt.json --pred dt.json --report r.html", html, StringComparison.Ordinal);
        Assert.Contains("Best F1", html, StringComparison.Ordinal);
        Assert.Contains("F1@thr", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_from_the_annotations_are_escaped_in_the_html()
    {
        var evaluator = new DetectionEvaluator([new Category(1, "<script>alert(1)</script>")]);
        evaluator.Update(new ImageSample(1, [new GroundTruthBox(1, new Matching.Box(0, 0, 5, 5))], []));

        string html = Html(evaluator.Compute());

        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_csv_table_has_one_row_per_class_with_exact_doubles_and_empty_cells_for_missing_values()
    {
        EvaluationResult result = Sample();
        using var buffer = new MemoryStream();
        CsvReport.Write(buffer, result);
        string[] lines = Encoding.UTF8.GetString(buffer.ToArray()).TrimEnd('\n').Split('\n');

        Assert.Equal(
            "id,class,AP,AP50,AP75,APs,APm,APl,AR100,npos,detections,tp,fp,AP07,APall,bestF1,bestF1Confidence,bestF1Precision,bestF1Recall,precisionAtThreshold,recallAtThreshold,f1AtThreshold",
            lines[0]);
        Assert.Equal(result.Categories.Count + 1, lines.Length);
        Assert.NotEqual(0xEF, buffer.ToArray()[0]);

        buffer.Position = 0;
        using CsvReader csv = CsvReader.Create(buffer, new CsvReaderOptions());
        ClassRow[] rows = [.. csv.GetRecords<ClassRow>()];
        Assert.Equal(result.Coco!.PerClass[0].Ap, rows[0].Ap);
        Assert.Equal(result.Voc!.PerClass[0].ApAll, rows[0].ApAll);
        Assert.Equal(result.OperatingPoints!.PerClass[0].BestF1!.F1, rows[0].BestF1);
        int fireHydrant = Array.FindIndex(rows, r => r.Name == "fire hydrant");
        Assert.Null(rows[fireHydrant].Ap);
        Assert.Contains(",fire hydrant,,,,,,,,0,", lines[fireHydrant + 1], StringComparison.Ordinal);
    }

    [Fact]
    public void The_markdown_summary_has_the_headline_table_and_the_folded_class_table()
    {
        var writer = new StringWriter { NewLine = "\n" };
        MarkdownReport.Write(writer, Sample(), Header);
        string markdown = writer.ToString();

        Assert.Contains("| COCO AP | 0.505 | IoU 0.50:0.95 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| VOC mAP | 0.697 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| best F1 | 0.830 | confidence >= 0.012:", markdown, StringComparison.Ordinal);
        Assert.Contains("| VOC mAP | 0.697 | all-point, IoU >= 0.50, continuous coordinates |", markdown, StringComparison.Ordinal);
        // Readable as raw text and rendered alike: no HTML entities.
        Assert.DoesNotMatch("&[a-z]+;", markdown);
        Assert.Contains("| F1 at 0.5 |", markdown, StringComparison.Ordinal);
        Assert.Contains("<details><summary>Per class (80)</summary>", markdown, StringComparison.Ordinal);
        Assert.Contains("| 1 | person | 0.533 | 0.788 | 0.596 | 250 | 199 | 2 | 0.792 |", markdown, StringComparison.Ordinal);
        Assert.Contains("Lowest VOC AP: ", markdown, StringComparison.Ordinal);
    }
}
