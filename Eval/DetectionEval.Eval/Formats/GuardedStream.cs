using DetectionEval.Eval.IO;
namespace DetectionEval.Eval.Formats;

/*
 * A read-only wrapper around an input stream for the readers deval does not write itself (XmlReader,
 * CsvHelper): each Read checks the run's cancellation, so a long file stops soon after Ctrl-C, tells the
 * progress display (when there is one) how many bytes it read, and, for XML, counts the bytes since the
 * last '<' or '>' and refuses a run longer than InputLimits.MaxXmlTokenBytes (one text node or tag of
 * gigabytes, which XmlReader would buffer whole). Lines are counted as the bytes pass, for the error's
 * location. The bytes themselves are passed through unchanged.
 */

/// <summary>Passes an input stream through, checking cancellation, counting the bytes for progress and, for XML, the length of tokens.</summary>
internal sealed class GuardedStream : Stream
{
    private readonly Stream _inner;
    private readonly string _displayName;
    private readonly CancellationToken _cancellation;
    private readonly IProgressSink? _progress;
    private readonly int _maxXmlToken;
    private long _sinceMarkup;
    private int _line = 1;
    private int _runLine = 1;
    private long _offset;
    private bool _inTag;
    private long _tagSpace;
    private int _tagLine = 1;
    private long _lineStart;
    private byte[] _tail = [];

    /// <summary>Where the first <c>&lt;!D</c> (a DOCTYPE's start) of an XML input is (1-based line and column), once it has been read; XmlReader's refusal of a DTD has no line.</summary>
    public (int Line, int Column)? Doctype { get; private set; }

    /// <summary>The line the bytes read so far end on (for XML), where a reader that gives no line stopped.</summary>
    public int Line => _line;

    /// <param name="inner">The stream read; disposed with this one.</param>
    /// <param name="displayName">The file in messages.</param>
    /// <param name="cancellation">Checked on every read.</param>
    /// <param name="maxXmlToken">The longest run without '&lt;' or '&gt;'; 0 for no check (not XML).</param>
    /// <param name="progress">Told the bytes read; null for none.</param>
    public GuardedStream(Stream inner, string displayName, CancellationToken cancellation, int maxXmlToken = 0, IProgressSink? progress = null)
    {
        _inner = inner;
        _displayName = displayName;
        _cancellation = cancellation;
        _progress = progress;
        _maxXmlToken = maxXmlToken;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        _cancellation.ThrowIfCancellationRequested();
        // Chunks no longer than the limit, so that a run too long always crosses a chunk's edge.
        if (_maxXmlToken > 0 && buffer.Length > _maxXmlToken) buffer = buffer[.._maxXmlToken];
        int read = _inner.Read(buffer);
        _progress?.Advance(read);
        if (_maxXmlToken > 0 && read > 0)
        {
            if (Doctype is null) FindDoctype(buffer[..read]);
            CheckTagSpace(buffer[..read]);
            CheckXmlTokens(buffer[..read]);
            _offset += read;
        }
        return read;
    }

    /// <summary>Looks for "&lt;!D" in the chunk, and across its start with the last bytes of the previous one: XmlReader refuses a DTD as soon as it reads those three bytes.</summary>
    private void FindDoctype(ReadOnlySpan<byte> bytes)
    {
        ReadOnlySpan<byte> doctype = "<!D"u8;
        byte[] joined = [.. _tail, .. bytes[..Math.Min(bytes.Length, doctype.Length)]];
        int at = joined.AsSpan().IndexOf(doctype);
        long position;
        if (at >= 0) position = _offset - _tail.Length + at;
        else
        {
            at = bytes.IndexOf(doctype);
            if (at < 0)
            {
                _tail = bytes[Math.Max(0, bytes.Length - (doctype.Length - 1))..].ToArray();
                return;
            }
            position = _offset + at;
        }
        // Lines before the chunk are counted already; count those inside it up to the DOCTYPE.
        int inChunk = (int)Math.Max(0, position - _offset);
        ReadOnlySpan<byte> before = bytes[..inChunk];
        int newline = before.LastIndexOf((byte)'\n');
        long lineStart = newline >= 0 ? _offset + newline + 1 : _lineStart;
        long column = position - lineStart + 1;
        Doctype = (_line + before.Count((byte)'\n'), column <= int.MaxValue ? (int)column : 1);
    }

    /// <summary>
    /// Follows the whitespace inside tags (between '&lt;' and '&gt;') across chunks: XmlReader takes time
    /// quadratic in a run of whitespace inside one tag (a second for 1 MiB, minutes for 16 MiB), so a run
    /// longer than <see cref="InputLimits.MaxXmlTagSpace"/> is refused.
    /// </summary>
    private void CheckTagSpace(ReadOnlySpan<byte> bytes)
    {
        ReadOnlySpan<byte> space = " \t\r\n"u8;
        int line = _line;
        int i = 0;
        while (i < bytes.Length)
        {
            if (!_inTag)
            {
                int open = bytes[i..].IndexOf((byte)'<');
                if (open < 0) return;
                line += bytes.Slice(i, open).Count((byte)'\n');
                i += open + 1;
                (_inTag, _tagSpace, _tagLine) = (true, 0, line);
                continue;
            }
            int markup = bytes[i..].IndexOfAny((byte)'<', (byte)'>');
            int end = markup < 0 ? bytes.Length : i + markup;
            for (int j = i; j < end;)
            {
                int run = bytes[j..end].IndexOfAnyExcept(space);
                _tagSpace += run < 0 ? end - j : run;
                if (_tagSpace > InputLimits.MaxXmlTagSpace) throw TagSpaceTooLong();
                if (run < 0) break;
                j += run;
                int next = bytes[j..end].IndexOfAny(space);
                j = next < 0 ? end : j + next;
                _tagSpace = 0;
            }
            if (markup < 0) return;
            line += bytes[i..end].Count((byte)'\n');
            (_inTag, _tagSpace, _tagLine) = (bytes[end] == (byte)'<', 0, line);
            i = end + 1;
        }
    }

    private AnnotationFormatException TagSpaceTooLong() => new(
        new SourceLocation(_displayName, _tagLine),
        $"XML tags with at most {InputLimits.Describe(InputLimits.MaxXmlTagSpace)} of spaces and line breaks in a row",
        $"a tag with more than {InputLimits.Describe(InputLimits.MaxXmlTagSpace)} of them");

    /// <summary>Follows the run of bytes without markup across chunks; a run inside one chunk is shorter than the limit.</summary>
    private void CheckXmlTokens(ReadOnlySpan<byte> bytes)
    {
        int first = bytes.IndexOfAny((byte)'<', (byte)'>');
        int lastNewline = bytes.LastIndexOf((byte)'\n');
        if (lastNewline >= 0) _lineStart = _offset + lastNewline + 1;
        if (first < 0)
        {
            _sinceMarkup += bytes.Length;
            if (_sinceMarkup > _maxXmlToken) throw TooLong();
            _line += bytes.Count((byte)'\n');
            return;
        }
        if (_sinceMarkup + first > _maxXmlToken) throw TooLong();
        int last = bytes.LastIndexOfAny((byte)'<', (byte)'>');
        int before = bytes[..last].Count((byte)'\n');
        _runLine = _line + before;
        _line += before + bytes[last..].Count((byte)'\n');
        _sinceMarkup = bytes.Length - last - 1;
    }

    private AnnotationFormatException TooLong() => new(
        new SourceLocation(_displayName, _runLine),
        $"XML whose text and tags are at most {InputLimits.Describe(_maxXmlToken)} each",
        $"a run of more than {InputLimits.Describe(_maxXmlToken)} without '<' or '>'");

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
