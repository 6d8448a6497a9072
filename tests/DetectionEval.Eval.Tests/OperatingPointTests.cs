using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Tests;

/// <summary>Operating points on cases worked out by hand: F1 = 2·TP / (TP + FP + npos).</summary>
public sealed class OperatingPointTests
{
    private const double Tolerance = 1e-15;
    private static readonly Category Person = new(1, "person");
    private static readonly Category Dog = new(2, "dog");

    /// <summary>Four persons far apart; a detection "on" one is the same box.</summary>
    private static readonly Box[] Persons = [new(0, 0, 10, 10), new(100, 0, 10, 10), new(200, 0, 10, 10), new(300, 0, 10, 10)];

    private static DetectedBox On(int person, double score) => new(1, Persons[person], score);

    private static DetectedBox Nowhere(double score) => new(1, new Box(500 + score * 100, 500, 10, 10), score);

    /// <summary>Scores 0.9 TP, 0.8 FP, 0.7 TP, 0.6 FP, 0.5 FP, 0.4 TP against 4 positives.</summary>
    private static ImageSample PersonImage() => new(
        1,
        [.. Persons.Select(b => new GroundTruthBox(1, b))],
        [On(0, 0.9), Nowhere(0.8), On(1, 0.7), Nowhere(0.6), Nowhere(0.5), On(2, 0.4)]);

    private static EvaluationResult Evaluate(double? threshold, params ImageSample[] images)
    {
        var evaluator = new DetectionEvaluator([Person, Dog], new EvaluationOptions { ScoreThreshold = threshold });
        evaluator.Update(images);
        return evaluator.Compute();
    }

    [Fact]
    public void Best_f1_is_read_where_two_times_tp_over_tp_plus_fp_plus_npos_peaks()
    {
        // Cuts: 0.9 -> 2/5, 0.8 -> 2/6, 0.7 -> 4/7, 0.6 -> 4/8, 0.5 -> 4/9, 0.4 -> 6/10 (best).
        ClassOperatingPoints person = Evaluate(null, PersonImage()).OperatingPoints!.PerClass[0];

        OperatingPoint best = person.BestF1!;
        Assert.Equal(0.4, best.Confidence);
        Assert.Equal(0.6, best.F1, Tolerance);
        Assert.Equal(0.5, best.Precision, Tolerance);
        Assert.Equal(0.75, best.Recall, Tolerance);
        Assert.Equal(3, best.TruePositives);
        Assert.Equal(3, best.FalsePositives);
        Assert.Equal(1, best.FalseNegatives);
        Assert.Equal([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], person.Curve.Confidence);
        Assert.Equal([2 / 5.0, 2 / 6.0, 4 / 7.0, 4 / 8.0, 4 / 9.0, 6 / 10.0], person.Curve.F1);
        Assert.Equal([1.0, 0.5, 2 / 3.0, 0.5, 0.4, 0.5], person.Curve.Precision);
        Assert.Equal([0.25, 0.25, 0.5, 0.5, 0.5, 0.75], person.Curve.Recall);
    }

    [Fact]
    public void A_score_threshold_keeps_the_detections_at_or_above_it()
    {
        OperatingPoints points = Evaluate(0.7, PersonImage()).OperatingPoints!;

        OperatingPoint at = points.PerClass[0].AtThreshold!;
        Assert.Equal(0.7, at.Confidence);
        Assert.Equal(2, at.TruePositives);
        Assert.Equal(1, at.FalsePositives);
        Assert.Equal(2 / 3.0, at.Precision, Tolerance);
        Assert.Equal(0.5, at.Recall, Tolerance);
        Assert.Equal(4 / 7.0, at.F1, Tolerance);
        Assert.Equal(0.7, points.ScoreThreshold);
    }

    [Fact]
    public void A_threshold_above_every_score_keeps_nothing_and_scores_zero()
    {
        OperatingPoint at = Evaluate(0.95, PersonImage()).OperatingPoints!.PerClass[0].AtThreshold!;

        Assert.Equal(0, at.TruePositives);
        Assert.Equal(0, at.FalsePositives);
        Assert.Equal(0, at.Precision);
        Assert.Equal(0, at.Recall);
        Assert.Equal(0, at.F1);
    }

    [Fact]
    public void Equal_scores_are_one_cut_and_are_never_split()
    {
        // A TP and an FP both at 0.8: the only cut keeps both, F1 = 2·1 / (1 + 1 + 1) = 2/3 with npos 1.
        var image = new ImageSample(
            1,
            [new GroundTruthBox(1, Persons[0])],
            [Nowhere(0.8), On(0, 0.8)]);

        ClassOperatingPoints person = Evaluate(null, image).OperatingPoints!.PerClass[0];

        Assert.Equal([0.8], person.Curve.Confidence);
        Assert.Equal(2 / 3.0, person.BestF1!.F1, Tolerance);
        Assert.Equal(0.5, person.BestF1.Precision, Tolerance);
    }

    [Fact]
    public void Among_equal_f1_the_highest_confidence_wins()
    {
        // npos 2; 0.9 TP -> 2/(1+0+2) = 2/3, 0.8 FP -> 2/4, 0.75 FP -> 2/5, 0.7 TP -> 4/(2+2+2) = 2/3 again.
        var image = new ImageSample(
            1,
            [new GroundTruthBox(1, Persons[0]), new GroundTruthBox(1, Persons[1])],
            [On(0, 0.9), Nowhere(0.8), Nowhere(0.75), On(1, 0.7)]);

        ClassOperatingPoints person = Evaluate(null, image).OperatingPoints!.PerClass[0];

        Assert.Equal(person.Curve.F1[0], person.Curve.F1[3]);
        Assert.Equal(0.9, person.BestF1!.Confidence);
        Assert.Equal(2 / 3.0, person.BestF1.F1, Tolerance);
    }

    [Fact]
    public void All_classes_pooled_add_up_the_counts_of_every_class()
    {
        // Person as above (npos 4) plus one dog found at 0.45 (npos 1). Pooled order:
        // 0.9 T, 0.8 F, 0.7 T, 0.6 F, 0.5 F, 0.45 T, 0.4 T; npos 5.
        // F1: 2/6, 2/7, 4/8, 4/9, 4/10, 6/11, 8/12 (best at 0.4: precision 4/7, recall 4/5).
        var dog = new ImageSample(2, [new GroundTruthBox(2, new Box(0, 0, 50, 50))], [new DetectedBox(2, new Box(0, 0, 50, 50), 0.45)]);

        OperatingPoints points = Evaluate(0.5, PersonImage(), dog).OperatingPoints!;

        Assert.Equal(0.4, points.BestF1!.Confidence);
        Assert.Equal(8 / 12.0, points.BestF1.F1, Tolerance);
        Assert.Equal(4 / 7.0, points.BestF1.Precision, Tolerance);
        Assert.Equal(4 / 5.0, points.BestF1.Recall, Tolerance);
        Assert.Equal(5, points.BestF1.Positives);
        // At 0.5: TP 2, FP 3, npos 5 -> 4/10.
        Assert.Equal(4 / 10.0, points.AtThreshold!.F1, Tolerance);
        Assert.Equal(0.45, points.PerClass[1].BestF1!.Confidence);
        Assert.Equal(1.0, points.PerClass[1].BestF1!.F1, Tolerance);
    }

    [Fact]
    public void A_class_without_positives_has_no_operating_point_but_its_detections_count_as_false_positives_when_pooled()
    {
        var strayDog = new ImageSample(2, [], [new DetectedBox(2, new Box(0, 0, 5, 5), 0.95)]);

        OperatingPoints points = Evaluate(null, PersonImage(), strayDog).OperatingPoints!;

        Assert.Null(points.PerClass[1].BestF1);
        Assert.Empty(points.PerClass[1].Curve.Confidence);
        Assert.Equal(0.95, points.Curve.Confidence[0]);
        Assert.Equal(0, points.Curve.F1[0]);
        Assert.Equal(6 / 11.0, points.BestF1!.F1, Tolerance);
    }

    [Fact]
    public void Without_the_voc_family_there_are_no_operating_points()
    {
        var evaluator = new DetectionEvaluator([Person], new EvaluationOptions { Metrics = MetricSet.Coco });
        evaluator.Update(PersonImage());

        Assert.Null(evaluator.Compute().OperatingPoints);
    }

    [Theory]
    [MemberData(nameof(GoldenParityTests.Cases), MemberType = typeof(GoldenParityTests))]
    public void Pooling_classes_through_the_heap_gives_the_points_and_curves_of_sorting_every_detection(string caseName)
    {
        VocResult voc = VocAccumulation.Evaluate(GoldenParityTests.LoadCase(caseName), new EvaluationOptions());
        foreach (double? threshold in new double?[] { null, 0.0, 0.5, 0.99 })
        {
            OperatingPoints sorted = OperatingPointAnalysis.BySorting(voc, threshold), heap = OperatingPointAnalysis.Compute(voc, threshold);
            Assert.Equal((sorted.ScoreThreshold, sorted.BestF1, sorted.AtThreshold), (heap.ScoreThreshold, heap.BestF1, heap.AtThreshold));
            AssertSameCurve(sorted.Curve, heap.Curve);
            Assert.Equal(sorted.PerClass.Select(c => (c.Category, c.BestF1, c.AtThreshold)), heap.PerClass.Select(c => (c.Category, c.BestF1, c.AtThreshold)));
            foreach ((ClassOperatingPoints s, ClassOperatingPoints h) in sorted.PerClass.Zip(heap.PerClass)) AssertSameCurve(s.Curve, h.Curve);
        }
    }

    [Theory]
    [MemberData(nameof(GoldenParityTests.Cases), MemberType = typeof(GoldenParityTests))]
    public void Without_confidence_curves_every_point_is_the_same(string caseName)
    {
        VocResult voc = VocAccumulation.Evaluate(GoldenParityTests.LoadCase(caseName), new EvaluationOptions());
        foreach (double? threshold in new double?[] { null, 0.0, 0.5, 0.99 })
        {
            OperatingPoints full = OperatingPointAnalysis.BySorting(voc, threshold), lean = OperatingPointAnalysis.Compute(voc, threshold, confidenceCurves: false);
            Assert.Equal((full.ScoreThreshold, full.BestF1, full.AtThreshold), (lean.ScoreThreshold, lean.BestF1, lean.AtThreshold));
            Assert.Equal(full.PerClass.Select(c => (c.Category, c.BestF1, c.AtThreshold)), lean.PerClass.Select(c => (c.Category, c.BestF1, c.AtThreshold)));
            Assert.Empty(lean.Curve.Confidence);
            Assert.All(lean.PerClass, c => Assert.Empty(c.Curve.Confidence));
        }
    }

    /// <summary>The same values bit for bit (a confidence of -0.0 is not 0.0 here).</summary>
    private static void AssertSameCurve(ConfidenceCurve expected, ConfidenceCurve actual)
    {
        foreach ((IReadOnlyList<double> e, IReadOnlyList<double> a) in new[] { (expected.Confidence, actual.Confidence), (expected.Precision, actual.Precision), (expected.Recall, actual.Recall), (expected.F1, actual.F1) })
        {
            Assert.Equal(e.Select(BitConverter.DoubleToInt64Bits), a.Select(BitConverter.DoubleToInt64Bits));
        }
    }

    [Fact]
    public void Weighted_curves_keep_the_full_computation()
    {
        VocMatches matches = VocMatchStage.Match(GoldenParityTests.LoadCase("cases/c02_basic"), new EvaluationOptions());
        int images = matches.Dataset.Images.Count;
        VocResult weighted = VocAccumulation.Accumulate(matches, new EvaluationOptions(), [.. Enumerable.Repeat(2, images)]);
        OperatingPoints full = OperatingPointAnalysis.Compute(weighted, 0.5), lean = OperatingPointAnalysis.Compute(weighted, 0.5, confidenceCurves: false);
        Assert.Equal((full.BestF1, full.AtThreshold), (lean.BestF1, lean.AtThreshold));
        Assert.NotEmpty(lean.Curve.Confidence);
    }
}
