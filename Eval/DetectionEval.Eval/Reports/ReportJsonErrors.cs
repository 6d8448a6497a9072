using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Reports;

// Turns System.Text.Json's refusal of a report into the one-line input error: the file, the line (and, for
// a syntax error, the column where the reader stopped), the JSON path STJ gives, what belongs there and what
// the file holds. STJ says where, and that something is wrong; what belongs there comes from the schema's
// metadata (ReportJsonContext: the type at the path, its required properties), and what the file holds
// from the report read once more as a JsonDocument. That second reading happens only here, on the error
// path, and only when the input can be read again (a file, a seekable stream); otherwise STJ's own words
// stand in for the value found.

/// <summary>Explains a <see cref="JsonException"/> from reading a report as an <see cref="AnnotationFormatException"/>.</summary>
internal static partial class ReportJsonErrors
{
    /// <summary>What the whole file must be.</summary>
    public const string TopLevel = "a JSON object written by deval evaluate --json";

    /// <summary>The input error for <paramref name="e"/>.</summary>
    /// <param name="e">What STJ threw.</param>
    /// <param name="source">How messages name the report.</param>
    /// <param name="readAgain">The report's bytes once more; null when it cannot be read again.</param>
    public static AnnotationFormatException Explain(JsonException e, string source, Func<byte[]>? readAgain)
    {
        int? line = e.LineNumber is long l && l < int.MaxValue ? (int)l + 1 : null;
        byte[]? input = ReadAgain(readAgain);
        string path = e.Path ?? "$";
        // STJ wraps its reader's syntax errors; everything else is a value that does not fit the schema.
        if (e.InnerException is JsonException syntax)
        {
            int? column = e.BytePositionInLine is long c && c < int.MaxValue ? (int)c + 1 : null;
            return Syntax(new SourceLocation(source, line, column, path), e, Reason(syntax), input);
        }
        var at = new SourceLocation(source, line, Path: path);
        return (input is null ? null : Mismatch(at, e, input))
            ?? new AnnotationFormatException(at, "a report as deval evaluate --json writes it", $"a value System.Text.Json refused ({Reason(e)})", inner: e);
    }

    private static byte[]? ReadAgain(Func<byte[]>? readAgain)
    {
        if (readAgain is null) return null;
        try
        {
            return readAgain();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ObjectDisposedException or AnnotationFormatException)
        {
            return null;
        }
    }

    /// <summary>STJ's message without the location it appends (the error line has its own).</summary>
    private static string Reason(Exception e)
    {
        string reason = e.Message;
        int cut = reason.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0) cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) reason = reason[..cut];
        return reason.TrimEnd().TrimEnd('.');
    }

    // ---- syntax ----

    private static AnnotationFormatException Syntax(SourceLocation at, JsonException e, string reason, byte[]? input)
    {
        if (input is null || e.LineNumber is not long line || e.BytePositionInLine is not long position)
        {
            return new AnnotationFormatException(at, "valid JSON", $"invalid JSON ({reason})", inner: e);
        }
        string snippet = SnippetAt(input, OffsetOf(input, line, position));
        if (snippet.Length == 0)
        {
            return input.AsSpan(Bom(input)).Trim(" \t\r\n"u8).IsEmpty
                ? new AnnotationFormatException(at, TopLevel, input.Length == 0 ? "an empty file" : "a file of white space only", inner: e)
                : new AnnotationFormatException(at, "valid JSON", "the end of the file inside an unfinished object or array (is the file cut short?)", inner: e);
        }
        if (snippet.StartsWith("NaN", StringComparison.Ordinal) || snippet.StartsWith("Infinity", StringComparison.Ordinal) || snippet.StartsWith("-Infinity", StringComparison.Ordinal))
        {
            return new AnnotationFormatException(at, "valid JSON", $"'{snippet}', which is not a JSON number (JSON has no NaN or Infinity)", inner: e);
        }
        return new AnnotationFormatException(at, "valid JSON", $"'{snippet}' ({reason})", inner: e);
    }

    /// <summary>Bytes of a UTF-8 byte order mark at the start (STJ skips it and counts the first line's bytes after it).</summary>
    private static int Bom(byte[] input) => input.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;

    /// <summary>The byte offset of STJ's 0-based line and byte in that line.</summary>
    private static int OffsetOf(byte[] input, long line, long position)
    {
        int start = Bom(input);
        for (long l = 0; l < line; l++)
        {
            int next = input.AsSpan(start).IndexOf((byte)'\n');
            if (next < 0) return input.Length;
            start += next + 1;
        }
        return (int)Math.Min(input.Length, start + position);
    }

    /// <summary>The text the reader could not take, past separators, up to the end of its value: for the message.</summary>
    private static string SnippetAt(byte[] input, int offset)
    {
        int i = offset;
        while (i < input.Length && input[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)':' or (byte)',') i++;
        int end = i;
        while (end < input.Length && end - i < 20 && input[end] is not ((byte)'\n' or (byte)'\r' or (byte)',' or (byte)'}' or (byte)']')) end++;
        return Encoding.UTF8.GetString(input, i, end - i).Trim();
    }

    // ---- values that do not fit the schema ----

    /// <summary>Explains a value at a path that is valid JSON but not what the schema has there; null when the input does not show it.</summary>
    private static AnnotationFormatException? Mismatch(SourceLocation at, JsonException e, byte[] input)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(input.AsMemory(Bom(input)), new JsonDocumentOptions { MaxDepth = ReportJsonContext.MaxDepth });
        }
        catch (JsonException)
        {
            // Broken further on as well: STJ's own words describe the first problem.
            return null;
        }
        using (document)
        {
            try
            {
                return Resolve(at.Path!, document.RootElement) is { } place ? Describe(place, at, e) : null;
            }
            catch (InvalidOperationException)
            {
                // A string or property name that is no text: "\uD800" alone passes the reader but decodes to nothing.
                return new AnnotationFormatException(at, "a string of valid Unicode", "an escaped half of a surrogate pair (\\uD800 to \\uDFFF) on its own", inner: e);
            }
        }
    }

    /// <summary>What stands at a path in the file and what the schema has there.</summary>
    /// <param name="Value">The value in the file.</param>
    /// <param name="Type">The schema's type there.</param>
    /// <param name="Property">The property the value belongs to; null for an array element or the whole report.</param>
    /// <param name="Parent">The object or array holding the value; null for the whole report.</param>
    /// <param name="ParentPath">The path of <paramref name="Parent"/>.</param>
    private sealed record Place(JsonElement Value, JsonTypeInfo Type, JsonPropertyInfo? Property, JsonElement? Parent, string ParentPath);

    [GeneratedRegex(@"\G(?:\.(?<name>[A-Za-z0-9_]+)|\[(?<index>[0-9]+)\])")]
    private static partial Regex PathSegment();

    /// <summary>Follows STJ's path (<c>$.coco.perClass[2].AP50</c>) through the document and the schema at once.</summary>
    private static Place? Resolve(string path, JsonElement root)
    {
        if (!path.StartsWith('$')) return null;
        var place = new Place(root, ReportJsonContext.Default.ReportDocument, null, null, "");
        int at = 1;
        while (at < path.Length)
        {
            Match segment = PathSegment().Match(path, at);
            if (!segment.Success) return null;
            JsonElement current = place.Value;
            string currentPath = path[..at];
            if (segment.Groups["name"].Success && current.ValueKind == JsonValueKind.Object)
            {
                string name = segment.Groups["name"].Value;
                JsonPropertyInfo? property = place.Type.Properties.FirstOrDefault(p => p.Name == name);
                if (property is null || !current.TryGetProperty(name, out JsonElement value) || TypeInfo(property.PropertyType) is not { } type) return null;
                place = new Place(value, type, property, current, currentPath);
            }
            else if (segment.Groups["index"].Success && current.ValueKind == JsonValueKind.Array && place.Type.ElementType is { } element)
            {
                if (!int.TryParse(segment.Groups["index"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                    || index >= current.GetArrayLength() || TypeInfo(element) is not { } type)
                {
                    return null;
                }
                place = new Place(current[index], type, null, current, currentPath);
            }
            else
            {
                return null;
            }
            at += segment.Length;
        }
        return place;
    }

    private static JsonTypeInfo? TypeInfo(Type type) => ReportJsonContext.Default.GetTypeInfo(type);

    private static AnnotationFormatException? Describe(Place place, SourceLocation at, JsonException e)
    {
        if (place is { Property: { } property, Parent: { ValueKind: JsonValueKind.Object } parent }
            && parent.EnumerateObject().Count(p => p.NameEquals(property.Name)) > 1)
        {
            return new AnnotationFormatException(at with { Path = place.ParentPath }, "each property once", $"\"{property.Name}\" a second time", inner: e);
        }
        if (place.Value.ValueKind == JsonValueKind.Object && place.Type.Kind == JsonTypeInfoKind.Object)
        {
            JsonPropertyInfo? missing = place.Type.Properties.FirstOrDefault(p => p.IsRequired && !place.Value.TryGetProperty(p.Name, out _));
            if (missing is not null) return new AnnotationFormatException(at, $"the property \"{missing.Name}\"", "an object without it", inner: e);
            // Every property is there: STJ stopped at a name it could not decode (reading each name throws on it, see Mismatch).
            foreach (JsonProperty p in place.Value.EnumerateObject()) _ = p.Name;
            return null;
        }
        bool nullable = place.Property?.IsSetNullable ?? Nullable.GetUnderlyingType(place.Type.Type) is not null;
        string expected = place.Parent is null ? TopLevel : Expected(place.Type, nullable);
        return new AnnotationFormatException(at, expected, Found(place.Value), inner: e);
    }

    /// <summary>What a value of a schema type is, in words.</summary>
    private static string Expected(JsonTypeInfo type, bool nullable)
    {
        Type t = Nullable.GetUnderlyingType(type.Type) ?? type.Type;
        string what = type.Kind switch
        {
            JsonTypeInfoKind.Object => "an object",
            JsonTypeInfoKind.Enumerable => "an array",
            _ when t == typeof(string) => "a string",
            _ when t == typeof(bool) => "true or false",
            // Every int of the schema is a count (maxDets too); ReportValidator says the same of a negative one.
            _ when t == typeof(int) => ReportValidator.Count,
            _ when t == typeof(long) => "a whole number from -9223372036854775808 to 9223372036854775807",
            _ => "a number",
        };
        return nullable ? what + " or null" : what;
    }

    /// <summary>A value of the file, in words: <c>the string "0.5"</c>, <c>the number 1.5</c>, <c>an array</c>.</summary>
    internal static string Found(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Shorten(value.GetString()!)}\"",
        JsonValueKind.Number => $"the number {Shorten(value.GetRawText())}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "nothing",
    };

    /// <summary>Text from the file cut to 40 characters for a message.</summary>
    internal static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
