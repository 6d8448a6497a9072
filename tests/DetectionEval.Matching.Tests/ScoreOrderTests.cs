using DetectionEval.Matching;

namespace DetectionEval.Matching.Tests;

public sealed class ScoreOrderTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(24)]
    [InlineData(25)]
    [InlineData(1000)]
    public void Equal_scores_keep_their_input_order_at_any_size(int count)
    {
        var random = new Random(count);
        double[] scores = [.. Enumerable.Range(0, count).Select(_ => random.Next(5) / 4.0)];
        int[] order = new int[count];
        ScoreOrder.SortByScoreDescending(scores, order);

        int[] expected = [.. Enumerable.Range(0, count).OrderByDescending(i => scores[i])]; // LINQ's OrderBy is stable
        Assert.Equal(expected, order);
    }

    [Fact]
    public void Negative_zero_and_zero_are_a_tie()
    {
        double[] scores = [0.0, -0.0, 0.5, 0.0];
        int[] order = new int[scores.Length];
        ScoreOrder.SortByScoreDescending(scores, order);
        Assert.Equal([2, 0, 1, 3], order);
    }
}
