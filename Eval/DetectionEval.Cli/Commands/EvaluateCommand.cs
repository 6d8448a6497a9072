using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using DetectionEval.Eval;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Loaders;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Cli.Visuals;
using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Cli.Commands;

/// <summary>What <c>deval evaluate</c> was asked to do, parsed and checked.</summary>
/// <param name="GroundTruth">Ground-truth file.</param>
/// <param name="Predictions">Predictions file (the first, when the predictions come in several parts: <see cref="EvaluateSettings.MorePredictions"/>).</param>
/// <param name="Metrics">Metric families.</param>
/// <param name="Voc">The VOC profile.</param>
/// <param name="MaxDetections">COCO's three maxDets values.</param>
/// <param name="JsonPath">Where to write the JSON report; "-" for stdout; null for none.</param>
/// <param name="Threads">Worker threads; null for all cores.</param>
/// <param name="GroundTruthFormat">The ground truth's format; null to detect it.</param>
/// <param name="PredictionFormat">The predictions' format; null to detect it.</param>
/// <param name="Inputs">How annotation files are read (box layout, class names, image sizes); null for the defaults.</param>
public sealed record EvaluateSettings(
    string GroundTruth,
    string Predictions,
    MetricSet Metrics,
    VocMatchSettings Voc,
    IReadOnlyList<int> MaxDetections,
    string? JsonPath,
    int? Threads,
    AnnotationFormat? GroundTruthFormat = null,
    AnnotationFormat? PredictionFormat = null,
    InputSettings? Inputs = null)
{
    /// <summary>Charts, reports and overlays to write besides the table and JSON.</summary>
    public ReportSettings Reports { get; init; } = ReportSettings.None;

    /// <summary>
    /// Further parts of the predictions (a sharded run's files), read after <see cref="Predictions"/> as if
    /// appended to it, each in its own format; empty for one file.
    /// </summary>
    public IReadOnlyList<string> MorePredictions { get; init; } = [];

    /// <summary>Every predictions file, in reading order.</summary>
    public IReadOnlyList<string> AllPredictions => [Predictions, .. MorePredictions];

    /// <summary>The predictions as reports name them: the file, or the parts joined by ", ".</summary>
    public string PredictionsLabel => MorePredictions.Count == 0 ? Predictions : string.Join(", ", AllPredictions);
    /// <summary>Print the time of each stage (load, match, accumulate, write) on stderr.</summary>
    public bool Timings { get; init; }

    /// <summary>Where the IoU candidate search runs.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;

    /// <summary>An engine to use instead of the one <see cref="Device"/> picks (tests run the ILGPU CPU accelerator this way); the caller disposes it.</summary>
    internal IOverlapEngine? EngineOverride { get; init; }

    /// <summary>The error analysis, when asked for.</summary>
    public AnalysisSettings Analysis { get; init; } = AnalysisSettings.None;

    /// <summary>Spill the predictions to disk and evaluate image shard by image shard (null: automatic for large predictions).</summary>
    public bool? LowMemory { get; init; }

    /// <summary>How a low-memory run spills (tests force tiny shards with it); null for the defaults.</summary>
    public Eval.Loaders.SpillSettings? Spill { get; init; }

    /// <summary>Predictions of at least this many bytes in all are evaluated with low memory unless an output needs every curve or box.</summary>
    public const long LowMemoryFromBytes = 256L << 20;

    /// <summary>The outputs that need every detection's box or curve point at once, which a low-memory run does not keep.</summary>
    public IReadOnlyList<string> OutputsNeedingEverything =>
    [
        .. new (bool Asked, string Option)[]
        {
            (Reports.PlotsDirectory is not null, "--plots"),
            (Reports.HtmlPath is not null, "--report"),
            (Reports.OverlaysDirectory is not null, "--overlays"),
            (Analysis.Enabled, "--analysis"),
        }.Where(o => o.Asked).Select(o => o.Option),
    ];

    /// <summary>Whether this run spills its predictions: asked for, or automatic for large predictions when nothing needs everything.</summary>
    public bool UsesLowMemory()
    {
        if (LowMemory is bool asked) return asked;
        if (OutputsNeedingEverything.Count > 0) return false;
        return AllPredictions.Sum(SpillSettings.BytesOf) >= LowMemoryFromBytes;
    }

    /// <summary>The engine options these settings ask for.</summary>
    public EvaluationOptions ToOptions() => new()
    {
        Metrics = Metrics,
        Voc = Voc,
        MaxDetections = MaxDetections,
        Threads = Threads,
        ScoreThreshold = Reports.ScoreThreshold,
        // Only the charts draw the confidence curves.
        ConfidenceCurves = Reports.PlotsDirectory is not null || Reports.HtmlPath is not null,
    };
}

/// <summary><c>deval evaluate</c>: scores predictions against ground truth and prints or writes the results.</summary>
public sealed class EvaluateCommand
{
    private readonly Option<string> _groundTruth = new("--gt")
    {
        Description = "Ground truth: a file or folder in any format of --gt-format (COCO json: images, annotations, categories).",
        Required = true,
        HelpName = "PATH",
    };

    private readonly Option<string[]> _predictions = new("--pred")
    {
        Description = "Predictions: a file or folder in any format of --pred-format (COCO json: a list of {image_id, category_id, bbox, score}). Several (--pred a b, or --pred a --pred b) are the parts of one set of predictions, read in that order.",
        Required = true,
        HelpName = "PATH",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<string> _groundTruthFormat = InputOptions.FormatOption("--gt-format", "Format of --gt; auto detects it from the file or folder.");

    private readonly Option<string> _predictionFormat = InputOptions.FormatOption("--pred-format", "Format of --pred; auto detects it from the file or folder.");

    private readonly InputOptions _inputs = new(includeImages: false);

    private readonly Option<string> _metric = CreateMetricOption();

    private readonly Option<double> _iou = new("--iou")
    {
        Description = "VOC IoU threshold. COCO always uses .50:.05:.95.",
        DefaultValueFactory = _ => 0.5,
        CustomParser = ParseIouThreshold,
        HelpName = "T",
    };

    private readonly Option<string> _iouRule = CreateIouRuleOption();

    private readonly Option<bool> _plusOne = new("--voc-plus-one")
    {
        Description = "VOC inclusive-pixel convention: a box [x1, x2] spans x2 - x1 + 1 pixels (VOC devkit, py-faster-rcnn).",
    };

    // No DefaultValueFactory: help would print the default int[] as "1|10|100"; the description states it
    // as the option is written, and ReadSettings puts it in when the option is absent.
    private readonly Option<int[]> _maxDets = new("--max-dets")
    {
        Description = $"COCO's three detection caps per image and class, ascending. [default: {string.Join(',', CocoParameters.DefaultMaxDetections)}]",
        CustomParser = ParseMaxDetections,
        HelpName = "A,B,C",
    };

    private readonly Option<string?> _json = new("--json")
    {
        Description = "Write the JSON report to FILE, or to stdout with '-' (then nothing else goes to stdout).",
        HelpName = "FILE",
    };

    private readonly Option<int?> _threads = new("--threads")
    {
        Description = "Worker threads (default: all cores). Results never depend on it.",
        CustomParser = ParseThreads,
        HelpName = "N",
    };

    private readonly ReportOptions _reports = new();
    private readonly Option<bool> _timings = new("--timings")
    {
        Description = "Print the time of each stage (load, match, accumulate, write) on stderr.",
    };

    private readonly Option<string> _device = CreateDeviceOption();

    private readonly AnalysisOptions _analysis = new();

    private readonly Option<int?> _shardImages = new("--shard-images")
    {
        Description = "Images per shard of a low-memory run (implies --low-memory); by default shards hold about half a million detections. Smaller shards use less memory.",
        CustomParser = result => ParseCount(result, "--shard-images"),
        HelpName = "N",
    };

    private readonly Option<bool> _lowMemory = PairedRunOptions.LowMemoryOption(
        "Spill the predictions to a temporary folder and evaluate them image shard by image shard: about 32 bytes of memory per detection, same results. Automatic for predictions of 256 MiB or more (--low-memory false turns that off); not with --plots, --report, --overlays or --analysis, which need every box or curve at once.");

    /// <summary>Builds the verb; its action writes through <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static Command Create(TextWriter output, TextWriter error) => new EvaluateCommand().Build(output, error);

    private Command Build(TextWriter output, TextWriter error)
    {
        var command = new Command("evaluate", "Score predictions against ground truth with COCO and/or VOC metrics.")
        {
            _groundTruth, _predictions, _metric, _iou, _iouRule, _plusOne, _maxDets, _json, _threads,
            _timings, _device, _lowMemory, _shardImages,
        };
        foreach (Option option in _reports.All) command.Options.Add(option);
        foreach (Option option in _analysis.All) command.Options.Add(option);
        command.Options.Add(_groundTruthFormat);
        command.Options.Add(_predictionFormat);
        foreach (Option option in _inputs.All) command.Options.Add(option);
        command.SetAction(parse => DevalApp.Guard(error, () => Execute(ReadSettings(parse), output, error)));
        return command;
    }

    /// <summary>Turns a parse into settings.</summary>
    private EvaluateSettings ReadSettings(ParseResult parse) => new(
        parse.GetValue(_groundTruth)!,
        parse.GetValue(_predictions)![0],
        parse.GetValue(_metric) switch
        {
            "coco" => MetricSet.Coco,
            "voc" => MetricSet.Voc,
            _ => MetricSet.All,
        },
        new VocMatchSettings(
            parse.GetValue(_iou),
            parse.GetValue(_iouRule) == "gt" ? VocIouRule.Greater : VocIouRule.GreaterOrEqual,
            parse.GetValue(_plusOne)),
        parse.GetResult(_maxDets) is null ? [.. CocoParameters.DefaultMaxDetections] : parse.GetValue(_maxDets)!,
        parse.GetValue(_json),
        parse.GetValue(_threads),
        InputOptions.FormatOf(parse, _groundTruthFormat),
        InputOptions.FormatOf(parse, _predictionFormat),
        // One --images folder: the overlays draw its images and relative coordinates take their sizes.
        _inputs.Read(parse) with { ImagesFolder = _reports.Read(parse).ImagesDirectory })
    {
        MorePredictions = parse.GetValue(_predictions)![1..],
        Reports = _reports.Read(parse),
        Timings = parse.GetValue(_timings),
        Device = parse.GetValue(_device) switch
        {
            "cpu" => ComputeDevice.Cpu,
            "gpu" => ComputeDevice.Gpu,
            _ => ComputeDevice.Auto,
        },
        Analysis = _analysis.Read(parse),
        LowMemory = parse.GetValue(_shardImages) is not null ? true : PairedRunOptions.ReadLowMemory(parse, _lowMemory),
        Spill = parse.GetValue(_shardImages) is int shardImages ? new SpillSettings(shardImages) : null,
    };

    /// <summary>Loads, evaluates and reports.</summary>
    public static int Execute(EvaluateSettings settings, TextWriter output, TextWriter error)
    {
        OutputFiles.RefuseToOverwriteInputs(settings.JsonPath, "--json", [settings.GroundTruth, .. settings.AllPredictions]);
        ReportPipeline.CheckOutputs(settings);
        var timings = new StageTimings();
        CompileAhead.Start(settings);
        using var progress = Progress.Start(error, "loading");
        // Messages during the run clear the progress line first.
        TextWriter messages = progress.Writer;
        // --device gpu opens the device before loading, so a machine without one fails at once.
        using IOverlapEngine? requested = settings.EngineOverride is null && settings.Device == ComputeDevice.Gpu
            ? timings.Time("open device", () => DeviceChoice.OpenRequested(settings.Device))
            : null;

        bool lowMemory = settings.UsesLowMemory();
        LoadOptions loadOptions = (settings.Inputs ?? InputSettings.Default).ToLoadOptions();
        if (lowMemory) loadOptions = loadOptions with { Spill = settings.Spill ?? new SpillSettings() };
        loadOptions = loadOptions with { Progress = progress.Sink };
        LoadedAnnotations loaded = timings.Time("load", () => InputOptions.LoadParts(
            new AnnotationInput(settings.GroundTruth, settings.GroundTruthFormat),
            [.. settings.AllPredictions.Select(part => new AnnotationInput(part, settings.PredictionFormat))],
            loadOptions,
            messages,
            imageSizesUsedLater: settings.Reports.OverlaysDirectory is not null));
        DatasetBuilder builder = loaded.Builder;
        using DetectionSpill? spill = builder.Spill;
        WarnAboutUnknownCategories(builder, settings.PredictionsLabel, messages);
        DevalApp.Cancellation.ThrowIfCancellationRequested();
        progress.Stage("grouping");
        Dataset dataset = timings.Time("group", builder.Build);

        using IOverlapEngine? chosen = settings.EngineOverride is null && settings.Device == ComputeDevice.Auto && !lowMemory
            ? DeviceChoice.OpenForWork(settings.Device, dataset, settings.ToOptions())
            : null;
        EvaluationOptions options = settings.ToOptions() with { Engine = settings.EngineOverride ?? requested ?? chosen, Cancellation = DevalApp.Cancellation, Progress = progress.Sink };
        EvaluationResult result = lowMemory
            ? EvaluateSpilled(builder, dataset, options, timings)
            : EvaluateInMemory(settings, dataset, options, timings, progress);
        var header = new ReportHeader(DevalApp.ToolName, DevalApp.Version, settings.GroundTruth, settings.PredictionsLabel);
        progress.Done();

        // Everything is drawn and formatted before the first file is written, so a failure leaves none.
        PreparedOutputs prepared = timings.Time("draw reports", () => ReportPipeline.Prepare(settings, dataset, result, header, error));
        // A run interrupted before this point writes nothing; writing, from memory, is not interrupted.
        DevalApp.Cancellation.ThrowIfCancellationRequested();
        timings.Time("write", () => WriteReports(settings, header, result, prepared, output));
        if (settings.Timings) timings.Print(error, options.Engine?.Name ?? "cpu");
        return ExitCodes.Success;
    }

    /// <summary>The in-memory run: each family matched, then accumulated; the stages tell the progress display their size through the options.</summary>
    private static EvaluationResult EvaluateInMemory(EvaluateSettings settings, Dataset dataset, EvaluationOptions options, StageTimings timings, Progress progress)
    {
        CocoMatches? cocoMatches = settings.Metrics.HasFlag(MetricSet.Coco) ? timings.Time("match COCO", () => CocoEvaluation.Match(dataset, options)) : null;
        VocMatches? vocMatches = settings.Metrics.HasFlag(MetricSet.Voc) ? timings.Time("match VOC", () => VocEvaluation.Match(dataset, options)) : null;
        CocoResult? coco = cocoMatches is null ? null : timings.Time("accumulate COCO", () => CocoEvaluation.Accumulate(cocoMatches, options));
        VocResult? voc = vocMatches is null ? null : timings.Time("accumulate VOC", () => VocEvaluation.Accumulate(vocMatches, options));
        progress.Stage("operating points");
        EvaluationResult result = timings.Time("operating points", () => DetectionEvaluation.Combine(dataset, options, coco, voc));
        if (settings.Analysis.Enabled)
        {
            progress.Stage("analysing");
            EvaluationResult evaluated = result;
            result = timings.Time("analysis", () => evaluated with { Analysis = Analyze(settings, dataset, evaluated) });
        }
        return result;
    }

    /// <summary>The low-memory run: the spilled predictions matched shard by shard, then accumulated class by class (both tell the progress display their detections).</summary>
    private static EvaluationResult EvaluateSpilled(DatasetBuilder builder, Dataset groundTruth, EvaluationOptions options, StageTimings timings)
    {
        ShardedMatches matches = timings.Time("match shards", () => ShardedEvaluation.Match(builder, groundTruth, options));
        return timings.Time("accumulate", () => ShardedEvaluation.Accumulate(matches, options));
    }

    private static void WriteReports(EvaluateSettings settings, ReportHeader header, EvaluationResult result, PreparedOutputs prepared, TextWriter output)
    {
        if (settings.JsonPath == "-")
        {
            using var buffer = new MemoryStream();
            JsonReport.Write(buffer, header, result);
            prepared.WriteAll();
            output.Write(Encoding.UTF8.GetString(buffer.ToArray()));
            return;
        }
        if (settings.JsonPath is { } jsonPath) OutputFiles.Write(jsonPath, "--json", stream => JsonReport.Write(stream, header, result));
        prepared.WriteAll();
        TextReport.Write(output, result);
    }

    /// <summary>
    /// The error analysis at --score-threshold, else at the pooled best-F1 confidence (where the overlays
    /// are drawn too), else (no detections) at every confidence.
    /// </summary>
    private static Eval.Analysis.ErrorAnalysis Analyze(EvaluateSettings settings, Dataset dataset, EvaluationResult result)
    {
        double threshold = settings.Reports.ScoreThreshold ?? result.OperatingPoints?.BestF1?.Confidence ?? double.NegativeInfinity;
        var options = new Eval.Analysis.AnalysisOptions(settings.Voc, threshold, settings.Reports.Worst, settings.Threads);
        return Eval.Analysis.ErrorAnalyzer.Analyze(dataset, options);
    }

    internal static void WarnAboutUnknownCategories(DatasetBuilder builder, string predictions, TextWriter error)
    {
        if (builder.UnknownClassNames.Count > 0)
        {
            int count = builder.UnknownClassNames.Values.Sum();
            string names = string.Join(", ", builder.UnknownClassNames.Take(10).Select(p => $"{p.Key} {Counting.Number(p.Value)}"));
            if (builder.UnknownClassNames.Count > 10) names += ", ...";
            error.WriteLine($"{DevalApp.ToolName}: warning: {predictions}: {Counting.Of(count, "prediction")} of classes not in the ground truth {(count == 1 ? "was" : "were")} ignored ({names}).");
        }
        if (builder.UnknownCategoryIds.Count == 0) return;
        string ids = string.Join(", ", builder.UnknownCategoryIds.Take(10).Select(id => id.ToString(CultureInfo.InvariantCulture)));
        if (builder.UnknownCategoryIds.Count > 10) ids += ", ...";
        int byId = builder.DetectionsOfUnknownCategories - builder.UnknownClassNames.Values.Sum();
        error.WriteLine($"{DevalApp.ToolName}: warning: {predictions}: {Counting.Of(byId, "detection")} of category ids not in the ground truth {(byId == 1 ? "was" : "were")} ignored ({ids}).");
    }

    private static Option<string> CreateMetricOption()
    {
        var option = new Option<string>("--metric")
        {
            Description = "Metric families to compute.",
            DefaultValueFactory = _ => "all",
        };
        option.AcceptOnlyFromAmong("coco", "voc", "all");
        return option;
    }

    private static Option<string> CreateDeviceOption()
    {
        var option = new Option<string>("--device")
        {
            Description = "Where IoU candidates are computed: auto (the GPU when one is usable and the work pays off), cpu or gpu.",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "cpu", "gpu");
        return option;
    }

    private static Option<string> CreateIouRuleOption()
    {
        var option = new Option<string>("--voc-iou-rule")
        {
            Description = "VOC overlap test: ge (IoU >= t, VOC devkit) or gt (IoU > t, py-faster-rcnn/detectron2).",
            DefaultValueFactory = _ => "ge",
        };
        option.AcceptOnlyFromAmong("ge", "gt");
        return option;
    }

    private static double ParseIouThreshold(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return 0.5;
        string text = result.Tokens[0].Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= 0 && value <= 1))
        {
            result.AddError($"--iou expects a number between 0 and 1, but got '{text}'.");
            return 0.5;
        }
        return value;
    }

    internal static int[] ParseMaxDetections(ArgumentResult result)
    {
        int[] fallback = [.. CocoParameters.DefaultMaxDetections];
        if (result.Tokens.Count == 0) return fallback;
        string text = string.Join(",", result.Tokens.Select(t => t.Value));
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] < 1)
            {
                result.AddError($"--max-dets expects three ascending whole numbers like 1,10,100, but got '{text}'.");
                return fallback;
            }
        }
        if (values.Length != 3 || values[0] >= values[1] || values[1] >= values[2])
        {
            result.AddError($"--max-dets expects three ascending whole numbers like 1,10,100, but got '{text}'.");
            return fallback;
        }
        return values;
    }

    internal static int? ParseThreads(ArgumentResult result) => ParseCount(result, "--threads");

    /// <summary>A whole number of 1 or more, or null when the option is absent; anything else is a parse error naming <paramref name="option"/>.</summary>
    private static int? ParseCount(ArgumentResult result, string option)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[0].Value;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1)
        {
            result.AddError($"{option} expects a whole number of 1 or more, but got '{text}'.");
            return null;
        }
        return count;
    }
}
