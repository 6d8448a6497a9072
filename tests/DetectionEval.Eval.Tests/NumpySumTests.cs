using DetectionEval.Eval.Metrics;

namespace DetectionEval.Eval.Tests;

public sealed class NumpySumTests
{
    [Fact]
    public void Short_arrays_add_left_to_right()
    {
        double[] values = [0.1, 0.2, 0.3];
        Assert.Equal((0.1 + 0.2) + 0.3, NumpySum.Sum(values));
    }

    [Fact]
    public void Eight_to_128_elements_use_eight_running_partial_sums()
    {
        double[] values = [.. Enumerable.Range(1, 13).Select(i => 1.0 / i)];
        double[] r = values[..8];
        // 13 elements: r[j] = a[j] for j < 8; no full second block of 8; tail a[8..12] added after.
        double expected = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (int i = 8; i < 13; i++) expected += values[i];
        Assert.Equal(expected, NumpySum.Sum(values));
    }

    [Fact]
    public void Pairwise_order_differs_from_a_plain_loop_where_numpy_does()
    {
        // numpy: np.sum([0.1] * 10) == 1.0, while a left-to-right loop gives 0.9999999999999999.
        double[] tenths = [.. Enumerable.Repeat(0.1, 10)];
        double loop = 0;
        foreach (double v in tenths) loop += v;
        Assert.Equal(0.9999999999999999, loop);
        Assert.Equal(1.0, NumpySum.Sum(tenths));
    }

    [Fact]
    public void Mean_of_an_empty_array_is_nan()
    {
        Assert.True(double.IsNaN(NumpySum.Mean([])));
    }
}
