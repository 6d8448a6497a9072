namespace DetectionEval.Eval.Loaders;

/*
 * A read-only wrapper around an input stream for the readers deval does not write itself (XmlReader,
 * CsvHelper): each Read checks the run's cancellation, so a long file stops soon after Ctrl-C, and, for
 * XML, counts the bytes since the last '<' or '>' and refuses a run longer than InputLimits.MaxXmlTokenBytes
 * (one text node or tag of gigabytes, which XmlReader would buffer whole). Lines are counted as the bytes
 * pass, for the error's location. The bytes themselves are passed through unchanged.
 */

/// <summary>Passes an input stream through, checking cancellation and, for XML, the length of tokens.</summary>
internal sealed class GuardedStream : Stream
{
    private readonly Stream _inner;
    private readonly string _displayName;
    private readonly CancellationToken _cancellation;
    private readonly int _maxXmlToken;
    private long _sinceMarkup;
    private int _line = 1;
    private int _runLine = 1;

    /// <param name="inner">The stream read; disposed with this one.</param>
    /// <param name="displayName">The file in messages.</param>
    /// <param name="cancellation">Checked on every read.</param>
    /// <param name="maxXmlToken">The longest run without '&lt;' or '&gt;'; 0 for no check (not XML).</param>
    public GuardedStream(Stream inner, string displayName, CancellationToken cancellation, int maxXmlToken = 0)
    {
        _inner = inner;
        _displayName = displayName;
        _cancellation = cancellation;
        _maxXmlToken = maxXmlToken;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        _cancellation.ThrowIfCancellationRequested();
        // Chunks no longer than the limit, so that a run too long always crosses a chunk's edge.
        if (_maxXmlToken > 0 && buffer.Length > _maxXmlToken) buffer = buffer[.._maxXmlToken];
        int read = _inner.Read(buffer);
        if (_maxXmlToken > 0 && read > 0) CheckXmlTokens(buffer[..read]);
        return read;
    }

    /// <summary>Follows the run of bytes without markup across chunks; a run inside one chunk is shorter than the limit.</summary>
    private void CheckXmlTokens(ReadOnlySpan<byte> bytes)
    {
        int first = bytes.IndexOfAny((byte)'<', (byte)'>');
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
