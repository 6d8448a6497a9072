using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Tests;

/// <summary>Level 2: every reference case reproduces its expected.json (COCO to 1e-12, VOC bit for bit).</summary>
public sealed class GoldenParityTests
{
    private const double CocoTolerance = 1e-12;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string c in ReferenceData.CocoJsonCases()) data.Add(c);
        return data;
    }

    [Fact]
    public void The_reference_folder_is_present_with_every_case()
    {
        Assert.True(Directory.Exists(ReferenceData.Directory), $"Reference cases not found at {ReferenceData.Directory}; set DEVAL_REFERENCE_DIR.");
        string[] expected =
        [
            "cases/c02_basic", "cases/c03_crowd", "cases/c04_area_boundaries", "cases/c05_maxdets",
            "cases/c06_ties_duplicates", "cases/c08_sparse_empty", "cases/c10_empty_dt", "cases/c11_iou_exact_half",
            "peer/cartucho", "peer/coco_val2014_100", "peer/rp_coco_bbox_area", "peer/rp_test_case_1", "peer/rp_toyexample",
        ];
        Assert.Subset(ReferenceData.CocoJsonCases().ToHashSet(), expected.ToHashSet());
    }

    [Fact]
    public void The_reference_copies_are_every_file_of_the_manifest_unchanged()
    {
        // tests/data/copy-reference.sh wrote the manifest when it copied the cases from their source;
        // a copy that was edited, lost or added to by hand fails here.
        string[] lines = File.ReadAllLines(ReferenceData.Manifest);
        Assert.True(lines.Length > 400, $"{ReferenceData.Manifest} lists only {lines.Length} files");
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            string hash = line[..64];
            string relative = line[66..];
            listed.Add(relative);
            string path = Path.Combine(ReferenceData.Directory, relative);
            Assert.True(File.Exists(path), $"{relative} is in the manifest but not in {ReferenceData.Directory}");
            string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
            Assert.True(hash == actual, $"{relative} differs from the copy the manifest records");
        }
        string[] present = Directory.EnumerateFiles(ReferenceData.Directory, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(ReferenceData.Directory, p).Replace('\\', '/')).ToArray();
        Assert.All(present, p => Assert.True(listed.Contains(p), $"{p} is in {ReferenceData.Directory} but not in the manifest"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Coco_stats_and_per_class_values_match_pycocotools(string caseName)
    {
        using JsonDocument expected = LoadExpected(caseName);
        Dataset dataset = LoadCase(caseName);
        CocoResult coco = CocoAccumulation.Evaluate(dataset, new EvaluationOptions());

        JsonElement stats = expected.RootElement.GetProperty("coco").GetProperty("stats_list");
        IReadOnlyList<double?> actual = coco.Summary.Stats;
        Assert.Equal(12, stats.GetArrayLength());
        for (int i = 0; i < 12; i++)
        {
            AssertCocoValue(stats[i], actual[i], $"{caseName} {CocoSummary.StatNames[i]}");
        }

        JsonElement perCategory = expected.RootElement.GetProperty("coco").GetProperty("per_category");
        Assert.Equal(perCategory.GetArrayLength(), coco.PerClass.Count);
        int k = 0;
        foreach (JsonElement c in perCategory.EnumerateArray())
        {
            CocoClassResult r = coco.PerClass[k++];
            Assert.Equal(c.GetProperty("category_id").GetInt64(), r.Category.Id);
            string where = $"{caseName} class {r.Category.Id}";
            AssertCocoClass(c, r, where);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_voc_profile_matches_bit_for_bit(string caseName)
    {
        using JsonDocument expected = LoadExpected(caseName);
        Dataset dataset = LoadCase(caseName);
        int profiles = 0;
        foreach (JsonProperty profile in expected.RootElement.EnumerateObject())
        {
            if (!profile.Name.StartsWith("voc", StringComparison.Ordinal) || profile.Value.ValueKind != JsonValueKind.Object) continue;
            if (!profile.Value.TryGetProperty("per_class", out _)) continue;
            profiles++;
            JsonElement p = profile.Value.GetProperty("params");
            var settings = new VocMatchSettings(
                p.GetProperty("iou").GetDouble(),
                p.GetProperty("iou_test").GetString() == "gt" ? VocIouRule.Greater : VocIouRule.GreaterOrEqual,
                p.GetProperty("plus_one").GetBoolean());
            VocResult voc = VocAccumulation.Evaluate(dataset, new EvaluationOptions { Voc = settings });
            AssertVocProfile(profile.Value, voc, $"{caseName} {profile.Name}");
        }
        Assert.True(profiles >= 4, $"{caseName}: expected at least the four standard VOC profiles, found {profiles}");
    }

    private static void AssertVocProfile(JsonElement expected, VocResult actual, string where)
    {
        AssertExact(expected.GetProperty("mAP07"), actual.MeanAp07, where + " mAP07");
        AssertExact(expected.GetProperty("mAP_all"), actual.MeanApAll, where + " mAP_all");
        Assert.Equal(expected.GetProperty("num_classes_in_mAP").GetInt32(), actual.ClassesInMean);
        JsonElement perClass = expected.GetProperty("per_class");
        Assert.Equal(perClass.GetArrayLength(), actual.PerClass.Count);
        int k = 0;
        foreach (JsonElement c in perClass.EnumerateArray())
        {
            VocClassResult r = actual.PerClass[k++];
            string w = $"{where} class {r.Category.Id}";
            Assert.Equal(c.GetProperty("category_id").GetInt64(), r.Category.Id);
            Assert.True(c.GetProperty("npos").GetInt32() == r.Positives, w + " npos");
            Assert.True(c.GetProperty("num_det").GetInt32() == r.Detections, w + " num_det");
            Assert.True(c.GetProperty("tp").GetInt32() == r.TruePositives, $"{w} tp: expected {c.GetProperty("tp")}, got {r.TruePositives}");
            Assert.True(c.GetProperty("fp").GetInt32() == r.FalsePositives, $"{w} fp: expected {c.GetProperty("fp")}, got {r.FalsePositives}");
            Assert.True(c.GetProperty("ignored").GetInt32() == r.Ignored, w + " ignored");
            AssertExact(c.GetProperty("ap07"), r.Ap07, w + " ap07");
            AssertExact(c.GetProperty("ap_all"), r.ApAll, w + " ap_all");
            AssertExact(c.GetProperty("max_recall"), r.MaxRecall, w + " max_recall");
            AssertExact(c.GetProperty("final_precision"), r.FinalPrecision, w + " final_precision");
        }
    }

    internal static Dataset LoadCase(string caseName)
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(ReferenceData.Case(Path.Combine(caseName, "gt.json")), builder);
        CocoJson.ReadDetections(ReferenceData.Case(Path.Combine(caseName, "dt.json")), builder);
        return builder.Build();
    }

    internal static JsonDocument LoadExpected(string caseName) =>
        JsonDocument.Parse(File.ReadAllBytes(ReferenceData.Case(Path.Combine(caseName, "expected.json"))));

    /// <summary>pycocotools' -1 (or null) must be our null; any other value within 1e-12.</summary>
    /// <summary>A class's seven COCO values against pycocotools' <c>per_category</c> entry <paramref name="expected"/>.</summary>
    internal static void AssertCocoClass(JsonElement expected, CocoClassResult actual, string where)
    {
        AssertCocoValue(expected.GetProperty("AP"), actual.Ap, where + " AP");
        AssertCocoValue(expected.GetProperty("AP50"), actual.Ap50, where + " AP50");
        AssertCocoValue(expected.GetProperty("AP75"), actual.Ap75, where + " AP75");
        AssertCocoValue(expected.GetProperty("APs"), actual.ApSmall, where + " APs");
        AssertCocoValue(expected.GetProperty("APm"), actual.ApMedium, where + " APm");
        AssertCocoValue(expected.GetProperty("APl"), actual.ApLarge, where + " APl");
        AssertCocoValue(expected.GetProperty("AR100"), actual.Ar100, where + " AR100");
    }

    internal static void AssertCocoValue(JsonElement expected, double? actual, string where)
    {
        bool expectedMissing = expected.ValueKind == JsonValueKind.Null || expected.GetDouble() == -1;
        if (expectedMissing)
        {
            Assert.True(actual is null, $"{where}: expected none (-1), got {actual}");
            return;
        }
        Assert.True(actual is not null, $"{where}: expected {expected.GetDouble():R}, got none");
        double diff = Math.Abs(expected.GetDouble() - actual!.Value);
        Assert.True(diff <= CocoTolerance, $"{where}: expected {expected.GetDouble():R}, got {actual.Value:R} (diff {diff:E2})");
    }

    internal static void AssertExact(JsonElement expected, double? actual, string where)
    {
        if (expected.ValueKind == JsonValueKind.Null)
        {
            Assert.True(actual is null, $"{where}: expected null, got {actual:R}");
            return;
        }
        Assert.True(actual is not null, $"{where}: expected {expected.GetDouble():R}, got null");
        Assert.True(
            BitConverter.DoubleToInt64Bits(expected.GetDouble()) == BitConverter.DoubleToInt64Bits(actual!.Value),
            $"{where}: expected {expected.GetDouble():R}, got {actual.Value:R}");
    }
}
