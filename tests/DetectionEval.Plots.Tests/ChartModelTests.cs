using DetectionEval.Plots;
using ScottPlot;
using ScottPlot.Plottables;

namespace DetectionEval.Plots.Tests;

public class ChartModelTests
{
    private static readonly PrSeries Raw = new("raw (3 detections, 2 positives)", [0.5, 0.5, 1.0], [1.0, 0.5, 2.0 / 3.0], [0.9, 0.8, 0.7]);
    private static readonly PrSeries Envelope = new("interpolated envelope, AP 0.833", [0.0, 0.5, 0.5, 1.0], [1.0, 1.0, 2.0 / 3.0, 2.0 / 3.0], []);

    [Fact]
    public void A_class_chart_holds_the_raw_curve_and_the_envelope_with_their_labels()
    {
        ChartModel model = Charts.ClassPrecisionRecall("dog: precision / recall", Raw, Envelope);

        Assert.Equal("dog: precision / recall", model.Title);
        Assert.Equal("Recall", model.XLabel);
        Assert.Equal("Precision", model.YLabel);
        Assert.Equal(["raw (3 detections, 2 positives)", "interpolated envelope, AP 0.833"], model.LegendEntries);
        Assert.Equal(Raw.Recall, model.Series[0].X);
        Assert.Equal(Raw.Precision, model.Series[0].Y);
        Assert.Equal(SeriesStyle.LineAndMarkers, model.Series[0].Style);
        Assert.Equal(Envelope.Recall, model.Series[1].X);
        Assert.Equal(Envelope.Precision, model.Series[1].Y);
    }

    [Fact]
    public void The_ScottPlot_plot_carries_the_models_title_axis_labels_legend_and_values()
    {
        Plot plot = ChartRenderer.ToPlot(Charts.ClassPrecisionRecall("dog: precision / recall", Raw, Envelope));

        Assert.Equal("dog: precision / recall", plot.Axes.Title.Label.Text);
        Assert.Equal("Recall", plot.Axes.Bottom.Label.Text);
        Assert.Equal("Precision", plot.Axes.Left.Label.Text);
        Assert.Equal(["raw (3 detections, 2 positives)", "interpolated envelope, AP 0.833"], plot.Legend.GetItems().Select(i => i.LabelText));
        Scatter[] lines = [.. plot.GetPlottables<Scatter>()];
        Assert.Equal(2, lines.Length);
        Assert.Equal(Raw.Recall.Zip(Raw.Precision), lines[0].Data.GetScatterPoints().Select(c => (c.X, c.Y)));
        Assert.Equal(Envelope.Recall.Zip(Envelope.Precision), lines[1].Data.GetScatterPoints().Select(c => (c.X, c.Y)));
        Assert.Equal(PlotFonts.Family, plot.Axes.Title.Label.FontName);
    }

    [Fact]
    public void Curves_past_the_coloured_ones_are_grey_under_one_legend_entry()
    {
        PrSeries[] curves = [.. Enumerable.Range(0, 23).Select(i => new PrSeries($"class {i}", [0.0, 1.0], [1.0, i / 23.0], []))];

        ChartModel model = Charts.ManyPrecisionRecall("All classes", curves, coloured: 20);

        Assert.Equal(23, model.Series.Count);
        Assert.Equal(21, model.LegendEntries.Count);
        Assert.Equal("3 other classes", model.LegendEntries[0]);
        Assert.Equal("class 0", model.LegendEntries[1]);
        Assert.All(model.Series.Take(3), s => Assert.Equal(Charts.Other, s.Color));
        Assert.Equal(Charts.Palette[0], model.Series[3].Color);
        Assert.Equal([1.0, 22 / 23.0], model.Series[0].Y);
    }

    [Fact]
    public void The_confidence_chart_draws_f1_precision_recall_and_marks_the_best_point()
    {
        var data = new ConfidenceSeries([0.9, 0.7, 0.4], [1.0, 2.0 / 3, 0.5], [0.25, 0.5, 0.75], [0.4, 4.0 / 7, 0.6], (0.4, 0.6), "best F1 0.600 at 0.4");

        ChartModel model = Charts.Confidence("F1 vs confidence", data);
        Plot plot = ChartRenderer.ToPlot(model);

        Assert.Equal("Confidence", model.XLabel);
        Assert.Equal(["F1", "Precision", "Recall", "best F1 0.600 at 0.4"], model.LegendEntries);
        Assert.Equal(data.F1, model.Series[0].Y);
        Assert.Equal(data.Confidence, model.Series[0].X);
        Marker marker = Assert.Single(plot.GetPlottables<Marker>());
        Assert.Equal(new Coordinates(0.4, 0.6), marker.Location);
        Assert.Equal("best F1 0.600 at 0.4", marker.LegendText);
    }

    [Fact]
    public void Bars_are_drawn_top_down_with_their_names_as_ticks()
    {
        ChartModel model = Charts.Bars("AP per class", "AP", [new BarItem("sofa", 0.9), new BarItem("bed", 0.5), new BarItem("tap", 0.0)]);
        Plot plot = ChartRenderer.ToPlot(model);

        _ = plot.GetImageBytes(model.Width, model.Height, ImageFormat.Png); // ticks are laid out when drawn
        BarPlot bars = Assert.Single(plot.GetPlottables<BarPlot>());
        Assert.Equal([0.9, 0.5, 0.0], bars.Bars.OrderByDescending(b => b.Position).Select(b => b.Value));
        Tick[] ticks = [.. ((ScottPlot.TickGenerators.NumericManual)plot.Axes.Left.TickGenerator).Ticks];
        Assert.Equal(["sofa", "bed", "tap"], ticks.OrderByDescending(t => t.Position).Select(t => t.Label));
        Assert.Equal("AP", model.XLabel);
    }

    [Fact]
    public void Mismatched_series_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Charts.ClassPrecisionRecall("t", new PrSeries("x", [0.1, 0.2], [1.0], []), Envelope));
    }

    [Fact]
    public void Long_curves_are_thinned_to_what_a_picture_shows_keeping_both_ends()
    {
        double[] x = [.. Enumerable.Range(0, 100_000).Select(i => i / 99_999.0)];
        double[] y = [.. x.Select(v => 1 - v)];

        (double[] tx, double[] ty) = ChartRenderer.Thin(x, y, 0.0005);

        Assert.InRange(tx.Length, 1000, 2100);
        Assert.Equal(0.0, tx[0]);
        Assert.Equal(1.0, tx[^1]);
        Assert.Equal(0.0, ty[^1]);
    }
}
