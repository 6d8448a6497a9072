using System.Text.RegularExpressions;

namespace DetectionEval.Cli.Tests;

[CollectionDefinition(nameof(WorkingDirectoryCollection), DisableParallelization = true)]
public sealed class WorkingDirectoryCollection;

/// <summary>
/// The README and the pages in docs/ show real commands with their real output. These tests run every `deval`
/// example in them from the repository root and check that each line shown is printed, in order: lines that
/// start with "deval: " on stderr, the others on stdout (lines with "..." mark elided output and are skipped).
/// An example is a ```sh block of one `dotnet run --project Eval/DetectionEval.Cli -- ARGS` line followed by a
/// ```text block, or a `$ deval ARGS` line followed by a `deval: ...` line.
/// </summary>
[Collection(nameof(WorkingDirectoryCollection))]
public sealed partial class ReadmeExampleTests
{
    private const string RunPrefix = "dotnet run --project Eval/DetectionEval.Cli -- ";

    /// <summary>The pages that show commands with their output; each must exist and hold at least one example.</summary>
    public static TheoryData<string> PagesWithExamples() =>
    [
        "README.md", "docs/evaluate.md", "docs/formats.md", "docs/reports-and-charts.md", "docs/analysis.md",
        "docs/gate-and-compare.md", "docs/troubleshooting.md", "docs/distributed.md",
    ];

    /// <summary>The examples of a page in the page's order: the arguments after `deval` and the output shown.</summary>
    private static List<(string Arguments, string Shown)> ExamplesIn(string text)
    {
        var examples = new List<(int At, string Arguments, string Shown)>();
        foreach (Match m in CommandThenOutput().Matches(text))
        {
            if (m.Groups["command"].Value.StartsWith(RunPrefix, StringComparison.Ordinal))
            {
                examples.Add((m.Index, m.Groups["command"].Value[RunPrefix.Length..], m.Groups["output"].Value));
            }
        }
        foreach (Match m in PromptLines().Matches(text)) examples.Add((m.Index, m.Groups["command"].Value, m.Groups["output"].Value));
        return [.. examples.OrderBy(e => e.At).Select(e => (e.Arguments, e.Shown))];
    }

    /// <summary>Every page with examples, each run as a whole: an example may read what an earlier one on its page wrote (a merge reads the shards), so a page's examples run in the page's order.</summary>
    public static TheoryData<string> PagesToRun() => [.. DocumentationPages.All().Where(page => ExamplesIn(DocumentationPages.Read(page)).Count > 0)];

    [Theory]
    [MemberData(nameof(PagesToRun))]
    public void The_documented_examples_print_what_the_page_shows_in_the_pages_order(string page)
    {
        foreach ((string arguments, string shown) in ExamplesIn(DocumentationPages.Read(page))) AssertPrints(page, arguments, shown);
    }

    private static void AssertPrints(string page, string arguments, string shown)
    {
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = ReferenceData.RepositoryRoot;
        try
        {
            CommandRun run = Deval.Run(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            int fromOutput = 0, fromError = 0;
            foreach (string line in shown.Split('\n'))
            {
                if (line.Length == 0 || line.Contains("...", StringComparison.Ordinal)) continue;
                bool onError = line.StartsWith("deval: ", StringComparison.Ordinal);
                string printed = onError ? run.Error : run.Output;
                int at = printed.IndexOf(line, onError ? fromError : fromOutput, StringComparison.Ordinal);
                Assert.True(at >= 0,
                    $"{page}: `deval {arguments}` did not print, in order, on {(onError ? "stderr" : "stdout")}:\n{line}\n" +
                    $"--- stdout ---\n{run.Output}--- stderr ---\n{run.Error}");
                if (onError) fromError = at + line.Length;
                else fromOutput = at + line.Length;
            }
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Theory]
    [MemberData(nameof(PagesWithExamples))]
    public void The_page_has_examples_to_check(string page)
    {
        Assert.True(File.Exists(DocumentationPages.FullPath(page)), $"{page} is missing");
        Assert.True(ExamplesIn(DocumentationPages.Read(page)).Count > 0, $"{page} shows no example the tests can run");
    }

    [GeneratedRegex(@"```sh\n(?<command>[^\n]+)\n```\n```text\n(?<output>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CommandThenOutput();

    [GeneratedRegex(@"^\$ deval (?<command>[^\n]+)\n(?<output>(?!\$ |```|\^)[^\n]+)$", RegexOptions.Multiline)]
    private static partial Regex PromptLines();
}
