namespace DetectionEval.Eval.IO;

/// <summary>Where in an input file something was found.</summary>
/// <param name="File">The file as the user named it.</param>
/// <param name="Line">1-based line, when known.</param>
/// <param name="Column">1-based column (in bytes), when known.</param>
/// <param name="Path">JSON path (<c>$.annotations[3].bbox</c>) or XML element, when known.</param>
public sealed record SourceLocation(string File, int? Line = null, int? Column = null, string? Path = null)
{
    /// <summary><c>file:line:column</c> followed by the path, as compilers print locations.</summary>
    public override string ToString()
    {
        string where = File;
        if (Line is int line)
        {
            where += $":{line}";
            if (Column is int column) where += $":{column}";
        }
        return Path is null ? where : $"{where}: {Path}";
    }
}

/// <summary>
/// The one exception for bad input: a file that cannot be read as the format it claims to be. It names
/// the file, the location, what was expected and what was found, so the command line can print it as one
/// line and exit with the input-error code.
/// </summary>
public sealed class AnnotationFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="location">Where the problem is.</param>
    /// <param name="expected">What the format requires there, e.g. "4 numbers [x, y, width, height]".</param>
    /// <param name="found">What the file holds there, e.g. "3 numbers".</param>
    /// <param name="hint">An optional suggestion for fixing it.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public AnnotationFormatException(SourceLocation location, string expected, string found, string? hint = null, Exception? inner = null)
        : base(Compose(location, expected, found, hint), inner)
    {
        Location = location;
        Expected = Printable(expected, MaxExpected);
        Found = Printable(found, MaxFound);
        Hint = hint is null ? null : Printable(hint, MaxHint);
    }

    // The message is one stderr line: text from the file (a name, a token, a parser's reason) is cut to
    // these lengths and its control characters are written as escapes.
    private const int MaxLocation = 300;
    private const int MaxExpected = 300;
    private const int MaxFound = 200;
    private const int MaxHint = 150;

    /// <summary>Where the problem is.</summary>
    public SourceLocation Location { get; }

    /// <summary>What the format requires there.</summary>
    public string Expected { get; }

    /// <summary>What the file holds there.</summary>
    public string Found { get; }

    /// <summary>A suggestion, or null.</summary>
    public string? Hint { get; }

    /// <summary>The one-line message "LOCATION: Expected X, but got Y. HINT" that input errors share.</summary>
    internal static string Compose(SourceLocation location, string expected, string found, string? hint)
    {
        string message = $"{Printable(location.ToString(), MaxLocation)}: Expected {Printable(expected, MaxExpected)}, but got {Printable(found, MaxFound)}.";
        return hint is null ? message : $"{message} {Printable(hint, MaxHint)}";
    }

    /// <summary>
    /// <paramref name="text"/> on one line: control characters (line breaks, tabs, NUL, C1 controls, the
    /// Unicode line and paragraph separators) written as <c>\n</c>, <c>\t</c> or <c>\uXXXX</c>, and the
    /// text cut to <paramref name="max"/> characters with "..." (never inside a surrogate pair).
    /// </summary>
    internal static string Printable(string text, int max)
    {
        if (text.Length <= max && !text.Any(IsUnprintable) && !HasLoneSurrogate(text)) return text;
        var result = new System.Text.StringBuilder(Math.Min(text.Length, max) + 8);
        for (int i = 0; i < text.Length && result.Length <= max; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) result.Append(c).Append(text[++i]);
            else if (IsUnprintable(c) || char.IsSurrogate(c)) result.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => "\\u" + ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture) });
            else result.Append(c);
        }
        if (result.Length <= max) return result.ToString();
        int cut = max - 3;
        if (char.IsHighSurrogate(result[cut - 1])) cut--;
        return result.ToString(0, cut) + "...";
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

    private static bool IsUnprintable(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
