namespace DetectionEval.Eval.Loaders;

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
        Expected = expected;
        Found = found;
        Hint = hint;
    }

    /// <summary>Where the problem is.</summary>
    public SourceLocation Location { get; }

    /// <summary>What the format requires there.</summary>
    public string Expected { get; }

    /// <summary>What the file holds there.</summary>
    public string Found { get; }

    /// <summary>A suggestion, or null.</summary>
    public string? Hint { get; }

    private static string Compose(SourceLocation location, string expected, string found, string? hint)
    {
        string message = $"{location}: Expected {expected}, but got {found}.";
        return hint is null ? message : $"{message} {hint}";
    }
}
