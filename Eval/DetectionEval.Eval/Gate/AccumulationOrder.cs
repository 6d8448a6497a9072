namespace DetectionEval.Eval.Gate;

/// <summary>
/// Sorts match records into accumulation order (score descending, then a tie key ascending) through a
/// comparable key struct, which the runtime's generic sort specializes; a comparison delegate over the
/// records themselves sorts several times slower, and the bootstrap sorts every class of two runs.
/// </summary>
internal static class AccumulationOrder
{
    /// <summary>Sorts <paramref name="records"/> by <paramref name="score"/> descending, then <paramref name="tie"/> ascending.</summary>
    public static void Sort<T>(T[] records, Func<T, double> score, Func<T, long> tie)
    {
        var keys = new Key[records.Length];
        for (int i = 0; i < records.Length; i++) keys[i] = new Key(score(records[i]), tie(records[i]));
        keys.AsSpan().Sort(records.AsSpan());
    }

    private readonly record struct Key(double Score, long Tie) : IComparable<Key>
    {
        public int CompareTo(Key other)
        {
            int c = other.Score.CompareTo(Score);
            return c != 0 ? c : Tie.CompareTo(other.Tie);
        }
    }
}
