using System.CommandLine;
using System.Text;
using DetectionEval.Cli.Options;
using DetectionEval.Cli.Visuals;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;
using DetectionEval.Eval.IO;

namespace DetectionEval.Cli.Commands;

/// <summary>What <c>deval merge</c> was asked to do.</summary>
/// <param name="Partials">The partial files, one per shard.</param>
/// <param name="JsonPath">Where to write the JSON report; "-" for stdout; null for none.</param>
/// <param name="MarkdownPath">Where to write the Markdown summary; null for none.</param>
/// <param name="CsvPath">Where to write the per-class CSV table; null for none.</param>
/// <param name="ScoreThreshold">Also report precision and recall at this confidence; null for none.</param>
/// <param name="Threads">Worker threads; null for all cores.</param>
public sealed record MergeSettings(IReadOnlyList<string> Partials, string? JsonPath, string? MarkdownPath, string? CsvPath, double? ScoreThreshold, int? Threads)
{
    /// <summary>Where to write the charts (PNG and SVG); null for none.</summary>
    public string? PlotsDirectory { get; init; }

    /// <summary>Where to write the HTML report; null for none.</summary>
    public string? HtmlPath { get; init; }

    /// <summary>The error analysis, from the partials' analysis records (workers run with <c>--analysis</c>).</summary>
    public AnalysisSettings Analysis { get; init; } = AnalysisSettings.None;

    /// <summary>How many of the images with the most errors the analysis lists.</summary>
    public int Worst { get; init; } = ReportSettings.DefaultWorst;

    /// <summary>The options asked for that a merge cannot give (they need every detection's box and image), refused with a line saying how to get them.</summary>
    public IReadOnlyList<string> SingleRunOptions { get; init; } = [];

    /// <summary>The command line as typed, for the HTML report.</summary>
    public string CommandLine { get; init; } = "deval merge";
}

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

    private readonly Option<string?> _plots = new("--plots") { Description = "Write PR, confidence and AP charts (PNG and SVG) into DIR, as 'deval evaluate --plots' does.", HelpName = "DIR" };

    private readonly Option<string?> _report = new("--report") { Description = "Write the self-contained HTML report of 'deval evaluate --report'.", HelpName = "FILE.html" };

    // Accepted so that the refusal can say how to get them: a partial keeps match outcomes, not boxes or images.
    private readonly Option<string?> _overlays = new("--overlays") { Description = "Not from partials: draw overlays with 'deval evaluate --overlays' on one machine.", HelpName = "DIR", Hidden = true };

    private readonly AnalysisOptions _analysis = new();

    private readonly Option<int> _worst = new("--worst")
    {
        Description = "How many of the images with the most false positives + false negatives --analysis lists.",
        DefaultValueFactory = _ => ReportSettings.DefaultWorst,
        CustomParser = ReportOptions.ParseWorst,
        HelpName = "N",
    };

    /// <summary>Builds the verb; its action writes through <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static Command Create(TextWriter output, TextWriter error) => new MergeCommand().Build(output, error);

    private Command Build(TextWriter output, TextWriter error)
    {
        var command = new Command("merge", "Merge the partial results of 'deval evaluate --shard I/N --partial FILE' into the reports of one run.")
        {
            _partials, _json, _markdown, _csv, _plots, _report, _scoreThreshold, _threads, _worst, _overlays,
        };
        foreach (Option option in _analysis.All) command.Options.Add(option);
        command.SetAction((parse, cancellation) => Task.FromResult(DevalApp.Guard(error, () => Execute(
            new MergeSettings(parse.GetValue(_partials)!, parse.GetValue(_json), parse.GetValue(_markdown), parse.GetValue(_csv), parse.GetValue(_scoreThreshold), parse.GetValue(_threads))
            {
                PlotsDirectory = parse.GetValue(_plots),
                HtmlPath = parse.GetValue(_report),
                Analysis = _analysis.Read(parse),
                Worst = parse.GetValue(_worst),
                SingleRunOptions = parse.GetValue(_overlays) is not null ? ["--overlays"] : [],
                CommandLine = ReportOptions.CommandLineOf(parse),
            },
            output,
            error,
            cancellation))));
        return command;
    }

    /// <summary>Reads, checks and merges the partials, then writes the reports.</summary>
    public static int Execute(MergeSettings settings, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.SingleRunOptions.Count > 0)
        {
            throw new UsageException(
                $"{settings.SingleRunOptions[0]}: Expected a single run (deval evaluate {settings.SingleRunOptions[0]} on one machine, which holds every box), but got partials: they keep each detection's match outcomes, not its boxes.");
        }
        if (settings.ScoreThreshold is double t && !double.IsFinite(t)) throw new UsageException($"--score-threshold: Expected a finite number, but got {t}.");
        foreach ((string? path, string option) in new[]
        {
            (settings.JsonPath, "--json"), (settings.MarkdownPath, "--markdown"), (settings.CsvPath, "--csv"), (settings.HtmlPath, "--report"), (settings.Analysis.ConfusionCsvPath, "--confusion-csv"),
        })
        {
            OutputFiles.RefuseToOverwriteInputs(path, option, [.. settings.Partials]);
        }
        bool charts = settings.PlotsDirectory is not null || settings.HtmlPath is not null;
        var merge = new MergeOptions(settings.ScoreThreshold, settings.Threads, Curves: charts)
        {
            Analysis = settings.Analysis.Enabled ? new AnalysisRequest(settings.Worst) : null,
        };
        EvaluationRun run = EvaluationPipeline.MergeFilesIntoRun(settings.Partials, merge, cancellation);
        EvaluationResult result = run.Result;
        // The merge checked that the partials read the same inputs; reports name them as the single run does.
        PartialResult first = ReadHeader(settings.Partials[0]);
        var header = new ReportHeader(DevalApp.ToolName, DevalApp.Version, first.GroundTruthPath ?? "", first.PredictionsLabel ?? "");
        cancellation.ThrowIfCancellationRequested();

        // Everything is drawn and formatted before the first file is written, so a failure leaves none.
        string[] parts = [.. first.PredictionPaths ?? [first.PredictionsLabel ?? ""]];
        var reports = new EvaluateSettings(first.GroundTruthPath ?? "", parts[0], run.Options.Metrics, run.Options.Voc, run.Options.MaxDetections, settings.JsonPath, settings.Threads)
        {
            Reports = new ReportSettings(settings.PlotsDirectory, settings.HtmlPath, settings.MarkdownPath, settings.CsvPath, null, null, settings.Worst, settings.ScoreThreshold, settings.CommandLine),
            MorePredictions = parts[1..],
            IouTypes = run.Options.IouTypes,
            KeypointSigmas = run.Options.KeypointSigmas,
            Analysis = settings.Analysis,
        };
        PreparedOutputs prepared = ReportPipeline.Prepare(reports, run, header, error, DigestsOf(first));
        cancellation.ThrowIfCancellationRequested();
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

    /// <summary>The inputs' sizes and SHA-256 as the workers hashed them (the merging machine need not see the inputs).</summary>
    private static Func<string, InputDigest> DigestsOf(PartialResult partial)
    {
        var digests = new Dictionary<string, InputDigest>(StringComparer.Ordinal);
        if (partial.GroundTruthPath is { } gt && partial.GroundTruthDigest is { } gtDigest) digests.TryAdd(gt, gtDigest);
        IReadOnlyList<string> parts = partial.PredictionPaths ?? [];
        IReadOnlyList<InputDigest> contents = partial.PredictionDigests ?? [];
        for (int i = 0; i < Math.Min(parts.Count, contents.Count); i++) digests.TryAdd(parts[i], contents[i]);
        return path => digests.TryGetValue(path, out InputDigest? digest)
            ? digest
            : throw new PartialResultException($"{path}: Expected the size and SHA-256 its worker hashed in the partials, but got none.");
    }

    private static PartialResult ReadHeader(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return PartialResult.ReadHeaderFrom(stream, path);
    }
}
