using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/// <summary>
/// Pulls JSON tokens from a stream of any size with <see cref="Utf8JsonReader"/>, keeping only a window
/// of the input in memory, and tracks the JSON path of the current token for error messages.
/// </summary>
/// <remarks>
/// <see cref="Utf8JsonReader"/> is a ref struct and cannot live in a field, so tokens are read in
/// batches: one reader runs over the buffered bytes and records each complete token's position; the
/// loader then consumes the batch token by token. The buffer is refilled (and compacted) only when the
/// batch is exhausted, so the value of the current token stays valid until the next <see cref="Read"/>.
/// A syntax error is queued after the tokens before it, so it surfaces with the path where it happened.
/// </remarks>
internal sealed class JsonStreamReader : IDisposable
{
    private const int InitialBufferSize = 1 << 16;
    private const int MaxBatch = 4096;

    /// <summary>The longest single token (a string, a number, or a run of whitespace) the reader buffers: 64 MiB.</summary>
    /// <remarks>LabelMe's embedded <c>imageData</c> (a base64 image) is the longest legitimate one, a few MiB.</remarks>
    public const int MaxTokenBytes = InputLimits.MaxJsonTokenBytes;

    private readonly Stream _stream;
    private readonly string _displayName;
    private readonly string? _filePath;
    private readonly CancellationToken _cancellation;
    private readonly IProgressSink? _progress;
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _finalBlock;
    private bool _started;
    private JsonReaderState _state = new(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });

    private readonly Token[] _batch = new Token[MaxBatch];
    private int _batchCount;
    private int _batchNext;
    private JsonException? _pendingError;
    private Token _current;

    private Frame[] _frames = new Frame[16];
    private int _depth;
    private readonly PropertyNameCache _names = new();

    /// <summary>Opens a file for reading; <paramref name="progress"/> is told the bytes read.</summary>
    public static JsonStreamReader OpenFile(string path, string displayName, CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InputFiles.CannotOpen(displayName, e);
        }
        return new JsonStreamReader(stream, displayName, path, cancellation, progress);
    }

    public JsonStreamReader(Stream stream, string displayName, string? filePath = null, CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        _stream = stream;
        _displayName = displayName;
        _filePath = filePath;
        _cancellation = cancellation;
        _progress = progress;
        _origin = filePath is null && stream.CanSeek ? stream.Position : -1;
    }

    /// <summary>Where a seekable stream without a file started, so that errors can count its lines; -1 otherwise.</summary>
    private readonly long _origin;

    /// <summary>The name of the input in messages.</summary>
    public string DisplayName => _displayName;

    /// <summary>Type of the current token.</summary>
    public JsonTokenType TokenType => _current.Type;

    /// <summary>Depth of the current token; 0 outside the top-level value.</summary>
    public int Depth => _depth;

    /// <summary>Advances to the next token.</summary>
    /// <returns>False at the end of the input.</returns>
    public bool Read()
    {
        if (_batchNext == _batchCount && !FillBatch())
        {
            _current = default;
            return false;
        }
        _current = _batch[_batchNext++];
        TrackPath();
        return true;
    }

    /// <summary>Advances and fails with a clear message when the input ends.</summary>
    public void ReadExpecting(string expected)
    {
        if (!Read()) throw Error(expected, "the end of the file", atEnd: true);
    }

    /// <summary>Inside an object: advances to the next property name (true) or to the object's end (false).</summary>
    public bool NextProperty()
    {
        ReadExpecting("a property or the end of the object");
        return TokenType switch
        {
            JsonTokenType.PropertyName => true,
            JsonTokenType.EndObject => false,
            _ => throw Error("a property name"),
        };
    }

    /// <summary>Reads a value that is a string or null.</summary>
    public string? ReadOptionalString()
    {
        ReadExpecting("a string");
        if (TokenType == JsonTokenType.Null) return null;
        if (TokenType != JsonTokenType.String) throw Error("a string");
        return GetString();
    }

    /// <summary>Reads an image size in pixels (a whole number from 0 to int.MaxValue) or null.</summary>
    public int? ReadOptionalPixels()
    {
        const string Expected = "an image size in pixels, a whole number from 0 to 2147483647";
        ReadExpecting(Expected);
        if (TokenType == JsonTokenType.Null) return null;
        if (TokenType != JsonTokenType.Number || !TryGetInt64(out long size) || size < 0 || size > int.MaxValue) throw Error(Expected);
        return (int)size;
    }

    private bool FillBatch()
    {
        _batchCount = 0;
        _batchNext = 0;
        // Every few thousand tokens: a long file stops soon after it is cancelled.
        _cancellation.ThrowIfCancellationRequested();
        while (true)
        {
            if (_pendingError is { } error) throw SyntaxError(error);
            if (!_started) StartReading();
            ReadTokensIntoBatch();
            if (_batchCount > 0 || _pendingError is not null)
            {
                if (_batchCount > 0) return true;
                continue;
            }
            if (_finalBlock) return false;
            Refill();
        }
    }

    private void StartReading()
    {
        _started = true;
        Refill();
        // A UTF-8 byte order mark is legal at the start of a file but not a JSON token.
        if (_end - _start >= 3 && _buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF) _start = 3;
    }

    private void ReadTokensIntoBatch()
    {
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _finalBlock, _state);
        try
        {
            while (_batchCount < MaxBatch && reader.Read())
            {
                JsonTokenType type = reader.TokenType;
                int tokenStart = _start + (int)reader.TokenStartIndex;
                bool isText = type is JsonTokenType.String or JsonTokenType.PropertyName;
                _batch[_batchCount++] = new Token(
                    type,
                    isText ? tokenStart + 1 : tokenStart,
                    reader.ValueSpan.Length,
                    reader.ValueIsEscaped,
                    _bufferOffset + tokenStart);
            }
        }
        catch (JsonException e)
        {
            _pendingError = e;
        }
        _start += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
    }

    private void Refill()
    {
        int remaining = _end - _start;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, remaining);
            _bufferOffset += _start;
            _start = 0;
            _end = remaining;
        }
        if (_end == _buffer.Length)
        {
            // The whole buffer is one unfinished token: grow it, but not without bound.
            if (_buffer.Length >= MaxTokenBytes) throw TokenTooLong();
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxTokenBytes));
        }
        int read;
        try
        {
            read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        }
        catch (IOException e)
        {
            throw new AnnotationFormatException(new SourceLocation(_displayName), "a readable file", $"a read error ({e.Message})", inner: e);
        }
        if (read == 0) _finalBlock = true;
        else _end += read;
        _progress?.Advance(read);
    }

    private AnnotationFormatException TokenTooLong()
    {
        (int? line, int? column) = LineAndColumn(_bufferOffset + _start);
        return new AnnotationFormatException(
            new SourceLocation(_displayName, line, column, CurrentPathForSyntaxError()),
            $"JSON values (strings, numbers, whitespace between them) of at most {InputLimits.Describe(MaxTokenBytes)}",
            $"one of more than {InputLimits.Describe(MaxTokenBytes)}");
    }

    // ---- values of the current token ----

    private ReadOnlySpan<byte> RawValue => _buffer.AsSpan(_current.ValueStart, _current.ValueLength);

    /// <summary>The current string's UTF-8 bytes when it has no escape; empty with false otherwise (then use <see cref="GetString"/>).</summary>
    public bool TryGetUnescapedUtf8(out ReadOnlySpan<byte> utf8)
    {
        utf8 = _current.Escaped ? default : RawValue;
        return !_current.Escaped;
    }

    /// <summary>The current string or property name.</summary>
    public string GetString()
    {
        if (!_current.Escaped) return Encoding.UTF8.GetString(RawValue);
        try
        {
            return Unescape(RawValue);
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader accepts "\uD800" alone as a token but cannot make a string of it.
            throw Error("a string of valid Unicode", "an escaped half of a surrogate pair (\\uD800 to \\uDFFF) on its own");
        }
    }

    /// <summary>True when the current property name or string equals <paramref name="utf8"/>.</summary>
    public bool ValueEquals(ReadOnlySpan<byte> utf8) =>
        _current.Escaped ? GetString() == Encoding.UTF8.GetString(utf8) : RawValue.SequenceEqual(utf8);

    /// <summary>The current number (a <see cref="JsonTokenType.Number"/> token) as the exact double its text denotes (IEEE round-to-nearest, as <c>double.Parse</c>).</summary>
    public double GetDouble() => FastDecimal.Parse(RawValue);

    /// <summary>The current number as an integer, when it is one (<c>3</c> and <c>3.0</c> both are).</summary>
    public bool TryGetInt64(out long value)
    {
        if (Utf8Parser.TryParse(RawValue, out value, out int consumed) && consumed == _current.ValueLength) return true;
        double d = GetDouble();
        if (d == Math.Floor(d) && Math.Abs(d) <= 9.007199254740992e15)
        {
            value = (long)d;
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>Skips the current value (and everything inside it) or, on a property name, its value.</summary>
    public void Skip()
    {
        if (_current.Type == JsonTokenType.PropertyName) ReadExpecting("a value");
        if (_current.Type is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            int target = _depth - 1;
            while (_depth > target) ReadExpecting("the end of the " + (_frames[target].IsArray ? "array" : "object"));
        }
    }

    // ---- locations and messages ----

    /// <summary>The JSON path of the current token, e.g. <c>$.annotations[3].bbox</c>.</summary>
    public string CurrentPath
    {
        get
        {
            var path = new StringBuilder("$");
            for (int i = 0; i < _depth; i++)
            {
                Frame frame = _frames[i];
                bool isInnermost = i == _depth - 1;
                bool isOpenedByCurrentToken = isInnermost && _current.Type is JsonTokenType.StartObject or JsonTokenType.StartArray;
                if (isOpenedByCurrentToken) break;
                if (frame.IsArray)
                {
                    if (frame.Index >= 0) path.Append('[').Append(frame.Index.ToString(CultureInfo.InvariantCulture)).Append(']');
                }
                else if (frame.Property is not null)
                {
                    path.Append('.').Append(frame.Property);
                }
            }
            return path.ToString();
        }
    }

    /// <summary>A short description of the current token, for "but got ..." messages.</summary>
    public string DescribeToken() => _current.Type switch
    {
        JsonTokenType.String => $"the string \"{Shorten(GetString())}\"",
        JsonTokenType.Number => $"the number {Shorten(Encoding.UTF8.GetString(RawValue))}",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.EndObject => "the end of the object",
        JsonTokenType.EndArray => "the end of the array",
        JsonTokenType.PropertyName => $"the property \"{Shorten(GetString())}\"",
        _ => "nothing",
    };

    /// <summary>The location of the current token.</summary>
    public SourceLocation CurrentLocation(bool atEnd = false)
    {
        long offset = atEnd ? _bufferOffset + _end : _current.Offset;
        (int? line, int? column) = LineAndColumn(offset);
        return new SourceLocation(_displayName, line, column, CurrentPath);
    }

    /// <summary>An input error at the current token.</summary>
    public AnnotationFormatException Error(string expected, string? found = null, string? hint = null, bool atEnd = false) =>
        new(CurrentLocation(atEnd), expected, found ?? DescribeToken(), hint);

    /// <summary>An input error at a location remembered earlier.</summary>
    public AnnotationFormatException ErrorAt(long offset, string path, string expected, string found, string? hint = null)
    {
        (int? line, int? column) = LineAndColumn(offset);
        return new AnnotationFormatException(new SourceLocation(_displayName, line, column, path), expected, found, hint);
    }

    /// <summary>Byte offset of the current token in the input.</summary>
    public long CurrentOffset => _current.Offset;

    private AnnotationFormatException SyntaxError(JsonException e)
    {
        int? line = e.LineNumber is long l ? (int)l + 1 : null;
        int? column = e.BytePositionInLine is long c ? (int)c + 1 : null;
        string reason = e.Message;
        int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) reason = reason[..cut].TrimEnd().TrimEnd('.');
        string snippet = UnreadSnippet();
        string found;
        if (_finalBlock && snippet.Length == 0)
        {
            found = "the end of the file inside an unfinished object or array (is the file cut short?)";
        }
        else if (snippet.StartsWith("NaN", StringComparison.Ordinal) || snippet.StartsWith("Infinity", StringComparison.Ordinal) || snippet.StartsWith("-Infinity", StringComparison.Ordinal))
        {
            found = $"'{snippet}', which is not a JSON number (JSON has no NaN or Infinity)";
        }
        else
        {
            found = snippet.Length == 0 ? $"invalid JSON ({reason})" : $"'{snippet}' ({reason})";
        }
        return new AnnotationFormatException(
            new SourceLocation(_displayName, line, column, CurrentPathForSyntaxError()),
            "valid JSON", found, inner: e);
    }

    /// <summary>The start of the text the reader could not take, past separators, for error messages.</summary>
    private string UnreadSnippet()
    {
        int i = _start;
        while (i < _end && _buffer[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)':' or (byte)',') i++;
        int end = i;
        while (end < _end && end - i < 20 && _buffer[end] is not ((byte)'\n' or (byte)'\r' or (byte)',' or (byte)'}' or (byte)']')) end++;
        return Encoding.UTF8.GetString(_buffer, i, end - i).Trim();
    }

    private string CurrentPathForSyntaxError() => _depth == 0 && _current.Type == JsonTokenType.None ? "$" : CurrentPath;

    /// <summary>Counts lines up to <paramref name="offset"/> by reading the file (or a seekable stream) again; only on errors.</summary>
    private (int? Line, int? Column) LineAndColumn(long offset)
    {
        if (_filePath is not null || _origin < 0) return LineAndColumnIn(_filePath, offset);
        try
        {
            long position = _stream.Position;
            _stream.Position = _origin;
            (int? Line, int? Column) found = LineAndColumnIn(_stream, offset);
            _stream.Position = position;
            return found;
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
        {
            return (null, null);
        }
    }

    /// <summary>The 1-based line and column of a byte offset in a file, counted by reading it again; only for errors.</summary>
    public static (int? Line, int? Column) LineAndColumnIn(string? filePath, long offset)
    {
        if (filePath is null) return (null, null);
        try
        {
            using var file = new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return LineAndColumnIn(file, offset);
        }
        catch (IOException)
        {
            return (null, null);
        }
    }

    /// <summary>The 1-based line and column of a byte offset past the current position of <paramref name="file"/>, counted by reading it.</summary>
    private static (int? Line, int? Column) LineAndColumnIn(Stream file, long offset)
    {
        byte[] chunk = new byte[1 << 16];
        long position = 0, lineStart = 0;
        int line = 1;
        while (position < offset)
        {
            int read = file.Read(chunk, 0, (int)Math.Min(chunk.Length, offset - position));
            if (read == 0) break;
            for (int i = 0; i < read; i++)
            {
                if (chunk[i] == (byte)'\n')
                {
                    line++;
                    lineStart = position + i + 1;
                }
            }
            position += read;
        }
        long column = offset - lineStart + 1;
        return (line, column <= int.MaxValue ? (int)column : null);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";

    private static string Unescape(ReadOnlySpan<byte> escaped)
    {
        byte[] quoted = new byte[escaped.Length + 2];
        quoted[0] = (byte)'"';
        escaped.CopyTo(quoted.AsSpan(1));
        quoted[^1] = (byte)'"';
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        return reader.GetString() ?? "";
    }

    private void TrackPath()
    {
        switch (_current.Type)
        {
            case JsonTokenType.PropertyName:
                _frames[_depth - 1].Property = _current.Escaped ? GetString() : _names.Get(RawValue);
                break;
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                AdvanceArrayIndex();
                if (_depth == _frames.Length) Array.Resize(ref _frames, _frames.Length * 2);
                _frames[_depth++] = new Frame(_current.Type == JsonTokenType.StartArray);
                break;
            case JsonTokenType.EndObject:
            case JsonTokenType.EndArray:
                _depth--;
                break;
            default:
                AdvanceArrayIndex();
                break;
        }
    }

    private void AdvanceArrayIndex()
    {
        if (_depth > 0 && _frames[_depth - 1].IsArray) _frames[_depth - 1].Index++;
    }

    public void Dispose() => _stream.Dispose();

    private readonly record struct Token(JsonTokenType Type, int ValueStart, int ValueLength, bool Escaped, long Offset);

    private struct Frame(bool isArray)
    {
        public readonly bool IsArray = isArray;
        public int Index = -1;
        public string? Property;
    }

    /// <summary>Property names repeat in every object; a small hash table keeps one string per name.</summary>
    private sealed class PropertyNameCache
    {
        private readonly (byte[] Bytes, string Name)?[] _slots = new (byte[], string)?[256];

        public string Get(ReadOnlySpan<byte> utf8)
        {
            uint hash = 2166136261;
            foreach (byte b in utf8) hash = (hash ^ b) * 16777619;
            ref (byte[] Bytes, string Name)? slot = ref _slots[hash & 255];
            if (slot is { } cached && cached.Bytes.AsSpan().SequenceEqual(utf8)) return cached.Name;
            string name = Encoding.UTF8.GetString(utf8);
            if (utf8.Length <= 64) slot = (utf8.ToArray(), name);
            return name;
        }
    }
}
