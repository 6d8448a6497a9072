using System.CommandLine;
using DetectionEval.Eval;
using DetectionEval.Cli.Runs;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Cli.Options;

/// <summary>
/// The words options take, each mapped once to the typed value the verbs use: the command line says
/// <c>--metric voc</c>, the verbs see <see cref="MetricSet.Voc"/>. Help lists the words.
/// </summary>
internal static class OptionWords
{
    /// <summary>--metric, --metric-set.</summary>
    public static readonly IReadOnlyList<(string Word, MetricSet Value)> Metrics = [("coco", MetricSet.Coco), ("voc", MetricSet.Voc), ("all", MetricSet.All)];

    /// <summary>--device.</summary>
    public static readonly IReadOnlyList<(string Word, ComputeDevice Value)> Devices = [("auto", ComputeDevice.Auto), ("cpu", ComputeDevice.Cpu), ("gpu", ComputeDevice.Gpu)];

    /// <summary>--voc-iou-rule: VOC's overlap test.</summary>
    public static readonly IReadOnlyList<(string Word, VocIouRule Value)> IouRules = [("ge", VocIouRule.GreaterOrEqual), ("gt", VocIouRule.Greater)];

    /// <summary>--box-format, --to-box-format.</summary>
    public static readonly IReadOnlyList<(string Word, BoxFormat Value)> BoxFormats = [("xyxy", BoxFormat.Xyxy), ("xywh", BoxFormat.Xywh), ("cxcywh", BoxFormat.Cxcywh)];

    /// <summary>--coords, --to-coords.</summary>
    public static readonly IReadOnlyList<(string Word, CoordinateSpace Value)> Coordinates = [("abs", CoordinateSpace.Absolute), ("rel", CoordinateSpace.Relative)];

    /// <summary>--gt-format, --pred-format, --from, --to: the formats' names.</summary>
    public static readonly IReadOnlyList<(string Word, AnnotationFormat Value)> Formats =
        [.. Enum.GetValues<AnnotationFormat>().Select(f => (AnnotationFormats.Name(f), f))];

    /// <summary>The word of a value, as messages and reports name it.</summary>
    public static string WordOf<T>(IReadOnlyList<(string Word, T Value)> words, T value) where T : struct =>
        words.First(w => EqualityComparer<T>.Default.Equals(w.Value, value)).Word;

    /// <summary>
    /// An option that takes one of <paramref name="words"/> and gives its value; null when absent (the verb
    /// applies its default, which the description states). With <paramref name="auto"/>, the word
    /// <c>auto</c> is accepted too and also gives null.
    /// </summary>
    public static Option<T?> Choice<T>(string name, string description, IReadOnlyList<(string Word, T Value)> words, bool auto = false) where T : struct
    {
        var option = new Option<T?>(name)
        {
            Description = description,
            // Unknown words are reported by the AcceptOnlyFromAmong validator; the parser only maps known ones.
            CustomParser = result => result.Tokens.Count == 0 ? null : Lookup(words, result.Tokens[0].Value),
        };
        option.AcceptOnlyFromAmong([.. auto ? ["auto"] : Array.Empty<string>(), .. words.Select(w => w.Word)]);
        return option;
    }

    private static T? Lookup<T>(IReadOnlyList<(string Word, T Value)> words, string token) where T : struct
    {
        foreach ((string word, T value) in words)
        {
            if (word == token) return value;
        }
        return null;
    }
}
