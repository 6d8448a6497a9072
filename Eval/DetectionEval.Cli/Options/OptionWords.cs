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
    public static readonly Words<MetricSet> Metrics = new(["coco", "voc", "all"], [MetricSet.Coco, MetricSet.Voc, MetricSet.All]);

    /// <summary>--device.</summary>
    public static readonly Words<ComputeDevice> Devices = new(["auto", "cpu", "gpu"], [ComputeDevice.Auto, ComputeDevice.Cpu, ComputeDevice.Gpu]);

    /// <summary>--voc-iou-rule: VOC's overlap test.</summary>
    public static readonly Words<VocIouRule> IouRules = new(["ge", "gt"], [VocIouRule.GreaterOrEqual, VocIouRule.Greater]);

    /// <summary>--box-format, --to-box-format.</summary>
    public static readonly Words<BoxFormat> BoxFormats = new(["xyxy", "xywh", "cxcywh"], [BoxFormat.Xyxy, BoxFormat.Xywh, BoxFormat.Cxcywh]);

    /// <summary>--coords, --to-coords.</summary>
    public static readonly Words<CoordinateSpace> Coordinates = new(["abs", "rel"], [CoordinateSpace.Absolute, CoordinateSpace.Relative]);

    /// <summary>--gt-format, --pred-format, --from, --to: the formats' names.</summary>
    public static readonly Words<AnnotationFormat> Formats = new([.. AnnotationFormats.Names], Enum.GetValues<AnnotationFormat>());

    /// <summary>
    /// An option that takes one of <paramref name="words"/> and gives its value; null when absent (the verb
    /// applies its default, which the description states). With <paramref name="auto"/>, the word
    /// <c>auto</c> is accepted too and also gives null.
    /// </summary>
    public static WordOption<T> Choice<T>(string name, string description, Words<T> words, bool auto = false) where T : struct
    {
        var option = new Option<string>(name) { Description = description };
        option.AcceptOnlyFromAmong(auto ? ["auto", .. words.Names] : words.Names);
        return new WordOption<T>(option, words);
    }
}

/// <summary>The words of an option and the value each stands for, at the same index.</summary>
/// <typeparam name="T">The values.</typeparam>
/// <param name="Names">The words, as typed.</param>
/// <param name="Values">The value of each word.</param>
internal sealed record Words<T>(string[] Names, T[] Values) where T : struct
{
    /// <summary>The value of <paramref name="word"/>, or null when it is none of the words.</summary>
    public T? ValueOf(string? word)
    {
        int i = Array.IndexOf(Names, word);
        return i < 0 ? null : Values[i];
    }
}

/// <summary>
/// An option that takes one word of a fixed list. System.CommandLine sees a plain string option (its help
/// lists the words, its validator refuses others); the verb reads the typed value with <see cref="Read"/>.
/// Keeping the parser's generic code on strings spares each run the compilation of one instantiation per
/// value type.
/// </summary>
/// <typeparam name="T">The values the words stand for.</typeparam>
internal sealed class WordOption<T>(Option<string> option, Words<T> words) where T : struct
{
    /// <summary>The option to add to a command.</summary>
    public Option<string> Option { get; } = option;

    /// <summary>The value of the word given; null when the option is absent or says <c>auto</c>.</summary>
    public T? Read(ParseResult parse) => words.ValueOf(parse.GetValue(Option));

    /// <summary>The option itself, where a command lists its options.</summary>
    public static implicit operator Option(WordOption<T> choice) => choice.Option;
}
