using DetectionEval.Cli;

namespace DetectionEval.Cli.Tests;

/// <summary>What one run of the command line produced.</summary>
public sealed record CommandRun(int ExitCode, string Output, string Error)
{
    /// <summary>Stderr split into lines, without the trailing empty one.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs <c>deval</c> in-process with captured output.</summary>
public static class Deval
{
    public static CommandRun Run(params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int exit = DevalApp.Run(args, output, error);
        return new CommandRun(exit, output.ToString(), error.ToString());
    }

    /// <summary>A path under the repository's tests/data folder.</summary>
    public static string TestData(params string[] parts) => Path.Combine([ReferenceData.RepositoryRoot, "tests", "data", .. parts]);

    /// <summary>A path under the repository's samples folder.</summary>
    public static string Sample(params string[] parts) => Path.Combine([ReferenceData.RepositoryRoot, "samples", .. parts]);
}
