namespace DetectionEval.Plots;

/// <summary>F1, precision and recall against confidence, as plain data.</summary>
/// <param name="Confidence">Confidence of each point.</param>
/// <param name="Precision">Precision at each point.</param>
/// <param name="Recall">Recall at each point.</param>
/// <param name="F1">F1 at each point.</param>
/// <param name="Best">The point to mark (x = confidence, y = F1), or null.</param>
/// <param name="BestLabel">Legend text of the marked point.</param>
public sealed record ConfidenceSeries(
    IReadOnlyList<double> Confidence, IReadOnlyList<double> Precision, IReadOnlyList<double> Recall, IReadOnlyList<double> F1,
    (double X, double Y)? Best, string BestLabel);

/// <summary>
/// Builds the chart models deval draws from plain data. Every number comes from the caller; nothing
/// here computes a metric, only which line gets which colour and where the legend goes.
/// </summary>
public static class Charts
{
    /// <summary>Category20 colours: ten strong, ten light, enough for the coloured classes of one chart.</summary>
    public static IReadOnlyList<string> Palette { get; } =
    [
        "#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF",
        "#AEC7E8", "#FFBB78", "#98DF8A", "#FF9896", "#C5B0D5", "#C49C94", "#F7B6D2", "#C7C7C7", "#DBDB8D", "#9EDAE5",
    ];

    /// <summary>Grey for the lines that are not in the legend.</summary>
    public const string Other = "#B0B0B0";

    private static readonly AxisRange UnitSquare = new(0, 1, 0, 1.05);

    /// <summary>One class's PR curve: its raw points and the interpolated envelope whose area is its AP.</summary>
    /// <param name="title">The title, e.g. "person: precision / recall (VOC, IoU >= 0.5)".</param>
    /// <param name="raw">The raw curve (recall, precision after each detection).</param>
    /// <param name="envelope">The interpolated envelope; its label carries the AP.</param>
    public static ChartModel ClassPrecisionRecall(string title, PrSeries raw, PrSeries envelope)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(envelope);
        raw.Validate();
        envelope.Validate();
        return new ChartModel(
            title, "Recall", "Precision",
            [
                new LineSeries(raw.Label, raw.Recall, raw.Precision, SeriesStyle.LineAndMarkers, Palette[0], 1f),
                new LineSeries(envelope.Label, envelope.Recall, envelope.Precision, SeriesStyle.Line, Palette[1], 2.5f),
            ],
            [], [], UnitSquare, 800, 600);
    }

    /// <summary>
    /// Several PR curves on one chart. The first <paramref name="coloured"/> get a colour and a legend
    /// entry; the rest are drawn in grey behind them under one entry (pass them in the order to show).
    /// </summary>
    public static ChartModel ManyPrecisionRecall(string title, IReadOnlyList<PrSeries> curves, int coloured = 20)
    {
        ArgumentNullException.ThrowIfNull(curves);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(coloured, Palette.Count);
        var series = new List<LineSeries>();
        int others = curves.Count - Math.Min(coloured, curves.Count);
        for (int i = curves.Count - 1; i >= coloured; i--)
        {
            curves[i].Validate();
            // One legend entry stands for all grey lines: the first one drawn carries it.
            string? label = i == curves.Count - 1 ? $"{others} other classes" : null;
            series.Add(new LineSeries(label, curves[i].Recall, curves[i].Precision, SeriesStyle.Line, Other, 1f));
        }
        for (int i = 0; i < Math.Min(coloured, curves.Count); i++)
        {
            curves[i].Validate();
            series.Add(new LineSeries(curves[i].Label, curves[i].Recall, curves[i].Precision, SeriesStyle.Line, Palette[i], 2f));
        }
        // A long legend goes beside the chart and needs the extra width.
        int width = series.Count(s => s.Label is not null) > 6 ? 1000 : 800;
        return new ChartModel(title, "Recall", "Precision", series, [], [], UnitSquare, width, 640);
    }

    /// <summary>F1, precision and recall against confidence, with the best-F1 point marked.</summary>
    public static ChartModel Confidence(string title, ConfidenceSeries data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int n = data.Confidence.Count;
        if (data.Precision.Count != n || data.Recall.Count != n || data.F1.Count != n)
        {
            throw new ArgumentException("Confidence, precision, recall and F1 must have the same length.", nameof(data));
        }
        PointMarker[] markers = data.Best is { } best ? [new PointMarker(data.BestLabel, best.X, best.Y, "#000000")] : [];
        // Scores are usually in [0, 1]; a detector that writes other scores still gets all of them on the axis.
        double low = n == 0 ? 0 : Math.Min(0, data.Confidence.Min());
        double high = n == 0 ? 1 : Math.Max(1, data.Confidence.Max());
        return new ChartModel(
            title, "Confidence", "Value",
            [
                new LineSeries("F1", data.Confidence, data.F1, SeriesStyle.Line, Palette[3], 2.5f),
                new LineSeries("Precision", data.Confidence, data.Precision, SeriesStyle.Line, Palette[0], 1.5f),
                new LineSeries("Recall", data.Confidence, data.Recall, SeriesStyle.Line, Palette[2], 1.5f),
            ],
            markers, [], new AxisRange(low, high, 0, 1.05), 800, 600);
    }

    /// <summary>A grid of shaded cells with text (e.g. a confusion matrix), sized so every label fits.</summary>
    public static ChartModel Heatmap(string title, string xLabel, string yLabel, HeatmapData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        data.Validate();
        int rows = data.RowLabels.Count, columns = data.ColumnLabels.Count;
        // 16 pixels a cell at least, and room for the longest labels beside and below the grid.
        int longestRow = data.RowLabels.Count == 0 ? 0 : data.RowLabels.Max(l => l.Length);
        int longestColumn = data.ColumnLabels.Count == 0 ? 0 : data.ColumnLabels.Max(l => l.Length);
        int cell = Math.Max(16, Math.Min(48, 900 / Math.Max(1, Math.Max(rows, columns))));
        int width = Math.Max(600, 120 + 8 * longestRow + cell * columns);
        int height = Math.Max(500, 140 + 8 * longestColumn + cell * rows);
        return new ChartModel(title, xLabel, yLabel, [], [], [], new AxisRange(-0.5, columns - 0.5, -0.5, rows - 0.5), width, height) { Heatmap = data };
    }

    /// <summary>Horizontal bars, first item on top (e.g. AP per class).</summary>
    /// <param name="title">The title.</param>
    /// <param name="valueLabel">The value axis label.</param>
    /// <param name="bars">The bars, first on top.</param>
    /// <param name="headroom">The value axis reaches this multiple of the longest bar, leaving room for the bar texts.</param>
    public static ChartModel Bars(string title, string valueLabel, IReadOnlyList<BarItem> bars, double headroom = 1.08)
    {
        ArgumentNullException.ThrowIfNull(bars);
        // Room for every class name: 18 pixels a bar, at least a normal chart's height.
        int height = Math.Max(400, 120 + 18 * bars.Count);
        double top = Math.Max(1.0, bars.Count == 0 ? 1.0 : bars.Max(b => b.Value));
        return new ChartModel(title, valueLabel, "", [], [], bars, new AxisRange(0, top * headroom, -0.5, bars.Count - 0.5), 800, height);
    }
}
