using System.Text.Json;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Reports;

/// <summary>Provenance written at the top of a report.</summary>
/// <param name="ToolName">The tool's name.</param>
/// <param name="ToolVersion">The tool's version.</param>
/// <param name="GroundTruth">The ground-truth path as given.</param>
/// <param name="Predictions">The predictions path as given.</param>
public sealed record ReportHeader(string ToolName, string ToolVersion, string GroundTruth, string Predictions);

/// <summary>
/// The JSON report: the contract users' scripts and the CI gate read. Names are stable. A value that
/// pycocotools reports as -1, or a VOC AP of a class without positives, is <c>null</c>. Doubles are
/// written as the shortest text that reads back as the same double.
/// </summary>
public static class JsonReport
{
    /// <summary>Writes the report as indented UTF-8 JSON.</summary>
    public static void Write(Stream stream, ReportHeader header, EvaluationResult result)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();

        json.WriteStartObject("tool");
        json.WriteString("name", header.ToolName);
        json.WriteString("version", header.ToolVersion);
        json.WriteEndObject();

        json.WriteStartObject("inputs");
        json.WriteString("groundTruth", header.GroundTruth);
        json.WriteString("predictions", header.Predictions);
        json.WriteNumber("images", result.Inputs.Images);
        json.WriteNumber("classes", result.Inputs.Classes);
        json.WriteNumber("groundTruthBoxes", result.Inputs.GroundTruthBoxes);
        json.WriteNumber("detections", result.Inputs.Detections);
        json.WriteNumber("detectionsOfUnknownCategories", result.Inputs.DetectionsOfUnknownCategories);
        if (result.Inputs.GroundTruthFingerprint is { } fingerprint) json.WriteString("groundTruthFingerprint", fingerprint);
        else json.WriteNull("groundTruthFingerprint");
        json.WriteEndObject();

        if (result.Coco is { } coco) WriteCoco(json, coco);
        else json.WriteNull("coco");
        if (result.Voc is { } voc) WriteVoc(json, voc);
        else json.WriteNull("voc");
        if (result.OperatingPoints is { } points) WriteOperatingPoints(json, points);
        else json.WriteNull("operatingPoint");
        // Present only when the analysis was asked for, so a plain report is unchanged.
        if (result.Analysis is { } analysis) AnalysisReport.WriteJson(json, analysis);

        json.WriteEndObject();
        json.Flush();
        stream.WriteByte((byte)'\n');
    }

    private static void WriteCoco(Utf8JsonWriter json, CocoResult coco)
    {
        json.WriteStartObject("coco");
        IReadOnlyList<double?> stats = coco.Summary.Stats;
        for (int i = 0; i < stats.Count; i++) WriteNullable(json, CocoSummary.StatNames[i], stats[i]);
        json.WriteStartArray("maxDets");
        foreach (int m in coco.MaxDetections) json.WriteNumberValue(m);
        json.WriteEndArray();
        json.WriteStartArray("perClass");
        foreach (CocoClassResult c in coco.PerClass)
        {
            json.WriteStartObject();
            json.WriteNumber("id", c.Category.Id);
            json.WriteString("name", c.Category.Name);
            WriteNullable(json, "AP", c.Ap);
            WriteNullable(json, "AP50", c.Ap50);
            WriteNullable(json, "AP75", c.Ap75);
            WriteNullable(json, "APs", c.ApSmall);
            WriteNullable(json, "APm", c.ApMedium);
            WriteNullable(json, "APl", c.ApLarge);
            WriteNullable(json, "AR100", c.Ar100);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteVoc(Utf8JsonWriter json, VocResult voc)
    {
        json.WriteStartObject("voc");
        json.WriteNumber("iou", voc.Settings.IouThreshold);
        json.WriteString("iouRule", IouRuleName(voc.Settings.Rule));
        json.WriteBoolean("plusOne", voc.Settings.PlusOnePixel);
        WriteNullable(json, "mAP07", voc.MeanAp07);
        WriteNullable(json, "mAPAll", voc.MeanApAll);
        json.WriteNumber("classesInMean", voc.ClassesInMean);
        json.WriteStartArray("perClass");
        foreach (VocClassResult c in voc.PerClass)
        {
            json.WriteStartObject();
            json.WriteNumber("id", c.Category.Id);
            json.WriteString("name", c.Category.Name);
            json.WriteNumber("npos", c.Positives);
            json.WriteNumber("detections", c.Detections);
            json.WriteNumber("tp", c.TruePositives);
            json.WriteNumber("fp", c.FalsePositives);
            json.WriteNumber("ignored", c.Ignored);
            WriteNullable(json, "ap07", c.Ap07);
            WriteNullable(json, "apAll", c.ApAll);
            WriteNullable(json, "maxRecall", c.MaxRecall);
            WriteNullable(json, "finalPrecision", c.FinalPrecision);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteOperatingPoints(Utf8JsonWriter json, OperatingPoints points)
    {
        json.WriteStartObject("operatingPoint");
        WriteNullable(json, "scoreThreshold", points.ScoreThreshold);
        WritePoint(json, "bestF1", points.BestF1);
        WritePoint(json, "atThreshold", points.AtThreshold);
        json.WriteStartArray("perClass");
        foreach (ClassOperatingPoints c in points.PerClass)
        {
            json.WriteStartObject();
            json.WriteNumber("id", c.Category.Id);
            json.WriteString("name", c.Category.Name);
            WritePoint(json, "bestF1", c.BestF1);
            WritePoint(json, "atThreshold", c.AtThreshold);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WritePoint(Utf8JsonWriter json, string name, OperatingPoint? point)
    {
        if (point is null)
        {
            json.WriteNull(name);
            return;
        }
        json.WriteStartObject(name);
        json.WriteNumber("confidence", point.Confidence);
        json.WriteNumber("precision", point.Precision);
        json.WriteNumber("recall", point.Recall);
        json.WriteNumber("f1", point.F1);
        json.WriteNumber("tp", point.TruePositives);
        json.WriteNumber("fp", point.FalsePositives);
        json.WriteNumber("fn", point.FalseNegatives);
        json.WriteEndObject();
    }

    /// <summary>The short name of an overlap test: <c>ge</c> or <c>gt</c>.</summary>
    public static string IouRuleName(VocIouRule rule) => rule == VocIouRule.Greater ? "gt" : "ge";

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is double v) json.WriteNumber(name, v);
        else json.WriteNull(name);
    }
}
