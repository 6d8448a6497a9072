namespace DetectionEval.Eval.Metrics;

/// <summary>
/// Sums and means in numpy's order of additions, so that results match numpy-based references to the
/// last bit. numpy adds a contiguous float64 array in blocks of 8192 elements, each block by pairwise
/// summation with an 8-way unrolled base case (numpy/core/src/umath/loops_utils.h.src,
/// <c>pairwise_sum</c>). A plain left-to-right sum can differ by an ulp.
/// </summary>
public static class NumpySum
{
    private const int BlockSize = 8192;
    private const int PairwiseBaseCase = 128;
    private const int Unroll = 8;

    /// <summary><c>np.sum(values)</c> for a 1-D float64 array.</summary>
    public static double Sum(ReadOnlySpan<double> values)
    {
        double total = 0.0;
        for (int start = 0; start < values.Length; start += BlockSize)
        {
            total += Pairwise(values.Slice(start, Math.Min(BlockSize, values.Length - start)));
        }
        return total;
    }

    /// <summary><c>np.mean(values)</c>: the numpy sum divided by the count; NaN for an empty array.</summary>
    public static double Mean(ReadOnlySpan<double> values) => Sum(values) / values.Length;

    private static double Pairwise(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < Unroll)
        {
            double s = 0.0;
            for (int i = 0; i < n; i++) s += a[i];
            return s;
        }
        if (n <= PairwiseBaseCase)
        {
            Span<double> r = stackalloc double[Unroll];
            a[..Unroll].CopyTo(r);
            int i = Unroll;
            int whole = n - n % Unroll;
            for (; i < whole; i += Unroll)
            {
                for (int j = 0; j < Unroll; j++) r[j] += a[i + j];
            }
            double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) s += a[i];
            return s;
        }
        int half = n / 2;
        half -= half % Unroll;
        return Pairwise(a[..half]) + Pairwise(a[half..]);
    }
}
