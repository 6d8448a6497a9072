using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Matching.Gpu.Tests;

/// <summary>
/// Level 3, engines against the rules: every engine (the plain CPU engine, the ILGPU kernels on ILGPU's CPU
/// accelerator, CUDA where there is a GPU) returns exactly what the README's rules written out in the test
/// (tests/Shared/ReferenceRules.cs: every IoU computed, the first largest kept) give, on random units whose
/// coordinates sit on a half-pixel grid (so exact ties and IoUs exactly on a threshold occur) and on
/// hand-made exact-threshold pairs; and matching through the engine gives the rules' verdicts. One
/// subclass per engine; no engine is compared with another.
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

    /// <summary>Many units in the engines' flat layout, and each unit as the rules see it.</summary>
    private sealed record Batch(RandomUnits.Unit[] Units, Box[] GroundTruth, byte[] Crowd, int[] GroundTruthStart, int[] GroundTruthCount, Box[] Detections, int[] SlotStart)
    {
        public OverlapUnits Layout => new(GroundTruth, Crowd, GroundTruthStart, GroundTruthCount, Detections, SlotStart);

        /// <summary>The unit a slot belongs to, and its place among the unit's slots.</summary>
        public (int Unit, int Place) SlotOf(int slot)
        {
            // The last unit starting at or before the slot: the next one starts after it.
            int u = Array.FindLastIndex(SlotStart, start => start <= slot);
            return (u, slot - SlotStart[u]);
        }
    }

    private static Box ToBox(ReferenceRules.Xywh b) => new(b.X, b.Y, b.W, b.H);

    /// <summary>
    /// Random units (tests/Shared/RandomUnits.cs), some without ground truth or detections, with their
    /// detections in file order as the slots.
    /// </summary>
    private static Batch RandomBatch(int seed, int units = 60)
    {
        var random = new Random(seed);
        RandomUnits.Unit[] drawn = [.. Enumerable.Range(0, units).Select(_ => RandomUnits.Next(random, maxTruth: 10))];
        var gt = new List<Box>();
        var crowd = new List<byte>();
        var dt = new List<Box>();
        int[] gtStart = new int[units], gtCount = new int[units], slotStart = new int[units + 1];
        for (int u = 0; u < units; u++)
        {
            gtStart[u] = gt.Count;
            gtCount[u] = drawn[u].Truth.Length;
            gt.AddRange(drawn[u].Truth.Select(ToBox));
            crowd.AddRange(drawn[u].Crowd.Select(c => c ? (byte)1 : (byte)0));
            slotStart[u] = dt.Count;
            dt.AddRange(drawn[u].Detections.Select(ToBox));
        }
        slotStart[units] = dt.Count;
        return new Batch(drawn, [.. gt], [.. crowd], gtStart, gtCount, [.. dt], slotStart);
    }

    [SkippableTheory]
    [InlineData(1, 0.0)]
    [InlineData(2, 1.0)]
    [InlineData(3, 0.0)]
    public void Best_overlaps_are_the_rules_first_largest_iou_bit_for_bit(int seed, double pixelOffset)
    {
        IOverlapEngine engine = Engine();
        Batch batch = RandomBatch(seed);
        var actual = new BestOverlap[batch.Detections.Length];
        engine.FindBestOverlaps(batch.Layout, pixelOffset, actual);
        int exactHalves = 0, tiesBetweenGroundTruths = 0;
        for (int s = 0; s < actual.Length; s++)
        {
            (int u, int place) = batch.SlotOf(s);
            RandomUnits.Unit unit = batch.Units[u];
            (int jmax, double ovmax) = ReferenceRules.VocBestOverlap(unit.Detections[place], unit.Truth, pixelOffset == 1.0);
            Assert.True(jmax == actual[s].GroundTruth, $"slot {s}: ground truth {actual[s].GroundTruth}, rules say {jmax}");
            Assert.True(BitConverter.DoubleToInt64Bits(ovmax) == BitConverter.DoubleToInt64Bits(actual[s].Iou), $"slot {s}: IoU {actual[s].Iou:R}, rules say {ovmax:R}");
            exactHalves += ovmax == 0.5 ? 1 : 0;
            tiesBetweenGroundTruths += unit.Truth.Count(g => ReferenceRules.VocIou(unit.Detections[place], g, pixelOffset == 1.0) == ovmax) > 1 ? 1 : 0;
        }
        if (pixelOffset == 0.0) Assert.True(exactHalves > 0, "no IoU of exactly 0.5 in the batch");
        Assert.True(tiesBetweenGroundTruths > 0, "no detection with two ground truths at its largest IoU");
    }

    [SkippableTheory]
    [InlineData(4, 0.5)]
    [InlineData(5, 0.75)]
    [InlineData(6, 0.0)]
    public void Coco_candidates_are_every_pair_the_rules_put_at_or_above_the_floor_bit_for_bit(int seed, double floor)
    {
        IOverlapEngine engine = Engine();
        Batch batch = RandomBatch(seed);
        CocoCandidates actual = engine.FindCocoCandidates(batch.Layout, floor);
        Assert.Equal(batch.Detections.Length + 1, actual.Offsets.Length);
        int onTheFloor = 0;
        for (int s = 0; s < batch.Detections.Length; s++)
        {
            (int u, int place) = batch.SlotOf(s);
            RandomUnits.Unit unit = batch.Units[u];
            // Every ground truth of the slot's unit, in file order, whose COCO IoU reaches the floor.
            (int G, double Iou)[] expected = [.. unit.Truth
                .Select((g, k) => (k, ReferenceRules.CocoIou(unit.Detections[place], g, unit.Crowd[k])))
                .Where(c => c.Item2 >= floor)];
            (int, double)[] found = [.. Enumerable.Range(actual.Offsets[s], actual.Offsets[s + 1] - actual.Offsets[s]).Select(e => (actual.GroundTruth[e], actual.Iou[e]))];
            Assert.True(expected.Length == found.Length, $"slot {s}: {found.Length} candidates, rules say {expected.Length}");
            for (int c = 0; c < expected.Length; c++)
            {
                Assert.True(expected[c].G == found[c].Item1, $"slot {s} candidate {c}: ground truth {found[c].Item1}, rules say {expected[c].G}");
                Assert.True(BitConverter.DoubleToInt64Bits(expected[c].Iou) == BitConverter.DoubleToInt64Bits(found[c].Item2), $"slot {s} candidate {c}: IoU {found[c].Item2:R}, rules say {expected[c].Iou:R}");
            }
            onTheFloor += expected.Count(c => c.Iou == floor);
        }
        if (floor > 0) Assert.True(onTheFloor > 0, $"no IoU of exactly {floor} in the batch");
    }

    [SkippableTheory]
    [InlineData(7, 0.5, VocIouRule.GreaterOrEqual, false)]
    [InlineData(8, 0.5, VocIouRule.Greater, true)]
    public void Voc_matching_through_the_engine_gives_the_rules_verdicts(int seed, double threshold, VocIouRule rule, bool plusOne)
    {
        IOverlapEngine engine = Engine();
        Batch drawn = RandomBatch(seed);
        // The slots in matching order: each unit's detections by score, as the match stage lays them out.
        int[][] orders = [.. drawn.Units.Select(u => ReferenceRules.ScoreOrder(u.Scores))];
        Batch batch = drawn with { Detections = [.. drawn.Units.SelectMany((u, k) => orders[k].Select(i => ToBox(u.Detections[i])))] };
        var matcher = new VocMatcher(new VocMatchSettings(threshold, rule, plusOne));
        var best = new BestOverlap[batch.Detections.Length];
        engine.FindBestOverlaps(batch.Layout, matcher.Settings.PixelOffset, best);
        var scratch = new VocMatchScratch();
        for (int u = 0; u < batch.Units.Length; u++)
        {
            RandomUnits.Unit unit = batch.Units[u];
            GroundTruthFlags[] flags = [.. unit.Difficult.Select(d => d ? GroundTruthFlags.Difficult : GroundTruthFlags.None)];
            var outcomes = new VocDetectionOutcome[orders[u].Length];
            matcher.Assign(flags, orders[u], best.AsSpan(batch.SlotStart[u], orders[u].Length), outcomes, scratch);
            (int Detection, ReferenceRules.Verdict Verdict)[] expected = ReferenceRules.MatchVoc(unit.Truth, unit.Difficult, unit.Detections, unit.Scores, threshold, rule == VocIouRule.Greater, plusOne);
            Assert.Equal(expected.Select(e => (e.Detection, e.Verdict.ToString())), outcomes.Select(o => (o.Detection, o.Outcome.ToString())));
        }
    }

    [SkippableFact]
    public void Coco_matching_through_the_engine_gives_the_rules_verdicts()
    {
        IOverlapEngine engine = Engine();
        Batch drawn = RandomBatch(9);
        var matcher = new CocoMatcher(5);
        var scratch = new CocoMatchScratch();
        // The slots: each unit's kept detections (the first 5 by score), as the match stage lays them out.
        int[][] kept = [.. drawn.Units.Select(u => ReferenceRules.ScoreOrder(u.Scores).Take(5).ToArray())];
        int[] slotStart = new int[kept.Length + 1];
        for (int u = 0; u < kept.Length; u++) slotStart[u + 1] = slotStart[u] + kept[u].Length;
        Batch batch = drawn with { Detections = [.. drawn.Units.SelectMany((u, k) => kept[k].Select(i => ToBox(u.Detections[i])))], SlotStart = slotStart };
        CocoCandidates candidates = engine.FindCocoCandidates(batch.Layout, matcher.LowestThreshold);
        // The matcher's defaults must be the README's (section 5): numpy's linspace thresholds, the four area ranges.
        double[] thresholds = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95];
        (double, double)[] ranges = [(0, 1e10), (0, 1024), (1024, 9216), (9216, 1e10)];
        for (int u = 0; u < batch.Units.Length; u++)
        {
            RandomUnits.Unit unit = batch.Units[u];
            var cocoUnit = new CocoUnit(
                [.. unit.Truth.Select(ToBox)], unit.TruthArea, [.. unit.Crowd.Select(c => c ? GroundTruthFlags.Crowd : GroundTruthFlags.None)],
                [.. unit.Detections.Select(ToBox)], unit.Scores);
            var outcomes = new CocoDetectionOutcome[kept[u].Length];
            int[] countable = new int[ranges.Length];
            matcher.AssignCandidates(cocoUnit, kept[u], candidates, slotStart[u], outcomes, countable, scratch);
            ReferenceRules.CocoUnitResult expected = ReferenceRules.MatchCoco(new(unit.Truth, unit.TruthArea, unit.Crowd, unit.Detections, unit.Scores), 5, thresholds, ranges);
            Assert.Equal(expected.Countable, countable);
            Assert.Equal(expected.Kept, outcomes.Select(o => o.Detection));
            for (int d = 0; d < outcomes.Length; d++)
            {
                for (int a = 0; a < ranges.Length; a++)
                {
                    for (int t = 0; t < thresholds.Length; t++)
                    {
                        CocoOutcome o = outcomes[d].Outcome;
                        ReferenceRules.Verdict actual = o.IsTruePositive(a, t) ? ReferenceRules.Verdict.TruePositive : o.IsIgnored(a, t) ? ReferenceRules.Verdict.Ignored : ReferenceRules.Verdict.FalsePositive;
                        Assert.True(expected.Verdicts[d][a][t] == actual, $"unit {u} detection {outcomes[d].Detection} range {a} threshold {t}: {actual}, rules say {expected.Verdicts[d][a][t]}");
                    }
                }
            }
        }
    }

    [SkippableFact]
    public void Ious_exactly_on_a_threshold_are_found_exactly()
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
        // Height 4.99: I = 10 * 4.99 = 49.900000000000006, U = (49.900000000000006 + 100) - I = 149.9 - I = 100,
        // IoU = I / U = 0.49900000000000005: just below 0.5, a miss for VOC and no COCO candidate above.
        Assert.Equal([0.5, 0.75, 0.95, 0.9, 0.49900000000000005], best.Select(b => b.Iou));
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

/// <summary>The plain C# engine against the rules.</summary>
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
