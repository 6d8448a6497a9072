using System.Globalization;
using System.Text;

namespace DetectionEval.Plots;

/// <summary>
/// Writes a line or bar <see cref="ChartModel"/> straight to SVG text: axes, grid, ticks, lines, markers,
/// bars and legend as plain elements (heatmaps are left to <see cref="ChartRenderer"/>). It draws what <see cref="ChartRenderer"/> draws with ScottPlot, in the same
/// layout and colours, at a fraction of the cost, so a report with a chart per class stays cheap: the HTML
/// report's charts come from here, files (--plots) from ScottPlot. docs/benchmarks.md ("One chart path?")
/// has the measurement that keeps this second renderer. Text is set in the bundled DejaVu Sans family, with the
/// browser's sans-serif as fallback.
/// </summary>
public static class SvgChartWriter
{
    private const string FontFamily = "DejaVu Sans, Verdana, sans-serif";
    private const double TitleSize = 16, LabelSize = 14, TickSize = 11, LegendSize = 12;
    /// <summary>An estimate of DejaVu Sans' mean glyph width, as a share of the font size; used to size the legend and margins.</summary>
    private const double GlyphWidth = 0.6;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The chart as an SVG document of the model's size.</summary>
    /// <param name="model">What to draw.</param>
    /// <param name="id">Prefix of the element ids inside; charts inlined in one HTML page need different ones.</param>
    /// <param name="forHtml">True for an &lt;svg&gt; element to place inside HTML as it is: no namespace
    /// declaration (HTML supplies it) and a view box instead of a fixed size, so it scales to its container.</param>
    public static string Write(ChartModel model, string id = "chart", bool forHtml = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Heatmap is not null) throw new ArgumentException("Heatmaps are drawn by ChartRenderer.", nameof(model));
        var svg = new StringBuilder(16 * 1024);
        Layout layout = Layout.Of(model);
        svg.Append(forHtml
            ? string.Create(Invariant, $"<svg viewBox=\"0 0 {model.Width} {model.Height}\" preserveAspectRatio=\"xMidYMid meet\" font-family=\"{FontFamily}\">")
            : string.Create(Invariant, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{model.Width}\" height=\"{model.Height}\" viewBox=\"0 0 {model.Width} {model.Height}\" font-family=\"{FontFamily}\">"));
        svg.Append(Invariant, $"<rect width=\"{model.Width}\" height=\"{model.Height}\" fill=\"#FFFFFF\"/>");
        WriteTitleAndAxisLabels(svg, model, layout);
        WriteGridAndTicks(svg, model, layout);
        svg.Append(Invariant, $"<clipPath id=\"{id}-area\"><rect x=\"{N(layout.Left)}\" y=\"{N(layout.Top)}\" width=\"{N(layout.Width)}\" height=\"{N(layout.Height)}\"/></clipPath>");
        svg.Append(Invariant, $"<g clip-path=\"url(#{id}-area)\">");
        if (model.Bars.Count > 0) WriteBars(svg, model, layout);
        foreach (BandSeries band in model.Bands) WriteBand(svg, band, layout);
        foreach (LineSeries series in model.Series) WriteSeries(svg, series, layout);
        foreach (PointMarker marker in model.Markers)
        {
            svg.Append(Invariant, $"<circle cx=\"{N(layout.X(marker.X))}\" cy=\"{N(layout.Y(marker.Y))}\" r=\"5.5\" fill=\"{marker.Color}\"/>");
        }
        svg.Append("</g>");
        svg.Append(Invariant, $"<rect x=\"{N(layout.Left)}\" y=\"{N(layout.Top)}\" width=\"{N(layout.Width)}\" height=\"{N(layout.Height)}\" fill=\"none\" stroke=\"#000000\"/>");
        if (model.LegendEntries.Count > 0) WriteLegend(svg, model, layout);
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Where the data area sits and how data coordinates map to pixels.</summary>
    private sealed record Layout(double Left, double Top, double Width, double Height, AxisRange Range, bool LegendOnRight, double LegendWidth)
    {
        public double X(double x) => Left + (x - Range.XMin) / (Range.XMax - Range.XMin) * Width;

        public double Y(double y) => Top + Height - (y - Range.YMin) / (Range.YMax - Range.YMin) * Height;

        public static Layout Of(ChartModel model)
        {
            double legendWidth = model.LegendEntries.Count == 0
                ? 0
                : 40 + GlyphWidth * LegendSize * model.LegendEntries.Max(e => e.Length);
            bool onRight = model.LegendEntries.Count > 6;
            double left = model.Bars.Count > 0
                ? 20 + GlyphWidth * TickSize * Math.Min(30, model.Bars.Max(b => b.Label.Length))
                : 70;
            double right = onRight ? legendWidth + 30 : 25;
            double top = 40, bottom = 55;
            return new Layout(left, top, Math.Max(50, model.Width - left - right), Math.Max(50, model.Height - top - bottom), model.Range, onRight, legendWidth);
        }
    }

    private static void WriteTitleAndAxisLabels(StringBuilder svg, ChartModel model, Layout layout)
    {
        double centreX = layout.Left + layout.Width / 2;
        svg.Append(Invariant, $"<text x=\"{N(centreX)}\" y=\"26\" font-size=\"{N(TitleSize)}\" font-weight=\"bold\" text-anchor=\"middle\">{Escape(model.Title)}</text>");
        svg.Append(Invariant, $"<text x=\"{N(centreX)}\" y=\"{N(model.Height - 12)}\" font-size=\"{N(LabelSize)}\" font-weight=\"bold\" text-anchor=\"middle\">{Escape(model.XLabel)}</text>");
        if (model.YLabel.Length > 0)
        {
            double centreY = layout.Top + layout.Height / 2;
            svg.Append(Invariant, $"<text transform=\"translate(18 {N(centreY)}) rotate(-90)\" font-size=\"{N(LabelSize)}\" font-weight=\"bold\" text-anchor=\"middle\">{Escape(model.YLabel)}</text>");
        }
    }

    private static void WriteGridAndTicks(StringBuilder svg, ChartModel model, Layout layout)
    {
        AxisRange range = model.Range;
        double xStep = ChartRenderer.RoundStep(range.XMax - range.XMin);
        foreach (double x in TicksOf(range.XMin, range.XMax, xStep))
        {
            double px = layout.X(x);
            svg.Append(Invariant, $"<line x1=\"{N(px)}\" y1=\"{N(layout.Top)}\" x2=\"{N(px)}\" y2=\"{N(layout.Top + layout.Height)}\" stroke=\"#E5E5E5\"/>");
            svg.Append(Invariant, $"<text x=\"{N(px)}\" y=\"{N(layout.Top + layout.Height + 16)}\" font-size=\"{N(TickSize)}\" text-anchor=\"middle\">{Tick(x, xStep)}</text>");
        }
        if (model.Bars.Count > 0) return;
        double yStep = ChartRenderer.RoundStep(range.YMax - range.YMin);
        foreach (double y in TicksOf(range.YMin, range.YMax, yStep))
        {
            double py = layout.Y(y);
            svg.Append(Invariant, $"<line x1=\"{N(layout.Left)}\" y1=\"{N(py)}\" x2=\"{N(layout.Left + layout.Width)}\" y2=\"{N(py)}\" stroke=\"#E5E5E5\"/>");
            svg.Append(Invariant, $"<text x=\"{N(layout.Left - 6)}\" y=\"{N(py + 4)}\" font-size=\"{N(TickSize)}\" text-anchor=\"end\">{Tick(y, yStep)}</text>");
        }
    }

    private static IEnumerable<double> TicksOf(double min, double max, double step)
    {
        // Multiples of the step, computed from an integer count so 0.30000000000000004 never shows up.
        long first = (long)Math.Ceiling(min / step - 1e-9);
        for (long i = first; i * step <= max + step * 1e-9; i++) yield return i * step;
    }

    private static string Tick(double value, double step)
    {
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        return Math.Round(value, decimals).ToString("0." + new string('#', decimals), Invariant);
    }

    private static void WriteSeries(StringBuilder svg, LineSeries series, Layout layout)
    {
        if (series.X.Count != series.Y.Count) throw new ArgumentException($"Series '{series.Label}' has {series.X.Count} x values and {series.Y.Count} y values.", nameof(series));
        if (series.X.Count == 0) return;
        (double[] px, double[] py) = ToPixels(series, layout);
        if (series.Style != SeriesStyle.Markers)
        {
            svg.Append(Invariant, $"<polyline fill=\"none\" stroke=\"{series.Color}\" stroke-width=\"{N(series.Width)}\" stroke-linejoin=\"round\" points=\"");
            for (int i = 0; i < px.Length; i++)
            {
                if (i > 0) svg.Append(' ');
                AppendNumber(svg, px[i]);
                svg.Append(',');
                AppendNumber(svg, py[i]);
            }
            svg.Append("\"/>");
        }
        if (series.Style == SeriesStyle.LineEndingInDot)
        {
            svg.Append(Invariant, $"<circle cx=\"{N(px[^1])}\" cy=\"{N(py[^1])}\" r=\"3.5\" fill=\"{series.Color}\"/>");
            return;
        }
        double radius = series.Style switch
        {
            SeriesStyle.Line => 0,
            SeriesStyle.Markers => 2.5,
            _ => px.Length > PointThinning.MarkersUpTo ? 0 : 2,
        };
        if (radius == 0) return;
        // One path of tiny circles is far lighter for a browser than an element per point.
        svg.Append(Invariant, $"<path fill=\"{series.Color}\" d=\"");
        for (int i = 0; i < px.Length; i++)
        {
            (double cx, double cy) = (px[i], py[i]);
            svg.Append(Invariant, $"M{N(cx - radius)},{N(cy)}a{N(radius)},{N(radius)} 0 1,0 {N(2 * radius)},0a{N(radius)},{N(radius)} 0 1,0 {N(-2 * radius)},0");
        }
        svg.Append("\"/>");
    }

    /// <summary>A band as one filled polygon with a thin outline, as <see cref="ChartRenderer"/> draws it.</summary>
    private static void WriteBand(StringBuilder svg, BandSeries band, Layout layout)
    {
        band.Validate();
        if (band.X.Count == 0) return;
        svg.Append(Invariant, $"<polygon fill=\"{band.Fill}\" stroke=\"{band.Outline}\" stroke-width=\"1\" stroke-linejoin=\"round\" points=\"");
        bool first = true;
        foreach ((double x, double y) in band.OutlinePoints())
        {
            if (!first) svg.Append(' ');
            first = false;
            AppendNumber(svg, layout.X(x));
            svg.Append(',');
            AppendNumber(svg, layout.Y(y));
        }
        svg.Append("\"/>");
    }

    /// <summary>The series in pixels. The model's points are already thinned to what the chart's size can show (<see cref="PointThinning"/>).</summary>
    private static (double[] X, double[] Y) ToPixels(LineSeries series, Layout layout)
    {
        // Arrays and loops rather than a list of tuples: generic code over our own value types is compiled at
        // run time even in the precompiled tool, and the report path pays for each such method once per run.
        var x = new double[series.X.Count];
        var y = new double[series.X.Count];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = layout.X(series.X[i]);
            y[i] = layout.Y(series.Y[i]);
        }
        return (x, y);
    }

    private static void WriteBars(StringBuilder svg, ChartModel model, Layout layout)
    {
        IReadOnlyList<BarItem> bars = model.Bars;
        double slot = layout.Height / bars.Count;
        for (int i = 0; i < bars.Count; i++)
        {
            // The first item is on top, as in ChartRenderer.
            double position = bars.Count - 1 - i;
            double centre = layout.Y(position);
            double thickness = Math.Max(1, slot * 0.8);
            double x0 = layout.X(0), x1 = layout.X(bars[i].Value);
            svg.Append(Invariant, $"<rect x=\"{N(x0)}\" y=\"{N(centre - thickness / 2)}\" width=\"{N(Math.Max(0, x1 - x0))}\" height=\"{N(thickness)}\" fill=\"{bars[i].Color ?? Charts.Palette[0]}\" stroke=\"#000000\" stroke-width=\"0.5\"/>");
            string text = bars[i].Text ?? bars[i].Value.ToString("0.000", Invariant);
            svg.Append(Invariant, $"<text x=\"{N(x1 + 4)}\" y=\"{N(centre + 4)}\" font-size=\"{N(TickSize)}\">{Escape(text)}</text>");
        }
        svg.Append("</g><g>");
        for (int i = 0; i < bars.Count; i++)
        {
            double centre = layout.Y(bars.Count - 1 - i);
            svg.Append(Invariant, $"<text x=\"{N(layout.Left - 6)}\" y=\"{N(centre + 4)}\" font-size=\"{N(TickSize)}\" text-anchor=\"end\">{Escape(bars[i].Label)}</text>");
        }
    }

    /// <summary>One row of the legend: a series (a line), a band (a swatch with an outline) or a marker (a dot).</summary>
    private sealed record LegendEntry(string Label, string Color, string? Outline, LineSeries? Series);

    private static void WriteLegend(StringBuilder svg, ChartModel model, Layout layout)
    {
        // In ChartModel.LegendEntries order, as ChartRenderer lists them: a line, a filled swatch or a dot each.
        var entries = new List<LegendEntry>();
        foreach (LineSeries s in model.Series)
        {
            if (s.Label is not null) entries.Add(new LegendEntry(s.Label, s.Color, null, s));
        }
        foreach (BandSeries b in model.Bands)
        {
            if (b.Label is not null) entries.Add(new LegendEntry(b.Label, b.Fill, b.Outline, null));
        }
        foreach (PointMarker m in model.Markers) entries.Add(new LegendEntry(m.Label, m.Color, null, null));
        double row = LegendSize + 6;
        double height = entries.Count * row + 10;
        double x = layout.LegendOnRight ? layout.Left + layout.Width + 15 : layout.Left + 10;
        double y = layout.LegendOnRight ? layout.Top + (layout.Height - height) / 2 : layout.Top + layout.Height - height - 10;
        y = Math.Max(layout.Top, y);
        svg.Append(Invariant, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(layout.LegendWidth)}\" height=\"{N(height)}\" fill=\"#FFFFFF\" stroke=\"#000000\" stroke-width=\"0.8\"/>");
        for (int i = 0; i < entries.Count; i++)
        {
            double cy = y + 5 + row * i + row / 2;
            (string label, string color, string? outline, LineSeries? series) = entries[i];
            if (outline is not null) svg.Append(Invariant, $"<rect x=\"{N(x + 6)}\" y=\"{N(cy - 5)}\" width=\"24\" height=\"10\" fill=\"{color}\" stroke=\"{outline}\"/>");
            else if (series is null) svg.Append(Invariant, $"<circle cx=\"{N(x + 18)}\" cy=\"{N(cy)}\" r=\"5\" fill=\"{color}\"/>");
            else
            {
                // The series' own line width, with a dot where its points carry markers.
                if (series.Style != SeriesStyle.Markers) svg.Append(Invariant, $"<line x1=\"{N(x + 6)}\" y1=\"{N(cy)}\" x2=\"{N(x + 30)}\" y2=\"{N(cy)}\" stroke=\"{color}\" stroke-width=\"{N(series.Width)}\"/>");
                if (series.Style is SeriesStyle.Markers or SeriesStyle.LineAndMarkers) svg.Append(Invariant, $"<circle cx=\"{N(x + 18)}\" cy=\"{N(cy)}\" r=\"2.5\" fill=\"{color}\"/>");
            }
            svg.Append(Invariant, $"<text x=\"{N(x + 36)}\" y=\"{N(cy + 4)}\" font-size=\"{N(LegendSize)}\">{Escape(label)}</text>");
        }
    }

    /// <summary>A pixel coordinate with two decimals: exact enough for any screen, and short.</summary>
    /// <summary>A coordinate as SVG text: rounded to hundredths, without trailing zeros.</summary>
    internal static string N(double value) => Math.Round(value, 2).ToString("0.##", Invariant);

    /// <summary>
    /// Appends exactly <see cref="N"/>'s text without making a string, for the points of a line (a report
    /// writes a few hundred thousand). Math.Round(value, 2) is Round(value * 100) / 100, and that double
    /// prints as its hundredths; the rare value out of that range takes <see cref="N"/> itself.
    /// </summary>
    internal static void AppendNumber(StringBuilder svg, double value)
    {
        double hundredths = Math.Round(value * 100);
        if (!(Math.Abs(hundredths) < 1e15))
        {
            svg.Append(N(value));
            return;
        }
        if (double.IsNegative(hundredths)) svg.Append('-');
        long k = Math.Abs((long)hundredths);
        svg.Append(k / 100);
        long fraction = k % 100;
        if (fraction == 0) return;
        svg.Append('.').Append((char)('0' + fraction / 10));
        if (fraction % 10 != 0) svg.Append((char)('0' + fraction % 10));
    }

    private static string Escape(string text) => text
        .Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\"", "&quot;", StringComparison.Ordinal);
}
