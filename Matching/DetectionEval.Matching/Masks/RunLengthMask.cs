using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace DetectionEval.Matching.Masks;

/// <summary>
/// A binary mask of an image, run-length encoded as COCO stores it.
/// </summary>
/// <remarks>
/// Layout: the mask is read column by column, so pixel (x, y) has index <c>x * Height + y</c>. The counts
/// are the lengths of alternating runs of 0s and 1s over the indices 0 … Height·Width − 1, starting with
/// a run of 0s (of length 0 when pixel 0 is set); they sum to Height·Width. The object is immutable; its
/// area (pixels set) and its box (pycocotools' <c>rleToBbox</c>, quirk included) are computed once.
/// Reference: cocodataset/cocoapi common/maskApi.c.
/// </remarks>
public sealed class RunLengthMask
{
    /// <summary>The run lengths; null for a mask kept in COCO's compressed form.</summary>
    private readonly uint[]? _counts;

    /// <summary>COCO's compressed string of the run lengths (its ASCII bytes), for a mask kept compressed; else empty.</summary>
    private readonly ReadOnlyMemory<byte> _compressed;

    /// <summary>How many run lengths the mask has.</summary>
    private readonly int _runCount;

    /// <summary>Makes a mask from its run lengths; the counts are copied.</summary>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="counts">Alternating run lengths, 0s first.</param>
    /// <exception cref="ArgumentException">The counts do not sum to <c>height * width</c>.</exception>
    public RunLengthMask(int height, int width, ReadOnlySpan<uint> counts)
        : this(height, width, counts.ToArray(), check: true)
    {
    }

    /// <summary>
    /// A mask that takes <paramref name="counts"/> as they are, without a copy: for a reader that already
    /// checked that they sum to <c>height * width</c> and gives up the array.
    /// </summary>
    public static RunLengthMask FromCheckedCounts(int height, int width, uint[] counts) => new(height, width, counts, check: false);

    /// <summary>Takes <paramref name="counts"/> without a copy (the toolkit's own results).</summary>
    internal RunLengthMask(int height, int width, uint[] counts, bool check)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        if (check && Sum(counts) != (long)height * width)
        {
            throw new ArgumentException($"The run lengths sum to {Sum(counts)}, not to height * width = {(long)height * width}.", nameof(counts));
        }
        Height = height;
        Width = width;
        _counts = counts;
        _runCount = counts.Length;
    }

    /// <summary>A mask kept compressed, whose area and box were measured while its string was checked.</summary>
    private RunLengthMask(int height, int width, ReadOnlyMemory<byte> compressed, int runCount, long area, Box box)
    {
        Height = height;
        Width = width;
        _compressed = compressed;
        _runCount = runCount;
        (_area, _box, _measured) = (area, box, true);
    }

    /// <summary>
    /// A mask from COCO's compressed string (its ASCII bytes, as in a results file), kept compressed: about a
    /// quarter of the memory of its run lengths, which <see cref="DecodeCounts"/> gives back when needed.
    /// False, with the reason, when the string is not valid or its runs do not cover <c>height * width</c>.
    /// </summary>
    public static bool TryFromCompressed(int height, int width, ReadOnlySpan<byte> text, [NotNullWhen(true)] out RunLengthMask? mask, out string? problem) =>
        TryFromCompressed(height, width, text, store: null, out mask, out problem);

    /// <summary>
    /// <see cref="TryFromCompressed(int, int, ReadOnlySpan{byte}, out RunLengthMask?, out string?)"/>, the string
    /// kept in <paramref name="store"/> (shared blocks instead of an array per mask) when one is given.
    /// </summary>
    public static bool TryFromCompressed(int height, int width, ReadOnlySpan<byte> text, CompressedStore? store, [NotNullWhen(true)] out RunLengthMask? mask, out string? problem)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        mask = null;
        uint[] decoded = ArrayPool<uint>.Shared.Rent(Math.Max(1, text.Length));
        try
        {
            if (!CompressedCounts.TryDecode(text, decoded, out int count, out problem)) return false;
            ReadOnlySpan<uint> counts = decoded.AsSpan(0, count);
            if (Sum(counts) != (long)height * width)
            {
                problem = $"run lengths that sum to {Sum(counts)}, not to height * width = {(long)height * width}";
                return false;
            }
            ReadOnlyMemory<byte> kept = store is null ? text.ToArray() : store.Keep(text);
            mask = new RunLengthMask(height, width, kept, count, AreaOf(counts), BoxOf(counts, height));
            return true;
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(decoded);
        }
    }

    // Area and box, computed together on first use (a reader of half a million masks needs neither yet), or
    // measured while a compressed string was checked. Two threads that race here compute the same values and
    // write the same bits; the flag is written last.
    private long _area;
    private Box _box;
    private volatile bool _measured;

    private void Measure()
    {
        if (_measured) return;
        _area = AreaOf(_counts!);
        _box = BoxOf(_counts!, Height);
        _measured = true;
    }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>The run lengths, 0s first. A mask kept compressed decodes them into a new array on each call: a loop over many masks uses <see cref="DecodeCounts"/>.</summary>
    public ReadOnlySpan<uint> Counts
    {
        get
        {
            if (_counts is not null) return _counts;
            uint[] own = new uint[_compressed.Length];
            CompressedCounts.TryDecode(_compressed.Span, own, out int count, out _);
            return own.AsSpan(0, count);
        }
    }

    /// <summary>How many run lengths the mask has.</summary>
    public int RunCount => _runCount;

    /// <summary>True for a mask kept in COCO's compressed form (<see cref="TryFromCompressed(int, int, ReadOnlySpan{byte}, out RunLengthMask?, out string?)"/>).</summary>
    public bool IsCompressed => _counts is null;

    /// <summary>
    /// The run lengths: the mask's own, or, for a mask kept compressed, decoded into <paramref name="buffer"/>
    /// (replaced by a larger one when too small), so that they are valid until the buffer is used again.
    /// </summary>
    public ReadOnlySpan<uint> DecodeCounts(ref uint[]? buffer)
    {
        if (_counts is not null) return _counts;
        if (buffer is null || buffer.Length < _compressed.Length) buffer = new uint[Math.Max(_compressed.Length, 2 * (buffer?.Length ?? 0))];
        CompressedCounts.TryDecode(_compressed.Span, buffer, out int count, out _);
        return buffer.AsSpan(0, count);
    }

    /// <summary>Number of pixels set (pycocotools' <c>area</c>).</summary>
    public long Area
    {
        get
        {
            Measure();
            return _area;
        }
    }

    /// <summary>
    /// The box of the set pixels, <c>[x0, y0, x1 − x0 + 1, y1 − y0 + 1]</c> (pycocotools' <c>toBbox</c>):
    /// an empty mask has [0, 0, 0, 0], and when a run of set pixels goes on from the bottom of one column
    /// into the next, the box spans the full height, as pycocotools' quirk makes it.
    /// </summary>
    public Box BoundingBox
    {
        get
        {
            Measure();
            return _box;
        }
    }

    /// <summary>True when no pixel is set.</summary>
    public bool IsEmpty => Area == 0;

    /// <summary>An empty mask of the given size.</summary>
    public static RunLengthMask Empty(int height, int width) => new(height, width, [(uint)((long)height * width)], check: false);

    private static long Sum(ReadOnlySpan<uint> counts)
    {
        long sum = 0;
        foreach (uint c in counts) sum += c;
        return sum;
    }

    /// <summary>maskApi.c rleArea: the sum of the odd runs (the runs of 1s).</summary>
    internal static long AreaOf(ReadOnlySpan<uint> counts)
    {
        long area = 0;
        for (int j = 1; j < counts.Length; j += 2) area += counts[j];
        return area;
    }

    /// <summary>maskApi.c rleToBbox, in 64-bit indices.</summary>
    private static Box BoxOf(ReadOnlySpan<uint> counts, int height)
    {
        // Only whole (0s, 1s) pairs are read, as rleToBbox does (m = (m / 2) * 2).
        int m = counts.Length / 2 * 2;
        if (m == 0 || height == 0) return new Box(0, 0, 0, 0);
        long xs = long.MaxValue, ys = long.MaxValue, xe = 0, ye = 0, cc = 0, xp = 0;
        for (int j = 0; j < m; j++)
        {
            cc += counts[j];
            // The start of a run of 1s is index cc; its last pixel is cc - 1.
            long t = cc - (j % 2);
            long y = t % height, x = (t - y) / height;
            if (j % 2 == 0) xp = x;
            else if (xp < x)
            {
                // A run of 1s crossing a column boundary: pycocotools then takes the full height.
                ys = 0;
                ye = height - 1;
            }
            xs = Math.Min(xs, x);
            xe = Math.Max(xe, x);
            ys = Math.Min(ys, y);
            ye = Math.Max(ye, y);
        }
        return new Box(xs, ys, xe - xs + 1, ye - ys + 1);
    }
}
