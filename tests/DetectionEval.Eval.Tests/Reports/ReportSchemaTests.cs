using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Tests.Reports;

/// <summary>The JSON report's bytes: the same as the writer before it wrote them.</summary>
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
        EvaluationResult result = DetectionEvaluation.Evaluate(dataset, new EvaluationOptions { Voc = voc, ScoreThreshold = 0.5 });
        result = result with { Analysis = ErrorAnalyzer.Analyze(dataset, new AnalysisOptions(voc, 0.5)) };
        var header = new ReportHeader("deval", "0.1.0", $"tests/data/reference/{Case}/gt.json", $"tests/data/reference/{Case}/dt.json");

        using var written = new MemoryStream();
        JsonReport.Write(written, header, result);

        byte[] expected = File.ReadAllBytes(Path.Combine(ReferenceData.RepositoryRoot, "tests", "data", "reports", "c08_sparse_empty-everything.json"));
        Assert.Equal(expected, written.ToArray());
    }
}
