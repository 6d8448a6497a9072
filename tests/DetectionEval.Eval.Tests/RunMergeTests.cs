using DetectionEval.Eval.Metrics;

namespace DetectionEval.Eval.Tests;

/// <summary>The class order of accumulation: a merge of sorted runs must equal a full sort by the same keys.</summary>
public sealed class RunMergeTests
{
    [Theory]
    [InlineData(10, 5, 1)]
    [InlineData(5_000, 3, 1)]
    [InlineData(100_000, 40, 1)]
    [InlineData(100_000, 40, 4)]
    [InlineData(100_000, 30_000, 3)]
    public void Merging_sorted_runs_gives_the_order_of_a_full_sort(int n, int meanRun, int threads)
    {
        var random = new Random(n + meanRun + threads);
        // Few distinct scores, so that equal first keys are common and the second key decides.
        ulong[] primary = [.. Enumerable.Range(0, n).Select(_ => RunMerge.ScoreKey(random.Next(50) / 50.0))];
        uint[] secondary = [.. Enumerable.Range(0, n).Select(i => (uint)i)];
        var runStarts = new List<int> { 0 };
        while (runStarts[^1] < n) runStarts.Add(Math.Min(n, runStarts[^1] + 1 + random.Next(2 * meanRun)));
        for (int r = 0; r + 1 < runStarts.Count; r++)
        {
            // Each run sorted by (primary, secondary), as a unit's records are; second keys unique overall.
            int start = runStarts[r], length = runStarts[r + 1] - start;
            var pairs = Enumerable.Range(start, length)
                .Select(i => (Primary: primary[i], Secondary: ((uint)random.Next(1 << 11) << 20) + (uint)i))
                .OrderBy(p => p.Primary).ThenBy(p => p.Secondary).ToArray();
            for (int i = 0; i < length; i++) (primary[start + i], secondary[start + i]) = pairs[i];
        }

        int[] merged = RunMerge.Merge(runStarts.ToArray(), primary, secondary, threads);
        int[] expected = [.. Enumerable.Range(0, n).OrderBy(i => primary[i]).ThenBy(i => secondary[i])];
        Assert.Equal(expected, merged);
    }

    [Theory]
    [InlineData(5_000, 3, 1)]
    [InlineData(100_000, 40, 1)]
    [InlineData(100_000, 40, 4)]
    [InlineData(200_000, 30_000, 3)]
    public void Items_of_equal_keys_keep_their_input_order_as_a_stable_sort_does(int n, int meanRun, int threads)
    {
        // Few distinct keys of both parts, so that whole keys repeat within runs and across them; each run in key
        // order, equal keys in any input order (as COCO's records of one image tied on score).
        var random = new Random(n + 7 * meanRun + threads);
        ulong[] primary = [.. Enumerable.Range(0, n).Select(_ => RunMerge.ScoreKey(random.Next(20) / 20.0))];
        uint[] secondary = [.. Enumerable.Range(0, n).Select(_ => (uint)random.Next(5))];
        var runStarts = new List<int> { 0 };
        while (runStarts[^1] < n) runStarts.Add(Math.Min(n, runStarts[^1] + 1 + random.Next(2 * meanRun)));
        for (int r = 0; r + 1 < runStarts.Count; r++)
        {
            int start = runStarts[r], length = runStarts[r + 1] - start;
            var keys = Enumerable.Range(start, length).Select(i => (primary[i], secondary[i])).OrderBy(k => k.Item1).ThenBy(k => k.Item2).ToArray();
            for (int i = 0; i < length; i++) (primary[start + i], secondary[start + i]) = keys[i];
        }

        int[] merged = RunMerge.Merge(runStarts.ToArray(), primary, secondary, threads);
        // LINQ's OrderBy is stable: equal keys stay in index order.
        int[] expected = [.. Enumerable.Range(0, n).OrderBy(i => primary[i]).ThenBy(i => secondary[i])];
        Assert.Equal(expected, merged);
    }

    [Fact]
    public void Score_keys_order_higher_scores_first_and_treat_negative_zero_as_zero()
    {
        double[] scores = [1.0, 0.5, 1e-300, 0.0, -1e-300, -0.5, double.MaxValue, -double.MaxValue];
        double[] byKey = [.. scores.OrderBy(RunMerge.ScoreKey)];
        Assert.Equal([.. scores.OrderByDescending(s => s)], byKey);
        Assert.Equal(RunMerge.ScoreKey(0.0), RunMerge.ScoreKey(-0.0));
    }
}
