namespace DetectionEval.Matching.Masks;

/// <summary>
/// Keeps the compressed strings of many masks (<see cref="RunLengthMask.TryFromCompressed(int, int, ReadOnlySpan{byte}, CompressedStore?, out RunLengthMask?, out string?)"/>)
/// in large shared blocks instead of an array per mask: a reader of half a million masks allocates a few hundred
/// blocks instead of half a million arrays. One store serves one thread.
/// </summary>
public sealed class CompressedStore
{
    private const int BlockSize = 1 << 20;

    private byte[] _block = [];
    private int _used;

    /// <summary>A copy of <paramref name="text"/> in the current block (a new one when it is full; a long string gets its own).</summary>
    internal ReadOnlyMemory<byte> Keep(ReadOnlySpan<byte> text)
    {
        if (text.Length > BlockSize / 8) return text.ToArray();
        if (_block.Length - _used < text.Length)
        {
            // Every byte is written before it is read, so the block need not be zeroed first.
            _block = GC.AllocateUninitializedArray<byte>(BlockSize);
            _used = 0;
        }
        text.CopyTo(_block.AsSpan(_used));
        ReadOnlyMemory<byte> kept = _block.AsMemory(_used, text.Length);
        _used += text.Length;
        return kept;
    }
}
