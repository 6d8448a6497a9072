using DetectionEval.Matching.Coco;

namespace DetectionEval.Matching.Tests;

/// <summary>The unit's optional columns the segm and keypoint runs use: protocol-ignored ground truth and given detection areas.</summary>
public sealed class CocoMatcherOptionsTests
{
    private const int All = 0;

    [Fact]
    public void A_ground_truth_ignored_by_the_protocol_takes_one_detection_unlike_a_crowd()
    {
        // Keypoints: num_keypoints 0 ignores a ground truth, but it is not a crowd, so a second detection on it is unmatched.
        var matcher = new CocoMatcher(20, CocoParameters.IouThresholds, CocoParameters.KeypointAreaRanges);
        var box = new Box(0, 0, 50, 50);
        var outcomes = new CocoDetectionOutcome[2];
        int[] countable = new int[matcher.AreaRangeCount];
        var unit = new CocoUnit([box], [2500.0], [GroundTruthFlags.None], [box, box], [0.9, 0.8]) { GroundTruthIgnored = [true] };
        matcher.Match(unit, outcomes, countable, new CocoMatchScratch());
        Assert.Equal(0, countable[All]);
        Assert.True(outcomes[0].Outcome.IsIgnored(All, 0));
        Assert.True(outcomes[1].Outcome.IsFalsePositive(All, 0));
    }

    [Fact]
    public void Given_detection_areas_replace_the_box_areas_in_the_size_ranges()
    {
        // A 40 x 40 box (1600, medium) whose mask has 900 pixels (small): unmatched, it is ignored in medium, not in small.
        var matcher = new CocoMatcher(100);
        var outcomes = new CocoDetectionOutcome[1];
        int[] countable = new int[matcher.AreaRangeCount];
        var unit = new CocoUnit([], [], [], [new Box(0, 0, 40, 40)], [0.9]) { DetectionAreas = [900.0] };
        matcher.Match(unit, outcomes, countable, new CocoMatchScratch());
        Assert.True(outcomes[0].Outcome.IsFalsePositive(1, 0));
        Assert.True(outcomes[0].Outcome.IsIgnored(2, 0));
    }
}
