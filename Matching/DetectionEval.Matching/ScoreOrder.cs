using System.Buffers;

namespace DetectionEval.Matching;

/// <summary>
/// The detection order every reference uses: score descending, and equal scores in input order. numpy's
/// <c>argsort(-scores, kind='mergesort')</c> is stable, which is what this reproduces.
/// </summary>
public static class ScoreOrder
{
    private const int InsertionSortLimit = 24;

    /// <summary>Fills <paramref name="order"/> with the indices of <paramref name="scores"/> in score order.</summary>
    /// <param name="scores">Scores in input order. -0.0 and 0.0 compare equal, as in numpy.</param>
    /// <param name="order">Output, the same length as <paramref name="scores"/>.</param>
    public static void SortByScoreDescending(ReadOnlySpan<double> scores, Span<int> order)
    {
        if (order.Length != scores.Length) throw new ArgumentException("order must have one slot per score", nameof(order));
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (order.Length <= InsertionSortLimit)
        {
            InsertionSort(scores, order);
            return;
        }
        double[] keys = ArrayPool<double>.Shared.Rent(order.Length);
        try
        {
            Span<double> negated = keys.AsSpan(0, order.Length);
            for (int i = 0; i < negated.Length; i++) negated[i] = -scores[i];
            negated.Sort(order);
            RestoreInputOrderWithinTies(negated, order);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(keys);
        }
    }

    private static void InsertionSort(ReadOnlySpan<double> scores, Span<int> order)
    {
        for (int i = 1; i < order.Length; i++)
        {
            int item = order[i];
            double score = scores[item];
            int j = i - 1;
            // Strictly greater moves ahead; equal scores stay behind, which keeps input order.
            while (j >= 0 && scores[order[j]] < score)
            {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = item;
        }
    }

    /// <summary>The introsort above is not stable; equal keys are adjacent, so sorting each run of equal
    /// keys by index gives exactly the stable order.</summary>
    private static void RestoreInputOrderWithinTies(ReadOnlySpan<double> sortedKeys, Span<int> order)
    {
        int start = 0;
        while (start < order.Length)
        {
            int end = start + 1;
            while (end < order.Length && sortedKeys[end] == sortedKeys[start]) end++;
            if (end - start > 1) order[start..end].Sort();
            start = end;
        }
    }
}
