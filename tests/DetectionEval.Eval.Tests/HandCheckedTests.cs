using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests;

/// <summary>Level 1: cases small enough to check by hand.</summary>
public sealed class HandCheckedTests
{
    private const double Tolerance = 1e-12;
    private static readonly Category Person = new(1, "person");
    private static readonly Category Dog = new(2, "dog");

    private static EvaluationResult Evaluate(IEnumerable<ImageSample> images, EvaluationOptions? options = null, params Category[] categories)
    {
        var evaluator = new DetectionEvaluator(categories.Length == 0 ? [Person] : categories, options);
        evaluator.Update(images);
        return evaluator.Compute();
    }

    private static ImageSample Image(long id, GroundTruthBox[] gt, DetectedBox[] dt) => new(id, gt, dt);

    [Fact]
    public void One_shifted_prediction_gives_ap_0_6_with_ap50_and_ap75_of_1()
    {
        // GT [214, 41, 562, 285] and prediction [258, 41, 606, 285] (xyxy): IoU 304/392 = 0.7755,
        // a hit at the six thresholds 0.50 ... 0.75 and a miss at the four above.
        EvaluationResult result = Evaluate(
        [
            Image(1, [new(1, Box.FromCorners(214, 41, 562, 285))], [new(1, Box.FromCorners(258, 41, 606, 285), 0.536)]),
        ]);
        CocoSummary s = result.Coco!.Summary;
        Assert.Equal(0.6, s.Ap!.Value, Tolerance);
        Assert.Equal(1.0, s.Ap50!.Value, Tolerance);
        Assert.Equal(1.0, s.Ap75!.Value, Tolerance);
        Assert.Null(s.ApSmall);
        Assert.Null(s.ApMedium);
        Assert.Equal(0.6, s.ApLarge!.Value, Tolerance);
        Assert.Equal(0.6, s.Ar100!.Value, Tolerance);
        Assert.Equal(0.6, s.Ar1!.Value, Tolerance);
    }

    [Fact]
    public void Crowd_region_absorbs_several_detections_without_false_positives()
    {
        var crowd = new GroundTruthBox(1, new Box(0, 0, 100, 100), GroundTruthFlags.Crowd);
        var person = new GroundTruthBox(1, new Box(200, 200, 50, 50));
        DetectedBox[] detections =
        [
            new(1, new Box(200, 200, 50, 50), 0.5),
            new(1, new Box(10, 10, 20, 20), 0.9),
            new(1, new Box(40, 40, 20, 20), 0.8),
            new(1, new Box(70, 10, 20, 20), 0.7),
        ];
        EvaluationResult withCrowd = Evaluate([Image(1, [crowd, person], detections)]);
        Assert.Equal(1.0, withCrowd.Coco!.Summary.Ap!.Value, Tolerance);
        // VOC has no crowd IoU: the crowd is only "difficult", and small boxes inside a large region
        // overlap it too little to hit it, so there they stay false positives.
        Assert.Equal(1, withCrowd.Voc!.PerClass[0].Positives);
        Assert.Equal(3, withCrowd.Voc.PerClass[0].FalsePositives);

        // The same region as an ordinary object: the three detections inside it become false positives.
        EvaluationResult withoutCrowd = Evaluate([Image(1, [crowd with { Flags = GroundTruthFlags.None }, person], detections)]);
        Assert.True(withoutCrowd.Coco!.Summary.Ap < 0.5);
    }

    [Fact]
    public void Iou_of_exactly_one_half_is_a_coco_true_positive_and_a_voc_gt_false_positive()
    {
        ImageSample image = Image(1, [new(1, new Box(0, 0, 10, 10))], [new(1, new Box(0, 0, 10, 5), 0.9)]);
        EvaluationResult ge = Evaluate([image], new EvaluationOptions { Voc = new VocMatchSettings(0.5, VocIouRule.GreaterOrEqual) });
        EvaluationResult gt = Evaluate([image], new EvaluationOptions { Voc = new VocMatchSettings(0.5, VocIouRule.Greater) });

        Assert.Equal(1.0, ge.Coco!.Summary.Ap50!.Value, Tolerance);
        Assert.Equal(1, ge.Voc!.PerClass[0].TruePositives);
        Assert.Equal(1.0, ge.Voc.MeanApAll);
        Assert.Equal(1, gt.Voc!.PerClass[0].FalsePositives);
        Assert.Equal(0.0, gt.Voc.MeanApAll);
    }

    [Fact]
    public void A_duplicate_detection_is_a_false_positive()
    {
        var box = new Box(10, 10, 40, 40);
        EvaluationResult result = Evaluate([Image(1, [new(1, box)], [new(1, box, 0.9), new(1, box, 0.8)])]);
        VocClassResult voc = result.Voc!.PerClass[0];
        Assert.Equal((1, 1), (voc.TruePositives, voc.FalsePositives));
        Assert.Equal(0.5, voc.FinalPrecision);
        // The duplicate comes after full recall, so AP is still 1 under both rules.
        Assert.Equal(1.0, voc.ApAll);
        Assert.Equal(1.0, result.Coco!.Summary.Ap!.Value, Tolerance);
    }

    [Fact]
    public void An_empty_prediction_list_gives_zero_not_a_crash()
    {
        EvaluationResult result = Evaluate([Image(1, [new(1, new Box(0, 0, 10, 10))], []), Image(2, [], [])]);
        Assert.Equal(0.0, result.Coco!.Summary.Ap);
        Assert.Equal(0.0, result.Coco.Summary.Ar100);
        Assert.Null(result.Coco.Summary.ApLarge);
        Assert.Equal(0.0, result.Voc!.MeanAp07);
        Assert.Equal(0.0, result.Voc.MeanApAll);
        Assert.Null(result.Voc.PerClass[0].FinalPrecision);
    }

    [Fact]
    public void A_class_without_ground_truth_is_null_and_left_out_of_the_means()
    {
        var box = new Box(0, 0, 10, 10);
        EvaluationResult result = Evaluate(
            [Image(1, [new(1, box)], [new(1, box, 0.9), new(2, new Box(50, 50, 10, 10), 0.8)])],
            null,
            Person,
            Dog);
        Assert.Null(result.Coco!.PerClass[1].Ap);
        Assert.Null(result.Voc!.PerClass[1].Ap07);
        Assert.Null(result.Voc.PerClass[1].ApAll);
        Assert.Equal(1, result.Voc.ClassesInMean);
        Assert.Equal(1.0, result.Voc.MeanApAll);
        Assert.Equal(result.Coco.PerClass[0].Ap!.Value, result.Coco.Summary.Ap!.Value, Tolerance);
    }

    [Fact]
    public void Precision_of_a_lone_true_positive_is_one_ulp_below_one_as_in_pycocotools()
    {
        // pr = tp / (tp + fp + eps) with eps = 2^-52.
        EvaluationResult result = Evaluate([Image(1, [new(1, new Box(0, 0, 10, 10))], [new(1, new Box(0, 0, 10, 10), 0.9)])]);
        Assert.Equal(0.9999999999999998, result.Coco!.Tables.Precision(0, 0, 0, 0, 2));
        Assert.Equal(1.0, result.Voc!.PerClass[0].FinalPrecision);
    }
}
