using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using DetectionEval.Eval;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Loaders;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Cli.Commands;

/// <summary>
/// What <c>gate</c> and <c>compare</c> share: the metric set, the bootstrap options, and evaluating two
/// prediction files against one ground truth.
/// </summary>
internal static class PairedRunOptions
{
    /// <summary><c>--metric-set coco|voc|all</c>; absent means "from the reports".</summary>
    public static Option<string?> MetricSetOption(string description)
    {
        var option = new Option<string?>("--metric-set") { Description = description };
        option.AcceptOnlyFromAmong("coco", "voc", "all");
        return option;
    }

    /// <summary>The parsed <c>--metric-set</c>.</summary>
    public static MetricSet? ReadMetricSet(string? text) => text switch
    {
        "coco" => MetricSet.Coco,
        "voc" => MetricSet.Voc,
        "all" => MetricSet.All,
        _ => null,
    };

    /// <summary><c>--bootstrap N</c>.</summary>
    public static Option<int?> BootstrapOption(string description) => new("--bootstrap")
    {
        Description = description,
        HelpName = "N",
        CustomParser = result => ParseWholeNumber(result, "--bootstrap", 1, 1_000_000),
    };

    /// <summary><c>--seed S</c>.</summary>
    public static Option<ulong?> SeedOption() => new("--seed")
    {
        Description = "Seed of the bootstrap's resampling (default 0); the same seed gives the same intervals on every machine.",
        HelpName = "S",
        CustomParser = ParseSeed,
    };

    /// <summary><c>--confidence C</c>.</summary>
    public static Option<double?> ConfidenceOption() => new("--confidence")
    {
        Description = "Confidence level of the bootstrap intervals, between 0 and 1 (default 0.95).",
        HelpName = "C",
        CustomParser = ParseConfidence,
    };

    /// <summary><c>--threads N</c>.</summary>
    public static Option<int?> ThreadsOption() => new("--threads")
    {
        Description = "Worker threads (default: all cores). Results never depend on it.",
        CustomParser = EvaluateCommand.ParseThreads,
        HelpName = "N",
    };

    /// <summary>The bootstrap settings, or null without <c>--bootstrap</c>; <c>--seed</c> and <c>--confidence</c> need it.</summary>
    public static BootstrapSettings? ReadBootstrap(int? replicates, ulong? seed, double? confidence)
    {
        if (replicates is int n) return new BootstrapSettings(n, seed ?? 0, confidence ?? 0.95);
        if (seed is not null) throw new UsageException("--seed: Expected --bootstrap N with it, but got no --bootstrap.");
        if (confidence is not null) throw new UsageException("--confidence: Expected --bootstrap N with it, but got no --bootstrap.");
        return null;
    }

    /// <summary>
    /// Reads ground truth and predictions, in any format the loaders know, into a dataset; what the
    /// loaders say (a detected format, unknown classes) comes back as text, for the caller to print in order.
    /// <paramref name="progress"/> is told the bytes read.
    /// </summary>
    public static (Dataset Dataset, string Messages) Load(AnnotationInput groundTruth, AnnotationInput predictions, InputSettings inputs, IProgressSink? progress = null)
    {
        using var messages = new StringWriter { NewLine = "\n" };
        // Options per load: two loads may run at once, and the options hold readers and caches.
        LoadedAnnotations loaded = InputOptions.Load(groundTruth, predictions, inputs.ToLoadOptions() with { Progress = progress }, messages);
        EvaluateCommand.WarnAboutUnknownCategories(loaded.Builder, predictions.Path, messages);
        return (loaded.Builder.Build(), messages.ToString());
    }

    /// <summary>
    /// Evaluates one prediction file against the ground truth; with <paramref name="lowMemory"/>, spilled to
    /// disk and matched image shard by image shard (<see cref="ShardedEvaluation"/>), with the same result.
    /// The progress sink of <paramref name="options"/> is told of the loading too.
    /// </summary>
    public static EvaluationResult EvaluateOne(
        AnnotationInput groundTruth, AnnotationInput predictions, InputSettings inputs, EvaluationOptions options, bool lowMemory, TextWriter error)
    {
        if (!lowMemory)
        {
            (Dataset dataset, string messages) = Load(groundTruth, predictions, inputs, options.Progress);
            error.Write(messages);
            return DetectionEvaluation.Evaluate(dataset, options);
        }
        LoadedAnnotations loaded = InputOptions.Load(groundTruth, predictions, inputs.ToLoadOptions() with { Spill = new SpillSettings(), Progress = options.Progress }, error);
        using DetectionSpill spill = loaded.Builder.Spill!;
        EvaluateCommand.WarnAboutUnknownCategories(loaded.Builder, predictions.Path, error);
        Dataset onlyGroundTruth = loaded.Builder.Build();
        return ShardedEvaluation.Accumulate(ShardedEvaluation.Match(loaded.Builder, onlyGroundTruth, options), options);
    }

    /// <summary>--low-memory: a flag that also takes true or false; absent means automatic.</summary>
    public static Option<bool> LowMemoryOption(string description) => new("--low-memory") { Description = description };

    /// <summary>--low-memory as given: true or false, or null when absent (automatic).</summary>
    public static bool? ReadLowMemory(ParseResult parse, Option<bool> option) =>
        parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : null;

    /// <summary>
    /// Evaluates two prediction files against one ground truth, loading them in parallel, and keeps the
    /// matches for a bootstrap. Messages go to <paramref name="error"/> in argument order. The progress sink of
    /// <paramref name="options"/> is told of both loads, as one stage, and of each run's stages.
    /// </summary>
    public static (MatchedRun First, MatchedRun Second) EvaluatePair(
        AnnotationInput groundTruth, AnnotationInput first, AnnotationInput second, InputSettings inputs, EvaluationOptions options, TextWriter error)
    {
        Task<(Dataset, string)> loadSecond = Task.Run(() => Load(groundTruth, second, inputs, options.Progress));
        (Dataset firstData, string firstMessages) = Load(groundTruth, first, inputs, options.Progress);
        (Dataset secondData, string secondMessages) = loadSecond.GetAwaiter().GetResult();
        // The ground truth is read twice: say what was said about it once.
        foreach (string line in (firstMessages + secondMessages).Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal))
        {
            error.WriteLine(line);
        }
        return (MatchedRun.Evaluate(firstData, options), MatchedRun.Evaluate(secondData, options));
    }

    /// <summary>--gt-format.</summary>
    public static Option<string> GroundTruthFormatOption() =>
        InputOptions.FormatOption("--gt-format", "Format of --gt; auto detects it from the file or folder.");

    /// <summary>--pred-format, for every predictions file of the verb.</summary>
    public static Option<string> PredictionFormatOption(string files) =>
        InputOptions.FormatOption("--pred-format", $"Format of {files}; auto detects it from the file or folder.");

    /// <summary>The report of an evaluation made in this process; messages name it by its predictions file.</summary>
    public static EvaluationReport ReportOf(MatchedRun run, string groundTruth, string predictions) =>
        EvaluationReport.From(predictions, Header(groundTruth, predictions), run.Result);

    /// <summary>The header of a report written by this process.</summary>
    public static ReportHeader Header(string groundTruth, string predictions) => new(DevalApp.ToolName, DevalApp.Version, groundTruth, predictions);

    private static int? ParseWholeNumber(ArgumentResult result, string name, int min, int max)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[0].Value;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} expects a whole number from {min} to {max}, but got '{text}'."));
            return null;
        }
        return value;
    }

    private static ulong? ParseSeed(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[0].Value;
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
        {
            result.AddError($"--seed expects a whole number of 0 or more, but got '{text}'.");
            return null;
        }
        return value;
    }

    private static double? ParseConfidence(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[0].Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0 && value < 1))
        {
            result.AddError($"--confidence expects a number between 0 and 1 (like 0.95), but got '{text}'.");
            return null;
        }
        return value;
    }
}
