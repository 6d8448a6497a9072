using BenchmarkDotNet.Attributes;
using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Benchmarks;

/// <summary>
/// One (image, class) unit through each matcher: COCO-like units (4, 8 or 16 objects, 100 detections; the
/// VOC matcher switches to its vector search at 8) and a dense one (300 objects, 3,000 detections).
/// </summary>
[MemoryDiagnoser]
public class MatcherBenchmarks
{
    [Params(4, 8, 16, 300)]
    public int Objects { get; set; }

    private Box[] _gt = [];
    private double[] _areas = [];
    private GroundTruthFlags[] _flags = [];
    private Box[] _dt = [];
    private double[] _scores = [];
    private readonly CocoMatcher _coco = new(100);
    private readonly VocMatcher _voc = new(new VocMatchSettings());
    private readonly CocoMatchScratch _cocoScratch = new();
    private readonly VocMatchScratch _vocScratch = new();
    private CocoDetectionOutcome[] _cocoOutcomes = [];
    private VocDetectionOutcome[] _vocOutcomes = [];
    private readonly int[] _countable = new int[4];

    [GlobalSetup]
    public void Setup()
    {
        (_gt, _dt, _scores) = Units.Make(Objects, Objects < 300 ? 100 : 3000, 2);
        _areas = [.. _gt.Select(b => b.Area * 0.8)];
        _flags = new GroundTruthFlags[_gt.Length];
        _cocoOutcomes = new CocoDetectionOutcome[_dt.Length];
        _vocOutcomes = new VocDetectionOutcome[_dt.Length];
    }

    [Benchmark]
    public int CocoMatch() => _coco.Match(new CocoUnit(_gt, _areas, _flags, _dt, _scores), _cocoOutcomes, _countable, _cocoScratch);

    [Benchmark]
    public int VocMatch() => _voc.Match(new VocUnit(_gt, _flags, _dt, _scores), _vocOutcomes, _vocScratch);
}
