using System.CommandLine;
using System.Reflection;
using DetectionEval.Cli.Commands;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Plots;
using DetectionEval.Eval.IO;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Cli;

/// <summary>The <c>deval</c> command line: builds the verbs, parses, runs, and maps failures to exit codes.</summary>
public static class DevalApp
{
    /// <summary>The tool's name in reports and messages.</summary>
    public const string ToolName = "deval";

    /// <summary>The tool's version (the informational version without build metadata).</summary>
    public static string Version { get; } = ReadVersion();

    /// <summary>Runs one command line; everything the user sees goes through <paramref name="output"/> and <paramref name="error"/>.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Stdout.</param>
    /// <param name="error">Stderr.</param>
    /// <param name="cancellation">
    /// Cancelled on Ctrl-C (<c>Program</c> wires SIGINT to it). System.CommandLine hands it to the verb's
    /// action, which passes it to the pipeline and its own loops and checks it once more before it writes
    /// its first output file; a cancelled run exits with <see cref="ExitCodes.Interrupted"/> and has written
    /// nothing. Writing, which works from memory, is not interrupted once it has begun.
    /// </param>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        var root = new RootCommand("deval: scores object detectors with COCO and Pascal VOC metrics.")
        {
            EvaluateCommand.Create(output, error),
            ConvertCommand.Create(output, error),
            GateCommand.Create(output, error),
            CompareCommand.Create(output, error),
            SynthCommand.Create(output, error),
            MergeCommand.Create(output, error),
        };
        ParseResult parse = root.Parse(args);
        // --help and --version answer even a command line with mistakes.
        bool answersAnyway = parse.Action is { ClearsParseErrors: true };
        IReadOnlyList<string> mistakes = answersAnyway ? [] : CommandLineMistakes.Find(parse);
        if (mistakes.Count > 0 || parse.Errors.Count > 0)
        {
            // A mistyped option or verb explains the other errors (its value read as a file, a required
            // option that seems missing), so only the mistakes are shown then.
            IEnumerable<string> lines = mistakes.Count > 0 ? mistakes : parse.Errors.Select(e => OneLine(e.Message)).Distinct(StringComparer.Ordinal);
            foreach (string line in lines) error.WriteLine($"{ToolName}: error: {line}");
            Command verb = parse.CommandResult.Command;
            error.WriteLine(verb == root ? $"Run '{ToolName} --help' for usage." : $"Run '{ToolName} {verb.Name} --help' for usage.");
            return ExitCodes.UsageOrInputError;
        }
        // deval handles Ctrl-C itself (Program.cs), so System.CommandLine is told not to.
        // The verbs' work is synchronous; the action runs on this thread and hands back a finished task.
        return parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancellation)
            .GetAwaiter().GetResult();
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
        catch (Exception e)
        {
            return Report(error, e);
        }
    }

    private static int Report(TextWriter error, Exception thrown)
    {
        switch (UserFacing(thrown))
        {
            case AnnotationFormatException e:
                error.WriteLine($"{ToolName}: error: {e.Message}");
                return ExitCodes.UsageOrInputError;
            case UsageException e:
                error.WriteLine($"{ToolName}: error: {e.Message}");
                return ExitCodes.UsageOrInputError;
            case IncomparableRunsException e:
                error.WriteLine($"{ToolName}: error: {e.Message}");
                return ExitCodes.UsageOrInputError;
            case PartialResultException e:
                error.WriteLine($"{ToolName}: error: {e.Message}");
                return ExitCodes.UsageOrInputError;
            case SpillFailedException e:
                error.WriteLine($"{ToolName}: error: {OneLine(e.Message)}. Set TMPDIR to a folder with room, or use --low-memory false.");
                return ExitCodes.UsageOrInputError;
            case OpenCvUnavailableException e:
                error.WriteLine($"{ToolName}: error: {OpenCvRequirement.Explain(null, e)}");
                return ExitCodes.UsageOrInputError;
            case OperationCanceledException:
                return Interrupted(error);
            default:
                error.WriteLine($"{ToolName}: internal error: {thrown.GetType().Name}: {thrown.Message} (please report this; set DEVAL_DEBUG=1 for details)");
                if (Environment.GetEnvironmentVariable("DEVAL_DEBUG") == "1") error.WriteLine(thrown);
                return ExitCodes.InternalError;
        }
    }

    /// <summary>
    /// The error to show for <paramref name="thrown"/>. A parallel loop wraps what its workers threw in an
    /// <see cref="AggregateException"/>, often the same mistake seen by several workers: the first user
    /// error among them stands for all, once. OpenCV's native library failing to load (a
    /// <see cref="TypeInitializationException"/> wherever OpenCV is first touched) is a missing system package.
    /// </summary>
    private static Exception UserFacing(Exception thrown)
    {
        if (OpenCvRuntime.FromLoadFailure(thrown) is { } unavailable) return unavailable;
        if (thrown is not AggregateException aggregate) return thrown;
        IReadOnlyList<Exception> inner = aggregate.Flatten().InnerExceptions;
        if (inner.Count > 0 && inner.All(e => e is OperationCanceledException)) return inner[0];
        return inner.FirstOrDefault(e => e is AnnotationFormatException or UsageException or SpillFailedException) ?? thrown;
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
