using System.Globalization;
using DetectionEval.Eval;
using DetectionEval.Eval.Analysis;
using DetectionEval.Matching.Tide;
using DetectionEval.Eval.Reports;
using DetectionEval.Plots;

namespace DetectionEval.Cli.Visuals;

/// <summary>
/// The error analysis as chart data: the confusion matrix as a heatmap and TIDE's dAP per error type as
/// bars. Every number comes from <see cref="ErrorAnalysis"/>; this layer only picks, scales and labels.
/// </summary>
public static class AnalysisCharts
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The file stems of the analysis charts.</summary>
    public static IReadOnlyList<string> FileStems { get; } = ["confusion_matrix", "tide_errors"];

    /// <summary>One colour per TIDE error type, in <see cref="TideErrorType"/> order.</summary>
    public static IReadOnlyList<string> TypeColors { get; } = ["#D62728", "#FF7F0E", "#9467BD", "#8C564B", "#1F77B4", "#2CA02C"];

    /// <summary>Both analysis charts of an error analysis.</summary>
    public static IReadOnlyList<NamedChart> ChartsOf(ErrorAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        if (analysis.Overlap != IouType.Segm) return [new NamedChart(FileStems[0], ConfusionMatrix(analysis.Confusion), null), new NamedChart(FileStems[1], TideErrors(analysis.Tide), null)];
        // An analysis of masks says so in both titles.
        ChartModel confusion = ConfusionMatrix(analysis.Confusion);
        // The box profile's pixel convention means nothing for pixel counts: the title keeps its threshold only.
        string profile = TextReport.DescribeProfile(analysis.Confusion.Settings);
        string threshold = profile.Split(',')[0];
        ChartModel tide = TideErrors(analysis.Tide);
        return
        [
            new NamedChart(FileStems[0], confusion with { Title = confusion.Title.Replace("(VOC, " + profile, "(VOC rules on mask " + threshold, StringComparison.Ordinal) }, null),
            new NamedChart(FileStems[1], tide with { Title = tide.Title.Replace("TIDE errors:", "TIDE errors on masks:", StringComparison.Ordinal) }, null),
        ];
    }

    /// <summary>
    /// The confusion matrix as a heatmap: the classes with any count in their row or column, and
    /// background; each cell shaded by its share of its row (of the ground truth of that class, or of the
    /// background detections) and labelled with its count.
    /// </summary>
    public static ChartModel ConfusionMatrix(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int[] shown = [.. Enumerable.Range(0, matrix.Size).Where(k => k == matrix.Background || matrix.RowTotal(k) > 0 || matrix.ColumnTotal(k) > 0)];
        string[] labels = [.. shown.Select(k => k == matrix.Background ? "background" : matrix.Categories[k].Name)];
        var shade = new double[shown.Length * shown.Length];
        var text = new string[shown.Length * shown.Length];
        for (int i = 0; i < shown.Length; i++)
        {
            int total = matrix.RowTotal(shown[i]);
            for (int j = 0; j < shown.Length; j++)
            {
                int count = matrix[shown[i], shown[j]];
                shade[i * shown.Length + j] = total == 0 ? 0 : (double)count / total;
                text[i * shown.Length + j] = count == 0 ? "" : Counting.Number(count);
            }
        }
        string hidden = shown.Length - 1 < matrix.Categories.Count
            ? $"; {Counting.Of(matrix.Categories.Count - (shown.Length - 1), "class")} without counts left out"
            : "";
        return Charts.Heatmap(
            $"Confusion matrix at {Threshold(matrix.ScoreThreshold)} (VOC, {TextReport.DescribeProfile(matrix.Settings)}){hidden}",
            "Detected class", "Ground-truth class",
            new HeatmapData(labels, labels, shade, text));
    }

    /// <summary>TIDE's six error types as bars of their dAP, each labelled with its dAP and count.</summary>
    public static ChartModel TideErrors(TideResult tide)
    {
        ArgumentNullException.ThrowIfNull(tide);
        BarItem[] bars = [.. tide.Errors.Select(e => new BarItem($"{TideResult.ShortName(e.Type)}: {Describe(e.Type)}", e.DeltaAp ?? 0)
        {
            Text = $"{F(e.DeltaAp)} ({Counting.Of(e.Count, "error")})",
            Color = TypeColors[(int)e.Type],
        })];
        string ap = tide.Ap is double a ? a.ToString("0.00", Invariant) : "-";
        return Charts.Bars($"TIDE errors: AP{Percent(tide.Settings.ForegroundIou)} points gained if fixed (TIDE AP{Percent(tide.Settings.ForegroundIou)} {ap})", "dAP (AP points)", bars, headroom: 1.45);
    }

    private static string Describe(TideErrorType type) => type switch
    {
        TideErrorType.Classification => "classification",
        TideErrorType.Localization => "localisation",
        TideErrorType.Both => "class and place",
        TideErrorType.Duplicate => "duplicate",
        TideErrorType.Background => "background",
        _ => "missed",
    };

    private static string Threshold(double threshold) =>
        double.IsNegativeInfinity(threshold) ? "every confidence" : "confidence >= " + TextReport.Confidence(threshold);

    private static string Percent(double iou) => (iou * 100).ToString("0", Invariant);

    private static string F(double? value) => value is double v ? v.ToString("0.00", Invariant) : "-";
}
