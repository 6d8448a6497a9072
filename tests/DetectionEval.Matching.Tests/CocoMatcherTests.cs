using DetectionEval.Matching;
using DetectionEval.Matching.Coco;

namespace DetectionEval.Matching.Tests;

public sealed class CocoMatcherTests
{
    private const int All = 0, Small = 1, Large = 3;

    private sealed record Gt(Box Box, bool Crowd = false, double? Area = null);

    private static CocoDetectionOutcome[] Match(Gt[] groundTruth, (Box Box, double Score)[] detections, out int[] countable, int maxDetections = 100)
    {
        var matcher = new CocoMatcher(maxDetections);
        Box[] gtBoxes = [.. groundTruth.Select(g => g.Box)];
        double[] areas = [.. groundTruth.Select(g => g.Area ?? g.Box.Area)];
        GroundTruthFlags[] flags = [.. groundTruth.Select(g => g.Crowd ? GroundTruthFlags.Crowd : GroundTruthFlags.None)];
        Box[] dtBoxes = [.. detections.Select(d => d.Box)];
        double[] scores = [.. detections.Select(d => d.Score)];
        var outcomes = new CocoDetectionOutcome[detections.Length];
        countable = new int[matcher.AreaRangeCount];
        int kept = matcher.Match(new CocoUnit(gtBoxes, areas, flags, dtBoxes, scores), outcomes, countable, new CocoMatchScratch());
        return outcomes[..kept];
    }

    [Fact]
    public void Iou_of_exactly_one_half_is_a_true_positive_at_threshold_one_half()
    {
        CocoDetectionOutcome[] result = Match([new(new Box(0, 0, 10, 10))], [(new Box(0, 0, 10, 5), 0.9)], out _);
        Assert.True(result[0].Outcome.IsTruePositive(All, 0));
        Assert.True(result[0].Outcome.IsFalsePositive(All, 1));
    }

    [Fact]
    public void A_crowd_region_absorbs_several_detections_which_are_all_ignored()
    {
        Gt crowd = new(new Box(0, 0, 100, 100), Crowd: true);
        var detections = new[] { (new Box(10, 10, 20, 20), 0.9), (new Box(50, 50, 20, 20), 0.8), (new Box(60, 10, 20, 20), 0.7) };
        CocoDetectionOutcome[] result = Match([crowd], detections, out int[] countable);
        Assert.Equal(0, countable[All]);
        Assert.All(result, r => Assert.True(r.Outcome.IsIgnored(All, 9)));
    }

    [Fact]
    public void A_duplicate_detection_is_a_false_positive()
    {
        var box = new Box(0, 0, 50, 50);
        CocoDetectionOutcome[] result = Match([new(box)], [(box, 0.9), (box, 0.8)], out _);
        Assert.True(result[0].Outcome.IsTruePositive(All, 0));
        Assert.True(result[1].Outcome.IsFalsePositive(All, 0));
    }

    [Fact]
    public void A_regular_match_stops_the_walk_before_an_ignored_ground_truth_with_higher_iou()
    {
        // The crowd overlaps the detection completely (IoU 1) but comes after the regular ground truth.
        Gt regular = new(new Box(0, 0, 10, 10));
        Gt crowd = new(new Box(0, 0, 10, 10), Crowd: true);
        CocoDetectionOutcome[] result = Match([crowd, regular], [(new Box(0, 0, 10, 8), 0.9)], out _);
        Assert.True(result[0].Outcome.IsTruePositive(All, 0));
    }

    [Fact]
    public void A_detection_falls_back_to_a_crowd_when_its_regular_match_is_below_the_threshold()
    {
        // IoU with the regular box is 0.8 (TP up to 0.8); inside the crowd completely (IoU 1, ignored above).
        Gt regular = new(new Box(0, 0, 10, 10));
        Gt crowd = new(new Box(0, 0, 100, 100), Crowd: true);
        CocoDetectionOutcome[] result = Match([regular, crowd], [(new Box(0, 0, 10, 8), 0.9)], out _);
        Assert.True(result[0].Outcome.IsTruePositive(All, 6)); // t = 0.8
        Assert.True(result[0].Outcome.IsIgnored(All, 7)); // t = 0.85
    }

    [Fact]
    public void On_equal_iou_the_later_ground_truth_wins()
    {
        var box = new Box(0, 0, 10, 10);
        CocoDetectionOutcome[] result = Match([new(box), new(box)], [(box, 0.9), (box, 0.8)], out _);
        // The first detection takes the second ground truth, the second detection the first one.
        Assert.True(result[0].Outcome.IsTruePositive(All, 9));
        Assert.True(result[1].Outcome.IsTruePositive(All, 9));
    }

    [Fact]
    public void Area_ranges_read_the_area_field_with_inclusive_bounds()
    {
        // A box of 40 x 40 whose area field says exactly 1024: small and medium, not large.
        Gt gt = new(new Box(0, 0, 40, 40), Area: 1024);
        Match([gt], [], out int[] countable);
        Assert.Equal([1, 1, 1, 0], countable);
    }

    [Fact]
    public void An_unmatched_detection_outside_the_area_range_is_ignored()
    {
        Gt small = new(new Box(0, 0, 10, 10));
        CocoDetectionOutcome[] result = Match([small], [(new Box(500, 500, 200, 200), 0.9)], out _);
        Assert.True(result[0].Outcome.IsIgnored(Small, 0));
        Assert.True(result[0].Outcome.IsFalsePositive(Large, 0));
    }

    [Fact]
    public void Only_the_top_max_detections_by_score_are_kept()
    {
        var box = new Box(0, 0, 10, 10);
        CocoDetectionOutcome[] result = Match([new(box)], [(box, 0.1), (box, 0.9), (box, 0.5)], out _, maxDetections: 2);
        Assert.Equal([1, 2], result.Select(r => r.Detection));
    }
}
