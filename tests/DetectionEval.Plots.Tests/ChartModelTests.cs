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
        Assert.Equal(PlotFonts.Latin1Family, plot.Axes.Title.Label.FontName);
    }

    [Fact]
    public void The_best_curves_get_distinct_colours_and_the_rest_one_grey_band_listed_after_them()
    {
        PrSeries[] curves = [.. Enumerable.Range(0, 23).Select(i => new PrSeries($"class {i}", [0.0, 1.0], [1.0, i / 23.0], []))];

        ChartModel model = Charts.ManyPrecisionRecall("All classes", curves, coloured: 10);

        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"class {i}"), "13 other classes"], model.LegendEntries);
        Assert.Equal(Charts.Distinct, model.Series.Select(s => s.Color));
        Assert.Equal(10, Charts.Distinct.Distinct().Count());
        Assert.All(model.Series, s => Assert.Equal(SeriesStyle.LineEndingInDot, s.Style));
        BandSeries band = Assert.Single(model.Bands);
        Assert.Equal(Charts.OtherFill, band.Fill);
        // Classes 10 to 22 end at recall 1 with precisions 10/23 to 22/23: the band spans them there.
        Assert.Equal(10 / 23.0, band.Lower[^1], 3);
        Assert.Equal(22 / 23.0, band.Upper[^1], 3);
        Assert.Equal(1.0, band.Upper[0], 3);
    }

    [Fact]
    public void A_curve_on_the_many_curve_chart_ends_at_its_last_non_zero_precision_without_a_drop_to_zero()
    {
        // An envelope as PrecisionEnvelope writes it: steps, then precision 0 from the highest recall to 1.
        var envelope = new PrSeries("dog (0.45)", [0.0, 0.5, 0.5, 0.6, 0.6, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0, 0.0], []);

        ChartModel model = Charts.ManyPrecisionRecall("All classes", [envelope]);

        Assert.Equal([0.0, 0.5, 0.5, 0.6], model.Series[0].X);
        Assert.Equal([1.0, 1.0, 0.5, 0.5], model.Series[0].Y);
        Assert.Empty(model.Bands);
    }

    [Fact]
    public void The_grey_band_runs_from_the_lowest_to_the_highest_curve_that_reaches_each_recall_as_steps()
    {
        (double[], double[])[] curves = [([0.0, 0.5], [1.0, 1.0]), ([0.0, 1.0], [0.4, 0.4])];

        BandSeries band = Assert.Single(Charts.RangeBands("2 other classes", curves));

        Assert.Equal("2 other classes", band.Label);
        Assert.Equal([0.0, 0.5, 0.5, 1.0], band.X, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal([0.4, 0.4, 0.4, 0.4], band.Lower);
        Assert.Equal([1.0, 1.0, 0.4, 0.4], band.Upper);
    }

    [Fact]
    public void Recalls_no_grey_curve_reaches_split_the_band_and_only_the_first_piece_is_in_the_legend()
    {
        (double[], double[])[] curves = [([0.0, 0.2], [0.9, 0.9]), ([0.6, 1.0], [0.3, 0.3])];

        BandSeries[] bands = Charts.RangeBands("2 other classes", curves);

        Assert.Equal(2, bands.Length);
        Assert.Equal(["2 other classes", null], bands.Select(b => b.Label));
        Assert.Equal(0.2, bands[0].X[^1], 3);
        Assert.Equal(0.6, bands[1].X[0], 3);
    }

    [Fact]
    public void The_scottplot_chart_draws_the_band_behind_the_lines_and_lists_it_after_them()
    {
        PrSeries[] curves = [.. Enumerable.Range(0, 3).Select(i => new PrSeries($"class {i}", [0.0, 1.0], [1.0, 0.5 - i / 10.0], []))];
        ChartModel model = Charts.ManyPrecisionRecall("All classes", curves, coloured: 1);

        Plot plot = ChartRenderer.ToPlot(model);

        Assert.Equal(["class 0", "2 other classes"], plot.Legend.GetItems().Select(i => i.LabelText));
        IPlottable[] drawn = [.. plot.GetPlottables()];
        Assert.IsType<Polygon>(drawn[0]);
        Assert.IsType<Scatter>(drawn[1]);
        // The line ends in a dot on its last point.
        Marker end = Assert.Single(plot.GetPlottables<Marker>());
        Assert.Equal(new Coordinates(1.0, 0.5), end.Location);
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
        Assert.Equal(model.LegendEntries, plot.Legend.GetItems().Select(i => i.LabelText));
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
}
