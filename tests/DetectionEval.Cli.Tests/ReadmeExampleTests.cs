using System.Text.RegularExpressions;

namespace DetectionEval.Cli.Tests;

[CollectionDefinition(nameof(WorkingDirectoryCollection), DisableParallelization = true)]
public sealed class WorkingDirectoryCollection;

/// <summary>
/// The README shows real commands with their real output. These tests run every `deval` example in it
/// from the repository root and check that each line it shows is printed, in order (lines with "..." mark
/// elided output and are skipped).
/// </summary>
[Collection(nameof(WorkingDirectoryCollection))]
public sealed partial class ReadmeExampleTests
{
    private const string RunPrefix = "dotnet run --project Eval/DetectionEval.Cli -- ";

    public static TheoryData<string, string> Examples()
    {
        var data = new TheoryData<string, string>();
        string readme = File.ReadAllText(Path.Combine(ReferenceData.RepositoryRoot, "README.md"));
        foreach (Match m in CommandThenOutput().Matches(readme))
        {
            if (m.Groups["command"].Value.StartsWith(RunPrefix, StringComparison.Ordinal))
            {
                data.Add(m.Groups["command"].Value[RunPrefix.Length..], m.Groups["output"].Value);
            }
        }
        foreach (Match m in PromptLines().Matches(readme)) data.Add(m.Groups["command"].Value, m.Groups["output"].Value);
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void The_readme_example_prints_what_the_readme_shows(string arguments, string shown)
    {
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = ReferenceData.RepositoryRoot;
        try
        {
            CommandRun run = Deval.Run(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            string printed = run.Output + run.Error;
            int from = 0;
            foreach (string line in shown.Split('\n'))
            {
                if (line.Length == 0 || line.Contains("...", StringComparison.Ordinal)) continue;
                int at = printed.IndexOf(line, from, StringComparison.Ordinal);
                Assert.True(at >= 0, $"`deval {arguments}` did not print, in order:\n{line}\n--- it printed ---\n{printed}");
                from = at + line.Length;
            }
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Fact]
    public void The_readme_has_examples_to_check()
    {
        Assert.True(Examples().Count() >= 3);
    }

    [GeneratedRegex(@"```sh\n(?<command>[^\n]+)\n```\n```text\n(?<output>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CommandThenOutput();

    [GeneratedRegex(@"^\$ deval (?<command>[^\n]+)\n(?<output>deval: [^\n]+)$", RegexOptions.Multiline)]
    private static partial Regex PromptLines();
}
