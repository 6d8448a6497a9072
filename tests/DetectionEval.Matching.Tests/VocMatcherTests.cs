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

public sealed class VocBestOverlapSimdTests
{
    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 1.0)]
    [InlineData(3, 0.0)]
    public void The_vector_search_gives_the_written_out_rules_best_overlap_bit_for_bit(int seed, double pixelOffset)
    {
        var random = new Random(seed);
        var columns = new VocGroundTruthColumns();
        int compared = 0, exactHalves = 0;
        for (int unit = 0; unit < 300; unit++)
        {
            // Half-pixel grid and shrunk copies: exact ties and IoUs of exactly 0.5 are common. Every third unit
            // lies off the grid, where each lane must also round as the rule does.
            bool offGrid = unit % 3 == 2;
            Box[] gt = [.. Enumerable.Range(0, random.Next(0, 23)).Select(_ => offGrid
                ? new Box(random.NextDouble() * 20, random.NextDouble() * 20, random.NextDouble() * 15, random.NextDouble() * 15)
                : new Box(random.Next(40) * 0.5, random.Next(40) * 0.5, random.Next(30) * 0.5, random.Next(30) * 0.5))];
            VocBestOverlapSimd.Prepare(gt, pixelOffset, columns);
            for (int d = 0; d < 20; d++)
            {
                Box detection = gt.Length > 0 && random.Next(2) == 0
                    ? gt[random.Next(gt.Length)] with { Height = gt[0].Height * 0.5 }
                    : new Box(random.Next(40) * 0.5, random.Next(40) * 0.5, random.Next(30) * 0.5, random.Next(30) * 0.5);
                // The README's rule (tests/Shared/ReferenceRules.cs), not the product's scalar search.
                (int jmax, double ovmax) = ReferenceRules.VocBestOverlap(
                    new(detection.X, detection.Y, detection.Width, detection.Height), [.. gt.Select(g => new ReferenceRules.Xywh(g.X, g.Y, g.Width, g.Height))], pixelOffset == 1.0);
                BestOverlap vector = VocBestOverlapSimd.FindBestOverlap(detection, columns, pixelOffset);
                Assert.Equal(jmax, vector.GroundTruth);
                Assert.Equal(BitConverter.DoubleToInt64Bits(ovmax), BitConverter.DoubleToInt64Bits(vector.Iou));
                compared++;
                if (ovmax == 0.5) exactHalves++;
            }
        }
        Assert.Equal(6000, compared);
        if (pixelOffset == 0.0) Assert.True(exactHalves > 0);
    }

    [Fact]
    public void Ties_across_lanes_go_to_the_first_ground_truth()
    {
        // Nine identical ground truths: every lane holds the same IoU; the first index must win.
        Box[] gt = [.. Enumerable.Repeat(new Box(0, 0, 10, 10), 9)];
        var columns = new VocGroundTruthColumns();
        VocBestOverlapSimd.Prepare(gt, 0.0, columns);
        Assert.Equal(new BestOverlap(0, 0.5), VocBestOverlapSimd.FindBestOverlap(new Box(0, 0, 10, 5), columns, 0.0));
        Assert.Equal(new BestOverlap(0, 0.0), VocBestOverlapSimd.FindBestOverlap(new Box(50, 50, 1, 1), columns, 0.0));
    }
}
