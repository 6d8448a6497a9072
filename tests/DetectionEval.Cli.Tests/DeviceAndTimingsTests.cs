using DetectionEval.Matching.Gpu;

namespace DetectionEval.Cli.Tests;

public sealed class DeviceAndTimingsTests
{
    private static readonly string SampleGroundTruth = Deval.Sample("coco-val2014-100", "instances_val2014_100.json");
    private static readonly string SamplePredictions = Deval.Sample("coco-val2014-100", "fakebbox100_results.json");

    [Fact]
    public void Device_gpu_without_a_usable_gpu_exits_2_with_one_clear_line_and_with_one_gives_the_cpu_result()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--device", "gpu", "--json", "-");
        if (IlgpuOverlapEngine.TryCreateCuda(out IlgpuOverlapEngine? engine, out _))
        {
            engine!.Dispose();
            Assert.Equal(0, run.ExitCode);
            Assert.Equal(Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--device", "cpu", "--json", "-").Output, run.Output);
            return;
        }
        Assert.Equal(ExitCodes.UsageOrInputError, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Single(run.ErrorLines);
        Assert.StartsWith("deval: error: --device gpu: Expected a usable CUDA GPU, but got none: ", run.ErrorLines[0]);
        Assert.EndsWith("Use --device cpu or auto.", run.ErrorLines[0]);
    }

    [Fact]
    public void Device_auto_and_cpu_give_the_same_output_on_a_small_run()
    {
        CommandRun auto = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--device", "auto");
        CommandRun cpu = Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions, "--device", "cpu");
        Assert.Equal(0, auto.ExitCode);
        Assert.Equal(cpu.Output, auto.Output);
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
        Assert.Equal(["load", "group", "match COCO", "match VOC", "accumulate COCO", "accumulate VOC", "operating points", "draw reports", "write", "total", "JIT compiling"], stages);
        Assert.All(timed.ErrorLines, line => Assert.Matches(@"^deval: time: .{16} +\d+\.\d{3} s", line));
        Assert.EndsWith("(IoU on cpu)", timed.ErrorLines[^2]);
        Assert.Matches(@"\(\d[\d,]* methods; all threads, since the process started\)$", timed.ErrorLines[^1]);
    }

    [Fact]
    public void Without_timings_a_run_writes_nothing_on_stderr()
    {
        Assert.Equal("", Deval.Run("evaluate", "--gt", SampleGroundTruth, "--pred", SamplePredictions).Error);
    }
}
