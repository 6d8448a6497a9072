using BenchmarkDotNet.Attributes;
using DetectionEval.Matching;

namespace DetectionEval.Benchmarks;

/// <summary>The two IoU rules over every (detection, ground truth) pair of a 1,000 x 100 block: 100,000 IoUs per call.</summary>
[MemoryDiagnoser]
public class IouBenchmarks
{
    private Box[] _gt = [];
    private Box[] _dt = [];

    [GlobalSetup]
    public void Setup() => (_gt, _dt, _) = Units.Make(100, 1000, 1);

    [Benchmark(OperationsPerInvoke = 100_000)]
    public double CocoIou()
    {
        double sum = 0;
        foreach (Box d in _dt)
        {
            foreach (Box g in _gt) sum += IouRules.Coco(d, g, false);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = 100_000)]
    public double VocIou()
    {
        double sum = 0;
        foreach (Box d in _dt)
        {
            foreach (Box g in _gt) sum += IouRules.Voc(d, g, 0.0);
        }
        return sum;
    }
}
