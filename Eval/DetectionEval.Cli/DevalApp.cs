using System.CommandLine;
using System.Reflection;
using DetectionEval.Cli.Commands;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Loaders;
using DetectionEval.Eval.Metrics;

namespace DetectionEval.Cli;

/// <summary>The <c>deval</c> command line: builds the verbs, parses, runs, and maps failures to exit codes.</summary>
public static class DevalApp
{
    /// <summary>The tool's name in reports and messages.</summary>
    public const string ToolName = "deval";

    /// <summary>The tool's version (the informational version without build metadata).</summary>
    public static string Version { get; } = ReadVersion();

    private static readonly AsyncLocal<CancellationToken> CurrentCancellation = new();

    /// <summary>
    /// The cancellation of the command line being run (Ctrl-C): the verbs pass it to the loaders
    /// (<see cref="LoadOptions.Cancellation"/>), the evaluation (<see cref="EvaluationOptions.Cancellation"/>)
    /// and their own loops, and check it once more before they write their first output file; a cancelled
    /// run exits with <see cref="ExitCodes.Interrupted"/> and has written nothing. Writing, which works from
    /// memory, is not interrupted once it has begun.
    /// </summary>
    public static CancellationToken Cancellation => CurrentCancellation.Value;

    /// <summary>Runs one command line; everything the user sees goes through <paramref name="output"/> and <paramref name="error"/>.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Stdout.</param>
    /// <param name="error">Stderr.</param>
    /// <param name="cancellation">Cancelled on Ctrl-C (<c>Program</c> wires SIGINT to it); the run then stops with exit code 130.</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        CurrentCancellation.Value = cancellation;
        var root = new RootCommand("deval: scores object detectors with COCO and Pascal VOC metrics.")
        {
            EvaluateCommand.Create(output, error),
            ConvertCommand.Create(output, error),
            GateCommand.Create(output, error),
            CompareCommand.Create(output, error),
            SynthCommand.Create(output, error),
        };
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors) error.WriteLine($"{ToolName}: error: {OneLine(parseError.Message)}");
            error.WriteLine($"Run '{ToolName} --help' for usage.");
            return ExitCodes.UsageOrInputError;
        }
        // deval handles Ctrl-C itself (Program.cs), so System.CommandLine is told not to.
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
    }

    /// <summary>
    /// Runs a verb's work and turns failures into one stderr line and an exit code: input and usage
    /// errors exit 2, anything else is a defect and exits 3. Set DEVAL_DEBUG=1 to see a stack trace.
    /// </summary>
    public static int Guard(TextWriter error, Func<int> work)
    {
        try
        {
            return work();
        }
        catch (AnnotationFormatException e)
        {
            error.WriteLine($"{ToolName}: error: {e.Message}");
            return ExitCodes.UsageOrInputError;
        }
        catch (UsageException e)
        {
            error.WriteLine($"{ToolName}: error: {e.Message}");
            return ExitCodes.UsageOrInputError;
        }
        catch (SpillFailedException e)
        {
            error.WriteLine($"{ToolName}: error: {OneLine(e.Message)}. Set TMPDIR to a folder with room, or use --low-memory false.");
            return ExitCodes.UsageOrInputError;
        }
        catch (OperationCanceledException)
        {
            return Interrupted(error);
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.All(inner => inner is OperationCanceledException))
        {
            return Interrupted(error);
        }
        catch (Exception e)
        {
            error.WriteLine($"{ToolName}: internal error: {e.GetType().Name}: {e.Message} (please report this; set DEVAL_DEBUG=1 for details)");
            if (Environment.GetEnvironmentVariable("DEVAL_DEBUG") == "1") error.WriteLine(e);
            return ExitCodes.InternalError;
        }
    }

    private static int Interrupted(TextWriter error)
    {
        error.WriteLine($"{ToolName}: interrupted; no output was written");
        return ExitCodes.Interrupted;
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string ReadVersion()
    {
        string? version = typeof(DevalApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version)) return "0.0.0";
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
