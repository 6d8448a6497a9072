using DetectionEval.Matching.Voc;

namespace DetectionEval.Matching.Gpu.Tests;

/// <summary>
/// Level 3, engine agreement: every engine returns exactly what the reference CPU engine returns, on
/// random units whose coordinates sit on a half-pixel grid (so exact ties and IoUs exactly on a threshold
/// occur) and on hand-made exact-threshold pairs. One subclass per engine.
/// </summary>
public abstract class OverlapEngineAgreementTests : IDisposable
{
    private IOverlapEngine? _engine;
    private string _unavailable = "";

    /// <summary>Opens the engine under test, or returns null with the reason it cannot run here.</summary>
    protected abstract IOverlapEngine? OpenEngine(out string reason);

    private IOverlapEngine Engine()
    {
        _engine ??= OpenEngine(out _unavailable);
        Skip.If(_engine is null, _unavailable);
        return _engine!;
    }

    public void Dispose() => _engine?.Dispose();

    /// <summary>Units on a grid of half pixels; some without ground truth, some without detections, some boxes of zero area.</summary>
    private static Batch RandomUnits(int seed, int units = 40)
    {
        var random = new Random(seed);
        var gt = new List<Box>();
        var crowd = new List<byte>();
        var dt = new List<Box>();
        int[] gtStart = new int[units], gtCount = new int[units], slotStart = new int[units + 1];
        for (int u = 0; u < units; u++)
        {
            gtStart[u] = gt.Count;
            gtCount[u] = random.Next(0, 9);
            for (int g = 0; g < gtCount[u]; g++)
            {
                gt.Add(RandomBox(random));
                crowd.Add(random.Next(10) == 0 ? (byte)1 : (byte)0);
            }
            slotStart[u] = dt.Count;
            int detections = random.Next(0, 12);
            for (int d = 0; d < detections; d++)
            {
                // Half of the detections are copies of a ground truth with one edge moved, which lands many IoUs exactly on 0.5 or 0.75.
                dt.Add(gtCount[u] > 0 && random.Next(2) == 0 ? Shrink(gt[gtStart[u] + random.Next(gtCount[u])], random) : RandomBox(random));
            }
        }
        slotStart[units] = dt.Count;
        return new Batch([.. gt], [.. crowd], gtStart, gtCount, [.. dt], slotStart);
    }

    private static Box RandomBox(Random random) =>
        new(random.Next(0, 40) * 0.5, random.Next(0, 40) * 0.5, random.Next(0, 30) * 0.5, random.Next(0, 30) * 0.5);

    private static Box Shrink(Box box, Random random)
    {
        double[] fractions = [1.0, 0.5, 0.75, 0.95, 0.9];
        double f = fractions[random.Next(fractions.Length)];
        return random.Next(2) == 0 ? box with { Height = box.Height * f } : box with { Width = box.Width * f };
    }

    private sealed record Batch(Box[] GroundTruth, byte[] Crowd, int[] GroundTruthStart, int[] GroundTruthCount, Box[] Detections, int[] SlotStart)
    {
        public OverlapUnits Units => new(GroundTruth, Crowd, GroundTruthStart, GroundTruthCount, Detections, SlotStart);
    }

    [SkippableTheory]
    [InlineData(1, 0.0)]
    [InlineData(2, 1.0)]
    [InlineData(3, 0.0)]
    public void Best_overlaps_equal_the_reference_engine_bit_for_bit(int seed, double pixelOffset)
    {
        IOverlapEngine engine = Engine();
        Batch batch = RandomUnits(seed);
        var expected = new BestOverlap[batch.Detections.Length];
        var actual = new BestOverlap[batch.Detections.Length];
        new CpuOverlapEngine().FindBestOverlaps(batch.Units, pixelOffset, expected);
        engine.FindBestOverlaps(batch.Units, pixelOffset, actual);
        for (int s = 0; s < expected.Length; s++)
        {
            Assert.Equal(expected[s].GroundTruth, actual[s].GroundTruth);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected[s].Iou), BitConverter.DoubleToInt64Bits(actual[s].Iou));
        }
        if (pixelOffset == 0.0) Assert.Contains(expected, b => b.Iou == 0.5);
    }

    [SkippableTheory]
    [InlineData(4, 0.5)]
    [InlineData(5, 0.75)]
    [InlineData(6, 0.0)]
    public void Coco_candidates_equal_the_reference_engine_bit_for_bit(int seed, double floor)
    {
        IOverlapEngine engine = Engine();
        Batch batch = RandomUnits(seed);
        CocoCandidates expected = new CpuOverlapEngine().FindCocoCandidates(batch.Units, floor);
        CocoCandidates actual = engine.FindCocoCandidates(batch.Units, floor);
        Assert.Equal(expected.Offsets, actual.Offsets);
        Assert.Equal(expected.GroundTruth, actual.GroundTruth);
        Assert.Equal(expected.Iou.Select(BitConverter.DoubleToInt64Bits), actual.Iou.Select(BitConverter.DoubleToInt64Bits));
        Assert.Contains(expected.Iou, iou => iou == floor || floor == 0.0);
    }

    [SkippableFact]
    public void Ious_exactly_on_a_threshold_are_found_as_the_cpu_finds_them()
    {
        IOverlapEngine engine = Engine();
        // Against [0, 0, 10, 10]: heights 5, 7.5, 9.5 and 9 give IoUs of exactly 0.5, 0.75, 0.95 and 0.9,
        // which lies above COCO's ninth threshold 0.8999999999999999.
        Box[] gt = [new(0, 0, 10, 10)];
        Box[] dt = [new(0, 0, 10, 5), new(0, 0, 10, 7.5), new(0, 0, 10, 9.5), new(0, 0, 10, 9), new(0, 0, 10, 4.99)];
        var units = new OverlapUnits(gt, [0], [0], [1], dt, [0, dt.Length]);
        CocoCandidates candidates = engine.FindCocoCandidates(units, 0.5);
        Assert.Equal([0, 1, 2, 3, 4, 4], candidates.Offsets);
        Assert.Equal([0.5, 0.75, 0.95, 0.9], candidates.Iou);
        var best = new BestOverlap[dt.Length];
        engine.FindBestOverlaps(units, 0.0, best);
        Assert.Equal([0.5, 0.75, 0.95, 0.9, IouRules.Voc(dt[4], gt[0], 0.0)], best.Select(b => b.Iou));
        // With the inclusive-pixel convention, [0, 0, 9, 4] on [0, 0, 9, 9] covers 10 x 5 of 10 x 10 pixels.
        var plusOne = new OverlapUnits([new Box(0, 0, 9, 9)], [0], [0], [1], [new Box(0, 0, 9, 4)], [0, 1]);
        var one = new BestOverlap[1];
        engine.FindBestOverlaps(plusOne, 1.0, one);
        Assert.Equal(new BestOverlap(0, 0.5), one[0]);
    }

    [SkippableFact]
    public void A_unit_without_ground_truth_gives_no_best_overlap_and_no_candidates()
    {
        IOverlapEngine engine = Engine();
        var units = new OverlapUnits([new Box(0, 0, 1, 1)], [0], [0, 0], [0, 1], [new Box(0, 0, 1, 1), new Box(0, 0, 1, 1)], [0, 1, 2]);
        var best = new BestOverlap[2];
        engine.FindBestOverlaps(units, 0.0, best);
        Assert.Equal(BestOverlap.None, best[0]);
        Assert.Equal(new BestOverlap(0, 1.0), best[1]);
        Assert.Equal([0, 0, 1], engine.FindCocoCandidates(units, 0.5).Offsets);
    }
}

/// <summary>The plain C# engine against itself: checks the facts themselves.</summary>
public sealed class CpuEngineAgreementTests : OverlapEngineAgreementTests
{
    protected override IOverlapEngine? OpenEngine(out string reason)
    {
        reason = "";
        return new CpuOverlapEngine();
    }
}

/// <summary>The ILGPU kernels on ILGPU's CPU accelerator: runs everywhere, so CI checks the kernels' code.</summary>
public sealed class IlgpuCpuAcceleratorAgreementTests : OverlapEngineAgreementTests
{
    protected override IOverlapEngine? OpenEngine(out string reason)
    {
        reason = "";
        return IlgpuOverlapEngine.CreateCpuSimulator();
    }
}

/// <summary>The ILGPU kernels on a real CUDA device; skipped, with the reason, where there is none.</summary>
public sealed class CudaAgreementTests : OverlapEngineAgreementTests
{
    protected override IOverlapEngine? OpenEngine(out string reason) =>
        IlgpuOverlapEngine.TryCreateCuda(out IlgpuOverlapEngine? engine, out reason) ? engine : null;
}
