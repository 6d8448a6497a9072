using BenchmarkDotNet.Attributes;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Synthetic;

namespace DetectionEval.Benchmarks;

/// <summary>Reading a 500-image synthetic results file (about 50,000 detections): the public reader (fast path) against the general reader.</summary>
[MemoryDiagnoser]
public class LoaderBenchmarks
{
    private string _folder = "";
    private string _gt = "", _dt = "";

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("deval-bench-").FullName;
        _gt = Path.Combine(_folder, "gt.json");
        _dt = Path.Combine(_folder, "dt.json");
        using var gt = File.Create(_gt);
        using var dt = File.Create(_dt);
        SyntheticCoco.Write(new SynthSettings(500, 80, 1), gt, dt);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    private DatasetBuilder GroundTruth()
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(_gt, builder);
        return builder;
    }

    [Benchmark(Baseline = true)]
    public int GeneralReader()
    {
        DatasetBuilder builder = GroundTruth();
        using FileStream stream = File.OpenRead(_dt);
        CocoJson.ReadDetections(stream, _dt, builder);
        return builder.DetectionCount;
    }

    [Benchmark]
    public int FastPath()
    {
        DatasetBuilder builder = GroundTruth();
        CocoJson.ReadDetections(_dt, builder);
        return builder.DetectionCount;
    }
}
