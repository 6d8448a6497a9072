using System.Globalization;
using System.Text;
using DetectionEval.Cli.Commands;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Gpu;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// The results never depend on how the work runs: the JSON report is byte-identical for one thread, all
/// threads, <c>--device cpu</c> and the GPU kernels on ILGPU's CPU accelerator, on synthetic data and on
/// boxes whose IoUs land exactly on the thresholds.
/// </summary>
public sealed class EngineAgreementTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-engines-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string[]> Profiles() => new()
    {
        Array.Empty<string>(),
        new[] { "--voc-iou-rule", "gt" },
        new[] { "--voc-plus-one", "--iou", "0.75" },
        new[] { "--max-dets", "1,2,3" },
    };

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Json_is_identical_for_one_thread_all_threads_cpu_and_the_ilgpu_cpu_accelerator_on_synthetic_data(string[] profile)
    {
        string dir = Path.Combine(_folder, "synth");
        Assert.Equal(0, Deval.Run("synth", "--images", "12", "--classes", "4", "--seed", "3", "--detections-per-image", "40", "--out", dir).ExitCode);
        AssertAllEnginesAgree(Path.Combine(dir, "gt.json"), Path.Combine(dir, "dt.json"), profile);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Json_is_identical_for_every_engine_when_ious_land_exactly_on_the_thresholds(string[] profile)
    {
        (string gt, string dt) = WriteExactThresholdCase();
        AssertAllEnginesAgree(gt, dt, profile);
    }

    [Fact]
    public void The_exact_threshold_case_really_has_ious_on_the_threshold()
    {
        (string gt, string dt) = WriteExactThresholdCase();
        // IoU >= 0.5 and IoU > 0.5 differ only where an IoU is exactly 0.5.
        string ge = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--metric", "voc").Output;
        string gtRule = Deval.Run("evaluate", "--gt", gt, "--pred", dt, "--metric", "voc", "--voc-iou-rule", "gt").Output;
        Assert.NotEqual(ge.Split('\n')[4], gtRule.Split('\n')[4]);
    }

    private static void AssertAllEnginesAgree(string gt, string dt, string[] profile)
    {
        string[] common = ["evaluate", "--gt", gt, "--pred", dt, "--json", "-", .. profile];
        CommandRun oneThread = Deval.Run([.. common, "--threads", "1"]);
        CommandRun allThreads = Deval.Run(common);
        CommandRun cpu = Deval.Run([.. common, "--device", "cpu"]);
        Assert.Equal(0, oneThread.ExitCode);
        Assert.Contains("\"AP\": ", oneThread.Output);
        Assert.Equal(oneThread.Output, allThreads.Output);
        Assert.Equal(oneThread.Output, cpu.Output);
        Assert.Equal(oneThread.Output, RunOnIlgpuCpuAccelerator(gt, dt, profile));
        Assert.Equal(oneThread.Output, RunOnIlgpuCpuAccelerator(gt, dt, profile, lowMemory: true));
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
        int[] maxDets = profile.Contains("--max-dets") ? [1, 2, 3] : [.. CocoParameters.DefaultMaxDetections];
        using IlgpuOverlapEngine engine = IlgpuOverlapEngine.CreateCpuSimulator();
        var settings = new EvaluateSettings(gt, dt, MetricSet.All, voc, maxDets, "-", null)
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

    /// <summary>
    /// Against a 10 x 10 ground truth, detections of height 5, 7.5, 8, 8.5, 9, 9.5 and 10 give IoUs of
    /// exactly 0.5, 0.75, 0.8, 0.85, 0.9, 0.95 and 1 (COCO and VOC rules alike); with the inclusive-pixel
    /// convention a 9 x 4 box on a 9 x 9 box gives exactly 0.5 as well. Duplicates, a crowd and equal
    /// scores across images make every rule of the matchers take part.
    /// </summary>
    private (string Gt, string Dt) WriteExactThresholdCase()
    {
        var gt = new StringBuilder("{\"images\": [");
        var annotations = new StringBuilder();
        var dt = new StringBuilder("[");
        double[] heights = [5, 7.5, 8, 8.5, 9, 9.5, 10, 4.5];
        int annotation = 0;
        for (int image = 1; image <= 8; image++)
        {
            gt.Append(image == 1 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"{{\"id\": {image}}}");
            for (int k = 1; k <= 2; k++)
            {
                double x = 20 * k;
                Annotation(annotations, ++annotation, image, k, $"[{x}, 0, 10, 10]", crowd: false);
                Annotation(annotations, ++annotation, image, k, $"[{x}, 40, 9, 9]", crowd: false);
                if (image % 3 == 0) Annotation(annotations, ++annotation, image, k, $"[{x}, 80, 30, 30]", crowd: true);
                double h = heights[(image + k) % heights.Length];
                Detection(dt, image, k, $"[{x}, 0, 10, {h.ToString(CultureInfo.InvariantCulture)}]", 0.9);
                Detection(dt, image, k, $"[{x}, 0, 10, 5]", 0.9);
                Detection(dt, image, k, $"[{x}, 40, 9, 4]", 0.5);
                Detection(dt, image, k, $"[{x + 1}, 81, 10, 10]", 0.7);
            }
        }
        gt.Append("], \"annotations\": [").Append(annotations).Append("], \"categories\": [{\"id\": 1, \"name\": \"a\"}, {\"id\": 2, \"name\": \"b\"}]}");
        dt.Append(']');
        string gtPath = Path.Combine(_folder, "exact-gt.json"), dtPath = Path.Combine(_folder, "exact-dt.json");
        File.WriteAllText(gtPath, gt.ToString());
        File.WriteAllText(dtPath, dt.ToString());
        return (gtPath, dtPath);
    }

    private static void Annotation(StringBuilder json, int id, int image, int category, string box, bool crowd)
    {
        if (json.Length > 0) json.Append(", ");
        json.Append(CultureInfo.InvariantCulture, $"{{\"id\": {id}, \"image_id\": {image}, \"category_id\": {category}, \"bbox\": {box}, \"iscrowd\": {(crowd ? 1 : 0)}}}");
    }

    private static void Detection(StringBuilder json, int image, int category, string box, double score)
    {
        if (json.Length > 1) json.Append(", ");
        json.Append(CultureInfo.InvariantCulture, $"{{\"image_id\": {image}, \"category_id\": {category}, \"bbox\": {box}, \"score\": {score}}}");
    }
}
