using System.Text;
using System.Text.Json.Nodes;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Eval.IO;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests.Reports;

/// <summary>Reading the JSON report back: every value round-trips, and anything off the contract is one clear error.</summary>
public sealed class JsonReportReadingTests
{
    private static readonly ReportHeader Header = new("deval", "0.1.0", "gt.json", "dt.json");

    private static readonly Lazy<(EvaluationResult Result, string Json)> Sample = new(() =>
    {
        EvaluationResult result = Evaluations.Of(GoldenParityTests.LoadCase("peer/coco_val2014_100"));
        using var stream = new MemoryStream();
        JsonReport.Write(stream, Header, result);
        return (result, Encoding.UTF8.GetString(stream.ToArray()));
    });

    private static EvaluationReport Read(string json) => JsonReport.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), "report.json");

    [Fact]
    public void A_written_report_reads_back_to_the_same_values()
    {
        EvaluationReport read = Read(Sample.Value.Json);
        EvaluationReport expected = EvaluationReport.From("report.json", Header, Sample.Value.Result);

        Assert.Equal(expected.Inputs, read.Inputs);
        Assert.StartsWith("sha256:", read.Inputs.GroundTruthFingerprint);
        Assert.Equal(expected.Coco!.Summary, read.Coco!.Summary);
        Assert.Equal(expected.Coco.MaxDetections, read.Coco.MaxDetections);
        Assert.Equal(expected.Coco.PerClass, read.Coco.PerClass);
        Assert.Equal(expected.Voc!.Settings, read.Voc!.Settings);
        Assert.Equal((expected.Voc.MeanAp07, expected.Voc.MeanApAll, expected.Voc.ClassesInMean), (read.Voc.MeanAp07, read.Voc.MeanApAll, read.Voc.ClassesInMean));
        Assert.Equal(expected.Voc.PerClass, read.Voc.PerClass);
        Assert.Equal(MetricSet.All, read.Families);
    }

    [Fact]
    public void Properties_the_contract_does_not_name_are_skipped()
    {
        JsonNode root = JsonNode.Parse(Sample.Value.Json)!;
        root["laterSection"] = new JsonObject { ["f1"] = 0.5, ["nested"] = new JsonArray(1, 2, new JsonObject()) };
        root["coco"]!["perClass"]![0]!["extra"] = "value";
        root["operatingPoint"]!["bestF1"]!["f2"] = 0.25;
        Assert.Equal(Read(Sample.Value.Json).Coco!.Summary, Read(root.ToJsonString()).Coco!.Summary);
    }

    [Fact]
    public void A_family_that_was_not_computed_reads_as_null()
    {
        JsonNode root = JsonNode.Parse(Sample.Value.Json)!;
        root["voc"] = null;
        EvaluationReport report = Read(root.ToJsonString());
        Assert.Null(report.Voc);
        Assert.Equal(MetricSet.Coco, report.Families);
    }

    public static TheoryData<string, string, string> Malformed() => new()
    {
        { "missing_fingerprint", "$.inputs:", "Expected the property \"groundTruthFingerprint\", but got an object without it" },
        { "null_fingerprint", "$.inputs.groundTruthFingerprint:", "Expected the ground truth's fingerprint, \"sha256:\" and 64 hex digits, but got null" },
        { "string_ap", "$.coco.AP:", "Expected a number or null, but got the string \"0.5\"" },
        { "ap_above_one", "$.coco.perClass[2].AP50:", "Expected a number from 0 to 1, or null, but got the number 1.5" },
        { "other_tool", "$.tool.name:", "Expected \"deval\" (a report written by deval), but got the string \"hotcoco\"" },
        { "missing_voc", "$:", "Expected the property \"voc\", but got an object without it" },
        { "bad_rule", "$.voc.iouRule:", "Expected \"ge\" or \"gt\", but got the string \"geq\"" },
        { "two_maxdets", "$.coco.maxDets:", "Expected three ascending whole numbers of 1 or more, like [1, 10, 100], but got 2 numbers" },
        { "fewer_classes", "$.coco.perClass:", "Expected one entry per class (80, as \"inputs.classes\" says), but got 79 entries" },
        { "class_order", "$.voc.perClass", "Expected classes in ascending id order, each once, but got id 1 at perClass[1] after id 2" },
        { "duplicate_property", "$.coco", "Expected each property once, but got \"AP\" a second time" },
        { "negative_count", "$.voc.perClass[0].tp:", "Expected a whole number of 0 or more, but got the number -1" },
        { "truncated", ":", "Expected valid JSON, but got the end of the file inside an unfinished object or array" },
        { "array", "$:", "Expected a JSON object written by deval evaluate --json, but got an array" },
        { "null_class", "$.coco.perClass[3]:", "Expected a class object {\"id\", \"name\", \"AP\", ...}, but got null" },
        { "fractional_count", "$.voc.perClass[0].npos:", "Expected a whole number of 0 or more, but got the number 2.5" },
        { "precision_above_one", "$.operatingPoint.bestF1.precision:", "Expected a number from 0 to 1, but got the number 1.5" },
        { "nested_too_deep", "$.laterSection:", "Expected valid JSON, but got '[[[[[[[[[[[[[[[[[[[[' (The maximum configured depth of 64 has been exceeded" },
        { "lone_surrogate", "$.coco.perClass[0].name:", "Expected a string of valid Unicode, but got an escaped half of a surrogate pair (\\uD800 to \\uDFFF) on its own" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_report_off_the_contract_is_one_error_with_file_path_expected_and_found(string change, string where, string message)
    {
        string json = Break(change);
        var error = Assert.Throws<AnnotationFormatException>(() => Read(json));
        Assert.StartsWith("report.json", error.Message);
        Assert.Contains(where, error.Message);
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_missing_file_is_an_input_error()
    {
        var error = Assert.Throws<AnnotationFormatException>(() => JsonReport.Read(Path.Combine(Path.GetTempPath(), "no-such-deval-report.json")));
        Assert.Contains("Expected an existing, readable file, but got no such file", error.Message);
    }

    private static string Break(string change)
    {
        JsonNode root = JsonNode.Parse(Sample.Value.Json)!;
        switch (change)
        {
            case "missing_fingerprint": root["inputs"]!.AsObject().Remove("groundTruthFingerprint"); break;
            case "null_fingerprint": root["inputs"]!["groundTruthFingerprint"] = null; break;
            case "string_ap": root["coco"]!["AP"] = "0.5"; break;
            case "ap_above_one": root["coco"]!["perClass"]![2]!["AP50"] = 1.5; break;
            case "other_tool": root["tool"]!["name"] = "hotcoco"; break;
            case "missing_voc": root.AsObject().Remove("voc"); break;
            case "bad_rule": root["voc"]!["iouRule"] = "geq"; break;
            case "two_maxdets": root["coco"]!["maxDets"] = new JsonArray(1, 10); break;
            case "fewer_classes": root["coco"]!["perClass"]!.AsArray().RemoveAt(79); break;
            case "class_order":
                JsonArray voc = root["voc"]!["perClass"]!.AsArray();
                JsonNode first = voc[0]!;
                voc.RemoveAt(0);
                voc.Insert(1, first);
                break;
            case "duplicate_property": return Sample.Value.Json.Replace("\"AP\": ", "\"AP\": 0.5, \"AP\": ", StringComparison.Ordinal);
            case "negative_count": root["voc"]!["perClass"]![0]!["tp"] = -1; break;
            case "truncated": return Sample.Value.Json[..Sample.Value.Json.IndexOf("\"maxDets\"", StringComparison.Ordinal)];
            case "array": return "[" + Sample.Value.Json + "]";
            case "null_class": root["coco"]!["perClass"]![3] = null; break;
            case "fractional_count": root["voc"]!["perClass"]![0]!["npos"] = 2.5; break;
            case "precision_above_one": root["operatingPoint"]!["bestF1"]!["precision"] = 1.5; break;
            case "nested_too_deep": return "{\"laterSection\": " + new string('[', 100) + new string(']', 100) + "," + Sample.Value.Json[1..];
            case "lone_surrogate": return Sample.Value.Json.Replace("\"name\": \"person\"", "\"name\": \"\\uD800\"", StringComparison.Ordinal);
        }
        return root.ToJsonString();
    }
}
