using DetectionEval.Eval.Formats;

namespace DetectionEval.Eval.Tests;

/// <summary>
/// YOLO holds one polygon per object; an object of several parts is joined into one as ultralytics'
/// convert_coco does (merge_multi_segment). Expected outlines worked by hand from that function.
/// </summary>
public sealed class PolygonJoinTests
{
    [Fact]
    public void Two_squares_are_joined_at_their_closest_corners_and_walked_there_and_back()
    {
        // Closest vertices: (6, 20) of the first (index 1) and (8, 20) of the second (index 0), at distance 2.
        // The first is rolled to start there and closed, then the second from its index 0, closed.
        double[] joined = YoloFormat.JoinParts([[2, 20, 6, 20, 6, 24, 2, 24], [8, 20, 12, 20, 12, 24, 8, 24]]);
        Assert.Equal([6, 20, 6, 24, 2, 24, 2, 20, 6, 20, 8, 20, 12, 20, 12, 24, 8, 24, 8, 20], joined);
    }

    [Fact]
    public void A_middle_part_is_entered_and_left_at_its_two_joins_and_finished_on_the_way_back()
    {
        // Three unit-free triangles in a row. Joins: A[1]=(2,0) with B[0]=(3,0); B[2]=(4,1) with C[0]=(5,1).
        // B's joins are [0, 2]: forward it goes from index 0 to index 2 of its rolled, closed outline
        // ((3,0), (4,0), (4,1)); back it adds the rest from index 2: (4,1), (3,1), (3,0).
        double[] a = [0, 0, 2, 0, 1, 1];
        double[] b = [3, 0, 4, 0, 4, 1, 3, 1];
        double[] c = [5, 1, 6, 1, 6, 2];
        double[] joined = YoloFormat.JoinParts([a, b, c]);
        double[] expected =
        [
            2, 0, 1, 1, 0, 0, 2, 0,    // A rolled by 1, closed
            3, 0, 4, 0, 4, 1,          // B from join 0 to join 2
            5, 1, 6, 1, 6, 2, 5, 1,    // C, closed
            4, 1, 3, 1, 3, 0,          // back through the rest of B
        ];
        Assert.Equal(expected, joined);
    }
}
