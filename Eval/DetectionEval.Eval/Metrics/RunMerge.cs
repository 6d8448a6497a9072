namespace DetectionEval.Eval.Metrics;

// The accumulation order of one class, by merging the sorted runs the match stage leaves behind.
//
// Input: n items in runs (one run per (image, class) unit), each run already in the final order; a key per
// item as an ulong and a uint, compared lexicographically (Primary, then Secondary).
// Method: bottom-up merge of adjacent runs, ping-ponging between two buffers: about n * log2(runs)
// comparisons of plain integers, sequential memory access, no comparer delegate, 16 bytes per item. Every
// step is stable (equal keys keep their input order), so the result is what a stable sort by the keys gives:
// a caller may leave to the runs an order the keys do not hold (COCO's ties within one image).
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

    /// <summary>The score of a key (for -0.0 and 0.0, which share a key: 0.0).</summary>
    public static double ScoreOfKey(ulong key)
    {
        ulong ascending = ~key;
        ulong bits = (ascending & 0x8000_0000_0000_0000UL) != 0 ? ascending & 0x7FFF_FFFF_FFFF_FFFFUL : ~ascending;
        return BitConverter.Int64BitsToDouble((long)bits);
    }

    /// <summary>Classes with at least this many items merge on several threads.</summary>
    private const int ParallelAbove = 1 << 16;

    /// <summary>Output slices of at least this many items per task in a parallel merge.</summary>
    private const int ChunkSize = 1 << 14;

    /// <summary>
    /// Returns the item indices [0, n) in key order (equal keys in index order), where <paramref name="runStarts"/>
    /// (length runs + 1, last entry n) delimits runs already in key order.
    /// </summary>
    /// <param name="runStarts">Where each run starts, and n at the end.</param>
    /// <param name="primary">First key of each item.</param>
    /// <param name="secondary">Second key of each item.</param>
    /// <param name="threads">Threads a large merge may use; -1 for all cores.</param>
    public static int[] Merge(ReadOnlySpan<int> runStarts, ulong[] primary, uint[] secondary, int threads = 1)
    {
        int n = primary.Length;
        var items = new Item[n];
        for (int i = 0; i < n; i++) items[i] = new Item(primary[i], secondary[i], i);
        Item[] sorted = Merge(items, runStarts, threads);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = sorted[i].Index;
        return order;
    }

    /// <summary>
    /// The items in key order, where <paramref name="runStarts"/> (length runs + 1, last entry n) delimits runs of
    /// <paramref name="items"/> already in key order: <paramref name="items"/> itself or a second buffer of its
    /// length (the merge ping-pongs between the two). Each item's <see cref="Item.Index"/> names what it stands for.
    /// </summary>
    /// <param name="items">The items, run after run; reordered.</param>
    /// <param name="runStarts">Where each run starts, and n at the end.</param>
    /// <param name="threads">Threads a large merge may use; -1 for all cores.</param>
    public static Item[] Merge(Item[] items, ReadOnlySpan<int> runStarts, int threads = 1)
    {
        int n = items.Length;
        int[] bounds = JoinShortRuns(items, runStarts);
        int runs = bounds.Length - 1;
        bool parallel = n >= ParallelAbove && threads != 1;
        if (runs <= 1) return items;
        // Keys travel with the items, so every pass streams through memory instead of jumping through indices.
        var other = new Item[n];
        int[] nextBounds = new int[runs + 1];
        var tasks = new List<(int Start, int Middle, int End)>();
        while (runs > 1)
        {
            int merged = 0;
            tasks.Clear();
            for (int r = 0; r < runs; r += 2)
            {
                int start = bounds[r];
                int middle = bounds[r + 1];
                int end = r + 2 <= runs ? bounds[r + 2] : middle;
                tasks.Add((start, middle, end));
                nextBounds[merged++] = start;
            }
            nextBounds[merged] = n;
            MergeLevel(items, other, tasks, parallel ? threads : 1);
            (items, other) = (other, items);
            (bounds, nextBounds) = (nextBounds, bounds);
            runs = merged;
        }
        return items;
    }

    /// <summary>
    /// One level of merges. On several threads, each merge's output is cut into slices and each slice's
    /// inputs found by binary search (its "co-rank": the first k outputs take i items from the left run
    /// and k - i from the right), so even the last merge of two long runs is shared out.
    /// </summary>
    private static void MergeLevel(Item[] from, Item[] to, List<(int Start, int Middle, int End)> merges, int threads)
    {
        if (threads == 1)
        {
            foreach ((int start, int middle, int end) in merges) MergeRanges(from, start, middle, middle, end, to, start);
            return;
        }
        var slices = new List<(int Start, int Middle, int End, int From, int To)>();
        foreach ((int start, int middle, int end) in merges)
        {
            for (int k = 0; k < end - start; k += ChunkSize) slices.Add((start, middle, end, k, Math.Min(k + ChunkSize, end - start)));
        }
        Parallel.For(0, slices.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, s =>
        {
            (int start, int middle, int end, int k0, int k1) = slices[s];
            int i0 = CoRank(from, start, middle, end, k0), i1 = CoRank(from, start, middle, end, k1);
            MergeRanges(from, start + i0, start + i1, middle + (k0 - i0), middle + (k1 - i1), to, start + k0);
        });
    }

    /// <summary>How many of the first <paramref name="k"/> merged items come from the left run [start, middle).</summary>
    private static int CoRank(Item[] items, int start, int middle, int end, int k)
    {
        int leftLength = middle - start, rightLength = end - middle;
        int lo = Math.Max(0, k - rightLength), hi = Math.Min(k, leftLength);
        while (lo < hi)
        {
            int i = (lo + hi) >>> 1;
            int j = k - i;
            // Too few from the left while its next item would be merged before the right's last taken one
            // (on equal keys the left goes first, as in MergeRanges).
            if (j > 0 && !items[middle + j - 1].IsBefore(items[start + i])) lo = i + 1;
            else hi = i;
        }
        return lo;
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

    /// <summary>An item to order: its two keys, compared in turn, and the index of what it stands for.</summary>
    public readonly record struct Item(ulong Primary, uint Secondary, int Index)
    {
        /// <summary>True when this item's keys come before <paramref name="other"/>'s.</summary>
        public bool IsBefore(in Item other) => Primary < other.Primary || (Primary == other.Primary && Secondary < other.Secondary);
    }

    private static void MergeRanges(Item[] from, int a, int aEnd, int b, int bEnd, Item[] to, int o)
    {
        while (a < aEnd && b < bEnd)
        {
            // Left first unless the right key is smaller.
            if (from[b].IsBefore(from[a])) to[o++] = from[b++];
            else to[o++] = from[a++];
        }
        if (a < aEnd) Array.Copy(from, a, to, o, aEnd - a);
        else if (b < bEnd) Array.Copy(from, b, to, o, bEnd - b);
    }
}
