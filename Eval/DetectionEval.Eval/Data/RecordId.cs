using System.Globalization;

namespace DetectionEval.Eval.Data;

/// <summary>
/// The id of an image or an annotation as the annotation file wrote it: a whole number, or a string (COCO
/// json allows both, and pycocotools keeps them as Python keeps them).
/// </summary>
/// <remarks>
/// <para>Equality is Python's: <c>1</c> and <c>"1"</c> are different ids, <c>"01"</c> and <c>"1"</c> too.</para>
/// <para>
/// Order is Python's <c>sorted()</c>, which pycocotools applies to image ids (and COCO's ties between equal
/// scores on different images follow it): numbers by value, strings by Unicode code point, compared one
/// code point at a time (ordinal order, not culture order: <c>"B" &lt; "a"</c>, <c>"10" &lt; "9"</c>).
/// Python cannot order a number against a string, so loaders refuse image ids of both kinds in one file;
/// for a total order, numbers come before strings here.
/// </para>
/// </remarks>
public readonly struct RecordId : IEquatable<RecordId>, IComparable<RecordId>
{
    private readonly long _number;
    private readonly string? _text;

    /// <summary>A whole-number id.</summary>
    public RecordId(long number) => _number = number;

    /// <summary>A string id.</summary>
    public RecordId(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text = text;
    }

    /// <summary>A whole-number id.</summary>
    public static implicit operator RecordId(long number) => new(number);

    /// <summary>A whole-number id (the same as the implicit conversion).</summary>
    public static RecordId FromInt64(long number) => new(number);

    /// <summary>True for a string id.</summary>
    public bool IsText => _text is not null;

    /// <summary>The number of a whole-number id.</summary>
    /// <exception cref="InvalidOperationException">The id is a string.</exception>
    public long Number => _text is null ? _number : throw new InvalidOperationException($"The id \"{_text}\" is a string, not a number.");

    /// <summary>The string of a string id; null for a number.</summary>
    public string? Text => _text;

    /// <summary>The kind of id, in words: "integer" or "string" (for messages).</summary>
    public string Kind => _text is null ? "integer" : "string";

    /// <summary>The id as a message shows it: <c>42</c>, or <c>"a"</c> in quotes for a string.</summary>
    public string Describe() => _text is null ? ToString() : $"\"{_text}\"";

    /// <summary>The id as it reads in a file name or a report: the number in invariant digits, or the string itself.</summary>
    public override string ToString() => _text ?? _number.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public bool Equals(RecordId other) => _number == other._number && string.Equals(_text, other._text, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RecordId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _text is null ? _number.GetHashCode() : StringComparer.Ordinal.GetHashCode(_text);

    /// <inheritdoc/>
    public int CompareTo(RecordId other)
    {
        if (_text is null) return other._text is null ? _number.CompareTo(other._number) : -1;
        return other._text is null ? 1 : CompareByCodePoint(_text, other._text);
    }

    /// <summary>
    /// Python's string order: by Unicode code point. UTF-16 order differs from it only where a surrogate
    /// (half of a code point above U+FFFF) meets a unit in U+E000..U+FFFF, so those units are moved before
    /// the surrogates at the first difference (the fix-up of ICU's u_strcmpCodePointOrder).
    /// </summary>
    public static int CompareByCodePoint(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int common = Math.Min(a.Length, b.Length);
        int i = a.AsSpan(0, common).CommonPrefixLength(b.AsSpan(0, common));
        if (i == common) return a.Length.CompareTo(b.Length);
        return InCodePointOrder(a[i]).CompareTo(InCodePointOrder(b[i]));
    }

    private static int InCodePointOrder(char unit) => unit switch
    {
        >= '\uE000' => unit - 0x800,
        >= '\uD800' => unit + 0x2000,
        _ => unit,
    };

    /// <summary>Equality.</summary>
    public static bool operator ==(RecordId left, RecordId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(RecordId left, RecordId right) => !left.Equals(right);

    /// <summary>Order as <see cref="CompareTo"/>.</summary>
    public static bool operator <(RecordId left, RecordId right) => left.CompareTo(right) < 0;

    /// <summary>Order as <see cref="CompareTo"/>.</summary>
    public static bool operator <=(RecordId left, RecordId right) => left.CompareTo(right) <= 0;

    /// <summary>Order as <see cref="CompareTo"/>.</summary>
    public static bool operator >(RecordId left, RecordId right) => left.CompareTo(right) > 0;

    /// <summary>Order as <see cref="CompareTo"/>.</summary>
    public static bool operator >=(RecordId left, RecordId right) => left.CompareTo(right) >= 0;
}

/// <summary>Writes ids into json as the file they came from had them: numbers as numbers, strings as strings.</summary>
internal static class RecordIdJson
{
    public static void WriteRecordId(this System.Text.Json.Utf8JsonWriter json, string propertyName, RecordId id)
    {
        if (id.Text is { } text) json.WriteString(propertyName, text);
        else json.WriteNumber(propertyName, id.Number);
    }
}

/// <summary>Reads and writes a <see cref="RecordId"/> in reports: a number as a number, a string as a string.</summary>
internal sealed class RecordIdJsonConverter : System.Text.Json.Serialization.JsonConverter<RecordId>
{
    public override RecordId Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => reader.TokenType switch
    {
        System.Text.Json.JsonTokenType.String => new RecordId(reader.GetString()!),
        System.Text.Json.JsonTokenType.Number when reader.TryGetInt64(out long number) => new RecordId(number),
        _ => throw new System.Text.Json.JsonException("Expected an id: a whole number or a string."),
    };

    public override void Write(System.Text.Json.Utf8JsonWriter writer, RecordId value, System.Text.Json.JsonSerializerOptions options)
    {
        if (value.Text is { } text) writer.WriteStringValue(text);
        else writer.WriteNumberValue(value.Number);
    }
}
