using BenchmarkDotNet.Attributes;
using DetectionEval.Matching;
using DetectionEval.Matching.Gpu;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Benchmarks;

/// <summary>
/// The candidate search of 20 dense units (300 objects, 3,000 detections each: 18 million pairs) by the
/// reference CPU engine and, where a CUDA device exists, by the ILGPU engine (kernel compile excluded).
/// </summary>
public class EngineBenchmarks
{
    private Box[] _gt = [];
    private byte[] _crowd = [];
    private int[] _gtStart = [], _gtCount = [], _slotStart = [];
    private Box[] _dt = [];
    private BestOverlap[] _best = [];
    private readonly CpuOverlapEngine _cpu = new();
    private IlgpuOverlapEngine? _cuda;

    [GlobalSetup]
    public void Setup()
    {
        const int units = 20;
        var gt = new List<Box>();
        var dt = new List<Box>();
        _gtStart = new int[units];
        _gtCount = new int[units];
        _slotStart = new int[units + 1];
        for (int u = 0; u < units; u++)
        {
            (Box[] g, Box[] d, _) = Units.Make(300, 3000, 10 + u);
            _gtStart[u] = gt.Count;
            _gtCount[u] = g.Length;
            _slotStart[u] = dt.Count;
            gt.AddRange(g);
            dt.AddRange(d);
        }
        _slotStart[units] = dt.Count;
        _gt = [.. gt];
        _dt = [.. dt];
        _crowd = new byte[_gt.Length];
        _best = new BestOverlap[_dt.Length];
        if (IlgpuOverlapEngine.TryCreateCuda(out _cuda, out _)) _cuda!.FindBestOverlaps(Batch(), 0.0, _best);
    }

    [GlobalCleanup]
    public void Cleanup() => _cuda?.Dispose();

    private OverlapUnits Batch() => new(_gt, _crowd, _gtStart, _gtCount, _dt, _slotStart);

    [Benchmark(Baseline = true)]
    public void VocBestOverlapCpu() => _cpu.FindBestOverlaps(Batch(), 0.0, _best);

    [Benchmark]
    public void VocBestOverlapCuda()
    {
        // Without a CUDA device this measures nothing but the check.
        _cuda?.FindBestOverlaps(Batch(), 0.0, _best);
    }

    [Benchmark]
    public int CocoCandidatesCpu() => _cpu.FindCocoCandidates(Batch(), 0.5).Iou.Length;
}
