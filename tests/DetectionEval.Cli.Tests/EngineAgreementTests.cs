using System.Globalization;
using System.Text.Json;
using DetectionEval.Eval;
using DetectionEval.Cli.Commands;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Gpu;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// Every way the match stage can run gives the reference numbers (pycocotools' COCO values to 1e-12,
/// voc_eval's VOC values bit for bit, tests/data/reference): one thread, all threads, <c>--device cpu</c>,
/// shards of two images, the GPU kernels on ILGPU's CPU accelerator in memory and in shards, and
/// <c>--device gpu</c> where a CUDA GPU is usable; on the reference cases with crowds and ignore flags
/// (c03), score ties and duplicates (c06), IoUs of exactly 0.5 under each rule (c11) and the detection
/// cap with ties at the cut (c05), under every VOC profile each case records. No run is compared with
/// another run.
/// </summary>
public sealed class EngineAgreementTests
{
    public static TheoryData<string, string> CasesAndProfiles()
    {
        var data = new TheoryData<string, string>();
        foreach (string caseName in new[] { "cases/c03_crowd", "cases/c06_ties_duplicates", "cases/c11_iou_exact_half" })
        {
            using JsonDocument expected = Expected(caseName);
            foreach (JsonProperty profile in expected.RootElement.EnumerateObject())
            {
                if (profile.Name.StartsWith("voc", StringComparison.Ordinal) && profile.Value.ValueKind == JsonValueKind.Object && profile.Value.TryGetProperty("per_class", out _))
                {
                    data.Add(caseName, profile.Name);
                }
            }
        }
        data.Add("cases/c05_maxdets", "voc");
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesAndProfiles))]
    public void Every_engine_and_thread_count_gives_the_reference_numbers(string caseName, string profileKey)
    {
        using JsonDocument expected = Expected(caseName);
        JsonElement profile = expected.RootElement.GetProperty(profileKey);
        string[] options = ProfileOptions(profile.GetProperty("params"));
        string gt = ReferenceData.Case(Path.Combine(caseName, "gt.json")), dt = ReferenceData.Case(Path.Combine(caseName, "dt.json"));
        string[] common = ["evaluate", "--gt", gt, "--pred", dt, "--json", "-", .. options];

        var runs = new List<(string How, string Json)>
        {
            ("one thread", Succeeded(Deval.Run([.. common, "--threads", "1"]))),
            ("all threads", Succeeded(Deval.Run(common))),
            ("--device cpu", Succeeded(Deval.Run([.. common, "--device", "cpu"]))),
            ("shards of two images", Succeeded(Deval.Run([.. common, "--shard-images", "2"]))),
            ("ILGPU CPU accelerator", RunOnIlgpuCpuAccelerator(gt, dt, options)),
            ("ILGPU CPU accelerator in shards", RunOnIlgpuCpuAccelerator(gt, dt, options, lowMemory: true)),
        };
        if (IlgpuOverlapEngine.TryCreateCuda(out IlgpuOverlapEngine? cuda, out _))
        {
            cuda!.Dispose();
            runs.Add(("--device gpu", Succeeded(Deval.Run([.. common, "--device", "gpu"]))));
        }

        foreach ((string how, string json) in runs)
        {
            using JsonDocument report = JsonDocument.Parse(json);
            string where = $"{caseName} {profileKey}, {how}";
            AssertCocoReference(expected.RootElement.GetProperty("coco"), report.RootElement.GetProperty("coco"), where);
            AssertVocReference(profile, report.RootElement.GetProperty("voc"), where);
        }
    }

    private static JsonDocument Expected(string caseName) =>
        JsonDocument.Parse(File.ReadAllBytes(ReferenceData.Case(Path.Combine(caseName, "expected.json"))));

    /// <summary>The command-line options of a VOC profile's <c>params</c>.</summary>
    private static string[] ProfileOptions(JsonElement p)
    {
        var options = new List<string>();
        double iou = p.GetProperty("iou").GetDouble();
        if (iou != 0.5) options.AddRange(["--iou", iou.ToString("R", CultureInfo.InvariantCulture)]);
        if (p.GetProperty("iou_test").GetString() == "gt") options.AddRange(["--voc-iou-rule", "gt"]);
        if (p.GetProperty("plus_one").GetBoolean()) options.Add("--voc-plus-one");
        return [.. options];
    }

    private static string Succeeded(CommandRun run)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Error}");
        Assert.Equal("", run.Error);
        return run.Output;
    }

    private static double? Value(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();

    /// <summary>pycocotools' 12 stats and per-category values (-1 or null where there is no ground truth), to 1e-12.</summary>
    private static void AssertCocoReference(JsonElement expected, JsonElement report, string where)
    {
        int compared = 0;
        foreach (JsonProperty stat in expected.GetProperty("stats").EnumerateObject())
        {
            AssertCocoValue(stat.Value, Value(report.GetProperty(stat.Name)), $"{where}: COCO {stat.Name}");
            compared++;
        }
        Assert.Equal(12, compared);
        JsonElement[] perClass = [.. report.GetProperty("perClass").EnumerateArray()];
        JsonElement[] perCategory = [.. expected.GetProperty("per_category").EnumerateArray()];
        Assert.Equal(perCategory.Length, perClass.Length);
        for (int k = 0; k < perCategory.Length; k++)
        {
            Assert.Equal(perCategory[k].GetProperty("category_id").GetInt64(), perClass[k].GetProperty("id").GetInt64());
            foreach (string key in new[] { "AP", "AP50", "AP75", "APs", "APm", "APl", "AR100" })
            {
                AssertCocoValue(perCategory[k].GetProperty(key), Value(perClass[k].GetProperty(key)), $"{where}: COCO class {perClass[k].GetProperty("id")} {key}");
            }
        }
    }

    private static void AssertCocoValue(JsonElement expected, double? actual, string where)
    {
        if (expected.ValueKind == JsonValueKind.Null || expected.GetDouble() == -1)
        {
            Assert.True(actual is null, $"{where}: {actual:R}, the reference has none");
            return;
        }
        Assert.True(actual is not null && Math.Abs(expected.GetDouble() - actual.Value) <= 1e-12, $"{where}: {actual:R}, the reference says {expected.GetDouble():R}");
    }

    /// <summary>voc_eval's means and class values, bit for bit; its counts exactly.</summary>
    private static void AssertVocReference(JsonElement expected, JsonElement report, string where)
    {
        AssertExact(expected.GetProperty("mAP07"), report.GetProperty("mAP07"), $"{where}: VOC mAP07");
        AssertExact(expected.GetProperty("mAP_all"), report.GetProperty("mAPAll"), $"{where}: VOC mAP_all");
        JsonElement[] perClass = [.. report.GetProperty("perClass").EnumerateArray()];
        JsonElement[] reference = [.. expected.GetProperty("per_class").EnumerateArray()];
        Assert.Equal(reference.Length, perClass.Length);
        for (int k = 0; k < reference.Length; k++)
        {
            string at = $"{where}: VOC class {reference[k].GetProperty("category_id")}";
            Assert.Equal(reference[k].GetProperty("category_id").GetInt64(), perClass[k].GetProperty("id").GetInt64());
            foreach ((string key, string name) in new[] { ("npos", "npos"), ("tp", "tp"), ("fp", "fp"), ("ignored", "ignored") })
            {
                Assert.True(reference[k].GetProperty(key).GetInt32() == perClass[k].GetProperty(name).GetInt32(), $"{at} {key}: {perClass[k].GetProperty(name)}, the reference says {reference[k].GetProperty(key)}");
            }
            AssertExact(reference[k].GetProperty("ap07"), perClass[k].GetProperty("ap07"), at + " ap07");
            AssertExact(reference[k].GetProperty("ap_all"), perClass[k].GetProperty("apAll"), at + " ap_all");
        }
    }

    private static void AssertExact(JsonElement expected, JsonElement actual, string where)
    {
        if (expected.ValueKind == JsonValueKind.Null)
        {
            Assert.True(actual.ValueKind == JsonValueKind.Null, $"{where}: {actual}, the reference has null");
            return;
        }
        Assert.True(
            actual.ValueKind == JsonValueKind.Number && BitConverter.DoubleToInt64Bits(expected.GetDouble()) == BitConverter.DoubleToInt64Bits(actual.GetDouble()),
            $"{where}: {actual}, the reference says {expected.GetDouble():R}");
    }

    /// <summary>
    /// The evaluate command with the GPU kernels on ILGPU's CPU accelerator, settings as the parser makes
    /// them; with <paramref name="lowMemory"/>, spilled and matched in shards of two images.
    /// </summary>
    private static string RunOnIlgpuCpuAccelerator(string gt, string dt, string[] profile, bool lowMemory = false)
    {
        var voc = new VocMatchSettings(
            profile.Contains("--iou") ? double.Parse(profile[Array.IndexOf(profile, "--iou") + 1], CultureInfo.InvariantCulture) : 0.5,
            profile.Contains("gt") ? VocIouRule.Greater : VocIouRule.GreaterOrEqual,
            profile.Contains("--voc-plus-one"));
        using IlgpuOverlapEngine engine = IlgpuOverlapEngine.CreateCpuSimulator();
        var settings = new EvaluateSettings(gt, dt, MetricSet.All, voc, [.. CocoParameters.DefaultMaxDetections], "-", null)
        {
            EngineOverride = engine,
            LowMemory = lowMemory,
            Spill = lowMemory ? new Eval.Formats.SpillSettings(ImagesPerShard: 2) : null,
        };
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        Assert.Equal(0, EvaluateCommand.Execute(settings, output, error));
        Assert.Equal("", error.ToString());
        return output.ToString();
    }
}
