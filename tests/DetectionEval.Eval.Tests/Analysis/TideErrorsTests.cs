using DetectionEval.Eval.Analysis;
using DetectionEval.Matching.Tide;
using DetectionEval.Eval.Data;
using DetectionEval.Matching;

namespace DetectionEval.Eval.Tests.Analysis;

/// <summary>One hand-built image per TIDE error type: each produces exactly that type, that many times.</summary>
public sealed class TideErrorsTests
{
    private const int Person = 0, Dog = 1;

    /// <summary>The object every case is built around.</summary>
    private static readonly Box Object = new(0, 0, 10, 10);

    /// <summary>IoU 50 / 150 = 1/3 with <see cref="Object"/>: between TIDE's 0.1 and 0.5.</summary>
    private static readonly Box HalfOff = new(5, 0, 10, 10);

    /// <summary>IoU 90 / 110 = 0.818 with <see cref="Object"/>.</summary>
    private static readonly Box SlightlyOff = new(1, 0, 10, 10);

    private static readonly Box FarAway = new(100, 100, 10, 10);

    private sealed record Gt(int Class, Box Box, GroundTruthFlags Flags = GroundTruthFlags.None);

    private sealed record Dt(int Class, Box Box, double Score);

    private static Dataset Image(Gt[] groundTruth, Dt[] detections, int images = 1)
    {
        var builder = new DatasetBuilder();
        builder.TryAddCategory(new Category(1, "person"), out _);
        builder.TryAddCategory(new Category(2, "dog"), out _);
        long id = 1;
        for (int i = 0; i < images; i++)
        {
            builder.TryAddImage(new ImageInfo(i + 1), out int image);
            foreach (Gt g in groundTruth) builder.AddGroundTruth(image, g.Class, g.Box, g.Box.Area, g.Flags, id++);
            foreach (Dt d in detections) builder.AddDetection(image, d.Class, d.Box, d.Score);
        }
        return builder.Build();
    }

    private static Dictionary<TideErrorType, int> Counts(TideResult result) => result.Errors.ToDictionary(e => e.Type, e => e.Count);

    private static void AssertOnly(TideResult result, TideErrorType type, int count)
    {
        foreach ((TideErrorType t, int n) in Counts(result)) Assert.True(n == (t == type ? count : 0), $"{t}: expected {(t == type ? count : 0)}, got {n}");
    }

    [Fact]
    public void A_detection_of_the_right_class_a_third_on_its_object_is_a_localisation_error_and_the_object_is_not_missed()
    {
        TideResult result = TideAnalysis.Compute(Image([new(Person, Object)], [new(Person, HalfOff, 0.9)]));

        AssertOnly(result, TideErrorType.Localization, 1);
    }

    [Fact]
    public void A_detection_of_the_wrong_class_right_on_an_object_is_a_classification_error_and_the_object_is_not_missed()
    {
        TideResult result = TideAnalysis.Compute(Image([new(Person, Object)], [new(Dog, Object, 0.9)]));

        AssertOnly(result, TideErrorType.Classification, 1);
    }

    [Fact]
    public void A_detection_of_the_wrong_class_a_third_on_an_object_is_both()
    {
        // The person is found, so nothing is missed; the dog detection overlaps it by 1/3.
        TideResult result = TideAnalysis.Compute(Image([new(Person, Object)], [new(Person, Object, 0.95), new(Dog, HalfOff, 0.9)]));

        AssertOnly(result, TideErrorType.Both, 1);
    }

    [Fact]
    public void Two_more_detections_on_an_object_already_found_are_two_duplicates()
    {
        TideResult result = TideAnalysis.Compute(Image(
            [new(Person, Object)],
            [new(Person, Object, 0.95), new(Person, SlightlyOff, 0.9), new(Person, SlightlyOff, 0.8)]));

        AssertOnly(result, TideErrorType.Duplicate, 2);
    }

    [Fact]
    public void Detections_far_from_every_object_and_on_an_image_without_objects_are_background_errors()
    {
        var builder = new DatasetBuilder();
        builder.TryAddCategory(new Category(1, "person"), out _);
        builder.TryAddImage(new ImageInfo(1), out int withObject);
        builder.TryAddImage(new ImageInfo(2), out int empty);
        builder.AddGroundTruth(withObject, Person, Object, Object.Area, GroundTruthFlags.None, 1);
        builder.AddDetection(withObject, Person, Object, 0.95);
        builder.AddDetection(withObject, Person, FarAway, 0.9);
        builder.AddDetection(empty, Person, Object, 0.8);

        AssertOnly(TideAnalysis.Compute(builder.Build()), TideErrorType.Background, 2);
    }

    [Fact]
    public void Objects_no_detection_found_or_nearly_found_are_missed_on_every_image()
    {
        TideResult result = TideAnalysis.Compute(Image([new(Person, Object), new(Dog, FarAway)], [new(Person, Object, 0.9)], images: 3));

        AssertOnly(result, TideErrorType.Missed, 3);
    }

    [Fact]
    public void A_detection_inside_a_crowd_region_of_its_class_is_no_error_and_the_region_is_never_missed()
    {
        TideResult result = TideAnalysis.Compute(Image(
            [new(Person, Object), new(Person, new Box(50, 50, 40, 40), GroundTruthFlags.Crowd), new(Dog, FarAway, GroundTruthFlags.Difficult)],
            [new(Person, Object, 0.95), new(Person, new Box(55, 55, 10, 10), 0.9)]));

        Assert.All(result.Errors, e => Assert.Equal(0, e.Count));
        Assert.Equal(100, result.Ap);
    }

    [Fact]
    public void Only_the_first_hundred_detections_of_an_image_count_whatever_their_class()
    {
        Dt[] detections = [.. Enumerable.Range(0, 150).Select(i => new Dt(i % 2, new Box(1000 + 20 * i, 0, 10, 10), 1.0 - i / 1000.0))];

        TideResult result = TideAnalysis.Compute(Image([], detections));

        AssertOnly(result, TideErrorType.Background, 100);
    }

    [Fact]
    public void Fixing_a_localisation_error_makes_it_the_true_positive_of_its_object()
    {
        // Person A found at 0.9; person B only by a detection a third on it (0.8); person C missed.
        Box b = new(100, 0, 10, 10), c = new(200, 0, 10, 10);
        TideResult result = TideAnalysis.Compute(Image(
            [new(Person, Object), new(Person, b), new(Person, c)],
            [new(Person, Object, 0.9), new(Person, b with { X = 105 }, 0.8)]));

        // Run: TP, FP against 3 positives: precision 1 up to recall 1/3, so bars 0..33 (34 of 101) are 1.
        Assert.Equal(34.0 / 101 * 100, result.Ap);
        // Loc fixed: TP, TP: precision 1 up to recall 2/3, bars 0..66 (67 bars).
        TideErrorSummary loc = result.Errors.Single(e => e.Type == TideErrorType.Localization);
        Assert.Equal(1, loc.Count);
        Assert.Equal(67.0 / 101 * 100 - 34.0 / 101 * 100, loc.DeltaAp);
        // Miss fixed: C leaves the positives, so recall reaches 1/2 at the TP: bars 0..50 (51 bars).
        TideErrorSummary miss = result.Errors.Single(e => e.Type == TideErrorType.Missed);
        Assert.Equal(1, miss.Count);
        Assert.Equal(51.0 / 101 * 100 - 34.0 / 101 * 100, miss.DeltaAp);
        // Errors of other types change nothing.
        Assert.All(result.Errors.Where(e => e.Type is not (TideErrorType.Localization or TideErrorType.Missed)), e => Assert.Equal(0, e.DeltaAp));
        // FalsePos: the FP is scored 0, behind the TP: the run's curve, so no gain. FalseNeg: B and C leave the positives.
        Assert.Equal(0, result.FalsePositiveDeltaAp);
        Assert.Equal(100 - 34.0 / 101 * 100, result.FalseNegativeDeltaAp);
    }

    [Fact]
    public void Fixing_a_classification_error_scores_it_as_the_objects_class_and_sizes_follow_the_object()
    {
        // A dog detection right on a person (area 100: small) and nothing else.
        TideResult result = TideAnalysis.Compute(Image([new(Person, Object)], [new(Dog, Object, 0.9)]));

        // Run: person AP 0 (no TP), dog AP 0 (no positives): mean 0. Fixed: person AP 100, dog has no point left: mean 100.
        Assert.Equal(0, result.Ap);
        TideErrorSummary cls = result.Errors.Single(e => e.Type == TideErrorType.Classification);
        Assert.Equal(100, cls.DeltaAp);
        Assert.Equal([1, 0, 0], cls.BySize.Select(s => s.Count));
        Assert.Equal([100.0, 0, 0], cls.BySize.Select(s => s.DeltaAp!.Value));
    }

    [Fact]
    public void Of_two_errors_pointing_at_one_object_only_the_higher_scored_becomes_a_true_positive()
    {
        // Two detections a third on one person: both Loc; fixing gives one TP (0.9) and removes the other.
        TideResult result = TideAnalysis.Compute(Image([new(Person, Object)], [new(Person, HalfOff, 0.9), new(Person, HalfOff with { Y = 1 }, 0.8)]));

        TideErrorSummary loc = result.Errors.Single(e => e.Type == TideErrorType.Localization);
        Assert.Equal(2, loc.Count);
        Assert.Equal(0, result.Ap);
        Assert.Equal(100, loc.DeltaAp);
    }

    [Fact]
    public void Without_any_data_there_is_no_ap()
    {
        TideResult result = TideAnalysis.Compute(Image([], []));

        Assert.Null(result.Ap);
        Assert.All(result.Errors, e => Assert.Null(e.DeltaAp));
    }

    [Theory]
    [InlineData(1024.0, ObjectSize.Small)]
    [InlineData(1024.0000000000002, ObjectSize.Medium)]
    [InlineData(9216.0, ObjectSize.Medium)]
    [InlineData(9216.000000000002, ObjectSize.Large)]
    public void Size_ranges_are_tides_small_up_to_32_squared_and_medium_up_to_96_squared(double area, ObjectSize size)
    {
        Assert.Equal(size, TideResult.SizeOf(area));
    }
}
