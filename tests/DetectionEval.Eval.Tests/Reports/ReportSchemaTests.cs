using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.IO;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests.Reports;

/// <summary>
/// The JSON report's records: the bytes the hand-written writer wrote before them, every section read back
/// to the same bytes, the sections new to the reader checked as strictly as the others, and the reader's
/// bounds on hostile input.
/// </summary>
public sealed class ReportSchemaTests
{
    /// <summary>
    /// tests/data/reports/c08_sparse_empty-everything.json was written by the hand-written Utf8JsonWriter
    /// writer that the schema records replaced, with <c>deval evaluate --gt tests/data/reference/cases/c08_sparse_empty/gt.json
    /// --pred .../dt.json --metric all --analysis --score-threshold 0.5 --voc-plus-one --voc-iou-rule gt --iou 0.7
    /// --json ...</c>: every section, nulls in each family, an analysis with a threshold.
    /// </summary>
    [Fact]
    public void The_report_of_a_reference_case_is_byte_for_byte_the_file_the_previous_writer_wrote()
    {
        const string Case = "cases/c08_sparse_empty";
        var voc = new VocMatchSettings(0.7, VocIouRule.Greater, PlusOnePixel: true);
        Dataset dataset = GoldenParityTests.LoadCase(Case);
        EvaluationResult result = Evaluations.Of(dataset, new EvaluationOptions { Voc = voc, ScoreThreshold = 0.5 });
        result = result with { Analysis = ErrorAnalyzer.Analyze(Evaluations.VocRecords(dataset, voc), Evaluations.TideRecords(dataset), new AnalysisOptions(0.5)) };
        var header = new ReportHeader("deval", "0.1.0", $"tests/data/reference/{Case}/gt.json", $"tests/data/reference/{Case}/dt.json");

        using var written = new MemoryStream();
        JsonReport.Write(written, header, result);

        byte[] expected = File.ReadAllBytes(Path.Combine(ReferenceData.RepositoryRoot, "tests", "data", "reports", "c08_sparse_empty-everything.json"));
        Assert.Equal(expected, written.ToArray());

        // The stored file is deval's own output, kept for its bytes; its COCO numbers are held to pycocotools'
        // (c08's expected.json), so the file cannot preserve a wrong number.
        using JsonDocument stored = JsonDocument.Parse(expected);
        using JsonDocument reference = GoldenParityTests.LoadExpected(Case);
        int compared = 0;
        foreach (JsonProperty stat in reference.RootElement.GetProperty("coco").GetProperty("stats").EnumerateObject())
        {
            JsonElement value = stored.RootElement.GetProperty("coco").GetProperty(stat.Name);
            GoldenParityTests.AssertCocoValue(stat.Value, value.ValueKind == JsonValueKind.Null ? null : value.GetDouble(), $"stored report {stat.Name}");
            compared++;
        }
        Assert.Equal(12, compared);
    }

    /// <summary>
    /// Write, read back, write again: the second file is the first byte for byte, so every value the writer
    /// puts in the report is read back (doubles to the same bits) by System.Text.Json's reader, which knows
    /// the schema records but nothing of how a result becomes them.
    /// </summary>
    [Theory]
    [InlineData("peer/cartucho", true, 0.5)]
    [InlineData("cases/c10_empty_dt", true, null)]
    [InlineData("cases/c03_crowd", false, null)]
    [InlineData("peer/rp_coco_bbox_area", false, 0.3)]
    public void A_written_report_reads_back_and_writes_the_same_bytes(string caseName, bool analysis, double? threshold)
    {
        Dataset dataset = GoldenParityTests.LoadCase(caseName);
        EvaluationResult result = Evaluations.Of(dataset, new EvaluationOptions { ScoreThreshold = threshold });
        if (analysis) result = result with { Analysis = ErrorAnalyzer.Analyze(Evaluations.VocRecords(dataset, new VocMatchSettings()), Evaluations.TideRecords(dataset), new AnalysisOptions(threshold ?? double.NegativeInfinity)) };
        byte[] written = Write(result);

        ReportDocument read = JsonReport.ReadDocument(new MemoryStream(written), "report.json");

        Assert.Equal(analysis, read.Analysis is not null);
        using var again = new MemoryStream();
        JsonReport.Write(again, read);
        Assert.Equal(Encoding.UTF8.GetString(written), Encoding.UTF8.GetString(again.ToArray()));
        Assert.Equal(written, again.ToArray());
    }

    [Fact]
    public void Class_names_and_paths_with_quotes_angle_brackets_and_non_ascii_letters_read_back_to_the_same_text()
    {
        var builder = new DatasetBuilder();
        string folder = Path.Combine(ReferenceData.RepositoryRoot, "tests", "report-schema", "odd-names");
        CocoJson.ReadGroundTruth(Path.Combine(folder, "gt.json"), builder);
        CocoJson.ReadDetections(Path.Combine(folder, "dt.json"), builder);
        Dataset dataset = builder.Build();
        EvaluationResult result = Evaluations.Of(dataset, new EvaluationOptions { ScoreThreshold = 0.3 });
        result = result with { Analysis = ErrorAnalyzer.Analyze(Evaluations.VocRecords(dataset, new VocMatchSettings()), Evaluations.TideRecords(dataset), new AnalysisOptions(0.3)) };
        var header = new ReportHeader("deval", "0.1.0", "naïve <dir> & 'x'/gt.json", "\"quoted\"\\dt.json");
        using var written = new MemoryStream();
        JsonReport.Write(written, header, result);

        ReportDocument read = JsonReport.ReadDocument(new MemoryStream(written.ToArray()), "report.json");

        Assert.Equal(header.GroundTruth, read.Inputs.GroundTruth);
        Assert.Equal(header.Predictions, read.Inputs.Predictions);
        Assert.Equal(dataset.Categories.Select(c => c.Name), read.Coco!.PerClass.Select(c => c.Name));
        // The default encoder's escapes, as the hand-written writer wrote them: non-ASCII letters and HTML-sensitive characters.
        Assert.Contains(@"""caf\u00E9 \u003Cb\u003E\u0026amp; \u0027quoted\u0027 \u0022double\u0022""", Encoding.UTF8.GetString(written.ToArray()));
        Assert.Contains(null, read.Analysis!.WorstImages.Select(w => w.FileName));
        Assert.Contains("images/été <1>.jpg", read.Analysis.WorstImages.Select(w => w.FileName));
        foreach (WorstImageEntry w in read.Analysis.WorstImages) Assert.Equal(dataset.Images.Single(i => i.Id == w.Id).FileName, w.FileName);
    }

    [Fact]
    public void A_report_without_analysis_writes_no_analysis_property_and_reads_back_without_one()
    {
        EvaluationResult result = Evaluations.Of(GoldenParityTests.LoadCase("cases/c02_basic"));
        string json = Encoding.UTF8.GetString(Write(result));

        Assert.DoesNotContain("\"analysis\"", json);
        Assert.EndsWith("}\n", json);
        Assert.Null(JsonReport.ReadDocument(new MemoryStream(Encoding.UTF8.GetBytes(json)), "report.json").Analysis);
    }

    public static TheoryData<string, string, string> BrokenAnalysis() => new()
    {
        { "missing_background", "$.analysis.confusionMatrix.labels:", "Expected 9 labels, one per class and background, but got 8 labels" },
        { "other_label", "$.analysis.confusionMatrix.labels[1]:", "Expected the class of perClass[1], 2 \"beta\", but got 2 \"gamma\"" },
        { "short_row", "$.analysis.confusionMatrix.counts[4]:", "Expected a row of 9 counts, one per label, but got 8 numbers" },
        { "negative_cell", "$.analysis.confusionMatrix.counts[0][2]:", "Expected a whole number of 0 or more, but got the number -1" },
        { "tide_order", "$.analysis.tide.errors[1].type:", "Expected \"Loc\" (TIDE's error types in the order Cls, Loc, Both, Dupe, Bkg, Miss), but got the string \"Both\"" },
        { "missing_by_size", "$.analysis.tide.errors[0]:", "Expected the property \"bySize\", but got an object without it" },
        { "rows", "$.analysis.confusionMatrix.rows:", "Expected \"groundTruth\", but got the string \"detected\"" },
    };

    /// <summary>The analysis section is read as strictly as the metrics: a broken one is one error naming its path.</summary>
    [Theory]
    [MemberData(nameof(BrokenAnalysis))]
    public void A_broken_analysis_section_is_one_error_with_its_path(string change, string where, string message)
    {
        Dataset dataset = GoldenParityTests.LoadCase("cases/c08_sparse_empty");
        EvaluationResult result = Evaluations.Of(dataset);
        result = result with { Analysis = ErrorAnalyzer.Analyze(Evaluations.VocRecords(dataset, new VocMatchSettings()), Evaluations.TideRecords(dataset), new AnalysisOptions(0.5)) };
        JsonNode root = JsonNode.Parse(Write(result))!;
        JsonNode matrix = root["analysis"]!["confusionMatrix"]!;
        switch (change)
        {
            case "missing_background": matrix["labels"]!.AsArray().RemoveAt(8); break;
            case "other_label": matrix["labels"]![1]!["name"] = "gamma"; break;
            case "short_row": matrix["counts"]![4]!.AsArray().RemoveAt(0); break;
            case "negative_cell": matrix["counts"]![0]![2] = -1; break;
            case "tide_order": root["analysis"]!["tide"]!["errors"]![1]!["type"] = "Both"; break;
            case "missing_by_size": root["analysis"]!["tide"]!["errors"]![0]!.AsObject().Remove("bySize"); break;
            case "rows": matrix["rows"] = "detected"; break;
        }

        var error = Assert.Throws<AnnotationFormatException>(() => JsonReport.ReadDocument(new MemoryStream(Encoding.UTF8.GetBytes(root.ToJsonString())), "report.json"));

        Assert.StartsWith("report.json", error.Message);
        Assert.Contains(where + " " + message, error.Message);
    }

    [Fact]
    public void A_report_larger_than_the_limit_is_refused_while_it_is_read()
    {
        byte[] report = Write(Evaluations.Of(GoldenParityTests.LoadCase("cases/c02_basic")));

        var error = Assert.Throws<AnnotationFormatException>(() => JsonReport.ReadDocument(new MemoryStream(report), "report.json", maxBytes: 1024));

        Assert.Equal("report.json: $: Expected a report of at most 1 KiB, but got a larger file.", error.Message);
        Assert.Equal(256L << 20, JsonReport.MaxReportBytes);
    }

    [Fact]
    public void A_stream_that_cannot_be_read_again_still_gives_the_file_line_and_path()
    {
        JsonNode root = JsonNode.Parse(Write(Evaluations.Of(GoldenParityTests.LoadCase("cases/c02_basic"))))!;
        root["coco"]!["AP"] = "0.5";

        var error = Assert.Throws<AnnotationFormatException>(() => JsonReport.ReadDocument(new ForwardOnlyStream(Encoding.UTF8.GetBytes(root.ToJsonString())), "report.json"));

        Assert.StartsWith("report.json:1: $.coco.AP: Expected a report as deval evaluate --json writes it, but got a value System.Text.Json refused (", error.Message);
    }

    private static byte[] Write(EvaluationResult result)
    {
        using var stream = new MemoryStream();
        JsonReport.Write(stream, new ReportHeader("deval", "0.1.0", "gt.json", "dt.json"), result);
        return stream.ToArray();
    }

    /// <summary>A stream that cannot seek, like a pipe.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
