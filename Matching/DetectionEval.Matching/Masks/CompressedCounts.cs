namespace DetectionEval.Matching.Masks;

// COCO's compressed RLE string ("counts" as a string in json): each count in 5-bit groups, six bits per
// character (ASCII 48 … 111), bit 32 of a character meaning "more follows", bit 16 of the last one the
// sign; from the fourth count on, what is stored is the difference to the count two before.
// Reference: cocodataset/cocoapi common/maskApi.c (rleToString, rleFrString), in 64-bit arithmetic.

/// <summary>COCO's compressed RLE string encoding of run lengths.</summary>
public static class CompressedCounts
{
    /// <summary>The compressed string of a mask's counts (pycocotools' <c>rleToString</c>).</summary>
    public static string Encode(ReadOnlySpan<uint> counts)
    {
        var bytes = new List<byte>(counts.Length * 2);
        Encode(counts, bytes);
        return System.Text.Encoding.ASCII.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>Appends the compressed string of a mask's counts to <paramref name="bytes"/> as ASCII bytes (as a JSON reader or a spill file holds it).</summary>
    public static void Encode(ReadOnlySpan<uint> counts, List<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        for (int i = 0; i < counts.Length; i++)
        {
            long x = counts[i];
            if (i > 2) x -= counts[i - 2];
            bool more = true;
            while (more)
            {
                long c = x & 0x1f;
                x >>= 5;
                // Stop once the rest is pure sign: 0 for a non-negative value, -1 for a negative one.
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) c |= 0x20;
                bytes.Add((byte)(c + 48));
            }
        }
    }

    /// <summary>Decodes a compressed string into run lengths (pycocotools' <c>rleFrString</c>).</summary>
    /// <param name="text">The string.</param>
    /// <param name="counts">The counts, when the string is valid.</param>
    /// <param name="problem">Why it is not, otherwise: a character outside '0' … 'o', a count cut short, or a
    /// count that is negative or too large.</param>
    public static bool TryDecode(string text, out uint[] counts, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            // A character beyond ASCII is outside '0' … 'o' either way; 0xFF keeps it so.
            bytes[i] = text[i] < 128 ? (byte)text[i] : (byte)0xFF;
        }
        return TryDecode(bytes, out counts, out problem);
    }

    /// <summary>Decodes a compressed string given as its ASCII bytes (as a JSON reader holds it).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> text, out uint[] counts, out string? problem)
    {
        // A count takes at least one character, so the string's length bounds the number of counts.
        uint[] decoded = System.Buffers.ArrayPool<uint>.Shared.Rent(Math.Max(1, text.Length));
        try
        {
            bool valid = TryDecode(text, decoded, out int m, out problem);
            counts = valid ? decoded.AsSpan(0, m).ToArray() : [];
            return valid;
        }
        finally
        {
            System.Buffers.ArrayPool<uint>.Shared.Return(decoded);
        }
    }

    /// <summary>
    /// Decodes a compressed string into <paramref name="destination"/>, which holds at least as many counts as
    /// the string has characters; <paramref name="count"/> is the number of counts written.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> text, Span<uint> destination, out int count, out string? problem)
    {
        if (destination.Length < text.Length) throw new ArgumentException("The destination must hold as many counts as the string has characters.", nameof(destination));
        count = 0;
        int m = 0;
        int p = 0;
        while (p < text.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= text.Length)
                {
                    problem = $"a count cut short at the end of the string (count {m + 1})";
                    return false;
                }
                int c = text[p] - 48;
                if (c is < 0 or > 63)
                {
                    problem = $"the character '{(text[p] < 128 ? ((char)text[p]).ToString() : "non-ASCII")}' at position {p} (compressed counts use '0' to 'o')";
                    return false;
                }
                if (k >= 12)
                {
                    problem = $"a count longer than 12 characters at position {p}";
                    return false;
                }
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            // From the fourth count on, the stored value is the difference to the count two before.
            if (m > 2) x += destination[m - 2];
            if (x is < 0 or > uint.MaxValue)
            {
                problem = $"count {m + 1} decoding to {x}, outside 0 … {uint.MaxValue}";
                return false;
            }
            destination[m++] = (uint)x;
        }
        count = m;
        problem = null;
        return true;
    }
}
