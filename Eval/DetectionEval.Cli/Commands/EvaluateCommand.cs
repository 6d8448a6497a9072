using System.CommandLine;
using System.Text;
using DetectionEval.Eval;
using DetectionEval.Cli.Options;
using DetectionEval.Cli.Runs;
using DetectionEval.Cli.Visuals;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;
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

    /// <summary>COCO's iou types, in report order; boxes alone by default.</summary>
    public IReadOnlyList<IouType> IouTypes { get; init; } = [IouType.Bbox];

    /// <summary>OKS's per-keypoint sigmas; null for COCO's 17 person keypoints.</summary>
    public IReadOnlyList<double>? KeypointSigmas { get; init; }

    /// <summary>Where the IoU candidate search runs.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;

    /// <summary>An engine to use instead of the one <see cref="Device"/> picks (tests run the ILGPU CPU accelerator this way); the caller disposes it.</summary>
    internal IOverlapEngine? EngineOverride { get; init; }

    /// <summary>The error analysis, when asked for.</summary>
    public AnalysisSettings Analysis { get; init; } = AnalysisSettings.None;

    /// <summary>Spill the predictions to disk and evaluate image shard by image shard (null: automatic for large predictions).</summary>
    public bool? LowMemory { get; init; }

    /// <summary>How a low-memory run spills (tests force tiny shards with it); null for the defaults.</summary>
    public SpillSettings? Spill { get; init; }

    /// <summary>Write one Parquet row per detection with its COCO and VOC outcomes to this file (<c>--records</c>); null for none.</summary>
    public string? RecordsPath { get; init; }

    /// <summary>Write the records of one image shard to this file (<c>--partial</c>) instead of reports; null for a whole run.</summary>
    public string? PartialPath { get; init; }

    /// <summary>The value of <c>--shard</c> (<c>I/N</c> or <c>auto</c>); null for the whole dataset.</summary>
    public string? Shard { get; init; }

    /// <summary>The value of <c>--shards</c> (the count for <c>--shard auto</c> in a Kubernetes Indexed Job).</summary>
    public int? Shards { get; init; }

    /// <summary>Reads the scheduler's environment for <c>--shard auto</c> (tests give their own).</summary>
    internal Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>The options asking for what a low-memory run does not keep, each with what it needs.</summary>
    private IEnumerable<(string Option, RunProducts Needs)> OptionsNeedingEverything =>
        new (bool Asked, string Option, RunProducts Needs)[]
        {
            (Reports.PlotsDirectory is not null, "--plots", RunProducts.Curves),
            (Reports.HtmlPath is not null, "--report", RunProducts.Curves),
            (Reports.OverlaysDirectory is not null, "--overlays", RunProducts.Matches),
            (Analysis.Enabled, "--analysis", RunProducts.Matches),
            (RecordsPath is not null, "--records", RunProducts.Matches),
        }.Where(o => o.Asked).Select(o => (o.Option, o.Needs));

    /// <summary>The options that need every detection's box or curve point at once, which a low-memory run does not keep.</summary>
    public IReadOnlyList<string> OutputsNeedingEverything => [.. OptionsNeedingEverything.Select(o => o.Option)];

    /// <summary>The engine options these settings ask for.</summary>
    public EvaluationOptions ToOptions() => new()
    {
        Metrics = Metrics,
        Voc = Voc,
        MaxDetections = MaxDetections,
        IouTypes = IouTypes,
        KeypointSigmas = KeypointSigmas,
        Threads = Threads,
        ScoreThreshold = Reports.ScoreThreshold,
        // Only the charts draw the confidence curves.
        ConfidenceCurves = Reports.PlotsDirectory is not null || Reports.HtmlPath is not null,
    };

    /// <summary>The pipeline's request: the files, the options, where the predictions live and what the outputs need kept.</summary>
    /// <param name="cancellation">Stops reading the images' sizes for --images soon after it is cancelled.</param>
    public EvaluationRequest ToRequest(CancellationToken cancellation = default) =>
        new(new FileInputs(
            new AnnotationInput(GroundTruth, GroundTruthFormat),
            [.. AllPredictions.Select(part => new AnnotationInput(part, PredictionFormat))],
            (Inputs ?? InputSettings.Default).ToLoadOptions(cancellation))
        {
            // --images also gives the overlays their images.
            ImageSizesUsedLater = Reports.OverlaysDirectory is not null,
        })
        {
            Options = ToOptions(),
            Memory = LowMemory switch
            {
                true => MemoryMode.LowMemory,
                false => MemoryMode.InMemory,
                null => MemoryMode.Auto,
            },
            Spill = Spill,
            Keep = OptionsNeedingEverything.Where(o => o.Option != "--analysis").Aggregate(RunProducts.Results, (keep, o) => keep | o.Needs),
            // The analysis measures the first of boxes and masks asked for: --iou-type segm analyses masks.
            Analysis = Analysis.Enabled ? new AnalysisRequest(Reports.Worst) { Overlap = IouTypes.FirstOrDefault(t => t is IouType.Bbox or IouType.Segm) } : null,
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

    private readonly WordOption<AnnotationFormat> _groundTruthFormat = CommonOptions.GroundTruthFormat();

    private readonly WordOption<AnnotationFormat> _predictionFormat = CommonOptions.PredictionFormat("--pred");

    private readonly InputOptions _inputs = new(includeImages: false);

    private readonly WordOption<MetricSet> _metric = OptionWords.Choice("--metric", "Metric families to compute. [default: all]", OptionWords.Metrics);

    private readonly Option<double?> _iou = CommonOptions.Iou("VOC IoU threshold. COCO always uses .50:.05:.95. [default: 0.5]");

    private readonly WordOption<VocIouRule> _iouRule = CommonOptions.IouRule("VOC overlap test: ge (IoU >= t, VOC devkit) or gt (IoU > t, py-faster-rcnn/detectron2). [default: ge]");

    private readonly Option<bool> _plusOne = CommonOptions.PlusOne("VOC inclusive-pixel convention: a box [x1, x2] spans x2 - x1 + 1 pixels (VOC devkit, py-faster-rcnn).");

    private readonly Option<int[]?> _maxDets = CommonOptions.MaxDetections(
        $"COCO's three detection caps per image and class, ascending. [default: {string.Join(',', CocoParameters.DefaultMaxDetections)}]");

    private readonly Option<IouType[]?> _iouTypes = CommonOptions.IouTypes(
        "COCO's iou types, a comma list: bbox (boxes), segm (instance masks: polygons or RLE in \"segmentation\") and keypoints (OKS on \"keypoints\"); one report section each. VOC, the operating point and the analysis are box metrics and come with bbox. [default: bbox]");

    private readonly Option<double[]?> _kptSigmas = CommonOptions.KeypointSigmas(
        "OKS sigmas, one per keypoint, for --iou-type keypoints. [default: COCO's 17 person keypoints]");

    private readonly Option<string?> _json = CommonOptions.Json("Write the JSON report to FILE, or to stdout with '-' (then nothing else goes to stdout).");

    private readonly Option<int?> _threads = CommonOptions.Threads();

    private readonly ReportOptions _reports = new();

    private readonly Option<bool> _timings = new("--timings")
    {
        Description = "Print the time of each stage (load, match, accumulate, write) on stderr.",
    };

    private readonly WordOption<ComputeDevice> _device = OptionWords.Choice(
        "--device",
        NativeParts.IsNativeExecutable
            ? "Where IoU candidates are computed: auto or cpu, both the CPU here (this native deval has no GPU engine; gpu is refused: DetectionEval.Cli.Gpu has it). [default: auto]"
            : "Where IoU candidates are computed: auto (the GPU when one is usable and the work pays off), cpu or gpu. [default: auto]",
        OptionWords.Devices);

    private readonly AnalysisOptions _analysis = new();

    private readonly Option<int?> _shardImages = new("--shard-images")
    {
        Description = "Images per shard of a low-memory run (implies --low-memory); by default shards hold about half a million detections. Smaller shards use less memory.",
        CustomParser = result => CommonOptions.ParseCount(result, "--shard-images"),
        HelpName = "N",
    };

    private readonly Option<string?> _records = new("--records")
    {
        Description = "Write one row per detection (image, class, score, COCO outcome per IoU threshold, VOC outcome and ground truth) to FILE as Parquet, for DuckDB or pandas.",
        HelpName = "FILE.parquet",
    };

    private readonly Option<string?> _partial = new("--partial")
    {
        Description = "Match one image shard (--shard) and write its match records to FILE, for 'deval merge'; writes no report. With --analysis, also what the error analysis reads.",
        HelpName = "FILE",
    };

    private readonly Option<string?> _shard = new("--shard")
    {
        Description = "With --partial: the shard I/N to match (the images whose rank in ascending id order is I modulo N), or auto: from JOB_COMPLETION_INDEX with --shards N (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT (Slurm array). [default: 0/1]",
        HelpName = "I/N|auto",
    };

    private readonly Option<int?> _shards = new("--shards")
    {
        Description = "With --shard auto in a Kubernetes Indexed Job: the number of shards (the Job's completions).",
        CustomParser = result => CommonOptions.ParseCount(result, "--shards"),
        HelpName = "N",
    };

    private readonly Option<bool> _lowMemory = CommonOptions.LowMemory(
        "Spill the predictions to a temporary folder and evaluate them image shard by image shard: about 32 bytes of memory per detection, same results. Automatic for predictions of 256 MiB or more (--low-memory false turns that off); not with --plots, --report, --overlays, --analysis or --records, which need every box or curve at once.");

    /// <summary>Builds the verb; its action writes through <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static Command Create(TextWriter output, TextWriter error) => new EvaluateCommand().Build(output, error);

    private Command Build(TextWriter output, TextWriter error)
    {
        var command = new Command("evaluate", "Score predictions against ground truth with COCO and/or VOC metrics.")
        {
            _groundTruth, _predictions, _metric, _iouTypes, _kptSigmas, _iou, _iouRule, _plusOne, _maxDets, _json, _threads,
            _timings, _device, _lowMemory, _shardImages, _partial, _shard, _shards, _records,
        };
        foreach (Option option in _reports.All) command.Options.Add(option);
        foreach (Option option in _analysis.All) command.Options.Add(option);
        command.Options.Add(_groundTruthFormat);
        command.Options.Add(_predictionFormat);
        foreach (Option option in _inputs.All) command.Options.Add(option);
        command.SetAction((parse, cancellation) => Task.FromResult(DevalApp.Guard(error, () => Execute(ReadSettings(parse), output, error, cancellation))));
        return command;
    }

    /// <summary>Turns a parse into settings.</summary>
    private EvaluateSettings ReadSettings(ParseResult parse) => new(
        parse.GetValue(_groundTruth)!,
        parse.GetValue(_predictions)![0],
        _metric.Read(parse) ?? MetricSet.All,
        new VocMatchSettings(parse.GetValue(_iou) ?? 0.5, _iouRule.Read(parse) ?? VocIouRule.GreaterOrEqual, parse.GetValue(_plusOne)),
        CommonOptions.ReadMaxDetections(parse, _maxDets) ?? [.. CocoParameters.DefaultMaxDetections],
        parse.GetValue(_json),
        parse.GetValue(_threads),
        _groundTruthFormat.Read(parse),
        _predictionFormat.Read(parse),
        // One --images folder: the overlays draw its images and relative coordinates take their sizes.
        _inputs.Read(parse) with { ImagesFolder = _reports.Read(parse).ImagesDirectory })
    {
        MorePredictions = parse.GetValue(_predictions)![1..],
        Reports = _reports.Read(parse),
        Timings = parse.GetValue(_timings),
        IouTypes = parse.GetResult(_iouTypes) is null ? [IouType.Bbox] : parse.GetValue(_iouTypes) ?? [IouType.Bbox],
        KeypointSigmas = parse.GetResult(_kptSigmas) is null ? null : parse.GetValue(_kptSigmas),
        Device = _device.Read(parse) ?? ComputeDevice.Auto,
        Analysis = _analysis.Read(parse),
        LowMemory = parse.GetValue(_shardImages) is not null ? true : CommonOptions.ReadLowMemory(parse, _lowMemory),
        Spill = parse.GetValue(_shardImages) is int shardImages ? new SpillSettings(shardImages) : null,
        PartialPath = parse.GetValue(_partial),
        RecordsPath = parse.GetValue(_records),
        Shard = parse.GetValue(_shard),
        Shards = parse.GetValue(_shards),
    };

    /// <summary>Evaluates through the pipeline, then draws and writes what was asked for.</summary>
    /// <param name="settings">What to do.</param>
    /// <param name="output">Stdout.</param>
    /// <param name="error">Stderr.</param>
    /// <param name="cancellation">Ctrl-C: the run stops and writes nothing.</param>
    public static int Execute(EvaluateSettings settings, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.PartialPath is not null) return ExecuteShard(settings, output, error, cancellation);
        if (settings.Shard is not null || settings.Shards is not null) throw new UsageException($"{(settings.Shard is not null ? "--shard" : "--shards")}: Expected --partial FILE to write the shard's records to, but got none.");
        OutputFiles.RefuseToOverwriteInputs(settings.JsonPath, "--json", [settings.GroundTruth, .. settings.AllPredictions]);
        ReportPipeline.CheckOutputs(settings);
        var timings = new StageTimings();
        using var progress = Progress.Start(error, "loading");
        // --device gpu opens the device before loading, so a machine without one fails at once.
        using IOverlapEngine? requested = settings.EngineOverride is null && settings.Device == ComputeDevice.Gpu
            ? timings.Time("open device", () => DeviceChoice.OpenRequested(settings.Device))
            : null;
        IOverlapEngine? given = settings.EngineOverride ?? requested;
        string engine = given?.Name ?? "cpu";
        EvaluationRequest request = settings.ToRequest(cancellation) with
        {
            Options = settings.ToOptions() with { Engine = given },
            ChooseEngine = given is null && settings.Device == ComputeDevice.Auto
                ? (dataset, options) => DeviceChoice.OpenForWork(settings.Device, dataset, options) is { } chosen ? Named(chosen, out engine) : null
                : null,
        };
        EvaluationRun run = EvaluationPipeline.Run(request, new ConsoleObserver(progress, timings, progress.Writer), cancellation);
        var header = new ReportHeader(DevalApp.ToolName, DevalApp.Version, settings.GroundTruth, settings.PredictionsLabel);
        progress.Done();

        // Everything is drawn and formatted before the first file is written, so a failure leaves none.
        PreparedOutputs prepared = timings.Time("draw reports", () => ReportPipeline.Prepare(settings, run, header, error));
        // A run interrupted before this point writes nothing; writing, from memory, is not interrupted.
        cancellation.ThrowIfCancellationRequested();
        timings.Time("write", () => WriteReports(settings, header, run.Result, prepared, output));
        if (settings.Timings) timings.Print(error, engine);
        return ExitCodes.Success;
    }

    /// <summary>
    /// A distributed run's worker: matches one image shard and writes its records to --partial, for
    /// <c>deval merge</c>, which writes the reports.
    /// </summary>
    private static int ExecuteShard(EvaluateSettings settings, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        string path = settings.PartialPath!;
        string[] reports = [.. new (bool Asked, string Option)[]
        {
            (settings.JsonPath is not null, "--json"), (settings.Reports.AnyOutput, "--plots, --report, --markdown, --csv or --overlays"),
            (settings.Analysis.ConfusionCsvPath is not null, "--confusion-csv"), (settings.RecordsPath is not null, "--records"), (settings.Reports.ScoreThreshold is not null, "--score-threshold"), (settings.LowMemory == false, "--low-memory false"),
        }.Where(o => o.Asked).Select(o => o.Option)];
        if (reports.Length > 0) throw new UsageException($"--partial: Expected no report options (deval merge writes the reports), but got {string.Join(", ", reports)}.");
        ReportPipeline.RequireVocForAnalysis(settings);
        if (settings.Analysis.Enabled && !settings.IouTypes.Contains(IouType.Bbox))
        {
            // A single run of masks analyses masks; a partial keeps what the analysis reads of box matches only.
            throw new UsageException("--analysis: Expected bbox among --iou-type (a partial keeps the error analysis of box matches), but got --iou-type "
                + string.Join(',', settings.IouTypes.Select(IouTypeNames.Name)) + "; run the analysis of masks with 'deval evaluate --analysis' on one machine.");
        }
        ImageShard shard = ShardChoice.Resolve(settings.Shard, settings.Shards, settings.Environment);
        OutputFiles.RefuseToOverwriteInputs(path, "--partial", [settings.GroundTruth, .. settings.AllPredictions]);
        if (Directory.Exists(path)) throw new UsageException($"{path}: Expected a file for --partial, but got a folder.");
        var timings = new StageTimings();
        using var progress = Progress.Start(error, "loading");
        EvaluationRequest request = settings.ToRequest(cancellation) with { Options = settings.ToOptions() with { ConfidenceCurves = false } };
        PartialResult partial = EvaluationPipeline.RunShard(request, shard, new ConsoleObserver(progress, timings, progress.Writer), cancellation);
        progress.Done();
        cancellation.ThrowIfCancellationRequested();
        timings.Time("write", () => OutputFiles.Write(path, "--partial", partial.WriteTo));
        string analysis = partial.HasAnalysis ? ", with the error analysis's records" : "";
        output.WriteLine($"shard {shard}: {Counting.Of(partial.ImageCount, "image")}, {Counting.Of(partial.Detections, "detection")} matched{analysis}; wrote {path}");
        if (settings.Timings) timings.Print(error, "cpu");
        return ExitCodes.Success;
    }

    private static IOverlapEngine Named(IOverlapEngine engine, out string name)
    {
        name = engine.Name;
        return engine;
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
}
