using System.CommandLine;
using System.Text;
using DetectionEval.Cli.Options;
using DetectionEval.Cli.Visuals;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Cli.Commands;

/// <summary>What <c>deval merge</c> was asked to do.</summary>
/// <param name="Partials">The partial files, one per shard.</param>
/// <param name="JsonPath">Where to write the JSON report; "-" for stdout; null for none.</param>
/// <param name="MarkdownPath">Where to write the Markdown summary; null for none.</param>
/// <param name="CsvPath">Where to write the per-class CSV table; null for none.</param>
/// <param name="ScoreThreshold">Also report precision and recall at this confidence; null for none.</param>
/// <param name="Threads">Worker threads; null for all cores.</param>
public sealed record MergeSettings(IReadOnlyList<string> Partials, string? JsonPath, string? MarkdownPath, string? CsvPath, double? ScoreThreshold, int? Threads);

/// <summary>
/// <c>deval merge</c>: checks that the partial results of <c>deval evaluate --partial</c> are the shards of one
/// run, complete and distinct, accumulates their records once and writes the reports a single run writes.
/// </summary>
public sealed class MergeCommand
{
    private readonly Argument<string[]> _partials = new("PARTIAL")
    {
        Description = "The partial results written by 'deval evaluate --partial', one per shard, in any order.",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string?> _json = CommonOptions.Json("Write the JSON report to FILE, or to stdout with '-' (then nothing else goes to stdout).");

    private readonly Option<string?> _markdown = CommonOptions.Markdown("Write a Markdown summary.");

    private readonly Option<string?> _csv = new("--csv") { Description = "Write the per-class table as CSV.", HelpName = "FILE" };

    private readonly Option<double?> _scoreThreshold = new("--score-threshold")
    {
        Description = "Also report precision, recall and F1 keeping detections with score >= T.",
        HelpName = "T",
    };

    private readonly Option<int?> _threads = CommonOptions.Threads();

    /// <summary>Builds the verb; its action writes through <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static Command Create(TextWriter output, TextWriter error) => new MergeCommand().Build(output, error);

    private Command Build(TextWriter output, TextWriter error)
    {
        var command = new Command("merge", "Merge the partial results of 'deval evaluate --shard I/N --partial FILE' into the reports of one run.")
        {
            _partials, _json, _markdown, _csv, _scoreThreshold, _threads,
        };
        command.SetAction((parse, cancellation) => Task.FromResult(DevalApp.Guard(error, () => Execute(
            new MergeSettings(parse.GetValue(_partials)!, parse.GetValue(_json), parse.GetValue(_markdown), parse.GetValue(_csv), parse.GetValue(_scoreThreshold), parse.GetValue(_threads)),
            output,
            cancellation))));
        return command;
    }

    /// <summary>Reads, checks and merges the partials, then writes the reports.</summary>
    public static int Execute(MergeSettings settings, TextWriter output, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.ScoreThreshold is double t && !double.IsFinite(t)) throw new UsageException($"--score-threshold: Expected a finite number, but got {t}.");
        foreach ((string? path, string option) in new[] { (settings.JsonPath, "--json"), (settings.MarkdownPath, "--markdown"), (settings.CsvPath, "--csv") })
        {
            OutputFiles.RefuseToOverwriteInputs(path, option, [.. settings.Partials]);
        }
        EvaluationResult result = EvaluationPipeline.MergeFiles(settings.Partials, new MergeOptions(settings.ScoreThreshold, settings.Threads), cancellation);
        // The merge checked that the partials name the same inputs; reports name them as the single run does.
        PartialResult first = ReadHeader(settings.Partials[0]);
        var header = new ReportHeader(DevalApp.ToolName, DevalApp.Version, first.GroundTruthPath ?? "", first.PredictionsLabel ?? "");
        cancellation.ThrowIfCancellationRequested();

        // Everything is formatted before the first file is written, so a failure leaves none.
        var files = new List<PreparedFile>();
        if (settings.CsvPath is { } csv) files.Add(new PreparedFile(csv, "--csv", ReportPipeline.Bytes(stream => CsvReport.Write(stream, result))));
        if (settings.MarkdownPath is { } markdown) files.Add(new PreparedFile(markdown, "--markdown", ReportPipeline.Text(writer => MarkdownReport.Write(writer, result, header))));
        var prepared = new PreparedOutputs([], files);
        if (settings.JsonPath == "-")
        {
            using var buffer = new MemoryStream();
            JsonReport.Write(buffer, header, result);
            prepared.WriteAll();
            output.Write(Encoding.UTF8.GetString(buffer.ToArray()));
            return ExitCodes.Success;
        }
        if (settings.JsonPath is { } jsonPath) OutputFiles.Write(jsonPath, "--json", stream => JsonReport.Write(stream, header, result));
        prepared.WriteAll();
        TextReport.Write(output, result);
        return ExitCodes.Success;
    }

    private static PartialResult ReadHeader(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return PartialResult.ReadHeaderFrom(stream, path);
    }
}
