using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Keypoints;

namespace DetectionEval.Matching.Tests.Keypoints;

// OKS by hand: with sigma 0.5, kappa = (2 * 0.5)^2 = 1, and with area 1 a keypoint off by d gives
// e = d^2 / 2 (the area's epsilon moves it by 2e-16), so d^2 = 2 ln 2 gives exp(-e) = 1/2.
public sealed class OksRulesTests
{
    private static readonly double[] OneSigma = [0.5];
    private static readonly double HalfDistance = Math.Sqrt(2 * Math.Log(2));

    private static double Oks(double[] detection, double[] groundTruth, double[] sigmas, Box? box = null, double area = 1) =>
        OksRules.Oks(detection, groundTruth, box ?? new Box(0, 0, 1, 1), area, sigmas, new double[sigmas.Length]);

    [Fact]
    public void A_keypoint_on_its_ground_truth_scores_one()
    {
        Assert.Equal(1.0, Oks([3, 4, 1], [3, 4, 2], OneSigma));
    }

    [Fact]
    public void A_keypoint_off_by_the_square_root_of_two_ln_two_scores_one_half()
    {
        Assert.Equal(0.5, Oks([3 + HalfDistance, 4, 1], [3, 4, 2], OneSigma), 1e-12);
    }

    [Fact]
    public void Only_labelled_keypoints_count()
    {
        // The second keypoint is unlabelled (v = 0): wherever the detection puts it, the mean is over the first.
        double[] sigmas = [0.5, 0.5];
        Assert.Equal(0.5, Oks([3 + HalfDistance, 4, 1, 500, 500, 1], [3, 4, 2, 0, 0, 0], sigmas), 1e-12);
    }

    [Fact]
    public void Without_labelled_keypoints_the_distance_is_to_the_box_enlarged_three_times()
    {
        // Box [10, 10, 2, 2] enlarged: x and y in [8, 14]. Inside: distance 0; the mean runs over all keypoints.
        double[] sigmas = [0.5, 0.5];
        var box = new Box(10, 10, 2, 2);
        Assert.Equal(1.0, Oks([8, 14, 1, 13, 9, 1], [0, 0, 0, 0, 0, 0], sigmas, box));
        // One keypoint sqrt(2 ln 2) left of x = 8: exp(-ln 2) = 1/2, the other inside: (1/2 + 1) / 2.
        Assert.Equal(0.75, Oks([8 - HalfDistance, 10, 1, 9, 9, 1], [0, 0, 0, 0, 0, 0], sigmas, box), 1e-12);
    }

    [Fact]
    public void The_default_sigmas_are_cocos_seventeen_divided_by_ten()
    {
        Assert.Equal(17, OksRules.CocoPersonSigmas.Count);
        Assert.Equal(0.026000000000000002, OksRules.CocoPersonSigmas[0]);
        Assert.Equal(0.10700000000000001, OksRules.CocoPersonSigmas[11]);
    }

    [Fact]
    public void Keypoints_that_do_not_match_the_sigmas_are_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => Oks([1, 2, 1], [1, 2, 2, 3, 4, 2], OneSigma));
    }
}
