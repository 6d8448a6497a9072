using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ScottPlot;
using ScottPlot.Rendering;
using SkiaSharp;

namespace DetectionEval.Plots;

/// <summary>
/// Draws a <see cref="ChartModel"/> with ScottPlot as PNG bytes or SVG text, using the bundled fonts: the one
/// way every chart is drawn, for --plots and for the HTML report. It draws the model's points as they are;
/// <see cref="Charts"/> thins them to the chart's size.
/// </summary>
public static partial class ChartRenderer
{
    /// <summary>The ScottPlot plot of a model (what tests inspect and the writers draw).</summary>
    public static Plot ToPlot(ChartModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        PlotFonts.Register();
        // Each text gets the bundled face that can set it (PlotFonts.FamilyFor), by name: Plot.Font.Set would
        // pin the weight and silently turn the bold titles regular.
        var plot = new Plot();
        plot.Title(model.Title, size: 16);
        plot.XLabel(model.XLabel, size: 14);
        plot.YLabel(model.YLabel, size: 14);
        foreach ((LabelStyle label, string text) in new[] { (plot.Axes.Title.Label, model.Title), (plot.Axes.Bottom.Label, model.XLabel), (plot.Axes.Left.Label, model.YLabel) })
        {
            label.FontName = PlotFonts.FamilyFor(text);
            label.Bold = true;
        }
        // Numbers, unless bars or a heatmap name their ticks.
        plot.Axes.Bottom.TickLabelStyle.FontName = PlotFonts.Latin1Family;
        plot.Axes.Left.TickLabelStyle.FontName = PlotFonts.Latin1Family;

        foreach (BandSeries b in model.Bands) AddBand(plot, b);
        foreach (LineSeries s in model.Series) AddSeries(plot, s);
        foreach (PointMarker m in model.Markers) plot.Add.Marker(m.X, m.Y, MarkerShape.FilledCircle, 11, Color.FromHex(m.Color));
        if (model.Bars.Count > 0) AddBars(plot, model.Bars);
        if (model.Heatmap is { } heatmap) AddHeatmap(plot, heatmap);

        plot.Axes.SetLimits(model.Range.XMin, model.Range.XMax, model.Range.YMin, model.Range.YMax);
        // Ticks at a fixed, round interval: the same look on every chart, and far cheaper than letting
        // ScottPlot measure label sizes for many candidate spacings on each render.
        if (model.Heatmap is null) plot.Axes.Bottom.TickGenerator = FixedTicks(model.Range.XMax - model.Range.XMin);
        if (model.Bars.Count == 0 && model.Heatmap is null) plot.Axes.Left.TickGenerator = FixedTicks(model.Range.YMax - model.Range.YMin);
        // The top and right axes only frame the data: no ticks to generate (ScottPlot would still measure candidate spacings for them).
        plot.Axes.Top.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
        plot.Axes.Right.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
        if (model.LegendEntries.Count > 0)
        {
            // The legend is built from the model, in its order (bands are drawn first but listed after the
            // lines).
            plot.Legend.DisplayPlottableLegendItems = false;
            plot.Legend.ManualItems.AddRange(LegendItemsOf(model));
            plot.Legend.FontName = PlotFonts.FamilyFor(model.LegendEntries);
            plot.Legend.FontSize = 12;
            // Many entries go beside the chart; a few fit in the corner PR curves leave empty.
            if (model.LegendEntries.Count > 6) plot.ShowLegend(Edge.Right);
            else plot.ShowLegend(Alignment.LowerLeft);
        }
        return plot;
    }

    /// <summary>The chart as PNG bytes, at the model's size. The same model gives the same bytes on any machine.</summary>
    public static byte[] RenderPng(ChartModel model)
    {
        Plot plot = ToPlot(model);
        SettleLayout(plot, model);
        using SKSurface surface = SKSurface.Create(new SKImageInfo(model.Width, model.Height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException("Skia could not create a drawing surface.");
        plot.Render(surface.Canvas, model.Width, model.Height);
        using SKImage image = surface.Snapshot();
        using SKPixmap pixmap = image.PeekPixels();
        // Charts are flat colours: the Sub filter and light compression give files as small as the
        // defaults at a fraction of the encoder's time, which otherwise dominates a PNG chart.
        using SKData png = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.Sub, 3))
            ?? throw new InvalidOperationException("Skia could not encode the chart as PNG.");
        return png.ToArray();
    }

    /// <summary>
    /// The chart as an SVG document, at the model's size, with its text as text in the bundled family. The
    /// same model gives the same text (see <see cref="NumberIdsInOrder"/>).
    /// </summary>
    public static string RenderSvg(ChartModel model)
    {
        Plot plot = ToPlot(model);
        SettleLayout(plot, model);
        // What Plot.GetSvgXml does, without the whole raster drawing it makes first to settle the layout,
        // and into Skia's own memory stream rather than a .NET one it would call back for every fragment.
        using var stream = new SKDynamicMemoryWStream();
        using (SKCanvas canvas = SKSvgCanvas.Create(new SKRect(0, 0, model.Width, model.Height), stream))
        {
            // Clearing an SVG canvas would only write a rectangle under the figure's own background.
            plot.RenderManager.ClearCanvasBeforeEachRender = false;
            plot.Render(canvas, model.Width, model.Height);
        }
        // The document is complete once the canvas is disposed.
        using SKData svg = stream.DetachAsData();
        return NumberIdsInOrder(Encoding.UTF8.GetString(svg.AsSpan()));
    }

    /// <summary>
    /// Settles the plot's axis limits and layout without drawing. ScottPlot draws a new plot twice (the first
    /// drawing sets the axis limits, which then count as changed, so it draws again), and Plot.GetSvgXml
    /// makes a whole raster drawing before its SVG one. Laid out here, with the drawing steps left out and
    /// on a canvas that draws nothing, the plot is then drawn once on the real canvas, with the same layout
    /// and so the same picture (tested: the same PNG bytes).
    /// </summary>
    private static void SettleLayout(Plot plot, ChartModel model)
    {
        List<IRenderAction> actions = plot.RenderManager.RenderActions;
        IRenderAction[] all = [.. actions];
        actions.RemoveAll(a => a is ScottPlot.Rendering.RenderActions.RenderFigureBackground or ScottPlot.Rendering.RenderActions.RenderDataBackground
            or ScottPlot.Rendering.RenderActions.RenderGridsBelowPlottables or ScottPlot.Rendering.RenderActions.RenderPlottables or ScottPlot.Rendering.RenderActions.RenderGridsAbovePlottables
            or ScottPlot.Rendering.RenderActions.RenderLegends or ScottPlot.Rendering.RenderActions.RenderPanels or ScottPlot.Rendering.RenderActions.RenderPlottablesLast);
        using (var canvas = new SKNoDrawCanvas(model.Width, model.Height)) plot.Render(canvas, model.Width, model.Height);
        actions.Clear();
        actions.AddRange(all);
    }

    /// <summary>
    /// Skia names the SVG's clip paths from a counter shared by every drawing in the process, so the same
    /// chart drawn after others (or alongside them, in parallel) got other ids. Renamed in order of
    /// appearance, the same chart always gives the same text.
    /// </summary>
    internal static string NumberIdsInOrder(string svg)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in SvgId().Matches(svg)) names.TryAdd(m.Groups[1].Value, "clip" + names.Count.ToString(CultureInfo.InvariantCulture));
        if (names.Count == 0) return svg;
        return SvgIdOrReference().Replace(svg, m => names.TryGetValue(m.Groups[2].Value, out string? name) ? m.Groups[1].Value + name + m.Groups[3].Value : m.Value);
    }

    [GeneratedRegex("\\bid=\"([^\"]+)\"")]
    private static partial Regex SvgId();

    [GeneratedRegex("(\\bid=\"|url\\(#|href=\"#)([^\")]+)([\")])")]
    private static partial Regex SvgIdOrReference();

    /// <summary>The legend's items in <see cref="ChartModel.LegendEntries"/> order: a line, a filled swatch or a dot each.</summary>
    private static IEnumerable<LegendItem> LegendItemsOf(ChartModel model)
    {
        foreach (LineSeries s in model.Series.Where(s => s.Label is not null))
        {
            Color color = Color.FromHex(s.Color);
            var item = new LegendItem { LabelText = s.Label!, LineColor = color, LineWidth = s.Style == SeriesStyle.Markers ? 0 : s.Width };
            if (s.Style is SeriesStyle.Markers or SeriesStyle.LineAndMarkers)
            {
                item.MarkerShape = MarkerShape.FilledCircle;
                item.MarkerFillColor = item.MarkerLineColor = color;
                item.MarkerSize = 5;
            }
            yield return item;
        }
        foreach (BandSeries b in model.Bands.Where(b => b.Label is not null))
        {
            yield return new LegendItem { LabelText = b.Label!, FillColor = Color.FromHex(b.Fill), OutlineColor = Color.FromHex(b.Outline), OutlineWidth = 1 };
        }
        foreach (PointMarker m in model.Markers)
        {
            yield return new LegendItem { LabelText = m.Label, MarkerShape = MarkerShape.FilledCircle, MarkerFillColor = Color.FromHex(m.Color), MarkerLineColor = Color.FromHex(m.Color), MarkerSize = 11 };
        }
    }

    /// <summary>A band as one filled polygon with a thin outline.</summary>
    private static void AddBand(Plot plot, BandSeries b)
    {
        b.Validate();
        if (b.X.Count == 0) return;
        var polygon = plot.Add.Polygon([.. b.OutlinePoints().Select(p => new Coordinates(p.X, p.Y))]);
        polygon.FillColor = Color.FromHex(b.Fill);
        polygon.LineColor = Color.FromHex(b.Outline);
        polygon.LineWidth = 1;
    }

    private static void AddSeries(Plot plot, LineSeries s)
    {
        if (s.X.Count != s.Y.Count) throw new ArgumentException($"Series '{s.Label}' has {s.X.Count} x values and {s.Y.Count} y values.", nameof(s));
        // An empty series (a class without detections) draws nothing.
        if (s.X.Count == 0) return;
        double[] xs = [.. s.X], ys = [.. s.Y];
        var scatter = plot.Add.Scatter(xs, ys, Color.FromHex(s.Color));
        scatter.LineWidth = s.Style == SeriesStyle.Markers ? 0 : s.Width;
        scatter.MarkerSize = s.Style switch
        {
            SeriesStyle.Line => 0,
            SeriesStyle.Markers => 5,
            SeriesStyle.LineEndingInDot => 0,
            _ => 4,
        };
        if (s.Style == SeriesStyle.LineEndingInDot) plot.Add.Marker(xs[^1], ys[^1], MarkerShape.FilledCircle, 7, Color.FromHex(s.Color));
    }

    private static void AddBars(Plot plot, IReadOnlyList<BarItem> items)
    {
        var bars = new List<Bar>();
        var ticks = new Tick[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            double position = items.Count - 1 - i;
            bars.Add(new Bar
            {
                Position = position,
                Value = items[i].Value,
                FillColor = Color.FromHex(items[i].Color ?? Charts.Palette[0]),
                Label = items[i].Text ?? items[i].Value.ToString("0.000", CultureInfo.InvariantCulture),
                Orientation = Orientation.Horizontal,
            });
            ticks[i] = new Tick(position, items[i].Label);
        }
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plottable.ValueLabelStyle.FontName = PlotFonts.FamilyFor(bars.Select(b => b.Label));
        plottable.ValueLabelStyle.FontSize = 11;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Left.TickLabelStyle.FontName = PlotFonts.FamilyFor(items.Select(b => b.Label));
        plot.Axes.Left.TickLabelStyle.FontSize = 11;
        plot.Grid.YAxisStyle.MajorLineStyle.Width = 0;
    }

    /// <summary>
    /// Draws the cells that have a shade or a text as filled squares (row 0 on top) with their text, and the
    /// labels as axis ticks. Empty cells stay white, so a sparse grid makes a small SVG.
    /// </summary>
    private static void AddHeatmap(Plot plot, HeatmapData heatmap)
    {
        heatmap.Validate();
        int rows = heatmap.RowLabels.Count, columns = heatmap.ColumnLabels.Count;
        // Text shrinks with the grid: the cells are about 14 to 40 pixels wide.
        float textSize = Math.Max(7f, Math.Min(12f, 240f / Math.Max(rows, columns)));
        for (int i = 0; i < rows; i++)
        {
            double y = rows - 1 - i;
            for (int j = 0; j < columns; j++)
            {
                double shade = heatmap.Shade[i * columns + j];
                string text = heatmap.CellText[i * columns + j];
                if (shade == 0 && text.Length == 0) continue;
                var cell = plot.Add.Rectangle(j - 0.5, j + 0.5, y - 0.5, y + 0.5);
                cell.FillColor = Shade(shade);
                cell.LineWidth = 0;
                if (text.Length == 0) continue;
                var label = plot.Add.Text(text, j, y);
                label.LabelFontName = PlotFonts.FamilyFor(text);
                label.LabelFontSize = textSize;
                label.LabelFontColor = shade > 0.55 ? Colors.White : Colors.Black;
                label.LabelAlignment = Alignment.MiddleCenter;
            }
        }
        var left = new Tick[rows];
        for (int i = 0; i < rows; i++) left[i] = new Tick(rows - 1 - i, heatmap.RowLabels[i]);
        var bottom = new Tick[columns];
        for (int j = 0; j < columns; j++) bottom[j] = new Tick(j, heatmap.ColumnLabels[j]);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(left);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(bottom);
        plot.Axes.Left.TickLabelStyle.FontName = PlotFonts.FamilyFor(heatmap.RowLabels);
        plot.Axes.Bottom.TickLabelStyle.FontName = PlotFonts.FamilyFor(heatmap.ColumnLabels);
        plot.Axes.Left.TickLabelStyle.FontSize = textSize + 1;
        plot.Axes.Bottom.TickLabelStyle.FontSize = textSize + 1;
        plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        // Rotated labels are not measured by the layout: reserve their length (DejaVu Sans is about 0.62 em a character) and the axis title.
        int longest = heatmap.ColumnLabels.Count == 0 ? 0 : heatmap.ColumnLabels.Max(l => l.Length);
        plot.Axes.Bottom.MinimumSize = 0.62f * (textSize + 1) * longest + 40;
        plot.Grid.IsVisible = false;
    }

    /// <summary>White to dark blue (the "Blues" ramp): 0 is white, 1 is #08306B.</summary>
    private static Color Shade(double value)
    {
        static byte Mix(int from, int to, double t) => (byte)Math.Round(from + (to - from) * t);
        double t = Math.Clamp(value, 0, 1);
        return new Color(Mix(0xF7, 0x08, t), Mix(0xFB, 0x30, t), Mix(0xFF, 0x6B, t));
    }

    /// <summary>
    /// Ticks at a round step for an axis spanning <paramref name="span"/>, labelled with the invariant
    /// culture's numbers: a chart reads "0.9" whatever the host's number format (ScottPlot's default labels
    /// follow the current culture).
    /// </summary>
    private static ScottPlot.TickGenerators.NumericFixedInterval FixedTicks(double span) => new(RoundStep(span))
    {
        LabelFormatter = value => Math.Round(value, 9).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A round tick interval (1, 2 or 5 times a power of ten) giving ten to twelve ticks over <paramref name="span"/>.</summary>
    internal static double RoundStep(double span)
    {
        if (!(span > 0) || !double.IsFinite(span)) return 1;
        double raw = span / 12;
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double mantissa = raw / power;
        double nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
        return nice * power;
    }
}
