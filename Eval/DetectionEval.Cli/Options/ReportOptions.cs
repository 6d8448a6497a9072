using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace DetectionEval.Cli.Options;

/// <summary>What <c>deval evaluate</c> should draw and write besides its table and JSON.</summary>
/// <param name="PlotsDirectory">Folder for PNG and SVG charts, or null.</param>
/// <param name="HtmlPath">The HTML report, or null.</param>
/// <param name="MarkdownPath">The Markdown summary, or null.</param>
/// <param name="CsvPath">The per-class CSV table, or null.</param>
/// <param name="OverlaysDirectory">Folder for the worst images with their boxes drawn, or null.</param>
/// <param name="ImagesDirectory">The folder the annotations' image file names are relative to, or null.</param>
/// <param name="Worst">How many images the overlays show.</param>
/// <param name="ScoreThreshold">The confidence at which precision, recall and F1 are also reported, or null.</param>
/// <param name="CommandLine">The command line as typed, for the report.</param>
public sealed record ReportSettings(
    string? PlotsDirectory,
    string? HtmlPath,
    string? MarkdownPath,
    string? CsvPath,
    string? OverlaysDirectory,
    string? ImagesDirectory,
    int Worst,
    double? ScoreThreshold,
    string CommandLine)
{
    /// <summary>The default number of worst images.</summary>
    public const int DefaultWorst = 20;

    /// <summary>Nothing besides the table.</summary>
    public static ReportSettings None { get; } = new(null, null, null, null, null, null, DefaultWorst, null, "deval evaluate");

    /// <summary>True when any chart, report or overlay is asked for.</summary>
    public bool AnyOutput => PlotsDirectory is not null || HtmlPath is not null || MarkdownPath is not null || CsvPath is not null || OverlaysDirectory is not null;
}

/// <summary>The options of <c>deval evaluate</c> that ask for charts, reports and overlays.</summary>
public sealed class ReportOptions
{
    private readonly Option<string?> _plots = new("--plots")
    {
        Description = "Write PR, confidence and AP charts (PNG and SVG) into DIR.",
        HelpName = "DIR",
    };

    private readonly Option<string?> _report = new("--report")
    {
        Description = "Write a self-contained HTML report (summary, sortable table, charts, worst images, command line).",
        HelpName = "FILE.html",
    };

    private readonly Option<string?> _markdown = new("--markdown")
    {
        Description = "Write a Markdown summary (for a CI step summary or a pull-request comment).",
        HelpName = "FILE",
    };

    private readonly Option<string?> _csv = new("--csv")
    {
        Description = "Write the per-class table as CSV.",
        HelpName = "FILE",
    };

    private readonly Option<string?> _overlays = new("--overlays")
    {
        Description = "Draw the worst images with their boxes (TP green, FP red, FN blue, ignored grey) into DIR; needs --images.",
        HelpName = "DIR",
    };

    private readonly Option<string?> _images = new("--images")
    {
        Description = "The folder the annotations' image file names are relative to; nothing outside it is read.",
        HelpName = "DIR",
    };

    private readonly Option<int> _worst = new("--worst")
    {
        Description = "How many images --overlays draws: those with the most false positives + false negatives.",
        DefaultValueFactory = _ => ReportSettings.DefaultWorst,
        CustomParser = ParseWorst,
        HelpName = "N",
    };

    private readonly Option<double?> _scoreThreshold = new("--score-threshold")
    {
        Description = "Also report precision, recall and F1 keeping detections with score >= T (and draw overlays there).",
        CustomParser = ParseScoreThreshold,
        HelpName = "T",
    };

    /// <summary>The options, to add to a command.</summary>
    public IEnumerable<Option> All => [_plots, _report, _markdown, _csv, _overlays, _images, _worst, _scoreThreshold];

    /// <summary>Reads the options of a parse.</summary>
    public ReportSettings Read(ParseResult parse) => new(
        parse.GetValue(_plots),
        parse.GetValue(_report),
        parse.GetValue(_markdown),
        parse.GetValue(_csv),
        parse.GetValue(_overlays),
        parse.GetValue(_images),
        parse.GetValue(_worst),
        parse.GetValue(_scoreThreshold),
        CommandLineOf(parse));

    /// <summary>The command line as the user typed it, each argument quoted where a shell would need it.</summary>
    internal static string CommandLineOf(ParseResult parse) =>
        string.Join(' ', new[] { DevalApp.ToolName }.Concat(parse.Tokens.Select(t => Quote(t.Value))));

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Parses <c>--worst N</c>: a whole number of 1 or more.</summary>
    internal static int ParseWorst(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return ReportSettings.DefaultWorst;
        string text = result.Tokens[0].Value;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
        {
            result.AddError($"--worst expects a whole number of 1 or more, but got '{text}'.");
            return ReportSettings.DefaultWorst;
        }
        return n;
    }

    private static double? ParseScoreThreshold(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[0].Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            result.AddError($"--score-threshold expects a number, but got '{text}'.");
            return null;
        }
        return value;
    }
}
