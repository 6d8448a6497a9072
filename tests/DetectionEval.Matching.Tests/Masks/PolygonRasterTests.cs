using DetectionEval.Matching.Masks;

namespace DetectionEval.Matching.Tests.Masks;

// Polygons rasterised by pycocotools' rule (shared/reference/README.md section 11). Each expected mask is
// worked out by hand below; pycocotools gives the same (checked with pycocotools 2.0 built from source).
public sealed class PolygonRasterTests
{
    [Fact]
    public void A_two_pixel_square_covers_the_four_pixels_inside_it()
    {
        // Grid corners (0,0)-(10,10): columns c with 5c + 2 inside are 0 and 1; rows from
        // ceil((0 + .5) / 5 - .5) = 0 to ceil((10 + .5) / 5 - .5) = 2 (exclusive).
        RunLengthMask mask = PolygonRaster.FromPolygon([0, 0, 0, 2, 2, 2, 2, 0], 4, 4);
        Assert.Equal([0u, 2, 2, 2, 10], mask.Counts.ToArray());
        Assert.Equal(new Box(0, 0, 2, 2), mask.BoundingBox);
    }

    [Fact]
    public void A_box_is_rasterised_as_its_four_corners()
    {
        RunLengthMask mask = PolygonRaster.FromBox(new Box(0, 0, 2, 2), 4, 4);
        Assert.Equal([0u, 2, 2, 2, 10], mask.Counts.ToArray());
    }

    [Fact]
    public void Vertices_are_snapped_by_truncation_toward_zero_not_floor()
    {
        // README section 11: -0.15 * 5 + 0.5 = -0.25 becomes 0. This triangle gives 8 pixels (7 with floor).
        RunLengthMask mask = PolygonRaster.FromPolygon([-0.23, 6.22, -0.17, 4.03, 5.75, 12.24], 100, 100);
        Assert.Equal(8, mask.Area);
        Assert.Equal([5u, 2, 99, 2, 99, 2, 100, 1, 100, 1, 9589], mask.Counts.ToArray());
        Assert.Equal("52S30001O00aX9", CompressedCounts.Encode(mask.Counts));
    }

    [Fact]
    public void A_polygon_partly_outside_the_image_is_cut_at_its_edges()
    {
        // x and y from -3 to 2.6: columns 0..2 lie inside; rows are clamped at 0 and end at ceil(2.2) = 3.
        RunLengthMask mask = PolygonRaster.FromPolygon([-3, -3, -3, 2.6, 2.6, 2.6, 2.6, -3], 4, 4);
        Assert.Equal(9, mask.Area);
        Assert.Equal([0u, 3, 1, 3, 1, 3, 5], mask.Counts.ToArray());
    }

    [Fact]
    public void A_polygon_wholly_outside_the_image_is_empty()
    {
        RunLengthMask mask = PolygonRaster.FromPolygon([5, 5, 9, 5, 9, 9], 4, 4);
        Assert.True(mask.IsEmpty);
        Assert.Equal([16u], mask.Counts.ToArray());
    }

    [Fact]
    public void A_polygon_along_the_image_border_fills_the_image()
    {
        RunLengthMask mask = PolygonRaster.FromPolygon([0, 0, 4, 0, 4, 4, 0, 4], 4, 4);
        Assert.Equal([0u, 16], mask.Counts.ToArray());
    }

    [Fact]
    public void An_object_of_two_overlapping_polygons_is_their_union()
    {
        // Squares over pixels (0..1, 0..1) and (1..2, 1..2) share pixel (1, 1): 4 + 4 - 1 = 7.
        RunLengthMask mask = PolygonRaster.FromPolygons([[0, 0, 0, 2, 2, 2, 2, 0], [1, 1, 1, 3, 3, 3, 3, 1]], 4, 4);
        Assert.Equal(7, mask.Area);
        Assert.Equal([0u, 2, 2, 3, 2, 2, 5], mask.Counts.ToArray());
    }

    [Fact]
    public void A_trailing_odd_value_is_ignored()
    {
        RunLengthMask mask = PolygonRaster.FromPolygon([0, 0, 0, 2, 2, 2, 2, 0, 7], 4, 4);
        Assert.Equal(4, mask.Area);
    }
}
