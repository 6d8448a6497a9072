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
/// here computes a metric, only which line gets which colour and where the legend goes. Lines come
/// thinned to the points that show at the chart's size (<see cref="PointThinning"/>).
/// </summary>
public static class Charts
{
    /// <summary>Category20 colours: ten strong, ten light, enough for the coloured classes of one chart.</summary>
    public static IReadOnlyList<string> Palette { get; } =
    [
        "#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF",
        "#AEC7E8", "#FFBB78", "#98DF8A", "#FF9896", "#C5B0D5", "#C49C94", "#F7B6D2", "#C7C7C7", "#DBDB8D", "#9EDAE5",
    ];

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
        return PointThinning.Thin(new ChartModel(
            title, "Recall", "Precision",
            [
                new LineSeries(raw.Label, raw.Recall, raw.Precision, SeriesStyle.LineAndMarkers, Palette[0], 1f),
                new LineSeries(envelope.Label, envelope.Recall, envelope.Precision, SeriesStyle.Line, Palette[1], 2.5f),
            ],
            [], [], UnitSquare, 800, 600));
    }

    /// <summary>
    /// The colours of a chart with many curves: Tableau's ten (category10), saturated enough for thin lines on
    /// white and chosen to stay apart from each other. Its grey is replaced by black, as grey stands for
    /// the classes without a colour.
    /// </summary>
    public static IReadOnlyList<string> Distinct { get; } =
        ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#17BECF", "#BCBD22", "#000000"];

    /// <summary>Fill and outline of the band that stands for the curves without a colour of their own.</summary>
    public const string OtherFill = "#E3E3E3", OtherOutline = "#BDBDBD";

    /// <summary>
    /// Several PR curves on one chart. The first <paramref name="coloured"/> (pass them in the order to
    /// show, e.g. best AP first) are lines in <see cref="Distinct"/> colours, a dot where each ends, with a
    /// legend entry each;
    /// the rest become one light grey band from the lowest to the highest of their precisions at each recall,
    /// behind the lines, under one entry ("37 other classes"). Each curve ends at its last point of non-zero
    /// precision: the zero tail a PR envelope carries to recall 1 would draw a vertical line to 0 at every
    /// class's highest recall.
    /// </summary>
    public static ChartModel ManyPrecisionRecall(string title, IReadOnlyList<PrSeries> curves, int coloured = 10)
    {
        ArgumentNullException.ThrowIfNull(curves);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(coloured, Distinct.Count);
        foreach (PrSeries c in curves) c.Validate();
        int shown = Math.Min(coloured, curves.Count);
        var series = new List<LineSeries>(shown);
        for (int i = 0; i < shown; i++)
        {
            (double[] x, double[] y) = WithoutZeroTail(curves[i]);
            series.Add(new LineSeries(curves[i].Label, x, y, SeriesStyle.LineEndingInDot, Distinct[i], 2f));
        }
        int others = curves.Count - shown;
        BandSeries[] bands = others == 0
            ? []
            : RangeBands(others == 1 ? "1 other class" : $"{others} other classes", OthersWithoutZeroTail(curves, shown));
        // A long legend goes beside the chart and needs the extra width.
        int legend = series.Count + (others > 0 ? 1 : 0);
        int width = legend > 6 ? 1000 : 800;
        return PointThinning.Thin(new ChartModel(title, "Recall", "Precision", series, [], [], UnitSquare, width, 640) { Bands = bands });
    }

    /// <summary>The curves from <paramref name="first"/> on, each <see cref="WithoutZeroTail"/>.</summary>
    private static (double[] X, double[] Y)[] OthersWithoutZeroTail(IReadOnlyList<PrSeries> curves, int first)
    {
        var others = new (double[] X, double[] Y)[curves.Count - first];
        for (int i = 0; i < others.Length; i++) others[i] = WithoutZeroTail(curves[first + i]);
        return others;
    }

    /// <summary>The curve without its trailing points of zero precision.</summary>
    internal static (double[] X, double[] Y) WithoutZeroTail(PrSeries curve)
    {
        int n = curve.Precision.Count;
        while (n > 0 && curve.Precision[n - 1] == 0) n--;
        var x = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++) (x[i], y[i]) = (curve.Recall[i], curve.Precision[i]);
        return (x, y);
    }

    /// <summary>Cells of the range band along x: finer than a pixel of any chart drawn here.</summary>
    internal const int BandCells = 1000;

    /// <summary>
    /// The range of several curves as grey bands: the x range they span is cut into <see cref="BandCells"/>
    /// cells, and over each cell the band runs from the lowest to the highest y of the curves that reach
    /// the cell's middle (a curve reaches from its first to its last x), read off each curve's line there.
    /// Neighbouring cells of equal range merge into one step; cells no curve reaches split the band, so
    /// there is one band per stretch and only the first carries the legend text.
    /// </summary>
    internal static BandSeries[] RangeBands(string label, IReadOnlyList<(double[] X, double[] Y)> curves)
    {
        // Loops rather than LINQ over the tuples: generic code over value types is compiled at run time even
        // in the precompiled tool (see docs/benchmarks.md, "Report generation overhead").
        (double from, double to) = (double.PositiveInfinity, double.NegativeInfinity);
        for (int c = 0; c < curves.Count; c++)
        {
            double[] x = curves[c].X;
            if (x.Length > 0) (from, to) = (Math.Min(from, x[0]), Math.Max(to, x[^1]));
        }
        if (double.IsPositiveInfinity(from)) return [];
        double width = (to - from) / BandCells;
        if (!(width > 0)) return [];
        var lower = new double[BandCells];
        var upper = new double[BandCells];
        Array.Fill(lower, double.PositiveInfinity);
        Array.Fill(upper, double.NegativeInfinity);
        for (int c = 0; c < curves.Count; c++)
        {
            (double[] x, double[] y) = curves[c];
            if (x.Length == 0) continue;
            int segment = 0;
            for (int cell = 0; cell < BandCells; cell++)
            {
                double middle = from + (cell + 0.5) * width;
                if (middle < x[0] || middle > x[^1]) continue;
                // Middles increase, so the segment holding this one is at or after the last one's.
                while (segment < x.Length - 2 && x[segment + 1] <= middle) segment++;
                double value = YAt(x, y, segment, middle);
                lower[cell] = Math.Min(lower[cell], value);
                upper[cell] = Math.Max(upper[cell], value);
            }
        }
        return StepsOf(label, from, width, lower, upper);
    }

    /// <summary>The line's y at <paramref name="x0"/> on the segment from point <paramref name="i"/> to the next (a lone point is its own value).</summary>
    private static double YAt(double[] x, double[] y, int i, double x0)
    {
        if (i + 1 >= x.Length || x[i + 1] == x[i]) return y[i];
        double t = Math.Clamp((x0 - x[i]) / (x[i + 1] - x[i]), 0, 1);
        return y[i] + t * (y[i + 1] - y[i]);
    }

    /// <summary>Runs of reached cells as step-shaped bands; the first band carries <paramref name="label"/>.</summary>
    private static BandSeries[] StepsOf(string label, double from, double width, double[] lower, double[] upper)
    {
        var bands = new List<BandSeries>();
        var xs = new List<double>();
        var los = new List<double>();
        var his = new List<double>();
        void Close()
        {
            if (xs.Count == 0) return;
            bands.Add(new BandSeries(bands.Count == 0 ? label : null, [.. xs], [.. los], [.. his], OtherFill, OtherOutline));
            xs.Clear();
            los.Clear();
            his.Clear();
        }
        for (int cell = 0; cell < lower.Length; cell++)
        {
            if (double.IsPositiveInfinity(lower[cell]))
            {
                Close();
                continue;
            }
            double left = from + cell * width, right = from + (cell + 1) * width;
            bool same = xs.Count > 0 && los[^1] == lower[cell] && his[^1] == upper[cell];
            if (same)
            {
                xs[^1] = right;
                continue;
            }
            xs.Add(left);
            los.Add(lower[cell]);
            his.Add(upper[cell]);
            xs.Add(right);
            los.Add(lower[cell]);
            his.Add(upper[cell]);
        }
        Close();
        return [.. bands];
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
        (double low, double high) = (0, 1);
        foreach (double c in data.Confidence is double[] array ? array : [.. data.Confidence])
        {
            (low, high) = (Math.Min(low, c), Math.Max(high, c));
        }
        return PointThinning.Thin(new ChartModel(
            title, "Confidence", "Value",
            [
                new LineSeries("F1", data.Confidence, data.F1, SeriesStyle.Line, Palette[3], 2.5f),
                new LineSeries("Precision", data.Confidence, data.Precision, SeriesStyle.Line, Palette[0], 1.5f),
                new LineSeries("Recall", data.Confidence, data.Recall, SeriesStyle.Line, Palette[2], 1.5f),
            ],
            markers, [], new AxisRange(low, high, 0, 1.05), 800, 600));
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
        double top = 1.0;
        foreach (BarItem bar in bars) top = Math.Max(top, bar.Value);
        return new ChartModel(title, valueLabel, "", [], [], bars, new AxisRange(0, top * headroom, -0.5, bars.Count - 0.5), 800, height);
    }
}
