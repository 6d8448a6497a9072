using DetectionEval.Matching.Masks;

namespace DetectionEval.Matching.Tests.Masks;

// Masks here are small enough to check by hand. Layout reminder: column-major, pixel (x, y) has index
// x * h + y, runs of 0s first. Where a comment says "pycocotools gives", the value was checked against
// pycocotools 2.0 (cocoapi @ 8c9bcc3) built from source.
public sealed class RunLengthMaskTests
{
    /// <summary>A 4 × 4 mask from the indices of its set pixels.</summary>
    private static RunLengthMask FromPixels(int h, int w, params int[] indices)
    {
        byte[] bitmap = new byte[h * w];
        foreach (int i in indices) bitmap[i] = 1;
        return MaskRules.Encode(bitmap, h, w);
    }

    [Fact]
    public void Encoding_starts_with_an_empty_run_of_zeros_when_the_first_pixel_is_set()
    {
        // Pixels (0,0), (0,1), (1,0), (1,1) of a 4 x 4 image: indices 0, 1, 4, 5.
        RunLengthMask mask = FromPixels(4, 4, 0, 1, 4, 5);
        Assert.Equal([0u, 2, 2, 2, 10], mask.Counts.ToArray());
        Assert.Equal(4, mask.Area);
    }

    [Fact]
    public void Decoding_gives_back_the_bitmap_that_was_encoded()
    {
        byte[] bitmap = [0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1];
        RunLengthMask mask = MaskRules.Encode(bitmap, 3, 4);
        Assert.Equal([1u, 2, 3, 4, 1, 1], mask.Counts.ToArray());
        Assert.Equal(bitmap, MaskRules.Decode(mask));
    }

    [Fact]
    public void Counts_that_do_not_cover_the_image_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new RunLengthMask(4, 4, [3, 2]));
    }

    [Fact]
    public void Iou_counts_pixels_of_the_intersection_over_pixels_of_the_union()
    {
        // a: indices 0, 1, 4, 5; b: indices 5, 6, 9, 10. They share index 5: IoU 1 / 7.
        RunLengthMask a = FromPixels(4, 4, 0, 1, 4, 5);
        RunLengthMask b = FromPixels(4, 4, 5, 6, 9, 10);
        Assert.Equal(1.0 / 7.0, MaskRules.Iou(a, b, groundTruthIsCrowd: false));
        Assert.Equal((1L, 7L), MaskRules.IntersectionAndUnion(a.Counts, b.Counts));
    }

    [Fact]
    public void Crowd_iou_divides_the_intersection_by_the_detection_area_alone()
    {
        RunLengthMask detection = FromPixels(4, 4, 0, 1, 4, 5);
        RunLengthMask crowd = FromPixels(4, 4, 5, 6, 9, 10);
        Assert.Equal(1.0 / 4.0, MaskRules.Iou(detection, crowd, groundTruthIsCrowd: true));
        RunLengthMask inside = FromPixels(4, 4, 5);
        Assert.Equal(1.0, MaskRules.Iou(inside, crowd, groundTruthIsCrowd: true));
    }

    [Fact]
    public void An_empty_mask_overlaps_nothing()
    {
        RunLengthMask empty = RunLengthMask.Empty(4, 4);
        RunLengthMask b = FromPixels(4, 4, 5, 6, 9, 10);
        Assert.Equal(0.0, MaskRules.Iou(empty, b, false));
        Assert.Equal(0.0, MaskRules.Iou(b, empty, true));
        Assert.Equal(0.0, MaskRules.Iou(empty, empty, false));
        Assert.Equal(new Box(0, 0, 0, 0), empty.BoundingBox);
    }

    [Fact]
    public void Masks_of_different_sizes_whose_boxes_overlap_give_minus_one_as_pycocotools_does()
    {
        RunLengthMask small = FromPixels(4, 4, 0, 1, 4, 5);
        RunLengthMask other = new(4, 5, [0, 2, 18]);
        Assert.Equal(-1.0, MaskRules.Iou(other, small, false));
    }

    [Fact]
    public void Union_counts_the_overlap_once()
    {
        RunLengthMask a = FromPixels(4, 4, 0, 1, 4, 5);
        RunLengthMask b = FromPixels(4, 4, 5, 6, 9, 10);
        RunLengthMask union = MaskRules.Union([a, b]);
        Assert.Equal(7, union.Area);
        Assert.Equal([0u, 2, 2, 3, 2, 2, 5], union.Counts.ToArray());
        // pycocotools' merge gives the string 02210O3 for it.
        Assert.Equal("02210O3", CompressedCounts.Encode(union.Counts));
        Assert.Equal(1, MaskRules.Intersection([a, b]).Area);
    }

    [Fact]
    public void The_box_of_a_mask_spans_its_set_pixels()
    {
        RunLengthMask mask = FromPixels(4, 4, 5, 6, 9, 10);
        Assert.Equal(new Box(1, 1, 2, 2), mask.BoundingBox);
    }

    [Fact]
    public void A_run_that_crosses_into_the_next_column_makes_the_box_full_height()
    {
        // Indices 2..5: column 0 rows 2, 3 and column 1 rows 0, 1. The run's ends alone would give rows 1..2.
        var mask = new RunLengthMask(4, 4, [2, 4, 10]);
        Assert.Equal(new Box(0, 0, 2, 4), mask.BoundingBox);
    }

    [Fact]
    public void Compressed_counts_decode_the_reference_example()
    {
        Assert.True(CompressedCounts.TryDecode("52S30001O00aX9", out uint[] counts, out _));
        Assert.Equal([5u, 2, 99, 2, 99, 2, 100, 1, 100, 1, 9589], counts);
        Assert.Equal("52S30001O00aX9", CompressedCounts.Encode(counts));
    }

    [Fact]
    public void Compressed_counts_store_differences_that_may_be_negative()
    {
        // From the fourth count on, the difference to the count two before: 2 - 10 = -8 needs the sign bit.
        uint[] counts = [3, 10, 2, 1, 4];
        string text = CompressedCounts.Encode(counts);
        Assert.Equal("3:2G2", text); // pycocotools gives 3:2G2
        Assert.True(CompressedCounts.TryDecode(text, out uint[] back, out _));
        Assert.Equal(counts, back);
    }

    [Theory]
    [InlineData("5 2", "the character ' ' at position 1")]
    [InlineData("5W", "a count cut short")]
    [InlineData("0N", "decoding to -2")]
    public void Malformed_compressed_counts_say_what_is_wrong(string text, string expected)
    {
        Assert.False(CompressedCounts.TryDecode(text, out _, out string? problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mask_kept_compressed_has_the_runs_area_and_box_of_its_decoded_counts()
    {
        // The reference example is a 100 x 100 mask (its counts sum to 10,000).
        Assert.True(RunLengthMask.TryFromCompressed(100, 100, "52S30001O00aX9"u8, out RunLengthMask? kept, out _));
        var decoded = new RunLengthMask(100, 100, [5u, 2, 99, 2, 99, 2, 100, 1, 100, 1, 9589]);
        Assert.True(kept.IsCompressed);
        Assert.False(decoded.IsCompressed);
        Assert.Equal(decoded.Counts.ToArray(), kept.Counts.ToArray());
        Assert.Equal(11, kept.RunCount);
        Assert.Equal(8, kept.Area);
        Assert.Equal(decoded.Area, kept.Area);
        Assert.Equal(decoded.BoundingBox, kept.BoundingBox);
    }

    [Theory]
    [InlineData(100, 99, "run lengths that sum to 10000, not to height * width = 9900")]
    [InlineData(100, 100, "the character ' ' at position 1")]
    public void A_compressed_string_that_is_not_a_mask_of_its_size_is_refused_with_the_reason(int height, int width, string expected)
    {
        string text = expected.StartsWith("the character", StringComparison.Ordinal) ? "5 2" : "52S30001O00aX9";
        Assert.False(RunLengthMask.TryFromCompressed(height, width, System.Text.Encoding.ASCII.GetBytes(text), out RunLengthMask? mask, out string? problem));
        Assert.Null(mask);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Iou_of_a_detection_kept_compressed_equals_iou_of_its_decoded_counts()
    {
        // Detection: columns 2 and 3 of a 4 x 4 image; ground truths: column 3, and columns 0 to 3 (crowd).
        RunLengthMask decoded = FromPixels(4, 4, 8, 9, 10, 11, 12, 13, 14, 15);
        Assert.True(RunLengthMask.TryFromCompressed(4, 4, System.Text.Encoding.ASCII.GetBytes(CompressedCounts.Encode(decoded.Counts)), out RunLengthMask? kept, out _));
        RunLengthMask column = FromPixels(4, 4, 12, 13, 14, 15), all = FromPixels(4, 4, [.. Enumerable.Range(0, 16)]);
        var cache = new DecodedCounts();
        Assert.Equal(0.5, MaskRules.Iou(kept, column, false, cache));
        Assert.Equal(1.0, MaskRules.Iou(kept, all, true, cache));
        Assert.Equal(MaskRules.Iou(decoded, column, false), MaskRules.Iou(kept, column, false));
        // The cache serves the next detection its own runs, not the last one's.
        Assert.Equal(1.0, MaskRules.Iou(column, column, false, cache));
    }

    [Fact]
    public void The_intersection_of_two_run_lists_counts_the_pixels_both_bitmaps_set()
    {
        // Random bitmaps with long and short runs, pixel 0 set or not, and empty masks among them.
        var random = new Random(20261202);
        for (int trial = 0; trial < 300; trial++)
        {
            int h = random.Next(1, 9), w = random.Next(1, 9);
            byte[] first = Bitmap(random, h * w, trial % 7 == 0 ? 0 : random.NextDouble());
            byte[] second = Bitmap(random, h * w, trial % 11 == 0 ? 0 : random.NextDouble());
            int both = 0, either = 0;
            for (int i = 0; i < h * w; i++)
            {
                both += first[i] & second[i];
                either += first[i] | second[i];
            }
            RunLengthMask a = MaskRules.Encode(first, h, w), b = MaskRules.Encode(second, h, w);
            Assert.Equal(both, MaskRules.Intersection(a.Counts, b.Counts));
            Assert.Equal((both, either), MaskRules.IntersectionAndUnion(a.Counts, b.Counts));
            double expected = both == 0 ? 0 : (double)both / either;
            if (IouRules.Coco(a.BoundingBox, b.BoundingBox, false) > 0) Assert.Equal(expected, MaskRules.Iou(a, b, false));
        }
    }

    private static byte[] Bitmap(Random random, int pixels, double density)
    {
        byte[] bitmap = new byte[pixels];
        for (int i = 0; i < pixels; i++) bitmap[i] = random.NextDouble() < density ? (byte)1 : (byte)0;
        return bitmap;
    }
}
