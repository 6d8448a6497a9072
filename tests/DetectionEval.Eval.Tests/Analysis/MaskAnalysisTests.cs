using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Matching;
using DetectionEval.Matching.Tide;

namespace DetectionEval.Eval.Tests.Analysis;

/// <summary>
/// The error analysis on masks (TIDE's mask mode, the confusion matrix on mask IoU) against the same analysis
/// on boxes, on deval's case <c>tests/data/masks/a1_box_vs_mask</c>, where the two disagree by hand:
/// <list type="bullet">
/// <item>Image 1: a cat whose mask is an L in the box [0, 0, 40, 40] (the left 10 columns and the bottom 10
/// rows); a cat detection (0.9) whose box [11, 0, 29, 29] has IoU 841 / 1600 = 0.526 with the object's box,
/// but whose mask is the square of that box, disjoint from the L: mask IoU 0.</item>
/// <item>Image 2: a dog with the same L; a cat detection (0.8) whose mask is that very L (mask IoU 1) but whose
/// box [60, 60, 30, 30] lies far from the dog's (box IoU 0).</item>
/// </list>
/// Boxes: image 1 a true positive; image 2 a detection on background and a missed dog. Masks: image 1 a
/// detection on background and a missed cat; image 2 the dog detected as a cat (a classification error).
/// </summary>
public sealed class MaskAnalysisTests
{
    private const int Cat = 0, Dog = 1;

    private static EvaluationRun Run(IouType overlap)
    {
        var builder = new DatasetBuilder();
        string folder = Path.Combine(ReferenceData.RepositoryRoot, "tests", "data", "masks", "a1_box_vs_mask");
        CocoJson.ReadGroundTruth(Path.Combine(folder, "gt.json"), builder);
        CocoJson.ReadDetections(Path.Combine(folder, "dt.json"), builder);
        // A fixed confidence, so that both detections are in the confusion matrix whatever the best F1.
        var options = new EvaluationOptions { IouTypes = [IouType.Bbox, IouType.Segm], ScoreThreshold = 0.5 };
        return Evaluations.Run(builder.Build(), options, keepMatches: false, analysis: new AnalysisRequest { Overlap = overlap });
    }

    private static Dictionary<TideErrorType, int> Counts(TideResult result) => result.Errors.ToDictionary(e => e.Type, e => e.Count);

    [Fact]
    public void The_two_cases_score_as_drawn_box_ap50_one_half_and_mask_ap_zero()
    {
        EvaluationResult result = Run(IouType.Bbox).Result;
        // Boxes: the cat is found (AP50 1), the dog is not (AP50 0); masks: neither.
        // pycocotools' precision is tp / (tp + fp + eps): 1 - 1e-16, not 1.
        Assert.Equal(1.0, result.Coco!.PerClass[Cat].Ap50!.Value, 1e-12);
        Assert.Equal(0.0, result.Coco.PerClass[Dog].Ap50);
        Assert.Equal(0.0, result.CocoSegm!.PerClass[Cat].Ap50);
        Assert.Equal(0.0, result.CocoSegm.PerClass[Dog].Ap50);
    }

    [Fact]
    public void On_boxes_the_cat_is_matched_and_the_far_box_is_background_with_the_dog_missed()
    {
        ErrorAnalysis analysis = Run(IouType.Bbox).Result.Analysis!;
        Assert.Equal(IouType.Bbox, analysis.Overlap);
        ConfusionMatrix m = analysis.Confusion;
        Assert.Equal(1, m[Cat, Cat]);
        Assert.Equal(1, m[m.Background, Cat]);
        Assert.Equal(1, m[Dog, m.Background]);
        Assert.Equal(0, m[Dog, Cat]);
        Assert.Equal(3, m.Cells.Sum());
        Dictionary<TideErrorType, int> errors = Counts(analysis.Tide);
        Assert.Equal(1, errors[TideErrorType.Background]);
        Assert.Equal(1, errors[TideErrorType.Missed]);
        Assert.Equal(0, errors[TideErrorType.Classification]);
        // TIDE AP50: cat 100 (its one TP comes first), dog 0.
        Assert.Equal(50.0, analysis.Tide.Ap!.Value, 1e-9);
    }

    [Fact]
    public void On_masks_the_cat_detection_is_background_the_cat_is_missed_and_the_dog_is_taken_for_a_cat()
    {
        ErrorAnalysis analysis = Run(IouType.Segm).Result.Analysis!;
        Assert.Equal(IouType.Segm, analysis.Overlap);
        ConfusionMatrix m = analysis.Confusion;
        Assert.Equal(0, m[Cat, Cat]);
        Assert.Equal(1, m[Cat, m.Background]);
        Assert.Equal(1, m[m.Background, Cat]);
        Assert.Equal(1, m[Dog, Cat]);
        Assert.Equal(3, m.Cells.Sum());
        Dictionary<TideErrorType, int> errors = Counts(analysis.Tide);
        Assert.Equal(1, errors[TideErrorType.Background]);
        Assert.Equal(1, errors[TideErrorType.Classification]);
        // The dog is the target of the classification error, so only the cat counts as missed.
        Assert.Equal(1, errors[TideErrorType.Missed]);
        Assert.Equal(0.0, analysis.Tide.Ap!.Value, 1e-9);
        // Fixing the classification error makes the dog a TP: dog AP 100, mean 50.
        Assert.Equal(50.0, analysis.Tide.Errors.Single(e => e.Type == TideErrorType.Classification).DeltaAp!.Value, 1e-9);
    }

    [Fact]
    public void Tide_on_given_overlaps_equals_tide_on_boxes_when_the_overlaps_are_box_ious()
    {
        TideBox[] objects = [new(Cat, new Box(0, 0, 10, 10)), new(Dog, new Box(20, 0, 10, 10))];
        TideBox[] regions = [new(Cat, new Box(40, 0, 20, 20))];
        TideBox[] detections = [new(Cat, new Box(1, 0, 10, 10)), new(Cat, new Box(0, 0, 10, 10)), new(Dog, new Box(2, 0, 10, 10)), new(Cat, new Box(42, 2, 5, 5)), new(Dog, new Box(80, 80, 5, 5))];
        var settings = new TideSettings();
        var boxVerdicts = new TideVerdict[detections.Length];
        bool[] boxUsed = new bool[objects.Length];
        TideMatcher.MatchImage(objects, regions, detections, settings, boxVerdicts, boxUsed);

        double[] iou = [.. detections.SelectMany(d => objects.Select(o => IouRules.Coco(d.Box, o.Box, groundTruthIsCrowd: false)))];
        double[] regionIou = [.. detections.SelectMany(d => regions.Select(r => IouRules.Coco(d.Box, r.Box, groundTruthIsCrowd: true)))];
        var verdicts = new TideVerdict[detections.Length];
        bool[] used = new bool[objects.Length];
        TideMatcher.MatchImage(objects, regions, detections, settings, iou, regionIou, verdicts, used);

        Assert.Equal(boxVerdicts, verdicts);
        Assert.Equal(boxUsed, used);
        // The cases cover a match, a duplicate, a classification error, an ignored detection and background.
        Assert.Equal(
            [TideVerdictKind.Matched, TideVerdictKind.Error, TideVerdictKind.Error, TideVerdictKind.Ignored, TideVerdictKind.Error],
            verdicts.Select(v => v.Kind));
        Assert.Equal([TideErrorType.Duplicate, TideErrorType.Classification, TideErrorType.Background], verdicts.Where(v => v.Kind == TideVerdictKind.Error).Select(v => v.Error));
    }
}
