using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;
using static DetectionEval.Tests.Shared.ReferenceRules;

namespace DetectionEval.Matching.Tests;

/// <summary>
/// The optimised matchers against the rules written out plainly from tests/data/reference/README.md
/// (tests/Shared/ReferenceRules.cs), on thousands of random units full of exact ties and IoUs exactly on
/// the thresholds: every kept detection, its order and its verdict at every area range and threshold, both
/// through the matcher's own IoU matrix and through the candidate lists of the CPU overlap engine.
/// </summary>
public sealed class MatcherRulesTests
{
    /// <summary>The README's thresholds (numpy linspace doubles) and area ranges, typed from section 5, not taken from the code.</summary>
    private static readonly double[] ReadmeThresholds = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95];

    private static readonly (double Lo, double Hi)[] ReadmeAreaRanges = [(0, 1e10), (0, 1024), (1024, 9216), (9216, 1e10)];

    /// <summary>Thresholds at the edges of the rule: 0 (every pair reaches it), and 1 (capped at 1 - 1e-10).</summary>
    private static readonly double[] EdgeThresholds = [0.0, 0.25, 0.5, 0.75, 0.8, 0.95, 1.0];

    private static Box ToBox(Xywh b) => new(b.X, b.Y, b.W, b.H);

    private static GroundTruthFlags[] Flags(RandomUnits.Unit u) =>
        [.. u.Crowd.Select((crowd, g) => crowd ? GroundTruthFlags.Crowd : u.Difficult[g] ? (g % 2 == 0 ? GroundTruthFlags.Difficult : GroundTruthFlags.Ignore) : GroundTruthFlags.None)];

    private static Verdict VerdictOf(CocoOutcome outcome, int a, int t)
    {
        Assert.False(outcome.IsTruePositive(a, t) && outcome.IsIgnored(a, t), "a detection is TP and ignored at once");
        return outcome.IsTruePositive(a, t) ? Verdict.TruePositive : outcome.IsIgnored(a, t) ? Verdict.Ignored : Verdict.FalsePositive;
    }

    private static void AssertCocoUnit(CocoUnitResult expected, ReadOnlySpan<CocoDetectionOutcome> outcomes, ReadOnlySpan<int> countable, int thresholds, string where)
    {
        Assert.True(expected.Countable.SequenceEqual(countable.ToArray()), $"{where}: countable ground truth {string.Join(",", countable.ToArray())}, rules say {string.Join(",", expected.Countable)}");
        Assert.True(expected.Kept.Length == outcomes.Length, $"{where}: {outcomes.Length} kept, rules say {expected.Kept.Length}");
        for (int d = 0; d < outcomes.Length; d++)
        {
            Assert.True(expected.Kept[d] == outcomes[d].Detection, $"{where}: kept detection {d} is {outcomes[d].Detection}, rules say {expected.Kept[d]}");
            for (int a = 0; a < expected.Countable.Length; a++)
            {
                for (int t = 0; t < thresholds; t++)
                {
                    Verdict actual = VerdictOf(outcomes[d].Outcome, a, t);
                    Assert.True(expected.Verdicts[d][a][t] == actual, $"{where}: detection {outcomes[d].Detection}, area range {a}, threshold {t}: {actual}, rules say {expected.Verdicts[d][a][t]}");
                }
            }
        }
    }

    [Theory]
    [InlineData("standard", 1)]
    [InlineData("standard", 2)]
    [InlineData("three kept", 3)]
    [InlineData("edge thresholds", 4)]
    public void The_coco_matcher_gives_the_verdicts_of_the_written_out_rules(string settings, int seed)
    {
        (CocoMatcher matcher, double[] thresholds) = settings switch
        {
            // The matcher's own defaults: they must be the README's.
            "standard" => (new CocoMatcher(100), ReadmeThresholds),
            "three kept" => (new CocoMatcher(3, ReadmeThresholds, [.. ReadmeAreaRanges.Select(r => new AreaRange("", r.Lo, r.Hi))]), ReadmeThresholds),
            _ => (new CocoMatcher(100, EdgeThresholds, [.. ReadmeAreaRanges.Select(r => new AreaRange("", r.Lo, r.Hi))]), EdgeThresholds),
        };
        int maxDets = settings == "three kept" ? 3 : 100;
        var random = new Random(seed);
        var scratch = new CocoMatchScratch();
        using var engine = new CpuOverlapEngine();
        int exactPairs = 0, crowdMatches = 0;
        for (int n = 0; n < 2000; n++)
        {
            RandomUnits.Unit u = RandomUnits.Next(random);
            CocoUnitResult expected = MatchCoco(new ReferenceRules.CocoUnit(u.Truth, u.TruthArea, u.Crowd, u.Detections, u.Scores), maxDets, thresholds, ReadmeAreaRanges);
            Box[] truth = [.. u.Truth.Select(ToBox)], detections = [.. u.Detections.Select(ToBox)];
            GroundTruthFlags[] flags = Flags(u);
            var unit = new Coco.CocoUnit(truth, u.TruthArea, flags, detections, u.Scores);
            string where = $"seed {seed} unit {n}";

            var outcomes = new CocoDetectionOutcome[detections.Length];
            int[] countable = new int[ReadmeAreaRanges.Length];
            int kept = matcher.Match(unit, outcomes, countable, scratch);
            AssertCocoUnit(expected, outcomes.AsSpan(0, kept), countable, thresholds.Length, where);

            // The engine route: kept detections in score order as slots, the engine's sparse candidates.
            int[] keptOrder = new int[matcher.KeptDetections(detections.Length)];
            matcher.SelectKeptDetections(u.Scores, keptOrder, scratch);
            Box[] slots = [.. keptOrder.Select(i => detections[i])];
            byte[] crowd = [.. u.Crowd.Select(c => c ? (byte)1 : (byte)0)];
            CocoCandidates candidates = engine.FindCocoCandidates(new OverlapUnits(truth, crowd, [0], [truth.Length], slots, [0, slots.Length]), matcher.LowestThreshold);
            var viaEngine = new CocoDetectionOutcome[keptOrder.Length];
            int[] countableViaEngine = new int[ReadmeAreaRanges.Length];
            matcher.AssignCandidates(unit, keptOrder, candidates, 0, viaEngine, countableViaEngine, scratch);
            AssertCocoUnit(expected, viaEngine, countableViaEngine, thresholds.Length, where + " (engine route)");

            foreach (Xywh d in u.Detections)
            {
                for (int g = 0; g < u.Truth.Length; g++)
                {
                    double iou = CocoIou(d, u.Truth[g], u.Crowd[g]);
                    if (iou > 0 && thresholds.Contains(iou)) exactPairs++;
                }
            }
            crowdMatches += expected.Verdicts.Sum(d => d.Sum(a => a.Count(v => v == Verdict.Ignored)));
        }
        // The units really exercise the rules' corners.
        Assert.True(exactPairs > 200, $"only {exactPairs} IoUs exactly on a threshold");
        Assert.True(crowdMatches > 1000, $"only {crowdMatches} ignored verdicts");
    }

    public static TheoryData<double, VocIouRule, bool, int> VocProfiles() => new()
    {
        { 0.5, VocIouRule.GreaterOrEqual, false, 11 },
        { 0.5, VocIouRule.Greater, false, 12 },
        { 0.5, VocIouRule.GreaterOrEqual, true, 13 },
        { 0.5, VocIouRule.Greater, true, 14 },
        { 0.75, VocIouRule.GreaterOrEqual, false, 15 },
        { 0.0, VocIouRule.GreaterOrEqual, false, 16 },
    };

    [Theory]
    [MemberData(nameof(VocProfiles))]
    public void The_voc_matcher_gives_the_verdicts_of_the_written_out_rules(double threshold, VocIouRule rule, bool plusOne, int seed)
    {
        var matcher = new VocMatcher(new VocMatchSettings(threshold, rule, plusOne));
        var random = new Random(seed);
        var scratch = new VocMatchScratch();
        using var engine = new CpuOverlapEngine();
        int exactPairs = 0, manyTruth = 0;
        for (int n = 0; n < 2000; n++)
        {
            // Up to 14 ground truths: units of 8 and more take the vector search.
            RandomUnits.Unit u = RandomUnits.Next(random, maxTruth: 14);
            (int Detection, Verdict Verdict)[] expected = MatchVoc(u.Truth, u.Difficult, u.Detections, u.Scores, threshold, rule == VocIouRule.Greater, plusOne);
            Box[] truth = [.. u.Truth.Select(ToBox)], detections = [.. u.Detections.Select(ToBox)];
            GroundTruthFlags[] flags = Flags(u);
            string where = $"seed {seed} unit {n}";

            var outcomes = new VocDetectionOutcome[detections.Length];
            int positives = matcher.Match(new VocUnit(truth, flags, detections, u.Scores), outcomes, scratch);
            Assert.True(u.Difficult.Count(d => !d) == positives, $"{where}: npos {positives}");
            AssertVocUnit(expected, outcomes, where);

            // The engine route: every detection in score order as a slot, the engine's best overlaps.
            int[] order = [.. expected.Select(e => e.Detection)];
            var best = new BestOverlap[order.Length];
            engine.FindBestOverlaps(new OverlapUnits(truth, new byte[truth.Length], [0], [truth.Length], [.. order.Select(i => detections[i])], [0, order.Length]), matcher.Settings.PixelOffset, best);
            var viaEngine = new VocDetectionOutcome[order.Length];
            matcher.Assign(flags, order, best, viaEngine, scratch);
            AssertVocUnit(expected, viaEngine, where + " (engine route)");

            foreach (Xywh d in u.Detections)
            {
                foreach (Xywh g in u.Truth) exactPairs += VocIou(d, g, plusOne) == threshold && threshold > 0 ? 1 : 0;
            }
            manyTruth += u.Truth.Length >= 8 ? 1 : 0;
        }
        if (threshold > 0 && !plusOne) Assert.True(exactPairs > 50, $"only {exactPairs} IoUs exactly on {threshold}");
        Assert.True(manyTruth > 300, $"only {manyTruth} units with 8 or more ground truths");
    }

    private static void AssertVocUnit((int Detection, Verdict Verdict)[] expected, VocDetectionOutcome[] actual, string where)
    {
        Assert.True(expected.Length == actual.Length, $"{where}: {actual.Length} outcomes");
        for (int i = 0; i < expected.Length; i++)
        {
            Verdict verdict = actual[i].Outcome switch
            {
                VocOutcome.TruePositive => Verdict.TruePositive,
                VocOutcome.Ignored => Verdict.Ignored,
                _ => Verdict.FalsePositive,
            };
            Assert.True(expected[i] == (actual[i].Detection, verdict), $"{where}: place {i} is detection {actual[i].Detection} {verdict}, rules say {expected[i].Detection} {expected[i].Verdict}");
        }
    }
}
