using System.Text;
using DetectionEval.Eval;

namespace DetectionEval.Fuzz;

/*
 * The mutation engine. Input: a corpus of byte arrays (the seeds, then inputs that reached a new
 * outcome) and a dictionary of tokens for the format. Each call picks a corpus entry and stacks 1 to 6
 * mutations on it (AFL's "havoc" stage): bit flips, byte substitutions with bytes that matter to parsers,
 * insertions and replacements of tokens (NaN, -1e309, quotes, <!DOCTYPE, deep nesting, huge numbers,
 * the format's own keywords), deletions, duplications and repetitions of ranges, truncation, splicing
 * with another entry, and number rewrites. Everything is drawn from one xoshiro256** stream, so a seed
 * gives the same inputs on every machine. Inputs are kept under MaxLength bytes, except for the rare
 * "huge" mutation (a long repetition) that tests the loaders' limits.
 */

/// <summary>Deterministic structure-blind mutations of byte inputs.</summary>
internal sealed class Mutator
{
    /// <summary>Inputs grow no larger than this, so that executions stay fast.</summary>
    public const int MaxLength = 16 << 10;

    /// <summary>The rare huge input: a repetition up to this size.</summary>
    public const int HugeLength = 2 << 20;

    private static readonly byte[] InterestingBytes =
        [0, 1, 0x7F, 0x80, 0xFF, (byte)'"', (byte)'\'', (byte)'\\', (byte)'<', (byte)'>', (byte)'/', (byte)'{', (byte)'}', (byte)'[', (byte)']',
         (byte)',', (byte)';', (byte)':', (byte)'\n', (byte)'\r', (byte)'\t', (byte)' ', (byte)'-', (byte)'+', (byte)'.', (byte)'e', (byte)'E',
         (byte)'0', (byte)'1', (byte)'9', (byte)'&', (byte)'#', (byte)'=', (byte)'?', (byte)'!'];

    private static readonly string[] CommonTokens =
    [
        "NaN", "-NaN", "Infinity", "-Infinity", "inf", "-1e309", "1e309", "1e308", "-1e308", "1e-400", "4.9e-324", "-0", "0.0", "1e12", "1e15",
        "9007199254740993", "99999999999999999999", "-9223372036854775809", "9223372036854775807", "2147483648", "-2147483649", "0x10", "1_000",
        "\"", "\\\"", "\\u0000", "\\uD800", "\\n", "null", "true", "false", "\u00e9", "\u2028", "\uFEFF", "\0",
        "<!DOCTYPE a [<!ENTITY x \"y\">]>", "<!DOCTYPE a SYSTEM \"file:///etc/passwd\">", "&x;", "&amp;", "&#0;", "<![CDATA[", "]]>", "<!--", "-->",
        "<?xml version=\"1.0\"?>", "\r\n", "\n\n", "\t", ",", ";", "|",
    ];

    private readonly Xoshiro256StarStar _random;
    private readonly byte[][] _tokens;

    public Mutator(ulong seed, IEnumerable<string> formatTokens)
    {
        _random = new Xoshiro256StarStar(seed, 0);
        _tokens = [.. CommonTokens.Concat(formatTokens).Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>The stream every choice of the campaign draws from.</summary>
    public Xoshiro256StarStar Random => _random;

    /// <summary>A new input made from <paramref name="corpus"/>.</summary>
    public byte[] Next(IReadOnlyList<byte[]> corpus)
    {
        var data = new List<byte>(corpus[_random.NextInt(corpus.Count)]);
        int mutations = 1 + _random.NextInt(6);
        for (int m = 0; m < mutations; m++) Mutate(data, corpus);
        if (data.Count > MaxLength && !_huge) data.RemoveRange(MaxLength, data.Count - MaxLength);
        _huge = false;
        return [.. data];
    }

    private bool _huge;

    private void Mutate(List<byte> data, IReadOnlyList<byte[]> corpus)
    {
        switch (_random.NextInt(14))
        {
            case 0: FlipBit(data); break;
            case 1: SetByte(data, InterestingBytes[_random.NextInt(InterestingBytes.Length)]); break;
            case 2: SetByte(data, (byte)_random.NextInt(256)); break;
            case 3: case 4: Insert(data, Token()); break;
            case 5: ReplaceRange(data, Token()); break;
            case 6: DeleteRange(data); break;
            case 7: DuplicateRange(data); break;
            case 8: Truncate(data); break;
            case 9: Splice(data, corpus[_random.NextInt(corpus.Count)]); break;
            case 10: RewriteNumber(data); break;
            case 11: Insert(data, Nesting()); break;
            case 12: RepeatRange(data); break;
            default: SwapRanges(data); break;
        }
    }

    private byte[] Token() => _tokens[_random.NextInt(_tokens.Length)];

    private int Position(List<byte> data) => data.Count == 0 ? 0 : _random.NextInt(data.Count + 1);

    private void FlipBit(List<byte> data)
    {
        if (data.Count == 0) return;
        int i = _random.NextInt(data.Count);
        data[i] ^= (byte)(1 << _random.NextInt(8));
    }

    private void SetByte(List<byte> data, byte value)
    {
        if (data.Count == 0)
        {
            data.Add(value);
            return;
        }
        data[_random.NextInt(data.Count)] = value;
    }

    private void Insert(List<byte> data, byte[] bytes) => data.InsertRange(Position(data), bytes);

    /// <summary>A short range: mostly a few bytes, sometimes up to a quarter of the input.</summary>
    private (int Start, int Length) Range(List<byte> data)
    {
        if (data.Count == 0) return (0, 0);
        int start = _random.NextInt(data.Count);
        int limit = data.Count - start;
        int length = _random.Chance(0.8) ? 1 + _random.NextInt(Math.Min(16, limit)) : 1 + _random.NextInt(Math.Max(1, Math.Min(limit, data.Count / 4 + 1)));
        return (start, Math.Min(length, limit));
    }

    private void ReplaceRange(List<byte> data, byte[] bytes)
    {
        (int start, int length) = Range(data);
        data.RemoveRange(start, length);
        data.InsertRange(start, bytes);
    }

    private void DeleteRange(List<byte> data)
    {
        (int start, int length) = Range(data);
        data.RemoveRange(start, length);
    }

    private void DuplicateRange(List<byte> data)
    {
        (int start, int length) = Range(data);
        byte[] copy = [.. data.GetRange(start, length)];
        data.InsertRange(Position(data), copy);
    }

    private void Truncate(List<byte> data)
    {
        if (data.Count == 0) return;
        int keep = _random.NextInt(data.Count);
        data.RemoveRange(keep, data.Count - keep);
    }

    /// <summary>A prefix of this input followed by a suffix of another, cut at random places.</summary>
    private void Splice(List<byte> data, byte[] other)
    {
        int cut = Position(data);
        int from = other.Length == 0 ? 0 : _random.NextInt(other.Length);
        data.RemoveRange(cut, data.Count - cut);
        data.AddRange(other.AsSpan(from).ToArray());
    }

    /// <summary>Replaces one run of digits by an extreme number.</summary>
    private void RewriteNumber(List<byte> data)
    {
        if (data.Count == 0) return;
        int start = _random.NextInt(data.Count);
        while (start < data.Count && !char.IsAsciiDigit((char)data[start])) start++;
        if (start == data.Count) return;
        int end = start;
        while (end < data.Count && (char.IsAsciiDigit((char)data[end]) || data[end] is (byte)'.' or (byte)'e' or (byte)'-')) end++;
        string[] numbers = ["0", "-1", "1e308", "-1e308", "1e12", "1e-320", "2147483647", "2147483648", "9223372036854775807", "123456789012345678901234567890", "0.1e1", "1.", ".5", "5e", "1e+", "00", "-"];
        data.RemoveRange(start, end - start);
        data.InsertRange(start, Encoding.ASCII.GetBytes(numbers[_random.NextInt(numbers.Length)]));
    }

    /// <summary>Deep nesting of one of the formats' brackets.</summary>
    private byte[] Nesting()
    {
        int depth = _random.Chance(0.9) ? 1 + _random.NextInt(100) : 1 + _random.NextInt(5000);
        string open = _random.NextInt(4) switch { 0 => "[", 1 => "{\"a\":", 2 => "<a>", _ => "[{\"shapes\":" };
        var text = new StringBuilder();
        for (int i = 0; i < depth; i++) text.Append(open);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>One range repeated many times; rarely a huge repetition past <see cref="MaxLength"/>.</summary>
    private void RepeatRange(List<byte> data)
    {
        (int start, int length) = Range(data);
        if (length == 0) return;
        byte[] unit = [.. data.GetRange(start, length)];
        bool huge = _random.Chance(0.001);
        int target = huge ? HugeLength : Math.Min(MaxLength, unit.Length * (2 + _random.NextInt(200)));
        _huge |= huge;
        var repeated = new byte[target / unit.Length * unit.Length];
        for (int i = 0; i < repeated.Length; i += unit.Length) unit.CopyTo(repeated, i);
        data.InsertRange(start, repeated);
    }

    private void SwapRanges(List<byte> data)
    {
        (int a, int lengthA) = Range(data);
        (int b, int lengthB) = Range(data);
        if (lengthA == 0 || lengthB == 0 || a == b) return;
        if (a > b) (a, lengthA, b, lengthB) = (b, lengthB, a, lengthA);
        if (a + lengthA > b) return;
        byte[] first = [.. data.GetRange(a, lengthA)], second = [.. data.GetRange(b, lengthB)];
        data.RemoveRange(b, lengthB);
        data.InsertRange(b, first);
        data.RemoveRange(a, lengthA);
        data.InsertRange(a, second);
    }
}
