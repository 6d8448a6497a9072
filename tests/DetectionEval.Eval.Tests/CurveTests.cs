using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests;

public sealed class CurveTests
{
    // Evaluated once for the whole class: the tests only read it.
    private static readonly Lazy<EvaluationResult> Evaluated = new(Evaluate);

    private static EvaluationResult Sample() => Evaluated.Value;

    private static EvaluationResult Evaluate()
    {
        string folder = Path.Combine(ReferenceData.RepositoryRoot, "samples", "coco-val2014-100");
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(Path.Combine(folder, "instances_val2014_100.json"), builder);
        CocoJson.ReadDetections(Path.Combine(folder, "fakebbox100_results.json"), builder);
        return Evaluations.Of(builder.Build());
    }

    [Fact]
    public void The_area_under_the_drawn_envelope_is_the_all_point_ap_of_every_class()
    {
        foreach (VocClassResult c in Sample().Voc!.PerClass.Where(c => c.ApAll is not null))
        {
            CurvePoints envelope = PrecisionEnvelope.Of(c.Curve.Recall, c.Curve.Precision);
            double area = 0;
            for (int i = 0; i + 1 < envelope.Recall.Count; i += 2) area += (envelope.Recall[i + 1] - envelope.Recall[i]) * envelope.Precision[i + 1];
            Assert.Equal(c.ApAll!.Value, area, 1e-12);
        }
    }

    [Fact]
    public void The_mean_of_the_drawn_mask_and_keypoint_curves_is_their_ap50_ap75_and_ap()
    {
        // Each curve is, per recall point, the mean precision over classes; the AP is the mean of those points
        // (every class with ground truth has all 101 entries), so the curve's mean is pycocotools' AP.
        EvaluationResult segm = Evaluations.Of(GoldenParityTests.LoadCase("protocols/coco_val2014_100_segm"), new EvaluationOptions { IouTypes = [IouType.Segm] });
        EvaluationResult keypoints = Evaluations.Of(GoldenParityTests.LoadCase("protocols/fce_keypoints"), new EvaluationOptions { IouTypes = [IouType.Keypoints] });
        foreach ((double? expected, CurvePoints? curve) in new[]
        {
            (segm.CocoSegm!.Summary.Ap50, CocoCurves.MeanPrecision(segm.CocoSegm, CocoCurves.Iou50)),
            (segm.CocoSegm.Summary.Ap75, CocoCurves.MeanPrecision(segm.CocoSegm, CocoCurves.Iou75)),
            (segm.CocoSegm.Summary.Ap, CocoCurves.MeanPrecision(segm.CocoSegm, null)),
            (keypoints.CocoKeypoints!.Summary.Ap50, CocoCurves.MeanPrecision(keypoints.CocoKeypoints, CocoCurves.Iou50)),
            (keypoints.CocoKeypoints.Summary.Ap75, CocoCurves.MeanPrecision(keypoints.CocoKeypoints, CocoCurves.Iou75)),
            (keypoints.CocoKeypoints.Summary.Ap, CocoCurves.MeanPrecision(keypoints.CocoKeypoints, null)),
        })
        {
            Assert.NotNull(curve);
            Assert.Equal(101, curve.Precision.Count);
            Assert.Equal(expected!.Value, curve.Precision.Average(), 1e-12);
        }
    }

    [Fact]
    public void An_empty_curve_has_a_flat_zero_envelope()
    {
        CurvePoints envelope = PrecisionEnvelope.Of([], []);

        Assert.Equal([0.0, 1.0], envelope.Recall);
        Assert.Equal([0.0, 0.0], envelope.Precision);
    }

    [Fact]
    public void The_mean_coco_curves_average_to_ap50_ap75_and_ap()
    {
        CocoResult coco = Sample().Coco!;

        Assert.Equal(coco.Summary.Ap50!.Value, CocoCurves.MeanPrecision(coco, CocoCurves.Iou50)!.Precision.Average(), 1e-12);
        Assert.Equal(coco.Summary.Ap75!.Value, CocoCurves.MeanPrecision(coco, CocoCurves.Iou75)!.Precision.Average(), 1e-12);
        Assert.Equal(coco.Summary.Ap!.Value, CocoCurves.MeanPrecision(coco, null)!.Precision.Average(), 1e-12);
        Assert.Equal(CocoTables.RecallThresholds, CocoCurves.MeanPrecision(coco, null)!.Recall);
    }
}
