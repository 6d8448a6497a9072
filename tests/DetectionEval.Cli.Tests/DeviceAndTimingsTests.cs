using DetectionEval.Eval;
using DetectionEval.Cli.Runs;
using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching;
using DetectionEval.Matching.Gpu;

namespace DetectionEval.Cli.Tests;

public sealed class DeviceAndTimingsTests
{
    private static readonly string SampleGroundTruth = Deval.Sample("coco-val2014-100", "instances_val2014_100.json");
    private static readonly string SamplePredictions = Deval.Sample("coco-val2014-100", "fakebbox100_results.json");

    [Fact]
    public void Device_gpu_without_a_usable_gpu_exits_2_with_one_clear_line_and_with_one_gives_the_reference_numbers()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--device", "gpu", "--json", "-");
        if (IlgpuOverlapEngine.TryCreateCuda(out IlgpuOverlapEngine? engine, out _))
        {
            engine!.Dispose();
            Assert.Equal(0, run.ExitCode);
            // The sample is reference case peer/coco_val2014_100: pycocotools' stats and voc_eval's mean.
            using JsonDocument report = JsonDocument.Parse(run.Output);
            using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(ReferenceData.Case("peer/coco_val2014_100/expected.json")));
            foreach (JsonProperty stat in expected.RootElement.GetProperty("coco").GetProperty("stats").EnumerateObject())
            {
                double actual = report.RootElement.GetProperty("coco").GetProperty(stat.Name).GetDouble();
                Assert.True(Math.Abs(stat.Value.GetDouble() - actual) <= 1e-12, $"{stat.Name} on the GPU: {actual:R}, pycocotools {stat.Value}");
            }
            Assert.Equal(expected.RootElement.GetProperty("voc").GetProperty("mAP_all").GetDouble(), report.RootElement.GetProperty("voc").GetProperty("mAPAll").GetDouble());
            return;
        }
        Assert.Equal(ExitCodes.UsageOrInputError, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Single(run.ErrorLines);
        Assert.StartsWith("deval: error: --device gpu: Expected a usable CUDA GPU, but got none: ", run.ErrorLines[0]);
        Assert.EndsWith("Use --device cpu or auto.", run.ErrorLines[0]);
    }

    [Fact]
    public void Device_auto_keeps_a_small_run_on_the_cpu_and_says_so()
    {
        CommandRun auto = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--device", "auto", "--timings");
        Assert.Equal(0, auto.ExitCode);
        Assert.Contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505\n", auto.Output);
        Assert.EndsWith("(IoU on cpu)", auto.ErrorLines[^3]);
    }

    /// <summary>One image, one class: <paramref name="detections"/> detections and <paramref name="groundTruth"/> ground truths.</summary>
    private static Dataset OneUnit(int detections, int groundTruth)
    {
        var builder = new DatasetBuilder();
        builder.TryAddCategory(new Category(1, "a"), out _);
        builder.TryAddImage(new ImageInfo(1), out int image);
        for (int g = 0; g < groundTruth; g++) builder.AddGroundTruth(image, 0, new Box(g % 1000, g / 1000, 5, 5), 25, GroundTruthFlags.None, g + 1);
        for (int d = 0; d < detections; d++) builder.AddDetection(image, 0, new Box(d % 1000, d / 1000, 5, 5), 0.5);
        return builder.Build();
    }

    [Fact]
    public void The_work_estimate_counts_every_voc_pair_and_the_coco_pairs_of_the_kept_detections()
    {
        // Image 1: 3 detections, 2 ground truths; image 2: 150 detections, 4 ground truths (one class).
        var builder = new DatasetBuilder();
        builder.TryAddCategory(new Category(1, "a"), out _);
        builder.TryAddImage(new ImageInfo(1), out int first);
        builder.TryAddImage(new ImageInfo(2), out int second);
        for (int g = 0; g < 2; g++) builder.AddGroundTruth(first, 0, new Box(g, 0, 5, 5), 25, GroundTruthFlags.None, g + 1);
        for (int g = 0; g < 4; g++) builder.AddGroundTruth(second, 0, new Box(g, 0, 5, 5), 25, GroundTruthFlags.None, g + 10);
        for (int d = 0; d < 3; d++) builder.AddDetection(first, 0, new Box(d, 0, 5, 5), 0.5);
        for (int d = 0; d < 150; d++) builder.AddDetection(second, 0, new Box(d, 0, 5, 5), 0.5);
        Dataset dataset = builder.Build();

        // VOC: 3 * 2 + 150 * 4 = 606. COCO keeps 100 per unit: 3 * 2 + 100 * 4 = 406. Both: 1012.
        Assert.Equal(606, DeviceChoice.EstimatedPairs(dataset, new EvaluationOptions { Metrics = MetricSet.Voc }));
        Assert.Equal(406, DeviceChoice.EstimatedPairs(dataset, new EvaluationOptions { Metrics = MetricSet.Coco }));
        Assert.Equal(1012, DeviceChoice.EstimatedPairs(dataset, new EvaluationOptions()));
        // With maxDets up to 10, COCO keeps 3 and 10: 3 * 2 + 10 * 4 = 46.
        Assert.Equal(46, DeviceChoice.EstimatedPairs(dataset, new EvaluationOptions { Metrics = MetricSet.Coco, MaxDetections = [1, 5, 10] }));
    }

    [Fact]
    public void Device_auto_stays_on_the_cpu_up_to_two_seconds_of_estimated_work_and_takes_a_usable_gpu_above()
    {
        // One thread compares 3e8 pairs a second, so 2 s are 6e8 pairs: 20,000 x 30,000 VOC pairs is exactly
        // 2 s (the CPU, without even looking for a GPU); 20,000 x 30,001 is just above (a GPU where one is usable).
        var options = new EvaluationOptions { Metrics = MetricSet.Voc, Threads = 1 };
        Assert.Equal(3e8, DeviceChoice.CpuPairsPerSecondPerCore);
        Assert.Equal(TimeSpan.FromSeconds(2), DeviceChoice.GpuWorthwhileAbove);
        Dataset atTheLimit = OneUnit(20_000, 30_000), above = OneUnit(20_000, 30_001);
        Assert.Equal(6e8, DeviceChoice.EstimatedPairs(atTheLimit, options));

        Assert.Null(DeviceChoice.OpenForWork(ComputeDevice.Auto, atTheLimit, options));
        Assert.Null(DeviceChoice.OpenForWork(ComputeDevice.Cpu, above, options));
        using IOverlapEngine? chosen = DeviceChoice.OpenForWork(ComputeDevice.Auto, above, options);
        bool gpuUsable = IlgpuOverlapEngine.TryCreateCuda(out IlgpuOverlapEngine? probe, out _);
        probe?.Dispose();
        if (gpuUsable) Assert.StartsWith("cuda (", chosen?.Name);
        else Assert.Null(chosen);
    }

    [Fact]
    public void An_unknown_device_is_a_usage_error()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--device", "tpu");
        Assert.Equal(ExitCodes.UsageOrInputError, run.ExitCode);
        Assert.Contains("tpu", run.ErrorLines[0]);
    }

    [Fact]
    public void Timings_prints_each_stage_on_stderr_and_leaves_stdout_alone()
    {
        CommandRun plain = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions);
        CommandRun timed = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--timings");
        Assert.Equal(0, timed.ExitCode);
        Assert.Equal(plain.Output, timed.Output);
        string[] stages = [.. timed.ErrorLines.Select(line => line.Split(':')[2].Trim().Split("  ")[0])];
        Assert.Equal(["load", "group", "match COCO", "match VOC", "accumulate COCO", "accumulate VOC", "operating points", "draw reports", "write", "total", "JIT compiling", "GC pauses"], stages);
        Assert.All(timed.ErrorLines, line => Assert.Matches(@"^deval: time: .{16} +\d+\.\d{3} s", line));
        Assert.EndsWith("(IoU on cpu)", timed.ErrorLines[^3]);
        Assert.Matches(@"\(\d[\d,]* methods; all threads, since the process started\)$", timed.ErrorLines[^2]);
        Assert.Matches(@"\((\d[\d,]*) collections: (\d[\d,]*) of them gen1 or gen2, (\d[\d,]*) gen2\)$", timed.ErrorLines[^1]);
    }

    [Fact]
    public void Without_timings_a_run_writes_nothing_on_stderr()
    {
        Assert.Equal("", Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions).Error);
    }
}
