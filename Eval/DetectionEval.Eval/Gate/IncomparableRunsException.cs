using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Gate;

/// <summary>
/// Two runs that the gate or a comparison would set side by side cannot be compared: they were evaluated
/// with other settings, of other classes, images or ground truth, or a run meant to reproduce a report does
/// not. The message names the report, the JSON path, what was expected and what was found, in one line.
/// </summary>
public sealed class IncomparableRunsException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="location">The report and the JSON path where the runs differ.</param>
    /// <param name="expected">What the other run has there.</param>
    /// <param name="found">What this report has there.</param>
    /// <param name="hint">An optional suggestion.</param>
    public IncomparableRunsException(SourceLocation location, string expected, string found, string? hint = null)
        : base(AnnotationFormatException.Compose(location, expected, found, hint))
    {
        Location = location;
    }

    /// <summary>The report and the JSON path where the runs differ.</summary>
    public SourceLocation Location { get; }
}
