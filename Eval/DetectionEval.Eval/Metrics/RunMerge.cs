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
        var items = new Item[n];
        for (int i = 0; i < n; i++) items[i] = new Item(primary[i], secondary[i], i);
        int[] bounds = JoinShortRuns(items, runStarts);
        int runs = bounds.Length - 1;
        if (runs > 1)
        {
            // Keys travel with the items, so every pass streams through memory instead of jumping through indices.
            var other = new Item[n];
            int[] nextBounds = new int[runs + 1];
            while (runs > 1)
            {
                int merged = 0;
                for (int r = 0; r < runs; r += 2)
                {
                    int start = bounds[r];
                    int middle = bounds[r + 1];
                    int end = r + 2 <= runs ? bounds[r + 2] : middle;
                    MergeTwo(items, other, start, middle, end);
                    nextBounds[merged++] = start;
                }
                nextBounds[merged] = n;
                (items, other) = (other, items);
                (bounds, nextBounds) = (nextBounds, bounds);
                runs = merged;
            }
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = items[i].Index;
        return order;
    }

    /// <summary>Runs shorter than this are joined with their neighbours by insertion sort, in cache, before merging.</summary>
    private const int ShortRun = 32;

    /// <summary>
    /// Joins consecutive short runs into blocks of at least <see cref="ShortRun"/> items, each sorted by
    /// insertion (most (image, class) units hold a handful of detections, and every merge level costs a
    /// pass over all items). Returns the new run bounds.
    /// </summary>
    private static int[] JoinShortRuns(Item[] items, ReadOnlySpan<int> runStarts)
    {
        var bounds = new List<int>(runStarts.Length);
        int runs = runStarts.Length - 1;
        int r = 0;
        while (r < runs)
        {
            int start = runStarts[r];
            int end = runStarts[r + 1];
            r++;
            if (end - start < ShortRun)
            {
                while (r < runs && runStarts[r + 1] - start <= ShortRun) end = runStarts[++r];
                InsertionSort(items, start, end);
            }
            bounds.Add(start);
        }
        bounds.Add(items.Length);
        return [.. bounds];
    }

    private static void InsertionSort(Item[] items, int start, int end)
    {
        for (int i = start + 1; i < end; i++)
        {
            Item item = items[i];
            int j = i - 1;
            while (j >= start && item.IsBefore(items[j]))
            {
                items[j + 1] = items[j];
                j--;
            }
            items[j + 1] = item;
        }
    }

    private readonly record struct Item(ulong Primary, ulong Secondary, int Index)
    {
        public bool IsBefore(in Item other) => Primary < other.Primary || (Primary == other.Primary && Secondary < other.Secondary);
    }

    private static void MergeTwo(Item[] from, Item[] to, int start, int middle, int end)
    {
        int a = start, b = middle, o = start;
        while (a < middle && b < end)
        {
            // Left first unless the right key is smaller.
            if (from[b].IsBefore(from[a])) to[o++] = from[b++];
            else to[o++] = from[a++];
        }
        if (a < middle) Array.Copy(from, a, to, o, middle - a);
        else if (b < end) Array.Copy(from, b, to, o, end - b);
    }
}
