using System.CommandLine;
using System.Globalization;
using DetectionEval.Cli.Options;
using DetectionEval.Cli.Runs;
using DetectionEval.Eval;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.IO;

namespace DetectionEval.Cli.Commands;

/// <summary>Evaluation settings given to the gate; each, when given, must agree with the baseline's.</summary>
/// <param name="Iou">--iou.</param>
/// <param name="Rule">--voc-iou-rule.</param>
/// <param name="PlusOne">--voc-plus-one (true when given).</param>
/// <param name="MaxDetections">--max-dets.</param>
public sealed record GateEvaluationSettings(double? Iou, VocIouRule? Rule, bool PlusOne, IReadOnlyList<int>? MaxDetections)
{
    /// <summary>True when any was given.</summary>
    public bool Any => Iou is not null || Rule is not null || PlusOne || MaxDetections is not null;
}

/// <summary>What <c>deval gate</c> was asked to do, parsed and checked.</summary>
/// <param name="Baseline">The baseline report.</param>
/// <param name="Current">The current report; null when the gate evaluates <paramref name="Predictions"/>.</param>
/// <param name="GroundTruth">Ground truth to evaluate against (with <paramref name="Predictions"/>).</param>
/// <param name="Predictions">The current predictions.</param>
/// <param name="BaselinePredictions">The baseline's predictions, for the bootstrap.</param>
/// <param name="Evaluation">Evaluation settings stated on the command line.</param>
/// <param name="Families">--metric-set; null for the baseline's families.</param>
/// <param name="Rules">What to check.</param>
/// <param name="Bootstrap">--bootstrap, --seed, --confidence; null for none.</param>
/// <param name="JUnitPath">--junit.</param>
/// <param name="MarkdownPath">--markdown.</param>
/// <param name="JsonPath">--json: the current run's report.</param>
/// <param name="Threads">--threads.</param>
/// <param name="GroundTruthFormat">--gt-format; null to detect it.</param>
/// <param name="PredictionFormat">--pred-format (of --pred and --baseline-pred); null to detect it.</param>
/// <param name="Inputs">How annotation files are read (--box-format, --names, ...); null for COCO json as always.</param>
public sealed record GateSettings(
    string Baseline, string? Current, string? GroundTruth, string? Predictions, string? BaselinePredictions,
    GateEvaluationSettings Evaluation, MetricSet? Families, GateRules Rules, BootstrapSettings? Bootstrap,
    string? JUnitPath, string? MarkdownPath, string? JsonPath, int? Threads,
    AnnotationFormat? GroundTruthFormat = null, AnnotationFormat? PredictionFormat = null, InputSettings? Inputs = null)
{
    /// <summary>--low-memory: spill --pred to disk and evaluate it shard by shard (null: automatic for large predictions without --baseline-pred).</summary>
    public bool? LowMemory { get; init; }

    /// <summary>--current-partials: the current run as the shards of deval evaluate --shard I/N --partial, merged by the gate; null for none.</summary>
    public IReadOnlyList<string>? CurrentPartials { get; init; }

    /// <summary>--baseline-partials: the baseline run's shards, for the bootstrap; they must reproduce the baseline report.</summary>
    public IReadOnlyList<string>? BaselinePartials { get; init; }
}

/// <summary><c>deval gate</c>: fails (exit 1) when the current run regressed against the baseline beyond the rules.</summary>
public sealed class GateCommand
{
    private readonly Option<string> _baseline = new("--baseline")
    {
        Description = "The baseline: a report written by deval evaluate --json.",
        Required = true,
        HelpName = "BASE.json",
    };

    private readonly Option<string?> _current = new("--current")
    {
        Description = "The current run: a report written by deval evaluate --json. Or give --gt and --pred.",
        HelpName = "CUR.json",
    };

    private readonly Option<string?> _groundTruth = new("--gt")
    {
        Description = "Ground truth to evaluate --pred against (instead of --current): a file or folder in any format of --gt-format; it must be the baseline's.",
        HelpName = "PATH",
    };

    private readonly Option<string?> _predictions = new("--pred")
    {
        Description = "The current predictions, evaluated with the baseline's settings: a file or folder in any format of --pred-format "
            + $"({string.Join(", ", AnnotationFormats.Names)}; COCO json: a list of {{image_id, category_id, bbox, score}}).",
        HelpName = "PATH",
    };

    private readonly Option<string?> _baselinePredictions = new("--baseline-pred")
    {
        Description = "The baseline's predictions, which --bootstrap needs, in a format of --pred-format; they must reproduce BASE.json exactly.",
        HelpName = "PATH",
    };

    private readonly Option<string[]> _currentPartials = new("--current-partials")
    {
        Description = "The current run as partial results (every shard of deval evaluate --shard I/N --partial), merged here. Or give --current, or --gt and --pred.",
        HelpName = "PARTIAL",
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<string[]> _baselinePartials = new("--baseline-partials")
    {
        Description = "The baseline run's partial results (every shard), which --bootstrap needs with --current-partials; merged, they must reproduce BASE.json exactly.",
        HelpName = "PARTIAL",
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<double?> _iou = CommonOptions.Iou("VOC IoU threshold; must match the baseline's (default: the baseline's).");

    private readonly WordOption<VocIouRule> _iouRule = CommonOptions.IouRule("VOC overlap test, ge or gt; must match the baseline's (default: the baseline's).");

    private readonly Option<bool> _plusOne = CommonOptions.PlusOne("VOC inclusive-pixel convention; must match the baseline's (default: the baseline's).");

    private readonly Option<int[]?> _maxDets = CommonOptions.MaxDetections("COCO's three maxDets values; must match the baseline's (default: the baseline's).");

    private readonly WordOption<MetricSet> _metricSet = CommonOptions.MetricSet(
        "Metric families to gate (default: those of the baseline); both runs must hold them.");

    private readonly Option<string[]> _min = new("--min")
    {
        Description = "Floors of summary metrics, e.g. AP=0.30,AP50=0.5: the current value must reach each.",
        HelpName = "M=V,...",
    };

    private readonly Option<string[]> _maxDrop = new("--max-drop")
    {
        Description = "Allowed drops of summary metrics from the baseline, e.g. AP=0.005,mAPAll=0.01.",
        HelpName = "M=V,...",
    };

    private readonly Option<bool> _relative = new("--relative")
    {
        Description = "Drops are fractions of the baseline value (0.02 = 2%) instead of metric points.",
    };

    private readonly Option<string[]> _perClassMaxDrop = new("--per-class-max-drop")
    {
        Description = "Allowed drop of every class: a number for COCO AP and VOC apAll, or per metric, e.g. AP50=0.05.",
        HelpName = "V|M=V,...",
    };

    private readonly Option<int?> _bootstrap = CommonOptions.Bootstrap(
        "Resample images N times (paired) and fail a drop only when its whole interval lies beyond the allowance. Needs --gt, --pred and --baseline-pred, or --current-partials and --baseline-partials.");

    private readonly Option<ulong?> _seed = CommonOptions.Seed();

    private readonly Option<double?> _confidence = CommonOptions.Confidence();

    private readonly Option<string?> _junit = new("--junit")
    {
        Description = "Write the verdict as JUnit XML (one test case per checked metric and class).",
        HelpName = "FILE",
    };

    private readonly Option<string?> _markdown = CommonOptions.Markdown("Write the verdict as Markdown (for a CI step summary or a merge-request comment).");

    private readonly Option<string?> _json = CommonOptions.Json("With --gt and --pred: also write the current run's JSON report (a future baseline).");

    private readonly Option<int?> _threads = CommonOptions.Threads();

    private readonly WordOption<AnnotationFormat> _groundTruthFormat = CommonOptions.GroundTruthFormat();

    private readonly WordOption<AnnotationFormat> _predictionFormat = CommonOptions.PredictionFormat("--pred and --baseline-pred");

    private readonly InputOptions _inputs = new();

    private readonly Option<bool> _lowMemory = CommonOptions.LowMemory(
        "With --gt and --pred: spill the predictions to a temporary folder and evaluate them image shard by image shard, as deval evaluate --low-memory does. Automatic for predictions of 256 MiB or more; not with --baseline-pred.");

    /// <summary>Builds the verb; its action writes through <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static Command Create(TextWriter output, TextWriter error) => new GateCommand().Build(output, error);

    private Command Build(TextWriter output, TextWriter error)
    {
        var command = new Command("gate", "Fail (exit 1) when the current run regressed against a baseline report beyond the given rules.")
        {
            _baseline, _current, _groundTruth, _predictions, _baselinePredictions, _currentPartials, _baselinePartials, _iou, _iouRule, _plusOne, _maxDets,
            _metricSet, _min, _maxDrop, _relative, _perClassMaxDrop, _bootstrap, _seed, _confidence, _junit, _markdown, _json, _threads,
            _groundTruthFormat, _predictionFormat, _lowMemory,
        };
        foreach (Option option in _inputs.All) command.Options.Add(option);
        command.SetAction((parse, cancellation) => Task.FromResult(DevalApp.Guard(error, () => Execute(ReadSettings(parse), output, error, cancellation))));
        return command;
    }

    private GateSettings ReadSettings(ParseResult parse)
    {
        var evaluation = new GateEvaluationSettings(
            parse.GetValue(_iou),
            _iouRule.Read(parse),
            parse.GetValue(_plusOne),
            // Absent means "the baseline's".
            CommonOptions.ReadMaxDetections(parse, _maxDets));
        var rules = new GateRules(
            [.. (parse.GetValue(_min) ?? []).SelectMany(text => ParseFloors(text))],
            [.. (parse.GetValue(_maxDrop) ?? []).SelectMany(text => ParseDrops("--max-drop", text, perClass: false))],
            [.. (parse.GetValue(_perClassMaxDrop) ?? []).SelectMany(text => ParseDrops("--per-class-max-drop", text, perClass: true))],
            parse.GetValue(_relative) ? DropMode.Relative : DropMode.Absolute);
        var settings = new GateSettings(
            parse.GetValue(_baseline)!,
            parse.GetValue(_current),
            parse.GetValue(_groundTruth),
            parse.GetValue(_predictions),
            parse.GetValue(_baselinePredictions),
            evaluation,
            _metricSet.Read(parse),
            rules,
            CommonOptions.ReadBootstrap(parse.GetValue(_bootstrap), parse.GetValue(_seed), parse.GetValue(_confidence)),
            parse.GetValue(_junit),
            parse.GetValue(_markdown),
            parse.GetValue(_json),
            parse.GetValue(_threads),
            _groundTruthFormat.Read(parse),
            _predictionFormat.Read(parse),
            _inputs.Read(parse))
        {
            LowMemory = CommonOptions.ReadLowMemory(parse, _lowMemory),
            CurrentPartials = parse.GetValue(_currentPartials) is { Length: > 0 } current ? current : null,
            BaselinePartials = parse.GetValue(_baselinePartials) is { Length: > 0 } baseline ? baseline : null,
        };
        RequireConsistent(settings);
        // A given report or partial is not read again: options that say how annotation files are read have nothing to act on.
        if (settings.Current is not null) _inputs.RequireNoneGiven(parse, [_groundTruthFormat, _predictionFormat], "--gt and --pred", "--current");
        if (settings.CurrentPartials is not null) _inputs.RequireNoneGiven(parse, [_groundTruthFormat, _predictionFormat], "--gt and --pred", "--current-partials");
        return settings;
    }

    /// <summary>Usage rules between options, each broken one reported in one line.</summary>
    private static void RequireConsistent(GateSettings s)
    {
        bool evaluates = s.GroundTruth is not null || s.Predictions is not null;
        if (s.Current is not null && evaluates)
        {
            throw new UsageException("--current: Expected either --current or --gt with --pred, but got both.");
        }
        if (s.CurrentPartials is not null)
        {
            RequireConsistentPartials(s, evaluates);
            return;
        }
        if (s.BaselinePartials is not null)
        {
            throw new UsageException("--baseline-partials: Expected --current-partials with it (the bootstrap pairs the shards of both runs), but got none.");
        }
        if (s.Current is null && (s.GroundTruth is null || s.Predictions is null))
        {
            throw new UsageException(s.GroundTruth is null && s.Predictions is null
                ? "Expected the current run as --current CUR.json or as --gt FILE --pred FILE, but got neither."
                : $"Expected --gt and --pred together, but got only {(s.GroundTruth is null ? "--pred" : "--gt")}.");
        }
        if (s.Current is not null && s.Evaluation.Any)
        {
            throw new UsageException("Expected --iou, --voc-iou-rule, --voc-plus-one and --max-dets only with --gt and --pred (a report's settings are fixed), but got them with --current.");
        }
        if (s.Current is not null && s.BaselinePredictions is not null)
        {
            throw new UsageException("--baseline-pred: Expected --gt and --pred with it (the gate evaluates both), but got --current.");
        }
        if (s.Current is not null && s.JsonPath is not null)
        {
            throw new UsageException("--json: Expected --gt and --pred with it (it writes the report of the run the gate evaluates), but got --current.");
        }
        if (s.Rules.IsEmpty)
        {
            throw new UsageException("Expected at least one rule (--min, --max-drop or --per-class-max-drop), but got none.");
        }
        if (s.Bootstrap is not null && s.BaselinePredictions is null)
        {
            throw new UsageException("--bootstrap: Expected --gt, --pred and --baseline-pred with it (resampling needs both runs' predictions), but got no --baseline-pred.");
        }
        if (s.LowMemory == true && (s.BaselinePredictions is not null || s.Predictions is null))
        {
            throw new UsageException($"--low-memory: Expected --gt and --pred without --baseline-pred (the paired run keeps every match for the bootstrap), but got {(s.Predictions is null ? "no --pred" : "--baseline-pred")}.");
        }
        RequireRulesAndOutputs(s);
    }

    /// <summary>The usage rules of --current-partials (and --baseline-partials).</summary>
    private static void RequireConsistentPartials(GateSettings s, bool evaluates)
    {
        if (s.Current is not null || evaluates || s.BaselinePredictions is not null)
        {
            string other = s.Current is not null ? "--current" : s.BaselinePredictions is not null && !evaluates ? "--baseline-pred" : "--gt and --pred";
            throw new UsageException($"--current-partials: Expected the current run once, as --current-partials, --current or --gt with --pred, but got {other} too.");
        }
        if (s.Rules.IsEmpty)
        {
            throw new UsageException("Expected at least one rule (--min, --max-drop or --per-class-max-drop), but got none.");
        }
        if (s.Evaluation.Any)
        {
            throw new UsageException("Expected --iou, --voc-iou-rule, --voc-plus-one and --max-dets only with --gt and --pred (partials' settings are fixed), but got them with --current-partials.");
        }
        if (s.LowMemory == true) throw new UsageException("--low-memory: Expected --gt and --pred with it, but got --current-partials (the partials are matched already).");
        if (s.Bootstrap is not null && s.BaselinePartials is null)
        {
            throw new UsageException("--bootstrap: Expected --baseline-partials with --current-partials (resampling needs both runs' match records), but got none.");
        }
        RequireRulesAndOutputs(s);
    }

    private static void RequireRulesAndOutputs(GateSettings s)
    {
        if (s.Bootstrap is not null && s.Rules.Drops.Count == 0 && s.Rules.ClassDrops.Count == 0)
        {
            throw new UsageException("--bootstrap: Expected a drop rule to judge (--max-drop or --per-class-max-drop), but got only floors.");
        }
        foreach ((string? path, string option) in new[] { (s.JUnitPath, "--junit"), (s.MarkdownPath, "--markdown"), (s.JsonPath, "--json") })
        {
            if (path == "-") throw new UsageException($"{option}: Expected a file, but got '-' (stdout carries the verdict).");
            string?[] inputs = [s.Baseline, s.Current, s.GroundTruth, s.Predictions, s.BaselinePredictions, .. s.CurrentPartials ?? [], .. s.BaselinePartials ?? []];
            OutputFiles.RefuseToOverwriteInputs(path, option, [.. inputs.OfType<string>()]);
        }
    }

    /// <summary>Reads the inputs, checks the rules and writes the verdict; exit 0 pass, 1 regression.</summary>
    public static int Execute(GateSettings settings, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        EvaluationReport baseline = JsonReport.Read(settings.Baseline);
        MetricSet families = ReportCompatibility.FamiliesToGate(settings.Families, baseline);
        RequireRulesWithin(settings.Rules, families, baseline);
        ReportCompatibility.RequireFamilies(baseline, families);

        (EvaluationReport current, BootstrapResult? bootstrap) = settings.Current is { } currentPath
            ? (JsonReport.Read(currentPath), null)
            : settings.CurrentPartials is { } partials
                ? MergeCurrentRun(baseline, families, partials, settings, error, cancellation)
                : EvaluateCurrentRun(baseline, families, settings, error, cancellation);
        // The evaluated run was checked before its report was written; a given report is checked here.
        if (settings.Current is not null) ReportCompatibility.Require(baseline, current, families);

        GateVerdict verdict = RegressionGate.Check(baseline, current, settings.Rules, families, bootstrap);
        cancellation.ThrowIfCancellationRequested();
        if (settings.JUnitPath is { } junit) OutputFiles.Write(junit, "--junit", stream => JUnitReport.Write(stream, verdict));
        if (settings.MarkdownPath is { } markdown)
        {
            OutputFiles.Write(markdown, "--markdown", stream => WriteText(stream, writer => GateVerdictWriter.WriteMarkdown(writer, verdict, baseline, current)));
        }
        GateVerdictWriter.WriteText(output, verdict, baseline, current);
        error.WriteLine($"{DevalApp.ToolName}: {verdict.Summary()}");
        return verdict.Passed ? ExitCodes.Success : ExitCodes.GateFailed;
    }

    /// <summary>
    /// Evaluates --pred with the baseline's settings (and --baseline-pred, which must reproduce the
    /// baseline, for the bootstrap); writes --json; returns the current report and the bootstrap, if any.
    /// </summary>
    private static (EvaluationReport Current, BootstrapResult? Bootstrap) EvaluateCurrentRun(
        EvaluationReport baseline, MetricSet families, GateSettings settings, TextWriter error, CancellationToken cancellation)
    {
        EvaluationOptions options = OptionsFor(baseline, families, settings);
        using var progress = Progress.Start(error, "loading");
        string groundTruth = settings.GroundTruth!, predictions = settings.Predictions!;
        var groundTruthInput = new AnnotationInput(groundTruth, settings.GroundTruthFormat);
        InputSettings inputs = settings.Inputs ?? InputSettings.Default;
        EvaluationRequest request = PairedRuns.Request(groundTruthInput, new AnnotationInput(predictions, settings.PredictionFormat), inputs, options, cancellation);
        EvaluationResult result;
        BootstrapResult? bootstrap = null;
        if (settings.BaselinePredictions is { } baselinePredictions)
        {
            EvaluationRequest baselineRequest = PairedRuns.Request(groundTruthInput, new AnnotationInput(baselinePredictions, settings.PredictionFormat), inputs, options, cancellation);
            (EvaluationRun currentRun, EvaluationRun baselineRun) = PairedRuns.Pair(request, baselineRequest, progress, cancellation);
            result = currentRun.Result;
            ReportCompatibility.Require(baseline, EvaluationReport.From(predictions, PairedRuns.Header(groundTruth, predictions), result), families);
            ReportCompatibility.RequireSameValues(baseline, PairedRuns.ReportOf(baselineRun, groundTruth, baselinePredictions), families);
            if (settings.Bootstrap is { } b)
            {
                IReadOnlyList<MetricKey> keys = settings.Rules.DropKeys(families, baselineRun.Dataset.Categories.Count, GateMetrics.SectionsOf(baseline));
                // Named before the runs' records are sorted for it; the replicates then tell their count.
                progress.Stage("resampling");
                bootstrap = RunBootstrap.Compare(baselineRun, currentRun, keys, b, settings.Threads, cancellation, progress.Sink);
            }
        }
        else
        {
            MemoryMode memory = settings.LowMemory switch { true => MemoryMode.LowMemory, false => MemoryMode.InMemory, null => MemoryMode.Auto };
            result = PairedRuns.One(request with { Memory = memory }, progress, cancellation).Result;
        }
        progress.Done();
        ReportHeader header = PairedRuns.Header(groundTruth, predictions);
        EvaluationReport current = EvaluationReport.From(predictions, header, result);
        ReportCompatibility.Require(baseline, current, families);
        // A run interrupted before this point writes nothing; writing, from memory, is not interrupted.
        cancellation.ThrowIfCancellationRequested();
        if (settings.JsonPath is { } jsonPath) OutputFiles.Write(jsonPath, "--json", stream => JsonReport.Write(stream, header, result));
        return (current, bootstrap);
    }

    /// <summary>
    /// Merges the current run's partials (and the baseline's, which must reproduce the baseline, for the
    /// bootstrap); writes --json; returns the current report and the bootstrap, if any: those of the single
    /// run over the same inputs, bit for bit.
    /// </summary>
    private static (EvaluationReport Current, BootstrapResult? Bootstrap) MergeCurrentRun(
        EvaluationReport baseline, MetricSet families, IReadOnlyList<string> partials, GateSettings settings, TextWriter error, CancellationToken cancellation)
    {
        using var progress = Progress.Start(error, "merging");
        (EvaluationRun run, ReportHeader header) = MergedRun(partials, settings.Threads, cancellation);
        EvaluationReport current = EvaluationReport.From(header.Predictions, header, run.Result);
        ReportCompatibility.Require(baseline, current, families);
        BootstrapResult? bootstrap = null;
        if (settings.BaselinePartials is { } baselinePartials)
        {
            (EvaluationRun baselineRun, ReportHeader baselineHeader) = MergedRun(baselinePartials, settings.Threads, cancellation);
            ReportCompatibility.RequireSameValues(baseline, EvaluationReport.From(baselineHeader.Predictions, baselineHeader, baselineRun.Result), families);
            if (settings.Bootstrap is { } b)
            {
                IReadOnlyList<MetricKey> keys = settings.Rules.DropKeys(families, run.Result.Categories.Count, GateMetrics.SectionsOf(baseline));
                progress.Stage("resampling");
                bootstrap = RunBootstrap.Compare(ReadShards(baselinePartials), ReadShards(partials), keys, b, settings.Threads, cancellation, progress.Sink);
            }
        }
        progress.Done();
        cancellation.ThrowIfCancellationRequested();
        if (settings.JsonPath is { } jsonPath) OutputFiles.Write(jsonPath, "--json", stream => JsonReport.Write(stream, header, run.Result));
        return (current, bootstrap);
    }

    /// <summary>The merge of <paramref name="paths"/>, and the header its reports carry: the inputs the shards read, as the single run names them.</summary>
    private static (EvaluationRun Run, ReportHeader Header) MergedRun(IReadOnlyList<string> paths, int? threads, CancellationToken cancellation)
    {
        EvaluationRun run = EvaluationPipeline.MergeFilesIntoRun(paths, new MergeOptions(Threads: threads), cancellation);
        PartialResult first;
        using (FileStream stream = File.OpenRead(paths[0])) first = PartialResult.ReadHeaderFrom(stream, paths[0]);
        return (run, PairedRuns.Header(first.GroundTruthPath ?? "", first.PredictionsLabel ?? ""));
    }

    /// <summary>The partials at <paramref name="paths"/> with their records; each must be a shard of a file run (a rank's partial has no place in one ground-truth file).</summary>
    private static PartialResult[] ReadShards(IReadOnlyList<string> paths) => [.. paths.Select(path =>
    {
        using FileStream stream = File.OpenRead(path);
        PartialResult partial = PartialResult.ReadFrom(stream, path);
        return partial.Shard is not null ? partial
            : throw new PartialResultException($"{path}: Expected a shard of a file run (deval evaluate --shard I/N --partial), but got {Counting.Of(partial.ImageCount, "image")} of a training loop's rank.");
    })];

    /// <summary>
    /// The baseline's evaluation settings for the families gated; a setting given on the command line
    /// must be the baseline's, or the two runs would not be comparable.
    /// </summary>
    private static EvaluationOptions OptionsFor(EvaluationReport baseline, MetricSet families, GateSettings settings)
    {
        GateEvaluationSettings given = settings.Evaluation;
        IReadOnlyList<int> maxDets = baseline.Coco?.MaxDetections ?? baseline.CocoSegm?.MaxDetections ?? given.MaxDetections ?? CocoParameters.DefaultMaxDetections;
        VocMatchSettings voc = baseline.Voc?.Settings ?? new VocMatchSettings(given.Iou ?? 0.5, given.Rule ?? VocIouRule.GreaterOrEqual, given.PlusOne);
        if (families.HasFlag(MetricSet.Coco) && given.MaxDetections is { } m && !m.SequenceEqual(maxDets))
        {
            throw Disagrees(baseline, "$.coco.maxDets", $"[{string.Join(", ", m)}] (--max-dets)", $"[{string.Join(", ", maxDets)}]");
        }
        if (families.HasFlag(MetricSet.Voc))
        {
            if (given.Iou is double iou && iou != voc.IouThreshold)
            {
                throw Disagrees(baseline, "$.voc.iou", string.Create(CultureInfo.InvariantCulture, $"{iou:R} (--iou)"), voc.IouThreshold.ToString("R", CultureInfo.InvariantCulture));
            }
            if (given.Rule is VocIouRule rule && rule != voc.Rule)
            {
                throw Disagrees(baseline, "$.voc.iouRule", $"\"{JsonReport.IouRuleName(rule)}\" (--voc-iou-rule)", $"\"{JsonReport.IouRuleName(voc.Rule)}\"");
            }
            if (given.PlusOne && !voc.PlusOnePixel) throw Disagrees(baseline, "$.voc.plusOne", "true (--voc-plus-one)", "false");
        }
        return new EvaluationOptions
        {
            // A report of masks or keypoints alone gates no box family; its run still needs a metric set.
            Metrics = families == 0 ? MetricSet.Coco : families,
            MaxDetections = maxDets,
            Voc = voc,
            Threads = settings.Threads,
            IouTypes = baseline.IouTypes,
            KeypointSigmas = baseline.CocoKeypoints?.Sigmas,
        };
    }

    private static IncomparableRunsException Disagrees(EvaluationReport baseline, string path, string expected, string found) =>
        new(new SourceLocation(baseline.Source, Path: path), expected, found, "The current run must be evaluated like the baseline.");

    private static void RequireRulesWithin(GateRules rules, MetricSet families, EvaluationReport baseline)
    {
        IReadOnlyList<IouType> sections = GateMetrics.SectionsOf(baseline);
        foreach (GateMetric metric in rules.NamedMetrics)
        {
            if (metric.IouType() != IouType.Bbox)
            {
                if (sections.Contains(metric.IouType())) continue;
                string name = GateMetrics.SectionName(metric.IouType());
                throw new IncomparableRunsException(new SourceLocation(baseline.Source, Path: metric.ReportPath()),
                    $"COCO {name} results ({metric.SummaryName()} is gated)", "none", $"Write the baseline with deval evaluate --iou-type including {name}.");
            }
            if (!families.HasFlag(metric.Family()))
            {
                string family = metric.Family() == MetricSet.Coco ? "coco" : "voc";
                throw new UsageException(
                    $"Expected rules on {GateMetrics.Describe(families)} metrics (the metric set gated), but got {metric.SummaryName()}, a {family} metric; use --metric-set {(families == MetricSet.All ? family : "all")}.");
            }
        }
    }

    // ---- rule syntax ----

    /// <summary>Parses <c>AP=0.30,AP50=0.5</c>.</summary>
    internal static IEnumerable<MetricFloor> ParseFloors(string text) =>
        Pairs("--min", text, requireName: true).Select(p => new MetricFloor(RequireSummaryMetric("--min", p.Name!), p.Value));

    /// <summary>Parses <c>AP=0.005</c>; for per-class limits a bare number applies to COCO AP and VOC apAll.</summary>
    internal static IEnumerable<DropLimit> ParseDrops(string option, string text, bool perClass) =>
        Pairs(option, text, requireName: !perClass).Select(p => new DropLimit(
            p.Name is null ? null : perClass ? RequireClassMetric(option, p.Name) : RequireSummaryMetric(option, p.Name), p.Value));

    private static List<(string? Name, double Value)> Pairs(string option, string text, bool requireName)
    {
        string example = requireName ? "NAME=VALUE pairs like AP=0.3,AP50=0.5" : "a number like 0.02, or NAME=VALUE pairs like AP=0.02,AP50=0.05";
        var pairs = new List<(string?, double)>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            string? name = equals < 0 ? null : part[..equals].Trim();
            string number = equals < 0 ? part : part[(equals + 1)..].Trim();
            if ((requireName && name is null) || name is "" || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                throw new UsageException($"{option}: Expected {example}, but got '{text}'.");
            }
            if (!(value >= 0 && value <= 1))
            {
                throw new UsageException($"{option}: Expected values from 0 to 1, but got '{number}' in '{text}'.");
            }
            pairs.Add((name, value));
        }
        return pairs;
    }

    private static GateMetric RequireSummaryMetric(string option, string name)
    {
        if (GateMetrics.TryParse(name, out GateMetric metric)) return metric;
        throw new UsageException($"{option}: Expected a metric ({string.Join(", ", BoxMetrics.Select(m => m.SummaryName()))}; {SectionMetrics}), but got '{name}'.");
    }

    private static GateMetric RequireClassMetric(string option, string name)
    {
        if (GateMetrics.TryParse(name, out GateMetric metric) && metric.HasPerClassValue()) return metric;
        string names = string.Join(", ", BoxMetrics.Where(m => m.HasPerClassValue()).Select(m => m.ClassName()));
        throw new UsageException($"{option}: Expected a per-class metric ({names}; {SectionMetrics}), but got '{name}'.");
    }

    /// <summary>The box and VOC metrics, which error messages list by name.</summary>
    private static IEnumerable<GateMetric> BoxMetrics => GateMetrics.All.Where(m => m.IouType() == IouType.Bbox);

    /// <summary>How error messages name the mask and keypoint metrics rather than list all 22.</summary>
    private const string SectionMetrics = "masks and keypoints as segm.AP, keypoints.AP50, ...";

    private static void WriteText(Stream stream, Action<TextWriter> write)
    {
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        write(writer);
    }
}
