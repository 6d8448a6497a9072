using DetectionEval.Plots;

namespace DetectionEval.Plots.Tests;

public class LabelPlacementTests
{
    private static LabelRequest Detection(int x, int y, int width, int height, int labelWidth = 60, int labelHeight = 16) =>
        new(new PixelRect(x, y, width, height), labelWidth, labelHeight, labelWidth * 3 / 4, labelHeight * 3 / 4, LabelAnchor.AboveTop);

    private static LabelRequest GroundTruth(int x, int y, int width, int height, int labelWidth = 60, int labelHeight = 16) =>
        new(new PixelRect(x, y, width, height), labelWidth, labelHeight, labelWidth * 3 / 4, labelHeight * 3 / 4, LabelAnchor.InsideBottom);

    [Fact]
    public void A_lone_detection_gets_its_label_above_the_boxs_top_left_corner()
    {
        PlacedLabel? placed = Assert.Single(LabelPlacement.Place([Detection(100, 100, 80, 60)], 640, 480));

        Assert.Equal(new PlacedLabel(new PixelRect(100, 84, 60, 16), Small: false, Leader: null), placed);
    }

    [Fact]
    public void A_lone_ground_truth_box_gets_its_label_inside_its_bottom_edge()
    {
        PlacedLabel? placed = Assert.Single(LabelPlacement.Place([GroundTruth(100, 100, 80, 60)], 640, 480));

        Assert.Equal(new PixelRect(100, 144, 60, 16), placed!.Label);
    }

    [Fact]
    public void A_box_less_than_three_labels_tall_gets_its_label_outside_so_the_label_does_not_hide_it()
    {
        PlacedLabel? placed = Assert.Single(LabelPlacement.Place([GroundTruth(100, 100, 30, 40)], 640, 480));

        Assert.Equal(new PixelRect(100, 140, 60, 16), placed!.Label);
    }

    [Fact]
    public void A_box_at_the_top_of_the_image_gets_its_label_just_inside_its_top_edge()
    {
        PlacedLabel? placed = Assert.Single(LabelPlacement.Place([Detection(10, 0, 80, 60)], 640, 480));

        Assert.Equal(new PixelRect(10, 0, 60, 16), placed!.Label);
    }

    [Fact]
    public void A_label_at_the_right_edge_is_shifted_left_to_stay_in_the_image()
    {
        PlacedLabel? placed = Assert.Single(LabelPlacement.Place([Detection(180, 50, 15, 60)], 200, 200));

        Assert.Equal(new PixelRect(140, 34, 60, 16), placed!.Label);
    }

    [Fact]
    public void A_label_wider_than_the_image_takes_the_smaller_font_or_is_left_out()
    {
        LabelRequest wide = new(new PixelRect(10, 50, 50, 50), 250, 16, 150, 12, LabelAnchor.AboveTop);

        PlacedLabel? small = Assert.Single(LabelPlacement.Place([wide], 200, 200));
        PlacedLabel? none = Assert.Single(LabelPlacement.Place([wide with { SmallWidth = 220 }], 200, 200));

        Assert.Equal(new PlacedLabel(new PixelRect(10, 38, 150, 12), Small: true, Leader: null), small);
        Assert.Null(none);
    }

    [Fact]
    public void A_label_that_would_touch_its_neighbours_slides_along_its_top_edge_to_leave_a_gap()
    {
        IReadOnlyList<PlacedLabel?> placed = LabelPlacement.Place([Detection(100, 100, 80, 60), Detection(161, 100, 120, 60)], 640, 480);

        Assert.Equal(new PixelRect(100, 84, 60, 16), placed[0]!.Label);
        PixelRect second = placed[1]!.Label;
        Assert.Equal(84, second.Y);
        Assert.InRange(second.X, 162, 281 - 60);
    }

    [Fact]
    public void A_label_keeps_its_usual_spot_and_one_that_has_to_move_leaves_later_labels_usual_spots_free()
    {
        // The second box's usual spot is the first label's; sliding right it passes the third box's usual spot and goes beyond it.
        IReadOnlyList<PlacedLabel?> placed = LabelPlacement.Place([Detection(100, 100, 80, 60), Detection(100, 100, 200, 100), Detection(170, 100, 40, 40)], 640, 480);

        Assert.Equal(new PixelRect(100, 84, 60, 16), placed[0]!.Label);
        Assert.Equal(new PixelRect(170, 84, 60, 16), placed[2]!.Label);
        Assert.Equal(84, placed[1]!.Label.Y);
        Assert.InRange(placed[1]!.Label.X, 230, 240);
    }

    [Fact]
    public void Labels_of_many_boxes_on_one_object_all_find_a_place_with_a_leader_line_to_the_box_where_they_leave_it()
    {
        LabelRequest[] same = [.. Enumerable.Repeat(Detection(200, 200, 60, 40), 14)];

        IReadOnlyList<PlacedLabel?> placed = LabelPlacement.Place(same, 640, 480);

        Assert.All(placed, p => Assert.NotNull(p));
        AssertReadable(same, placed, 640, 480);
        Assert.Contains(placed, p => p!.Leader is not null);
        foreach (LeaderLine line in placed.Select(p => p!.Leader).OfType<LeaderLine>())
        {
            Assert.DoesNotContain(placed, p => LabelPlacement.Crosses(line, p!.Label));
        }
    }

    [Fact]
    public void A_line_crosses_a_rectangle_only_through_its_inside()
    {
        var r = new PixelRect(10, 10, 20, 10);

        Assert.True(LabelPlacement.Crosses(new LeaderLine(0, 15, 40, 15), r));
        Assert.True(LabelPlacement.Crosses(new LeaderLine(0, 0, 20, 15), r));
        Assert.False(LabelPlacement.Crosses(new LeaderLine(0, 15, 10, 15), r), "ending on the left edge");
        Assert.False(LabelPlacement.Crosses(new LeaderLine(0, 10, 40, 10), r), "running along the top edge");
        Assert.False(LabelPlacement.Crosses(new LeaderLine(0, 0, 40, 5), r), "passing above");
    }

    [Fact]
    public void Placed_labels_never_overlap_stay_in_the_image_and_keep_their_size_in_random_crowded_scenes()
    {
        var random = new Random(11);
        int placedCount = 0, requested = 0;
        for (int scene = 0; scene < 120; scene++)
        {
            int width = random.Next(80, 900), height = random.Next(60, 700);
            var requests = new LabelRequest[random.Next(1, 45)];
            for (int i = 0; i < requests.Length; i++)
            {
                int x = random.Next(-20, width), y = random.Next(-20, height);
                var box = new PixelRect(x, y, random.Next(1, width / 2 + 2), random.Next(1, height / 2 + 2));
                int labelWidth = random.Next(10, 260), labelHeight = random.Next(8, 30);
                requests[i] = new LabelRequest(box, labelWidth, labelHeight, labelWidth * 3 / 4, labelHeight * 3 / 4, random.Next(2) == 0 ? LabelAnchor.AboveTop : LabelAnchor.InsideBottom);
            }

            IReadOnlyList<PlacedLabel?> placed = LabelPlacement.Place(requests, width, height);

            AssertReadable(requests, placed, width, height);
            placedCount += placed.Count(p => p is not null);
            requested += requests.Length;
        }
        // Labels are left out only when the picture is full: most find a place.
        Assert.True(placedCount > requested * 0.8, $"{placedCount} of {requested} labels placed");
    }

    /// <summary>No two placed labels share a pixel, each lies in the image at its requested size, and a leader line runs to its box's outline.</summary>
    private static void AssertReadable(IReadOnlyList<LabelRequest> requests, IReadOnlyList<PlacedLabel?> placed, int width, int height)
    {
        Assert.Equal(requests.Count, placed.Count);
        for (int i = 0; i < placed.Count; i++)
        {
            if (placed[i] is not { } p) continue;
            Assert.True(p.Label.IsInside(width, height), $"label {i} at {p.Label} leaves the {width} x {height} image");
            (int w, int h) = p.Small ? (requests[i].SmallWidth, requests[i].SmallHeight) : (requests[i].Width, requests[i].Height);
            Assert.Equal((w, h), (p.Label.Width, p.Label.Height));
            for (int j = 0; j < i; j++)
            {
                if (placed[j] is { } q) Assert.False(p.Label.Intersects(q.Label), $"labels {j} at {q.Label} and {i} at {p.Label} overlap");
            }
            if (p.Leader is { } l)
            {
                PixelRect box = requests[i].Box;
                Assert.True(l.ToX == box.X || l.ToX == box.Right || l.ToY == box.Y || l.ToY == box.Bottom, $"leader {l} does not end on box {box}");
                Assert.InRange(l.ToX, box.X, box.Right);
                Assert.InRange(l.ToY, box.Y, box.Bottom);
                Assert.InRange(l.FromX, p.Label.X, p.Label.Right);
                Assert.InRange(l.FromY, p.Label.Y, p.Label.Bottom);
            }
        }
    }
}
