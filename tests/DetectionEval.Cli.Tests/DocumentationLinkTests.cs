using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// Every relative link of README.md and docs/*.md leads somewhere: `[text](path#anchor)` and `![alt](path)` name a
/// file or folder that exists, and an anchor is the slug GitHub gives one of the target page's headings.
/// Links inside code (fenced blocks, `code spans`) and links with a scheme (https:, mailto:) are not checked.
/// </summary>
public sealed partial class DocumentationLinkTests
{
    public static TheoryData<string> Pages() => [.. DocumentationPages.All()];

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_of_the_page_resolves(string page)
    {
        List<string> broken = BrokenLinks(page, DocumentationPages.Read(page), ReadPage);
        Assert.True(broken.Count == 0, $"{page} has broken links:\n{string.Join('\n', broken)}");
    }

    [Fact]
    public void The_pages_link_to_each_other()
    {
        // The checker must see links at all: a regex that matched nothing would pass every page.
        int links = DocumentationPages.All().Sum(page => LinksIn(DocumentationPages.Read(page)).Count);
        Assert.True(links >= 20, $"only {links} relative links found in README.md and docs/*.md");
    }

    [Theory]
    [InlineData("Large predictions: `--low-memory`", "large-predictions---low-memory")]
    [InlineData("Error analysis: `--analysis`", "error-analysis---analysis")]
    [InlineData("TIDE's error types, as TIDE computes them", "tides-error-types-as-tide-computes-them")]
    [InlineData("`txt` (Cartucho/mAP, rafaelpadilla)", "txt-cartuchomap-rafaelpadilla")]
    [InlineData("CI gate: `deval gate` against `deval evaluate`", "ci-gate-deval-gate-against-deval-evaluate")]
    [InlineData("A [linked](other.md) heading_with_underscore", "a-linked-heading_with_underscore")]
    public void A_heading_gets_the_anchor_GitHub_gives_it(string heading, string anchor)
    {
        Assert.Equal(anchor, Slug(heading));
    }

    [Fact]
    public void Broken_links_are_found_and_good_ones_pass()
    {
        var pages = new Dictionary<string, string>
        {
            ["docs/a.md"] = "# Page A\n\n## Twice\n\n## Twice\n\n```sh\n# not a heading\n```\n",
            ["docs/b.md"] = string.Join('\n',
                "See [A](a.md), [its second Twice](a.md#twice-1), [here](#b-page) and [up](../README.md).",
                "# B page",
                "Broken: [no file](missing.md), [no anchor](a.md#not-a-heading), [code is no heading](a.md#not-a-heading-1),",
                "[not here](#nowhere) and ![no image](images/none.png); `[in code](x.md)` and [web](https://example.com) are skipped.",
                "A [link over",
                "two lines](gone.md) is checked too."),
            ["README.md"] = "# Readme\n",
        };
        List<string> broken = BrokenLinks("docs/b.md", pages["docs/b.md"], page => pages.GetValueOrDefault(page));
        Assert.Equal(
            ["docs/b.md:3: missing.md: no such file or folder",
             "docs/b.md:3: a.md#not-a-heading: no heading of docs/a.md has the anchor 'not-a-heading'",
             "docs/b.md:3: a.md#not-a-heading-1: no heading of docs/a.md has the anchor 'not-a-heading-1'",
             "docs/b.md:4: #nowhere: no heading of docs/b.md has the anchor 'nowhere'",
             "docs/b.md:4: images/none.png: no such file or folder",
             "docs/b.md:5: gone.md: no such file or folder"],
            broken);
    }

    /// <summary>The text of a page given relative to the repository root, or null when there is no such file.</summary>
    private static string? ReadPage(string page) =>
        File.Exists(DocumentationPages.FullPath(page)) ? DocumentationPages.Read(page) : null;

    private static bool ExistsInRepository(string path) =>
        File.Exists(DocumentationPages.FullPath(path)) || Directory.Exists(DocumentationPages.FullPath(path));

    /// <summary>One line per broken link of <paramref name="page"/>: "page:line: target: why".</summary>
    private static List<string> BrokenLinks(string page, string text, Func<string, string?> readPage)
    {
        var broken = new List<string>();
        foreach ((int line, string target) in LinksIn(text))
        {
            int hash = target.IndexOf('#', StringComparison.Ordinal);
            string path = hash < 0 ? target : target[..hash];
            string? anchor = hash < 0 ? null : target[(hash + 1)..];
            string resolved = path.Length == 0 ? page : Resolve(page, Uri.UnescapeDataString(path));
            string? targetText = readPage(resolved);
            if (targetText is null && !(path.Length > 0 && ExistsInRepository(resolved)))
            {
                broken.Add($"{page}:{line}: {target}: no such file or folder");
            }
            else if (anchor is not null && targetText is not null && !Anchors(targetText).Contains(anchor))
            {
                broken.Add($"{page}:{line}: {target}: no heading of {resolved} has the anchor '{anchor}'");
            }
        }
        return broken;
    }

    /// <summary>A link's path, relative to its page's folder, as a path relative to the repository root.</summary>
    private static string Resolve(string page, string path)
    {
        var parts = new List<string>(page.Split('/')[..^1]);
        foreach (string part in path.Split('/'))
        {
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else if (part is not ("." or "")) parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>The relative links of a page's prose: (line number, target). A link's text may run over lines.</summary>
    private static List<(int Line, string Target)> LinksIn(string text)
    {
        var links = new List<(int, string)>();
        // Code spans go first (one line each, as written here), so a "[x](y)" shown as code is no link.
        string prose = CodeSpan().Replace(string.Join('\n', DocumentationPages.ProseLines(text)), "");
        foreach (Match m in Link().Matches(prose))
        {
            string target = m.Groups["target"].Value;
            if (!Scheme().IsMatch(target)) links.Add((1 + prose.AsSpan(0, m.Index).Count('\n'), target));
        }
        return links;
    }

    /// <summary>The anchors of a page's headings, a repeated slug numbered -1, -2, ... as GitHub numbers it.</summary>
    private static HashSet<string> Anchors(string text)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string line in DocumentationPages.ProseLines(text))
        {
            Match m = Heading().Match(line);
            if (!m.Success) continue;
            string slug = Slug(m.Groups["text"].Value);
            int times = seen.GetValueOrDefault(slug);
            seen[slug] = times + 1;
            anchors.Add(times == 0 ? slug : $"{slug}-{times}");
        }
        return anchors;
    }

    /// <summary>
    /// GitHub's anchor of a heading: the rendered text (code marks dropped, links as their text) in lower case,
    /// keeping letters, digits, '_', '-' and spaces, each space a '-'.
    /// </summary>
    private static string Slug(string heading)
    {
        string rendered = InlineLink().Replace(heading, "${text}").Replace("`", "", StringComparison.Ordinal);
        var slug = new StringBuilder();
        foreach (char c in rendered.ToLowerInvariant())
        {
            UnicodeCategory category = char.GetUnicodeCategory(c);
            if (char.IsLetterOrDigit(c) || category is UnicodeCategory.NonSpacingMark or UnicodeCategory.ConnectorPunctuation || c == '-') slug.Append(c);
            else if (c == ' ') slug.Append('-');
        }
        return slug.ToString();
    }

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"\[(?<text>[^\]]*)\]\([^)]*\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex Scheme();

    [GeneratedRegex(@"^ {0,3}#{1,6}[ \t]+(?<text>.*?)(?:[ \t]+#+)?[ \t]*$")]
    private static partial Regex Heading();
}
