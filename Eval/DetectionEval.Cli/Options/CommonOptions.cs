using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using DetectionEval.Eval;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Cli.Options;

/// <summary>
/// The options several verbs share, each declared here once with its parser: a verb asks for a new
/// instance (System.CommandLine binds an option to one command) and may word its description for what the
/// option means there. Absent options read as null, and each verb applies its own default.
/// </summary>
internal static class CommonOptions
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>--gt-format: the ground truth's format; absent or <c>auto</c> detects it.</summary>
    public static WordOption<AnnotationFormat> GroundTruthFormat() =>
        OptionWords.Choice("--gt-format", "Format of --gt; auto detects it from the file or folder. [default: auto]", OptionWords.Formats, auto: true);

    /// <summary>--pred-format: the predictions' format, for every predictions input of the verb.</summary>
    public static WordOption<AnnotationFormat> PredictionFormat(string inputs) =>
        OptionWords.Choice("--pred-format", $"Format of {inputs}; auto detects it from the file or folder. [default: auto]", OptionWords.Formats, auto: true);

    /// <summary>--metric-set (gate, compare): the metric families to read from reports.</summary>
    public static WordOption<MetricSet> MetricSet(string description) => OptionWords.Choice("--metric-set", description, OptionWords.Metrics);

    /// <summary>--iou: the VOC IoU threshold, a number from 0 to 1.</summary>
    public static Option<double?> Iou(string description) => new("--iou")
    {
        Description = description,
        CustomParser = ParseIou,
        HelpName = "T",
    };

    /// <summary>--voc-iou-rule: VOC's overlap test.</summary>
    public static WordOption<VocIouRule> IouRule(string description) => OptionWords.Choice("--voc-iou-rule", description, OptionWords.IouRules);

    /// <summary>--voc-plus-one: VOC's inclusive-pixel convention.</summary>
    public static Option<bool> PlusOne(string description) => new("--voc-plus-one") { Description = description };

    /// <summary>--max-dets: COCO's three detection caps per image and class, ascending.</summary>
    public static Option<int[]?> MaxDetections(string description) => new("--max-dets")
    {
        Description = description,
        CustomParser = ParseMaxDetections,
        HelpName = "A,B,C",
    };

    /// <summary>--max-dets as given, or null when absent (System.CommandLine reads an absent array option as empty).</summary>
    public static int[]? ReadMaxDetections(ParseResult parse, Option<int[]?> option) =>
        parse.GetResult(option) is null ? null : parse.GetValue(option);

    /// <summary>--threads: worker threads.</summary>
    public static Option<int?> Threads() => new("--threads")
    {
        Description = "Worker threads (default: all cores). Results never depend on it.",
        CustomParser = result => ParseCount(result, "--threads"),
        HelpName = "N",
    };

    /// <summary>--json: where to write a JSON report.</summary>
    public static Option<string?> Json(string description) => new("--json") { Description = description, HelpName = "FILE" };

    /// <summary>--markdown: where to write a Markdown summary.</summary>
    public static Option<string?> Markdown(string description) => new("--markdown") { Description = description, HelpName = "FILE" };

    /// <summary>--low-memory: a flag that also takes true or false; absent means automatic.</summary>
    public static Option<bool> LowMemory(string description) => new("--low-memory") { Description = description };

    /// <summary>--low-memory as given: true or false, or null when absent (automatic).</summary>
    public static bool? ReadLowMemory(ParseResult parse, Option<bool> option) =>
        parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : null;

    /// <summary>--bootstrap N: paired resamples of the images.</summary>
    public static Option<int?> Bootstrap(string description) => new("--bootstrap")
    {
        Description = description,
        HelpName = "N",
        CustomParser = result => ParseWholeNumber(result, "--bootstrap", 1, 1_000_000),
    };

    /// <summary>--seed S: the bootstrap's seed.</summary>
    public static Option<ulong?> Seed() => new("--seed")
    {
        Description = "Seed of the bootstrap's resampling (default 0); the same seed gives the same intervals on every machine.",
        HelpName = "S",
        CustomParser = ParseSeed,
    };

    /// <summary>--confidence C: the bootstrap intervals' level.</summary>
    public static Option<double?> Confidence() => new("--confidence")
    {
        Description = "Confidence level of the bootstrap intervals, between 0 and 1 (default 0.95).",
        HelpName = "C",
        CustomParser = ParseConfidence,
    };

    /// <summary>The bootstrap settings, or null without <c>--bootstrap</c>; <c>--seed</c> and <c>--confidence</c> need it.</summary>
    /// <exception cref="UsageException">--seed or --confidence without --bootstrap.</exception>
    public static BootstrapSettings? ReadBootstrap(int? replicates, ulong? seed, double? confidence)
    {
        if (replicates is int n) return new BootstrapSettings(n, seed ?? 0, confidence ?? 0.95);
        if (seed is not null) throw new UsageException("--seed: Expected --bootstrap N with it, but got no --bootstrap.");
        if (confidence is not null) throw new UsageException("--confidence: Expected --bootstrap N with it, but got no --bootstrap.");
        return null;
    }

    /// <summary>A whole number of 1 or more, or null when the option is absent; anything else is a parse error naming <paramref name="option"/>.</summary>
    public static int? ParseCount(ArgumentResult result, string option)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[0].Value;
        if (!int.TryParse(text, NumberStyles.None, Invariant, out int count) || count < 1)
        {
            result.AddError($"{option} expects a whole number of 1 or more, but got '{text}'.");
            return null;
        }
        return count;
    }

    private static double? ParseIou(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[0].Value;
        if (!double.TryParse(text, NumberStyles.Float, Invariant, out double value) || !(value >= 0 && value <= 1))
        {
            result.AddError($"--iou expects a number between 0 and 1, but got '{text}'.");
            return null;
        }
        return value;
    }

    private static int[]? ParseMaxDetections(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return null;
        string text = string.Join(",", result.Tokens.Select(t => t.Value));
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, Invariant, out values[i]) || values[i] < 1)
            {
                result.AddError($"--max-dets expects three ascending whole numbers like 1,10,100, but got '{text}'.");
                return null;
            }
        }
        if (values.Length != CocoParameters.DefaultMaxDetections.Count || values[0] >= values[1] || values[1] >= values[2])
        {
            result.AddError($"--max-dets expects three ascending whole numbers like 1,10,100, but got '{text}'.");
            return null;
        }
        return values;
    }

    private static int? ParseWholeNumber(ArgumentResult result, string name, int min, int max)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[0].Value;
        if (!int.TryParse(text, NumberStyles.None, Invariant, out int value) || value < min || value > max)
        {
            result.AddError(string.Create(Invariant, $"{name} expects a whole number from {min} to {max}, but got '{text}'."));
            return null;
        }
        return value;
    }

    private static ulong? ParseSeed(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[0].Value;
        if (!ulong.TryParse(text, NumberStyles.None, Invariant, out ulong value))
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
        if (!double.TryParse(text, NumberStyles.Float, Invariant, out double value) || !(value > 0 && value < 1))
        {
            result.AddError($"--confidence expects a number between 0 and 1 (like 0.95), but got '{text}'.");
            return null;
        }
        return value;
    }
}
