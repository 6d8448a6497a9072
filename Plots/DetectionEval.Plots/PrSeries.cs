namespace DetectionEval.Plots;

/// <summary>
/// One precision/recall curve as plain data: what the plots draw. The caller computes it; Plots only
/// draws it, so it never depends on how a metric was computed.
/// </summary>
/// <param name="Label">Legend text, e.g. "person (AP 0.612)".</param>
/// <param name="Recall">Recall of each point, non-decreasing.</param>
/// <param name="Precision">Precision of each point.</param>
/// <param name="Scores">The confidence at each point, when known; empty otherwise.</param>
public sealed record PrSeries(string Label, IReadOnlyList<double> Recall, IReadOnlyList<double> Precision, IReadOnlyList<double> Scores)
{
    /// <summary>Checks that the arrays line up.</summary>
    public void Validate()
    {
        if (Recall.Count != Precision.Count) throw new ArgumentException("Recall and precision must have the same length.", nameof(Precision));
        if (Scores.Count != 0 && Scores.Count != Recall.Count) throw new ArgumentException("Scores must be empty or as long as recall.", nameof(Scores));
    }
}
