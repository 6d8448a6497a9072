namespace DetectionEval.Plots;

/// <summary>How a series is drawn.</summary>
public enum SeriesStyle
{
    /// <summary>A line through the points.</summary>
    Line,

    /// <summary>Points only.</summary>
    Markers,

    /// <summary>A thin line with a marker at every point.</summary>
    LineAndMarkers,

    /// <summary>A line with a dot on its last point, for a curve that stops short of the axis (where it ends shows).</summary>
    LineEndingInDot,
}

/// <summary>One line of a chart, as plain data.</summary>
/// <param name="Label">Legend text; null keeps it out of the legend.</param>
/// <param name="X">X of each point.</param>
/// <param name="Y">Y of each point.</param>
/// <param name="Style">How it is drawn.</param>
/// <param name="Color">Colour as "#RRGGBB".</param>
/// <param name="Width">Line width in pixels.</param>
public sealed record LineSeries(string? Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, SeriesStyle Style, string Color, float Width = 1.5f);

/// <summary>
/// A filled area between two lines that share their x (e.g. the range of many curves), drawn behind the
/// series with a thin outline of the same colour so a stretch where the two lines meet still shows.
/// </summary>
/// <param name="Label">Legend text; null keeps it out of the legend.</param>
/// <param name="X">X of each point, non-decreasing (a repeated x makes a vertical step).</param>
/// <param name="Lower">The lower line's y at each point.</param>
/// <param name="Upper">The upper line's y at each point.</param>
/// <param name="Fill">Fill colour as "#RRGGBB".</param>
/// <param name="Outline">Outline colour as "#RRGGBB".</param>
public sealed record BandSeries(string? Label, IReadOnlyList<double> X, IReadOnlyList<double> Lower, IReadOnlyList<double> Upper, string Fill, string Outline)
{
    /// <summary>Throws when the lists do not have one entry per point.</summary>
    public void Validate()
    {
        if (Lower.Count != X.Count || Upper.Count != X.Count)
        {
            throw new ArgumentException($"Band '{Label}' has {X.Count} x values, {Lower.Count} lower and {Upper.Count} upper values.");
        }
    }

    /// <summary>The outline of the area: along the upper line left to right, then the lower one back.</summary>
    public IEnumerable<(double X, double Y)> OutlinePoints()
    {
        for (int i = 0; i < X.Count; i++) yield return (X[i], Upper[i]);
        for (int i = X.Count - 1; i >= 0; i--) yield return (X[i], Lower[i]);
    }
}

/// <summary>A highlighted point with a legend entry (e.g. the best-F1 point).</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">Its x.</param>
/// <param name="Y">Its y.</param>
/// <param name="Color">Colour as "#RRGGBB".</param>
public sealed record PointMarker(string Label, double X, double Y, string Color);

/// <summary>One bar of a bar chart.</summary>
/// <param name="Label">The category axis text.</param>
/// <param name="Value">Its length.</param>
public sealed record BarItem(string Label, double Value)
{
    /// <summary>The text at the end of the bar; null writes the value with three decimals.</summary>
    public string? Text { get; init; }

    /// <summary>Its colour as "#RRGGBB"; null for the first palette colour.</summary>
    public string? Color { get; init; }
}

/// <summary>A grid of cells, as plain data (e.g. a confusion matrix): row i is drawn i-th from the top.</summary>
/// <param name="RowLabels">The left axis text of each row.</param>
/// <param name="ColumnLabels">The bottom axis text of each column.</param>
/// <param name="Shade">Row-major, one value in [0, 1] per cell: 0 white, 1 the darkest colour.</param>
/// <param name="CellText">Row-major, the text written in each cell; "" for none.</param>
public sealed record HeatmapData(IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels, IReadOnlyList<double> Shade, IReadOnlyList<string> CellText)
{
    /// <summary>Throws when the cell lists do not have one entry per cell or a shade lies outside [0, 1].</summary>
    public void Validate()
    {
        int cells = RowLabels.Count * ColumnLabels.Count;
        if (Shade.Count != cells || CellText.Count != cells)
        {
            throw new ArgumentException($"A {RowLabels.Count} x {ColumnLabels.Count} heatmap needs {cells} shades and texts, but got {Shade.Count} and {CellText.Count}.");
        }
        if (Shade.Any(v => !(v >= 0 && v <= 1))) throw new ArgumentException("Heatmap shades must lie in [0, 1].");
    }
}

/// <summary>Axis ranges.</summary>
/// <param name="XMin">Left.</param>
/// <param name="XMax">Right.</param>
/// <param name="YMin">Bottom.</param>
/// <param name="YMax">Top.</param>
public sealed record AxisRange(double XMin, double XMax, double YMin, double YMax);

/// <summary>
/// Everything a chart shows, as plain data: what tests check and what <see cref="ChartRenderer"/> draws.
/// A chart has either series (and markers), bars or a heatmap.
/// </summary>
/// <param name="Title">The title.</param>
/// <param name="XLabel">The bottom axis label.</param>
/// <param name="YLabel">The left axis label.</param>
/// <param name="Series">Lines, drawn in order (over the <see cref="Bands"/>).</param>
/// <param name="Markers">Highlighted points, drawn over the lines.</param>
/// <param name="Bars">Horizontal bars, top to bottom.</param>
/// <param name="Range">Axis ranges.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public sealed record ChartModel(
    string Title,
    string XLabel,
    string YLabel,
    IReadOnlyList<LineSeries> Series,
    IReadOnlyList<PointMarker> Markers,
    IReadOnlyList<BarItem> Bars,
    AxisRange Range,
    int Width,
    int Height)
{
    /// <summary>A grid of shaded cells, drawn instead of series and bars; null for none.</summary>
    public HeatmapData? Heatmap { get; init; }

    /// <summary>Filled areas, drawn behind the series; in the legend after them.</summary>
    public IReadOnlyList<BandSeries> Bands { get; init; } = [];

    /// <summary>The legend's entries, in order: labelled series, then labelled bands, then markers.</summary>
    public IReadOnlyList<string> LegendEntries =>
        [.. Series.Where(s => s.Label is not null).Select(s => s.Label!), .. Bands.Where(b => b.Label is not null).Select(b => b.Label!), .. Markers.Select(m => m.Label)];
}
