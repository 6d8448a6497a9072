using System.Globalization;
using System.Text;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * Line-by-line reading of the whitespace-separated text formats (YOLO, txt, VOC results, image-size and
 * class-name lists). Input: a file, read in 64 KiB blocks, never whole. Output: one line at a time as
 * UTF-8 bytes without its line break, with its 1-based number, and the fields of a line as byte ranges.
 * Numbers are parsed from the bytes with the invariant culture, so ".88" and "1e-3" read as Python's
 * float() reads them, and the double is the correctly rounded value of the text (the reference files
 * are written as shortest round-trip decimals). Errors name file:line:column of the field.
 */

/// <summary>Reads a text file line by line, counting lines, without loading the whole file.</summary>
internal sealed class LineReader : IDisposable
{
    private readonly Stream _stream;
    private readonly CancellationToken _cancellation;
    private readonly IProgressSink? _progress;
    private byte[] _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
    private int _start;
    private int _end;
    private bool _eof;
    private bool _started;

    private LineReader(Stream stream, string displayName, CancellationToken cancellation, IProgressSink? progress = null)
    {
        _stream = stream;
        _cancellation = cancellation;
        _progress = progress;
        DisplayName = displayName;
    }

    /// <summary>Opens <paramref name="path"/>; errors name it as <paramref name="displayName"/>; <paramref name="progress"/> is told the bytes read.</summary>
    public static LineReader Open(string path, string displayName, CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        try
        {
            return new LineReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan), displayName, cancellation, progress);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InputFiles.CannotOpen(displayName, e);
        }
    }

    /// <summary>Reads from a stream (tests, memory).</summary>
    public static LineReader FromStream(Stream stream, string displayName, CancellationToken cancellation = default) => new(stream, displayName, cancellation);

    /// <summary>The file as the user named it.</summary>
    public string DisplayName { get; }

    /// <summary>The 1-based number of the line last returned.</summary>
    public int LineNumber { get; private set; }

    /// <summary>Returns the next line without its line break (LF, CRLF or CR-less); false at the end.</summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        if (!_started) Start();
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = TrimCarriageReturn(_buffer.AsSpan(_start, newline));
                _start += newline + 1;
                LineNumber++;
                return true;
            }
            if (_eof)
            {
                if (_start == _end)
                {
                    line = default;
                    return false;
                }
                line = TrimCarriageReturn(_buffer.AsSpan(_start, _end - _start));
                _start = _end;
                LineNumber++;
                return true;
            }
            Refill();
        }
    }

    /// <summary>An input error at the current line, optionally at a field's column.</summary>
    public AnnotationFormatException Error(string expected, string found, int? column = null, string? hint = null) =>
        new(new SourceLocation(DisplayName, LineNumber, column), expected, found, hint);

    private void Start()
    {
        _started = true;
        Refill();
        // A UTF-8 byte order mark is not part of the first field.
        if (_end - _start >= 3 && _buffer[_start] == 0xEF && _buffer[_start + 1] == 0xBB && _buffer[_start + 2] == 0xBF) _start += 3;
    }

    private void Refill()
    {
        _cancellation.ThrowIfCancellationRequested();
        int remaining = _end - _start;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, remaining);
            _start = 0;
            _end = remaining;
        }
        if (_end == _buffer.Length)
        {
            // The whole buffer is one unfinished line.
            if (_end >= InputLimits.MaxLineBytes) throw LineTooLong();
            byte[] larger = System.Buffers.ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
            System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        int read;
        try
        {
            read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        }
        catch (IOException e)
        {
            throw new AnnotationFormatException(new SourceLocation(DisplayName), "a readable file", $"a read error ({e.Message})", inner: e);
        }
        if (read == 0) _eof = true;
        else _end += read;
        _progress?.Advance(read);
    }

    private AnnotationFormatException LineTooLong() => new(
        new SourceLocation(DisplayName, LineNumber + 1),
        $"lines of at most {InputLimits.Describe(InputLimits.MaxLineBytes)}",
        $"a longer line ({InputLimits.Describe(_end)} without a line break)");

    private static ReadOnlySpan<byte> TrimCarriageReturn(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    public void Dispose()
    {
        _stream.Dispose();
        if (_buffer.Length > 0) System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}

/// <summary>Splitting a line into whitespace-separated fields and reading them as numbers.</summary>
internal static class Fields
{
    /// <summary>
    /// Finds the fields of <paramref name="line"/> (separated by spaces or tabs) and stores up to
    /// <c>ranges.Length</c> of them. Returns the number of fields in the line, which may be larger.
    /// </summary>
    public static int Split(ReadOnlySpan<byte> line, Span<Range> ranges)
    {
        int count = 0, i = 0;
        while (true)
        {
            while (i < line.Length && IsBlank(line[i])) i++;
            if (i == line.Length) return count;
            int start = i;
            while (i < line.Length && !IsBlank(line[i])) i++;
            if (count < ranges.Length) ranges[count] = new Range(start, i);
            count++;
        }
    }

    /// <summary>Splits on <paramref name="separator"/>, trimming blanks around each field; returns the field count.</summary>
    public static int SplitOn(ReadOnlySpan<byte> line, byte separator, Span<Range> ranges)
    {
        int count = 0, start = 0;
        for (int i = 0; i <= line.Length; i++)
        {
            if (i < line.Length && line[i] != separator) continue;
            int s = start, e = i;
            while (s < e && IsBlank(line[s])) s++;
            while (e > s && IsBlank(line[e - 1])) e--;
            if (count < ranges.Length) ranges[count] = new Range(s, e);
            count++;
            start = i + 1;
        }
        return count;
    }

    /// <summary>True for a line with nothing but blanks.</summary>
    public static bool IsBlankLine(ReadOnlySpan<byte> line)
    {
        foreach (byte b in line)
        {
            if (!IsBlank(b)) return false;
        }
        return true;
    }

    private static bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\f' or (byte)'\v';

    /// <summary>Parses a finite double (invariant culture, exactly rounded); false for anything else.</summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> text, out double value) =>
        TryParseShortDecimal(text, out value) ||
        (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value));

    /// <summary>10^0 .. 10^22: every one is exactly a double.</summary>
    private static ReadOnlySpan<double> PowersOfTen =>
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Clinger's fast path for the common short decimals ("0.482163", "640", ".88", "-3.5"): with at most
    /// 2^53 as the digits' integer and at most 22 decimals, both numbers of digits / 10^decimals are exact
    /// doubles, so the one division rounds exactly as a full parser does. Anything else (17 significant
    /// digits, exponents) returns false and goes to the full parser.
    /// </summary>
    private static bool TryParseShortDecimal(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        int i = 0;
        bool negative = false;
        if (text.Length > 0 && (text[0] == (byte)'-' || text[0] == (byte)'+'))
        {
            negative = text[0] == (byte)'-';
            i = 1;
        }
        ulong digits = 0;
        int count = 0, decimals = 0;
        bool point = false;
        for (; i < text.Length; i++)
        {
            byte c = text[i];
            if (c == (byte)'.' && !point)
            {
                point = true;
                continue;
            }
            uint digit = (uint)(c - '0');
            if (digit > 9 || count == 16) return false;
            digits = digits * 10 + digit;
            if (digits != 0) count++;
            if (point) decimals++;
        }
        if ((count == 0 && digits == 0 && !HasDigit(text)) || digits > (1UL << 53) || decimals > 22) return false;
        double magnitude = decimals == 0 ? digits : digits / PowersOfTen[decimals];
        value = negative ? -magnitude : magnitude;
        return true;
    }

    private static bool HasDigit(ReadOnlySpan<byte> text)
    {
        foreach (byte c in text)
        {
            if ((uint)(c - '0') <= 9) return true;
        }
        return false;
    }

    /// <summary>Parses a field as a finite number or throws an error naming the field and its column.</summary>
    public static double Number(LineReader reader, ReadOnlySpan<byte> line, Range field, string name)
    {
        ReadOnlySpan<byte> text = line[field];
        if (TryParseDouble(text, out double value)) return value;
        throw reader.Error($"a number for {name}", Quote(text), Column(line, field));
    }

    /// <summary>The 1-based column of a field, for messages.</summary>
    public static int Column(ReadOnlySpan<byte> line, Range field) => field.GetOffsetAndLength(line.Length).Offset + 1;

    /// <summary>A field's text for messages, quoted and shortened.</summary>
    public static string Quote(ReadOnlySpan<byte> text)
    {
        string s = Encoding.UTF8.GetString(text);
        if (s.Length > 40) s = s[..37] + "...";
        return $"'{s}'";
    }

    /// <summary>The text of a field.</summary>
    public static string Text(ReadOnlySpan<byte> line, Range field) => Encoding.UTF8.GetString(line[field]);

    /// <summary>"1 field", "3 fields".</summary>
    public static string Count(int n) => n == 1 ? "1 field" : $"{n.ToString(CultureInfo.InvariantCulture)} fields";
}
