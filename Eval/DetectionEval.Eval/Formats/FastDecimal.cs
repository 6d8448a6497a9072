using System.Globalization;
using System.Runtime.CompilerServices;

namespace DetectionEval.Eval.Formats;

// Exact conversion of a JSON number to a double, fast for the short decimals annotation files hold.
//
// Input: the bytes of one JSON number token (already known to follow the JSON grammar).
// Method: Clinger's fast path. When the decimal significand w has at most 19 digits and fits in 53 bits,
// and the decimal exponent e lies in [-22, 22], both w and 10^|e| are exact doubles, so the one IEEE
// operation w * 10^e or w / 10^-e is correctly rounded: the same double double.Parse returns. Anything
// else goes to double.Parse. Reference: W. D. Clinger, "How to read floating point numbers accurately"
// (PLDI 1990); the same fast path opens every modern parser (fast_float, .NET's Number.Parsing).
// Sentinels: none; "-0" gives -0.0 as double.Parse does.

/// <summary>Parses JSON numbers to the exact double <c>double.Parse</c> gives, without its overhead for short decimals.</summary>
internal static class FastDecimal
{
    private const ulong MaxExactSignificand = 1UL << 53;

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>The double nearest to the decimal in <paramref name="number"/>, a valid JSON number.</summary>
    public static double Parse(ReadOnlySpan<byte> number)
    {
        int i = ReadPlain(number, 0, out ulong significand, out int digits, out int exponent, out bool negative);
        // More digits than the significand keeps: the exact conversion is not one operation.
        if (i < 0 || (i < number.Length && IsDigit(number[i]))) return Slow(number);
        if (i < number.Length)
        {
            // An exponent part: e or E, an optional sign, digits.
            i++;
            bool negativeExponent = number[i] == (byte)'-';
            if (number[i] is (byte)'-' or (byte)'+') i++;
            int explicitExponent = 0;
            for (; i < number.Length; i++)
            {
                if (explicitExponent > 10_000) return Slow(number);
                explicitExponent = explicitExponent * 10 + (number[i] - '0');
            }
            exponent += negativeExponent ? -explicitExponent : explicitExponent;
        }
        return TryExact(significand, digits, exponent, negative, out double value) ? value : Slow(number);
    }

    /// <summary>
    /// Reads the plain part of the JSON number at <paramref name="start"/>, <c>-?(0|[1-9][0-9]*)(.[0-9]+)?</c>: its
    /// decimal significand (at most 20 digits, counted from the first non-zero one, as <see cref="TryExact"/>
    /// takes them), the power of ten that scales it and its sign. Returns the index past what it read (where an
    /// exponent, a delimiter or a 21st digit follows), or -1 where the bytes do not begin such a number or end
    /// inside one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadPlain(ReadOnlySpan<byte> span, int start, out ulong significand, out int digits, out int exponent, out bool negative)
    {
        significand = 0;
        digits = 0;
        exponent = 0;
        int k = start;
        negative = k < span.Length && span[k] == (byte)'-';
        if (negative) k++;
        if (k == span.Length) return -1;
        if (span[k] == (byte)'0')
        {
            k++;
        }
        else if ((uint)(span[k] - '1') <= 8)
        {
            for (; k < span.Length && IsDigit(span[k]) && digits < 20; k++, digits++) significand = significand * 10 + (ulong)(span[k] - '0');
        }
        else
        {
            return -1;
        }
        if (k < span.Length && span[k] == (byte)'.')
        {
            int fractionStart = ++k;
            for (; k < span.Length && IsDigit(span[k]) && digits < 20; k++, exponent--)
            {
                significand = significand * 10 + (ulong)(span[k] - '0');
                if (significand != 0) digits++;
            }
            if (k == fractionStart) return -1;
        }
        return k;
    }

    /// <summary>
    /// Clinger's fast path: the double of <c>significand * 10^exponent</c> (negated when <paramref name="negative"/>),
    /// where <paramref name="digits"/> counts the significand's digits from its first non-zero one. False when the
    /// one IEEE operation would not be exact (too many digits, a significand past 2^53, |exponent| past 22):
    /// such a number goes to <c>double.Parse</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryExact(ulong significand, int digits, int exponent, bool negative, out double value)
    {
        value = 0;
        if (digits > 19 || significand > MaxExactSignificand || exponent < -22 || exponent > 22) return false;
        value = significand;
        value = exponent < 0 ? value / PowersOfTen[-exponent] : value * PowersOfTen[exponent];
        if (negative) value = -value;
        return true;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static double Slow(ReadOnlySpan<byte> number) => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture);
}
