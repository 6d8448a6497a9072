namespace DetectionEval.Eval.Metrics;

// The accumulation order of one class, by merging the sorted runs the match stage leaves behind.
//
// Input: n items in runs (one run per (image, class) unit), each run already in the final order; a key per
// item as two ulongs, compared lexicographically (Primary, then Secondary), unique across the class.
// Method: bottom-up merge of adjacent runs, ping-ponging between two buffers: about n * log2(runs)
// comparisons of plain integers, sequential memory access, no comparer delegate. The result is the sorted
// order of the keys, which (keys being unique) is exactly what a stable sort by the references' rule gives.
// Keys: ScoreKey maps a score to an ulong that sorts descending scores first, with -0.0 equal to 0.0 as
// numpy compares them.

/// <summary>Sorts items given as already-sorted runs by merging the runs.</summary>
internal static class RunMerge
{
    /// <summary>
    /// An unsigned key whose ascending order is the descending order of <paramref name="score"/> (finite
    /// scores; -0.0 and 0.0 get the same key).
    /// </summary>
    public static ulong ScoreKey(double score)
    {
        // Adding 0.0 turns -0.0 into 0.0, so both compare equal as doubles do.
        ulong bits = (ulong)BitConverter.DoubleToInt64Bits(score + 0.0);
        // IEEE order as unsigned: flip all bits of negatives, only the sign bit of positives.
        ulong ascending = (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL;
        return ~ascending;
    }

    /// <summary>
    /// Returns the item indices [0, n) in key order, where <paramref name="runStarts"/> (length runs + 1,
    /// last entry n) delimits runs already in key order.
    /// </summary>
    public static int[] Merge(ReadOnlySpan<int> runStarts, ulong[] primary, ulong[] secondary)
    {
        int n = primary.Length;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        int runs = runStarts.Length - 1;
        if (runs <= 1) return order;

        int[] bounds = runStarts.ToArray();
        int[] other = new int[n];
        int[] nextBounds = new int[runs + 1];
        while (runs > 1)
        {
            int merged = 0;
            for (int r = 0; r < runs; r += 2)
            {
                int start = bounds[r];
                int middle = bounds[r + 1];
                int end = r + 2 <= runs ? bounds[r + 2] : middle;
                MergeTwo(order, other, start, middle, end, primary, secondary);
                nextBounds[merged++] = start;
            }
            nextBounds[merged] = n;
            (order, other) = (other, order);
            (bounds, nextBounds) = (nextBounds, bounds);
            runs = merged;
        }
        return order;
    }

    private static void MergeTwo(int[] from, int[] to, int start, int middle, int end, ulong[] primary, ulong[] secondary)
    {
        int a = start, b = middle, o = start;
        while (a < middle && b < end)
        {
            int x = from[a], y = from[b];
            // Left first unless the right key is smaller.
            bool takeRight = primary[y] < primary[x] || (primary[y] == primary[x] && secondary[y] < secondary[x]);
            if (takeRight)
            {
                to[o++] = y;
                b++;
            }
            else
            {
                to[o++] = x;
                a++;
            }
        }
        while (a < middle) to[o++] = from[a++];
        while (b < end) to[o++] = from[b++];
    }
}
