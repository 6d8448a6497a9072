using DetectionEval.Eval.Metrics;

namespace DetectionEval.Eval.Tests;

/// <summary>Both VOC AP calculators on a curve small enough to work out by hand (README of the reference cases, section 6).</summary>
public sealed class VocApTests
{
    /// <summary>
    /// Five positives; the detections in score order are TP, TP, FP, TP:
    /// recall = ctp / 5 = [1/5, 2/5, 2/5, 3/5] = [0.2, 0.4, 0.4, 0.6] (each the double of its literal),
    /// precision = ctp / (ctp + cfp) = [1/1, 2/2, 2/3, 3/4] = [1.0, 1.0, 0.6666666666666666, 0.75].
    /// </summary>
    private static readonly double[] Recall = [1 / 5.0, 2 / 5.0, 2 / 5.0, 3 / 5.0];

    private static readonly double[] Precision = [1 / 1.0, 2 / 2.0, 2 / 3.0, 3 / 4.0];

    [Fact]
    public void All_point_ap_is_the_area_under_the_envelope_summed_as_numpy_sums()
    {
        // mrec = [0, 0.2, 0.4, 0.4, 0.6, 1] and mpre = [0, 1, 1, 2/3, 0.75, 0].
        // Envelope from the right: mpre[4] = max(0.75, 0) = 0.75, mpre[3] = max(2/3, 0.75) = 0.75,
        // mpre[2] = max(1, 0.75) = 1, mpre[1] = 1, mpre[0] = 1: mpre = [1, 1, 1, 0.75, 0.75, 0].
        // Terms where recall changes (i = 2 has mrec[3] = mrec[2] and gives none):
        //   i = 0: (0.2 - 0) * mpre[1]   = 0.2 * 1  = 0.2
        //   i = 1: (0.4 - 0.2) * mpre[2] = 0.2 * 1  = 0.2                  (0.4 is 2 * 0.2 exactly)
        //   i = 3: (0.6 - 0.4) * mpre[4] = 0.19999999999999996 * 0.75 = 0.14999999999999997
        //   i = 4: (1 - 0.6) * mpre[5]   = 0.4 * 0  = 0
        // numpy adds fewer than 8 terms left to right: (0.2 + 0.2) = 0.4, 0.4 + 0.14999999999999997 rounds to
        // 0.55, + 0 = 0.55.
        Assert.Equal(0.55, VocAp.AllPoint(Recall, Precision));
    }

    [Fact]
    public void Eleven_point_ap_takes_the_best_precision_at_each_arange_threshold_and_adds_elevenths()
    {
        // Thresholds np.arange(0, 1.1, 0.1): 0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001,
        // 0.7000000000000001, 0.8, 0.9, 1.0. p = the largest precision at a recall >= the threshold:
        //   0, 0.1, 0.2:           every point qualifies (0.2 >= 0.2)       -> 1
        //   0.30000000000000004:   recalls 0.4, 0.4, 0.6                    -> max(1, 2/3, 0.75) = 1
        //   0.4:                   recalls 0.4, 0.4, 0.6                    -> 1
        //   0.5:                   recall 0.6 only                          -> 0.75
        //   0.6000000000000001:    none: the recall 0.6 lies one ulp below  -> 0
        //   0.7000000000000001 and above: none                              -> 0
        // ap = ap + p / 11.0, in order, with 1 / 11.0 = 0.09090909090909091: after the five 1s ap is
        // 0.09090909090909091, 0.18181818181818182, 0.2727272727272727, 0.36363636363636365, 0.4545454545454546;
        // + 0.75 / 11.0 (0.06818181818181818) = 0.5227272727272727; the five zeros add nothing.
        // The all-point AP of the same curve is 0.55: the 11-point rule loses the recall 0.6 at 0.6000000000000001.
        Assert.Equal(0.5227272727272727, VocAp.ElevenPoint(Recall, Precision));
    }

    [Fact]
    public void The_eleven_thresholds_are_the_doubles_numpy_arange_gives()
    {
        // numpy fills arange(0, 1.1, 0.1) with start + i * delta, delta = (start + step) - start = 0.1: i * 0.1 in double.
        Assert.Equal([.. Enumerable.Range(0, 11).Select(i => i * 0.1)], VocAp.ElevenPointThresholds);
        Assert.Equal(0.30000000000000004, VocAp.ElevenPointThresholds[3]);
        Assert.Equal(0.6000000000000001, VocAp.ElevenPointThresholds[6]);
        Assert.Equal(0.7000000000000001, VocAp.ElevenPointThresholds[7]);
    }

    [Fact]
    public void A_curve_without_detections_scores_zero_under_both_rules()
    {
        // mrec = [0, 1], mpre = [0, 0]: one term (1 - 0) * 0 = 0; no recall reaches any threshold: eleven zeros.
        Assert.Equal(0.0, VocAp.AllPoint([], []));
        Assert.Equal(0.0, VocAp.ElevenPoint([], []));
    }
}
