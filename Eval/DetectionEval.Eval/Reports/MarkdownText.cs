namespace DetectionEval.Eval.Reports;

/// <summary>
/// Text from the inputs (file names, class names, phrases like "IoU >= 0.50") made safe in a Markdown line or
/// table cell, and still readable in the raw file: CommonMark backslash escapes, never HTML entities.
/// </summary>
internal static class MarkdownText
{
    /// <summary>
    /// Backslashes and pipes escaped (a pipe would end a table cell), <c>&lt;</c> escaped (it could open an
    /// HTML tag), line breaks made spaces. <c>&gt;</c> stays as it is: it only means something at the start of a line.
    /// </summary>
    public static string Escape(string text) => text
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("|", "\\|", StringComparison.Ordinal)
        .Replace("<", "\\<", StringComparison.Ordinal)
        .Replace("\r", " ", StringComparison.Ordinal)
        .Replace("\n", " ", StringComparison.Ordinal);
}
