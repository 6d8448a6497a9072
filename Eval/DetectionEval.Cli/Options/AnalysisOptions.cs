using System.CommandLine;

namespace DetectionEval.Cli.Options;

/// <summary>Whether <c>deval evaluate</c> runs the error analysis, and where its confusion matrix CSV goes.</summary>
/// <param name="Enabled">Run the analysis (confusion matrix, TIDE's error types, worst images).</param>
/// <param name="ConfusionCsvPath">Write the confusion matrix as CSV here, or null.</param>
public sealed record AnalysisSettings(bool Enabled, string? ConfusionCsvPath)
{
    /// <summary>No analysis.</summary>
    public static AnalysisSettings None { get; } = new(false, null);
}

/// <summary>The options of <c>deval evaluate</c> that ask for the error analysis.</summary>
public sealed class AnalysisOptions
{
    private readonly Option<bool> _analysis = new("--analysis")
    {
        Description = "Also explain the mAP: a confusion matrix (at --score-threshold, else the best-F1 confidence), TIDE's error types with their dAP, and the images with the most errors.",
    };

    private readonly Option<string?> _confusionCsv = new("--confusion-csv")
    {
        Description = "Write the confusion matrix as CSV (rows ground truth, columns detected); implies --analysis.",
        HelpName = "FILE",
    };

    /// <summary>Every option, to add to the verb.</summary>
    public IReadOnlyList<Option> All => [_analysis, _confusionCsv];

    /// <summary>The parsed settings.</summary>
    public AnalysisSettings Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        string? csv = parse.GetValue(_confusionCsv);
        return new AnalysisSettings(parse.GetValue(_analysis) || csv is not null, csv);
    }
}
