using System.Globalization;
using System.Xml.Linq;
using DetectionEval.Plots;

namespace DetectionEval.Plots.Tests;

public class SvgChartWriterTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static ChartModel Model() => Charts.ClassPrecisionRecall(
        "person: precision / recall",
        new PrSeries("raw (4 detections, 3 positives)", [1 / 3.0, 1 / 3.0, 2 / 3.0, 1.0], [1.0, 0.5, 2 / 3.0, 0.75], [0.9, 0.8, 0.7, 0.6]),
        new PrSeries("interpolated envelope, AP 0.833", [0.0, 1 / 3.0, 1 / 3.0, 1.0], [1.0, 1.0, 0.75, 0.75], []));

    [Fact]
    public void The_svg_is_well_formed_and_shows_the_title_axis_labels_and_legend()
    {
        XDocument svg = XDocument.Parse(SvgChartWriter.Write(Model()));
        Assert.Equal(Svg + "svg", svg.Root!.Name);
        Assert.Equal("800", svg.Root.Attribute("width")!.Value);
        string[] texts = [.. svg.Descendants(Svg + "text").Select(t => t.Value)];
        Assert.Contains("person: precision / recall", texts);
        Assert.Contains("Recall", texts);
        Assert.Contains("Precision", texts);
        Assert.Contains("raw (4 detections, 3 positives)", texts);
        Assert.Contains("interpolated envelope, AP 0.833", texts);
        Assert.Contains("0.5", texts);
    }

    [Fact]
    public void Each_line_is_a_polyline_through_its_points_in_pixels()
    {
        XDocument svg = XDocument.Parse(SvgChartWriter.Write(Model()));
        XElement[] lines = [.. svg.Descendants(Svg + "polyline")];
        Assert.Equal(2, lines.Length);
        Assert.Equal("#1F77B4", lines[0].Attribute("stroke")!.Value);
        Assert.Equal("#FF7F0E", lines[1].Attribute("stroke")!.Value);
        (double X, double Y)[] envelope = [.. lines[1].Attribute("points")!.Value.Split(' ').Select(p => p.Split(',')).Select(p => (Parse(p[0]), Parse(p[1])))];
        // The envelope's steps survive simplification: (0, 1) -> (1/3, 1) -> (1/3, 0.75) -> (1, 0.75).
        Assert.Equal(4, envelope.Length);
        Assert.Equal(envelope[1].X, envelope[2].X);
        Assert.Equal(envelope[0].Y, envelope[1].Y);
        Assert.True(envelope[2].Y > envelope[1].Y, "lower precision is further down the picture");
    }

    [Fact]
    public void A_long_noisy_line_thinned_in_the_model_is_written_with_the_few_points_a_screen_can_show()
    {
        var random = new Random(3);
        double[] x = [.. Enumerable.Range(0, 50_000).Select(i => i / 50_000.0)];
        double[] y = [.. x.Select(v => 1 - v + random.NextDouble() * 1e-5)];
        var model = new ChartModel("t", "x", "y", [new LineSeries("line", x, y, SeriesStyle.Line, "#000000")], [], [], new AxisRange(0, 1, 0, 1), 800, 600);
        XElement line = XDocument.Parse(SvgChartWriter.Write(PointThinning.Thin(model))).Descendants(Svg + "polyline").Single();
        int points = line.Attribute("points")!.Value.Split(' ').Length;
        Assert.InRange(points, 2, 50);
    }

    [Fact]
    public void The_html_form_has_no_namespace_and_scales_with_a_view_box()
    {
        string svg = SvgChartWriter.Write(Model(), "c7", forHtml: true);
        Assert.StartsWith("<svg viewBox=\"0 0 800 600\"", svg);
        Assert.DoesNotContain("xmlns", svg);
        Assert.Contains("id=\"c7-area\"", svg);
        Assert.Contains("url(#c7-area)", svg);
    }

    [Fact]
    public void The_text_does_not_depend_on_the_current_cultures_number_format()
    {
        // A host application with a decimal comma and another minus sign must still get SVG numbers.
        string invariant = SvgChartWriter.Write(Model());
        Assert.Equal(invariant, DecimalCommaHost.Run(() => SvgChartWriter.Write(Model())));
        Assert.Contains("0.5", invariant);
    }

    [Fact]
    public void The_grey_band_is_drawn_behind_the_lines_and_listed_after_them_and_each_line_ends_in_a_dot()
    {
        PrSeries[] curves = [.. Enumerable.Range(0, 3).Select(i => new PrSeries($"class {i}", [0.0, 1.0], [1.0, 0.5 - i / 10.0], []))];
        XDocument svg = XDocument.Parse(SvgChartWriter.Write(Charts.ManyPrecisionRecall("All classes", curves, coloured: 1)));

        XElement[] shapes = [.. svg.Descendants().Where(e => e.Name == Svg + "polygon" || e.Name == Svg + "polyline")];
        Assert.Equal([Svg + "polygon", Svg + "polyline"], shapes.Select(e => e.Name));
        Assert.Equal(Charts.OtherFill, shapes[0].Attribute("fill")!.Value);
        string[] texts = [.. svg.Descendants(Svg + "text").Select(t => t.Value)];
        Assert.True(Array.IndexOf(texts, "class 0") < Array.IndexOf(texts, "2 other classes"), "the band is listed after the coloured line");
        Assert.Contains(svg.Descendants(Svg + "rect"), r => r.Attribute("fill")?.Value == Charts.OtherFill);
        (double X, double Y) last = shapes[1].Attribute("points")!.Value.Split(' ').Select(p => p.Split(',')).Select(p => (Parse(p[0]), Parse(p[1]))).Last();
        Assert.Contains(svg.Descendants(Svg + "circle"), c => Parse(c.Attribute("cx")!.Value) == last.X && Parse(c.Attribute("cy")!.Value) == last.Y);
    }

    [Fact]
    public void Bars_show_their_labels_values_and_colours()
    {
        ChartModel bars = Charts.Bars("AP per class", "AP", [new BarItem("dog", 0.75), new BarItem("cat & co", 0.5) { Text = "half", Color = "#D62728" }]);
        XDocument svg = XDocument.Parse(SvgChartWriter.Write(bars));
        string[] texts = [.. svg.Descendants(Svg + "text").Select(t => t.Value)];
        Assert.Contains("dog", texts);
        Assert.Contains("cat & co", texts);
        Assert.Contains("0.750", texts);
        Assert.Contains("half", texts);
        Assert.Contains(svg.Descendants(Svg + "rect"), r => r.Attribute("fill")?.Value == "#D62728");
    }

    [Fact]
    public void Heatmaps_are_left_to_the_scottplot_renderer()
    {
        var withCells = new ChartModel("m", "x", "y", [], [], [], new AxisRange(0, 1, 0, 1), 400, 400)
        {
            Heatmap = new HeatmapData(["a"], ["b"], [0.5], ["1"]),
        };
        Assert.Throws<ArgumentException>(() => SvgChartWriter.Write(withCells));
    }

    private static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public void Coordinates_appended_in_place_read_exactly_as_the_rounded_text()
    {
        var random = new Random(7);
        var values = new List<double> { 0, -0.0, 0.005, -0.005, 0.015, 1.005, 2.675, -2.675, 0.004, -0.004, 99.995, 1234.565, 1e13, -1e13, 1e300, double.NaN, double.PositiveInfinity };
        for (int i = 0; i < 20_000; i++)
        {
            values.Add((random.NextDouble() - 0.3) * Math.Pow(10, random.Next(-3, 6)));
            values.Add(random.Next(-100_000, 100_000) / 1000.0 + 0.0005 * random.Next(0, 2));
        }
        foreach (double value in values)
        {
            var text = new System.Text.StringBuilder();
            SvgChartWriter.AppendNumber(text, value);
            Assert.Equal(SvgChartWriter.N(value), text.ToString());
        }
    }
}
