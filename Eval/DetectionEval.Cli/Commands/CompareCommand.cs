using System.CommandLine;
using DetectionEval.Eval;
using DetectionEval.Cli.Options;
using DetectionEval.Cli.Runs;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Cli.Commands;

/// <summary>What <c>deval compare</c> was asked to do, parsed and checked.</summary>
/// <param name="A">The first report (the reference).</param>
/// <param name="B">The second report.</param>
/// <param name="Families">--metric-set; null for the families both reports hold.</param>
/// <param name="GroundTruth">--gt, for the bootstrap.</param>
/// <param name="PredictionsA">--pred-a: the predictions behind A.</param>
/// <param name="PredictionsB">--pred-b: the predictions behind B.</param>
/// <param name="Bootstrap">--bootstrap, --seed, --confidence; null for none.</param>
/// <param name="MarkdownPath">--markdown.</param>
/// <param name="Threads">--threads.</param>
/// <param name="GroundTruthFormat">--gt-format; null to detect it.</param>
/// <param name="PredictionFormat">--pred-format (of --pred-a and --pred-b); null to detect it.</param>
/// <param name="Inputs">How annotation files are read; null for COCO json as always.</param>
public sealed record CompareSettings(
    string A, string B, MetricSet? Families, string? GroundTruth, string? PredictionsA, string? PredictionsB,
    BootstrapSettings? Bootstrap, string? MarkdownPath, int? Threads,
    AnnotationFormat? GroundTruthFormat = null, AnnotationFormat? PredictionFormat = null, InputSettings? Inputs = null);

/// <summary><c>deval compare</c>: two reports side by side, per-class changes sorted, with bootstrap intervals when asked.</summary>
public sealed class CompareCommand
{
    private readonly Argument<string> _a = new("A.json") { Description = "The first report (deval evaluate --json), the reference." };

    private readonly Argument<string> _b = new("B.json") { Description = "The second report; changes are B - A." };

    private readonly WordOption<MetricSet> _metricSet = CommonOptions.MetricSet(
        "Metric families to compare (default: those both reports hold).");

    private readonly Option<string?> _groundTruth = new("--gt")
    {
        Description = "With --bootstrap: the ground truth both reports were evaluated against.",
        HelpName = "FILE",
    };

    private readonly Option<string?> _predictionsA = new("--pred-a")
    {
        Description = "With --bootstrap: the predictions A.json was written from.",
        HelpName = "FILE",
    };

    private readonly Option<string?> _predictionsB = new("--pred-b")
    {
        Description = "With --bootstrap: the predictions B.json was written from.",
        HelpName = "FILE",
    };

    private readonly Option<int?> _bootstrap = CommonOptions.Bootstrap(
        "Resample images N times (paired) for intervals of every change. Needs --gt, --pred-a and --pred-b.");

    private readonly Option<ulong?> _seed = CommonOptions.Seed();

    private readonly Option<double?> _confidence = CommonOptions.Confidence();

    private readonly Option<string?> _markdown = CommonOptions.Markdown("Also write the comparison as Markdown.");

    private readonly Option<int?> _threads = CommonOptions.Threads();

    private readonly WordOption<AnnotationFormat> _groundTruthFormat = CommonOptions.GroundTruthFormat();

    private readonly WordOption<AnnotationFormat> _predictionFormat = CommonOptions.PredictionFormat("--pred-a and --pred-b");

    private readonly InputOptions _inputs = new();

    /// <summary>Builds the verb; its action writes through <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static Command Create(TextWriter output, TextWriter error) => new CompareCommand().Build(output, error);

    private Command Build(TextWriter output, TextWriter error)
    {
        var command = new Command("compare", "Show two reports side by side with per-class changes, largest drop first.")
        {
            _a, _b, _metricSet, _groundTruth, _predictionsA, _predictionsB, _bootstrap, _seed, _confidence, _markdown, _threads,
            _groundTruthFormat, _predictionFormat,
        };
        foreach (Option option in _inputs.All) command.Options.Add(option);
        command.SetAction((parse, cancellation) => Task.FromResult(DevalApp.Guard(error, () => Execute(ReadSettings(parse), output, error, cancellation))));
        return command;
    }

    private CompareSettings ReadSettings(ParseResult parse)
    {
        var settings = new CompareSettings(
            parse.GetValue(_a)!,
            parse.GetValue(_b)!,
            _metricSet.Read(parse),
            parse.GetValue(_groundTruth),
            parse.GetValue(_predictionsA),
            parse.GetValue(_predictionsB),
            CommonOptions.ReadBootstrap(parse.GetValue(_bootstrap), parse.GetValue(_seed), parse.GetValue(_confidence)),
            parse.GetValue(_markdown),
            parse.GetValue(_threads),
            _groundTruthFormat.Read(parse),
            _predictionFormat.Read(parse),
            _inputs.Read(parse));
        bool anyInput = settings.GroundTruth is not null || settings.PredictionsA is not null || settings.PredictionsB is not null;
        bool allInputs = settings.GroundTruth is not null && settings.PredictionsA is not null && settings.PredictionsB is not null;
        if (settings.Bootstrap is not null && !allInputs)
        {
            throw new UsageException("--bootstrap: Expected --gt, --pred-a and --pred-b with it (resampling needs both runs' predictions), but got only some of them.");
        }
        if (settings.Bootstrap is null && anyInput)
        {
            throw new UsageException("Expected --gt, --pred-a and --pred-b only with --bootstrap N, but got no --bootstrap.");
        }
        // Without the bootstrap only the two reports are read: options that say how annotation files are read have nothing to act on.
        if (settings.Bootstrap is null) _inputs.RequireNoneGiven(parse, [_groundTruthFormat, _predictionFormat], "--bootstrap, --gt, --pred-a and --pred-b", "no --bootstrap");
        if (settings.MarkdownPath == "-") throw new UsageException("--markdown: Expected a file, but got '-' (stdout carries the comparison).");
        string?[] inputs = [settings.A, settings.B, settings.GroundTruth, settings.PredictionsA, settings.PredictionsB];
        OutputFiles.RefuseToOverwriteInputs(settings.MarkdownPath, "--markdown", [.. inputs.OfType<string>()]);
        return settings;
    }

    /// <summary>Reads both reports, bootstraps when asked, and writes the comparison.</summary>
    public static int Execute(CompareSettings settings, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        EvaluationReport a = JsonReport.Read(settings.A);
        EvaluationReport b = JsonReport.Read(settings.B);
        MetricSet common = (a.Families ?? 0) & (b.Families ?? 0);
        IReadOnlyList<IouType> sections = Comparison.CommonSections(a, b);
        if (settings.Families is null && common == 0 && sections.Count == 0)
        {
            throw new UsageException($"Expected reports with a metric family in common, but got {Describe(a)} ({settings.A}) and {Describe(b)} ({settings.B}).");
        }
        MetricSet families = settings.Families ?? common;
        ReportCompatibility.Require(a, b, families, sections);

        BootstrapResult? bootstrap = null;
        if (settings.Bootstrap is { } bootstrapSettings)
        {
            using var progress = Progress.Start(error, "loading");
            var options = new EvaluationOptions
            {
                // Reports of masks or keypoints alone compare no box family; their runs still need a metric set.
                Metrics = families == 0 ? MetricSet.Coco : families,
                MaxDetections = a.Coco?.MaxDetections ?? a.CocoSegm?.MaxDetections ?? new EvaluationOptions().MaxDetections,
                Voc = a.Voc?.Settings ?? new EvaluationOptions().Voc,
                Threads = settings.Threads,
                IouTypes = IouTypesOf(a, families, sections),
                KeypointSigmas = a.CocoKeypoints?.Sigmas,
            };
            var groundTruth = new AnnotationInput(settings.GroundTruth!, settings.GroundTruthFormat);
            InputSettings inputs = settings.Inputs ?? InputSettings.Default;
            (EvaluationRun runA, EvaluationRun runB) = PairedRuns.Pair(
                PairedRuns.Request(groundTruth, new AnnotationInput(settings.PredictionsA!, settings.PredictionFormat), inputs, options, cancellation),
                PairedRuns.Request(groundTruth, new AnnotationInput(settings.PredictionsB!, settings.PredictionFormat), inputs, options, cancellation),
                progress, cancellation);
            ReportCompatibility.RequireSameValues(a, PairedRuns.ReportOf(runA, settings.GroundTruth!, settings.PredictionsA!), families, sections);
            ReportCompatibility.RequireSameValues(b, PairedRuns.ReportOf(runB, settings.GroundTruth!, settings.PredictionsB!), families, sections);
            // Named before the runs' records are sorted for it; the replicates then tell their count.
            progress.Stage("resampling");
            bootstrap = RunBootstrap.Compare(runA, runB, Comparison.Keys(families, b.Categories.Count, sections), bootstrapSettings, settings.Threads, cancellation, progress.Sink);
        }

        Comparison comparison = Comparison.Of(a, b, families, bootstrap, sections);
        // A run interrupted before this point writes nothing; writing, from memory, is not interrupted.
        cancellation.ThrowIfCancellationRequested();
        if (settings.MarkdownPath is { } markdown)
        {
            OutputFiles.Write(markdown, "--markdown", stream =>
            {
                using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
                ComparisonWriter.WriteMarkdown(writer, comparison);
            });
        }
        ComparisonWriter.WriteText(output, comparison);
        return ExitCodes.Success;
    }

    private static string Describe(EvaluationReport report) =>
        report.Families is not null || GateMetrics.SectionsOf(report).Count > 0 ? GateMetrics.Describe(report.Families ?? 0, GateMetrics.SectionsOf(report)) : "no results";

    /// <summary>The iou types the bootstrap's runs evaluate: boxes when a box family is compared, and the compared sections, in the report's order.</summary>
    private static IReadOnlyList<IouType> IouTypesOf(EvaluationReport report, MetricSet families, IReadOnlyList<IouType> sections) =>
        [.. report.IouTypes.Where(t => t == IouType.Bbox ? families != 0 : sections.Contains(t))];
}
