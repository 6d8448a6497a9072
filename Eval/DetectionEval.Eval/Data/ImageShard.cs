namespace DetectionEval.Eval.Data;

// The shard rule of a distributed run.
//
// Rule: number the ground truth's images by rank, their position in ascending image-id order (integer ids
// numerically, string ids by code point: the order COCO's accumulation breaks score ties by); shard I of N
// holds the images whose rank is I modulo N. The rule reads only the set of image ids, so every worker
// given the same ground truth picks the same images whatever the file's order, and the shards are
// disjoint and together hold every image. Modulo rather than contiguous ranges: datasets are often
// ordered by source or size, and striding spreads such runs over the shards.

/// <summary>Shard <see cref="Index"/> of <see cref="Count"/>: the images whose rank (ascending id order) is <see cref="Index"/> modulo <see cref="Count"/>.</summary>
/// <param name="Index">The shard, from 0.</param>
/// <param name="Count">The number of shards, 1 or more.</param>
public readonly record struct ImageShard(int Index, int Count)
{
    /// <summary>The whole dataset as one shard.</summary>
    public static ImageShard Whole => new(0, 1);

    /// <summary>Whether the image of rank <paramref name="imageRank"/> is in this shard.</summary>
    public bool Holds(int imageRank) => imageRank % Count == Index;

    /// <summary>The shard written as <c>I/N</c>.</summary>
    public override string ToString() => FormattableString.Invariant($"{Index}/{Count}");

    /// <summary>Throws <see cref="ArgumentException"/> unless 0 &lt;= <see cref="Index"/> &lt; <see cref="Count"/>.</summary>
    public void Validate()
    {
        if (Count < 1) throw new ArgumentException($"Expected 1 or more shards, but got {Count}.", nameof(Count));
        if (Index < 0 || Index >= Count) throw new ArgumentException($"Expected a shard index from 0 to {Count - 1}, but got {Index}.", nameof(Index));
    }
}
