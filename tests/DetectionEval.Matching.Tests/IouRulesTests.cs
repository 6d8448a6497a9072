using DetectionEval.Matching;

namespace DetectionEval.Matching.Tests;

public sealed class IouRulesTests
{
    private static readonly Box GroundTruth = Box.FromCorners(214, 41, 562, 285);
    private static readonly Box Prediction = Box.FromCorners(258, 41, 606, 285);

    [Fact]
    public void Coco_iou_of_the_shifted_box_is_304_over_392()
    {
        // Overlap 304 x 244; union (348 + 348 - 304) x 244.
        Assert.Equal(304.0 * 244 / (392.0 * 244), IouRules.Coco(Prediction, GroundTruth, groundTruthIsCrowd: false));
    }

    [Fact]
    public void Crowd_iou_divides_the_intersection_by_the_detection_area_alone()
    {
        var crowd = new Box(0, 0, 100, 100);
        var inside = new Box(10, 10, 20, 20);
        var halfOutside = new Box(90, 0, 20, 10);
        Assert.Equal(1.0, IouRules.Coco(inside, crowd, groundTruthIsCrowd: true));
        Assert.Equal(0.5, IouRules.Coco(halfOutside, crowd, groundTruthIsCrowd: true));
        Assert.Equal(400.0 / 10000.0, IouRules.Coco(inside, crowd, groundTruthIsCrowd: false));
    }

    [Fact]
    public void Touching_boxes_do_not_overlap_in_continuous_coordinates()
    {
        var left = new Box(0, 0, 10, 10);
        var right = new Box(10, 0, 10, 10);
        Assert.Equal(0.0, IouRules.Coco(left, right, false));
        Assert.Equal(0.0, IouRules.Voc(left, right, pixelOffset: 0));
    }

    [Fact]
    public void Touching_boxes_share_one_pixel_column_under_the_plus_one_convention()
    {
        var left = Box.FromCorners(0, 0, 9, 9);
        var right = Box.FromCorners(9, 0, 18, 9);
        // 1 x 10 shared pixels out of 100 + 100 - 10.
        Assert.Equal(10.0 / 190.0, IouRules.Voc(left, right, pixelOffset: 1));
    }

    [Fact]
    public void Half_height_box_has_iou_exactly_one_half_without_plus_one()
    {
        Assert.Equal(0.5, IouRules.Voc(new Box(0, 0, 10, 5), new Box(0, 0, 10, 10), pixelOffset: 0));
        Assert.Equal(0.5, IouRules.Coco(new Box(0, 0, 10, 5), new Box(0, 0, 10, 10), false));
    }

    [Fact]
    public void Half_height_box_has_iou_exactly_one_half_with_plus_one()
    {
        // [0, 0, 9, 9] covers 100 pixels, [0, 0, 9, 4] covers 50.
        Assert.Equal(0.5, IouRules.Voc(Box.FromCorners(0, 0, 9, 4), Box.FromCorners(0, 0, 9, 9), pixelOffset: 1));
    }

    [Fact]
    public void Two_zero_area_boxes_have_iou_zero_under_the_voc_rule()
    {
        var point = new Box(5, 5, 0, 0);
        Assert.Equal(0.0, IouRules.Voc(point, point, pixelOffset: 0));
    }

    [Fact]
    public void Coco_rule_uses_the_given_size_while_voc_measures_it_back_from_the_corners()
    {
        // 0.1 + 0.2 = 0.30000000000000004, so the width measured back from the corners is
        // 0.20000000000000004, not 0.2. pycocotools mixes both (intersection from corners, union from
        // the given size) and so gives a box a self-IoU one ulp above 1; voc_eval uses corners throughout.
        var box = new Box(0.1, 0, 0.2, 1);
        Assert.Equal(0.20000000000000004, box.X2 - box.X);
        Assert.Equal(1.0000000000000002, IouRules.Coco(box, box, false));
        Assert.Equal(1.0, IouRules.Voc(box, box, 0));
    }

    [Fact]
    public void Both_rules_give_the_bits_of_the_readmes_formulas_on_random_boxes()
    {
        // Boxes off any grid, so that each sum and product rounds and only the README's order of operations
        // (tests/Shared/ReferenceRules.cs, sections 5 and 6) gives its bits; every fourth pair overlaps a lot.
        var random = new Random(17);
        int overlapping = 0;
        for (int n = 0; n < 20_000; n++)
        {
            var d = new ReferenceRules.Xywh(random.NextDouble() * 50, random.NextDouble() * 50, random.NextDouble() * 40, random.NextDouble() * 40);
            ReferenceRules.Xywh g = n % 4 == 0
                ? d with { X = d.X + random.NextDouble(), W = d.W * (0.5 + random.NextDouble() / 2) }
                : new(random.NextDouble() * 50, random.NextDouble() * 50, random.NextDouble() * 40, random.NextDouble() * 40);
            Box detection = new(d.X, d.Y, d.W, d.H), groundTruth = new(g.X, g.Y, g.W, g.H);
            foreach (bool crowd in new[] { false, true }) AssertSameBits(ReferenceRules.CocoIou(d, g, crowd), IouRules.Coco(detection, groundTruth, crowd), $"COCO pair {n}, crowd {crowd}");
            AssertSameBits(ReferenceRules.VocIou(d, g, plusOne: false), IouRules.Voc(detection, groundTruth, 0), $"VOC pair {n}");
            AssertSameBits(ReferenceRules.VocIou(d, g, plusOne: true), IouRules.Voc(detection, groundTruth, 1), $"VOC +1 pair {n}");
            overlapping += ReferenceRules.CocoIou(d, g, false) > 0.3 ? 1 : 0;
        }
        Assert.True(overlapping > 3000, $"only {overlapping} pairs overlap");
    }

    private static void AssertSameBits(double expected, double actual, string where) =>
        Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"{where}: {actual:R}, the README's formula gives {expected:R}");
}
