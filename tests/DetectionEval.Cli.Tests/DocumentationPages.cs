namespace DetectionEval.Cli.Tests;

/// <summary>
/// The documentation: README.md, the front page, and the reference pages in docs/. Paths are relative to the
/// repository root with '/' separators, as the pages link to each other.
/// </summary>
public static class DocumentationPages
{
    /// <summary>README.md, then every docs/*.md in ordinal name order.</summary>
    public static IReadOnlyList<string> All()
    {
        string docs = Path.Combine(ReferenceData.RepositoryRoot, "docs");
        return
        [
            "README.md",
            .. Directory.EnumerateFiles(docs, "*.md")
                .Select(file => "docs/" + Path.GetFileName(file))
                .Order(StringComparer.Ordinal),
        ];
    }

    /// <summary>The full path of a page given relative to the repository root.</summary>
    public static string FullPath(string page) => Path.Combine(ReferenceData.RepositoryRoot, page);

    /// <summary>The page's text with "\n" line ends.</summary>
    public static string Read(string page) => File.ReadAllText(FullPath(page)).Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>
    /// The page's lines with the lines of fenced code blocks (the fences included) blanked, so that a "#" comment
    /// or a "[x](y)" inside a code block is neither a heading nor a link; line numbers stay those of the file.
    /// </summary>
    public static string[] ProseLines(string text)
    {
        string[] lines = text.Split('\n');
        bool inFence = false;
        for (int i = 0; i < lines.Length; i++)
        {
            bool fence = lines[i].TrimStart(' ').StartsWith("```", StringComparison.Ordinal);
            if (fence) inFence = !inFence;
            if (fence || inFence) lines[i] = "";
        }
        return lines;
    }
}
