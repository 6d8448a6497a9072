using DetectionEval.Plots;
using ScottPlot;
using SkiaSharp;

namespace DetectionEval.Plots.Tests;

public sealed class HeatmapTests
{
    private static HeatmapData Grid() => new(
        ["person", "dog", "background"],
        ["person", "dog", "background"],
        [0.9, 0, 0.1, 0, 0.5, 0.5, 1, 0, 0],
        ["9", "", "1", "", "1", "1", "2", "", ""]);

    [Fact]
    public void A_heatmap_draws_one_square_per_cell_with_a_shade_or_text_and_its_labels_as_ticks()
    {
        ChartModel model = Charts.Heatmap("Confusion matrix", "Detected class", "Ground-truth class", Grid());

        Plot plot = ChartRenderer.ToPlot(model);

        Assert.Equal(5, plot.GetPlottables().OfType<ScottPlot.Plottables.Rectangle>().Count());
        Assert.Equal(["9", "1", "1", "1", "2"], plot.GetPlottables().OfType<ScottPlot.Plottables.Text>().Select(t => t.LabelText));
        // Row 0 is drawn on top: its tick has the highest position. (Ticks exist once the plot is laid out.)
        plot.GetSvgXml(model.Width, model.Height);
        Tick[] left = plot.Axes.Left.TickGenerator.Ticks;
        Assert.Equal("person", left.MaxBy(t => t.Position).Label);
        Assert.Equal(["person", "dog", "background"], plot.Axes.Bottom.TickGenerator.Ticks.OrderBy(t => t.Position).Select(t => t.Label));
    }

    [Fact]
    public void A_heatmap_renders_as_png_and_svg()
    {
        ChartModel model = Charts.Heatmap("Confusion matrix", "Detected class", "Ground-truth class", Grid());

        using SKBitmap bitmap = SKBitmap.Decode(ChartRenderer.RenderPng(model));
        Assert.Equal((model.Width, model.Height), (bitmap.Width, bitmap.Height));
        Assert.Contains("background", ChartRenderer.RenderSvg(model));
    }

    [Fact]
    public void A_heatmap_with_the_wrong_number_of_cells_or_a_shade_outside_zero_to_one_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Charts.Heatmap("t", "x", "y", Grid() with { Shade = [0.5] }));
        Assert.Throws<ArgumentException>(() => Charts.Heatmap("t", "x", "y", Grid() with { Shade = [1.5, 0, 0, 0, 0, 0, 0, 0, 0] }));
    }

    [Fact]
    public void Bars_write_their_own_text_in_their_own_colour()
    {
        ChartModel model = Charts.Bars("TIDE", "dAP", [new BarItem("Cls", 2.5) { Text = "2.50 (3 errors)", Color = "#D62728" }], headroom: 1.5);

        var bars = ChartRenderer.ToPlot(model).GetPlottables().OfType<ScottPlot.Plottables.BarPlot>().Single().Bars;
        Assert.Equal("2.50 (3 errors)", bars[0].Label);
        Assert.Equal(Color.FromHex("#D62728"), bars[0].FillColor);
        Assert.Equal(2.5 * 1.5, model.Range.XMax);
    }
}
