using DetectionEval.Matching;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Matching.Tests;

public sealed class VocMatcherTests
{
    private static VocOutcome[] Match(VocMatchSettings settings, (Box Box, GroundTruthFlags Flags)[] groundTruth, (Box Box, double Score)[] detections, out int positives)
    {
        var outcomes = new VocDetectionOutcome[detections.Length];
        positives = new VocMatcher(settings).Match(
            new VocUnit([.. groundTruth.Select(g => g.Box)], [.. groundTruth.Select(g => g.Flags)], [.. detections.Select(d => d.Box)], [.. detections.Select(d => d.Score)]),
            outcomes,
            new VocMatchScratch());
        return [.. outcomes.Select(o => o.Outcome)];
    }

    private static readonly Box Square = new(0, 0, 10, 10);
    private static readonly Box HalfSquare = new(0, 0, 10, 5);

    [Fact]
    public void Iou_of_exactly_one_half_hits_with_ge_and_misses_with_gt()
    {
        Assert.Equal([VocOutcome.TruePositive], Match(new(0.5, VocIouRule.GreaterOrEqual), [(Square, 0)], [(HalfSquare, 1)], out _));
        Assert.Equal([VocOutcome.FalsePositive], Match(new(0.5, VocIouRule.Greater), [(Square, 0)], [(HalfSquare, 1)], out _));
    }

    [Fact]
    public void A_hit_on_a_difficult_ground_truth_is_neither_tp_nor_fp()
    {
        VocOutcome[] result = Match(new(), [(Square, GroundTruthFlags.Difficult)], [(Square, 0.9)], out int positives);
        Assert.Equal([VocOutcome.Ignored], result);
        Assert.Equal(0, positives);
    }

    [Theory]
    [InlineData(GroundTruthFlags.Crowd)]
    [InlineData(GroundTruthFlags.Ignore)]
    public void Crowd_and_ignore_count_as_difficult(GroundTruthFlags flag)
    {
        Assert.Equal([VocOutcome.Ignored], Match(new(), [(Square, flag)], [(Square, 0.9)], out int positives));
        Assert.Equal(0, positives);
    }

    [Fact]
    public void A_second_hit_on_a_taken_ground_truth_is_a_duplicate_false_positive_even_with_a_free_one_nearby()
    {
        var nearby = new Box(1, 0, 10, 10);
        VocOutcome[] result = Match(new(), [(Square, 0), (nearby, 0)], [(Square, 0.9), (Square, 0.8)], out _);
        Assert.Equal([VocOutcome.TruePositive, VocOutcome.FalsePositive], result);
    }

    [Fact]
    public void On_equal_iou_the_first_ground_truth_is_the_best()
    {
        var outcomes = new BestOverlap[1];
        var unit = new VocUnit([Square, Square], [0, 0], [HalfSquare], [1.0]);
        VocMatcher.FindBestOverlaps(unit, [0], 0, outcomes);
        Assert.Equal(new BestOverlap(0, 0.5), outcomes[0]);
    }

    [Fact]
    public void Detections_are_scored_in_score_order_so_the_higher_score_takes_the_ground_truth()
    {
        VocOutcome[] result = Match(new(), [(Square, 0)], [(Square, 0.2), (Square, 0.7)], out _);
        Assert.Equal([VocOutcome.TruePositive, VocOutcome.FalsePositive], result); // in score order: 0.7 then 0.2
    }

    [Fact]
    public void A_detection_in_an_image_without_ground_truth_is_a_false_positive()
    {
        Assert.Equal([VocOutcome.FalsePositive], Match(new(0.0), [], [(Square, 0.9)], out int positives));
        Assert.Equal(0, positives);
    }
}
