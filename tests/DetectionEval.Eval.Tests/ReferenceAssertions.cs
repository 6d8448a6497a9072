using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// Compares a dataset read from another format with a reference expected.json, matching classes by
/// name (the formats number classes their own way): COCO to 1e-12, every VOC profile bit for bit.
/// </summary>
internal static class ReferenceAssertions
{
    public static Dataset Load(AnnotationInput groundTruth, AnnotationInput predictions, LoadOptions? options = null) =>
        AnnotationLoader.Load(groundTruth, predictions, options ?? new LoadOptions()).Builder.Build();

    public static JsonDocument Expected(string relative) => JsonDocument.Parse(File.ReadAllBytes(ReferenceData.Case(relative)));

    /// <summary>Checks the COCO part and every VOC profile of <paramref name="expected"/>; returns how many VOC profiles were checked.</summary>
    public static int AssertMatches(Dataset dataset, JsonElement expected, string where)
    {
        AssertCoco(dataset, expected.GetProperty("coco"), where);
        int profiles = 0;
        foreach (JsonProperty profile in expected.EnumerateObject())
        {
            if (!profile.Name.StartsWith("voc", StringComparison.Ordinal) || profile.Value.ValueKind != JsonValueKind.Object) continue;
            if (!profile.Value.TryGetProperty("per_class", out _)) continue;
            AssertVoc(dataset, profile.Value, $"{where} {profile.Name}");
            profiles++;
        }
        Assert.True(profiles >= 4, $"{where}: expected at least four VOC profiles, found {profiles}");
        return profiles;
    }

    public static VocMatchSettings Settings(JsonElement profile)
    {
        JsonElement p = profile.GetProperty("params");
        return new VocMatchSettings(
            p.GetProperty("iou").GetDouble(),
            p.GetProperty("iou_test").GetString() == "gt" ? VocIouRule.Greater : VocIouRule.GreaterOrEqual,
            p.GetProperty("plus_one").GetBoolean());
    }

    public static void AssertCoco(Dataset dataset, JsonElement expected, string where)
    {
        CocoResult coco = CocoAccumulation.Evaluate(dataset, new EvaluationOptions());
        JsonElement stats = expected.GetProperty("stats_list");
        for (int i = 0; i < 12; i++) GoldenParityTests.AssertCocoValue(stats[i], coco.Summary.Stats[i], $"{where} {CocoSummary.StatNames[i]}");

        var ours = coco.PerClass.ToDictionary(c => c.Category.Name);
        foreach (JsonElement c in expected.GetProperty("per_category").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            string at = $"{where} class {name}";
            if (!ours.Remove(name, out CocoClassResult? r))
            {
                // A class the format cannot carry without ground truth (e.g. detection-only classes of a peer case).
                Assert.True(c.GetProperty("AP").ValueKind == JsonValueKind.Null || c.GetProperty("AP").GetDouble() == -1, $"{at}: missing here but has an AP in the reference");
                continue;
            }
            GoldenParityTests.AssertCocoClass(c, r, at);
        }
        Assert.True(ours.Count == 0, $"{where}: classes not in the reference: {string.Join(", ", ours.Keys)}");
    }

    public static void AssertVoc(Dataset dataset, JsonElement expected, string where)
    {
        VocResult voc = VocAccumulation.Evaluate(dataset, new EvaluationOptions { Voc = Settings(expected) });
        GoldenParityTests.AssertExact(expected.GetProperty("mAP07"), voc.MeanAp07, where + " mAP07");
        GoldenParityTests.AssertExact(expected.GetProperty("mAP_all"), voc.MeanApAll, where + " mAP_all");
        Assert.Equal(expected.GetProperty("num_classes_in_mAP").GetInt32(), voc.ClassesInMean);
        var ours = voc.PerClass.ToDictionary(c => c.Category.Name);
        foreach (JsonElement c in expected.GetProperty("per_class").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            string at = $"{where} class {name}";
            if (!ours.Remove(name, out VocClassResult? r))
            {
                Assert.True(c.GetProperty("npos").GetInt32() == 0, $"{at}: missing here but has positives in the reference");
                continue;
            }
            Assert.True(c.GetProperty("npos").GetInt32() == r.Positives, at + " npos");
            Assert.True(c.GetProperty("num_det").GetInt32() == r.Detections, $"{at} num_det: expected {c.GetProperty("num_det")}, got {r.Detections}");
            Assert.True(c.GetProperty("tp").GetInt32() == r.TruePositives, $"{at} tp");
            Assert.True(c.GetProperty("fp").GetInt32() == r.FalsePositives, $"{at} fp");
            Assert.True(c.GetProperty("ignored").GetInt32() == r.Ignored, $"{at} ignored");
            GoldenParityTests.AssertExact(c.GetProperty("ap07"), r.Ap07, at + " ap07");
            GoldenParityTests.AssertExact(c.GetProperty("ap_all"), r.ApAll, at + " ap_all");
            GoldenParityTests.AssertExact(c.GetProperty("max_recall"), r.MaxRecall, at + " max_recall");
            GoldenParityTests.AssertExact(c.GetProperty("final_precision"), r.FinalPrecision, at + " final_precision");
        }
        Assert.True(ours.Count == 0, $"{where}: classes not in the reference: {string.Join(", ", ours.Keys)}");
    }

    /// <summary>Each published number of a peer case: our value is the reference's full-precision value, bit for bit.</summary>
    public static int AssertPublished(Dataset dataset, JsonElement expected, string where)
    {
        int count = 0;
        foreach (JsonElement entry in expected.GetProperty("published").EnumerateArray())
        {
            string key = entry.GetProperty("expected_key").GetString()!;
            string field = entry.GetProperty("field").GetString()!;
            VocResult voc = VocAccumulation.Evaluate(dataset, new EvaluationOptions { Voc = Settings(expected.GetProperty(key)) });
            double? ours = field switch
            {
                "mAP07" => voc.MeanAp07,
                "mAP_all" => voc.MeanApAll,
                "ap07" => voc.PerClass.Single(c => c.Category.Name == entry.GetProperty("class").GetString()).Ap07,
                "ap_all" => voc.PerClass.Single(c => c.Category.Name == entry.GetProperty("class").GetString()).ApAll,
                _ => throw new InvalidOperationException($"unknown field {field}"),
            };
            string at = $"{where} {entry.GetProperty("metric").GetString()} {(entry.TryGetProperty("class", out JsonElement cls) ? cls.GetString() : "")}";
            GoldenParityTests.AssertExact(entry.GetProperty("computed"), ours, at);
            double published = entry.GetProperty("published").GetDouble();
            double halfUnit = 0.5 * Math.Pow(10, -entry.GetProperty("decimals").GetInt32());
            // The published figures are cut (rafaelpadilla) or rounded (percentages) at their last decimal.
            Assert.True(Math.Abs(published - ours!.Value) <= 2 * halfUnit, $"{at}: published {published}, here {ours.Value:R}");
            count++;
        }
        return count;
    }
}
