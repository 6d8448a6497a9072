using System.Xml.Linq;
using DetectionEval.Plots;
using SkiaSharp;

namespace DetectionEval.Plots.Tests;

public class RenderingTests
{
    private static ChartModel Model() => Charts.ClassPrecisionRecall(
        "person: precision / recall",
        new PrSeries("raw (4 detections, 3 positives)", [1 / 3.0, 1 / 3.0, 2 / 3.0, 1.0], [1.0, 0.5, 2 / 3.0, 0.75], [0.9, 0.8, 0.7, 0.6]),
        new PrSeries("interpolated envelope, AP 0.833", [0.0, 1 / 3.0, 1 / 3.0, 1.0], [1.0, 1.0, 0.75, 0.75], []));

    [Fact]
    public void A_png_is_a_decodable_image_of_the_models_size()
    {
        byte[] png = ChartRenderer.RenderPng(Model());

        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        using SKBitmap bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal(800, bitmap.Width);
        Assert.Equal(600, bitmap.Height);
    }

    [Fact]
    public void Charts_drawn_in_parallel_give_the_png_bytes_of_one_drawn_alone()
    {
        // The reports draw their charts in parallel (ReportPipeline): fonts, typefaces and ScottPlot's state
        // are shared between the threads, and must not leak from one picture into another.
        byte[] alone = ChartRenderer.RenderPng(Model());
        byte[][] together = new byte[8][];
        Parallel.For(0, together.Length, i => together[i] = ChartRenderer.RenderPng(Model()));

        Assert.All(together, png => Assert.Equal(alone, png));
    }

    [Fact]
    public void Titles_are_drawn_with_the_bundled_fonts()
    {
        // Without a usable font Skia draws lines but no text: the title band would stay white.
        using SKBitmap bitmap = SKBitmap.Decode(ChartRenderer.RenderPng(Model()));
        int dark = 0;
        for (int y = 0; y < 30; y++)
        {
            for (int x = 200; x < 600; x++)
            {
                if (bitmap.GetPixel(x, y).Red < 100) dark++;
            }
        }
        Assert.True(dark > 200, $"the title band has only {dark} dark pixels");
    }

    [Fact]
    public void An_svg_is_well_formed_xml_with_the_titles_and_labels_as_text()
    {
        string svg = ChartRenderer.RenderSvg(Model());

        XDocument document = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", document.Root!.Name);
        Assert.Equal("800", document.Root.Attribute("width")!.Value);
        Assert.Equal("600", document.Root.Attribute("height")!.Value);
        string[] texts = [.. document.Descendants(ns + "text").Select(t => t.Value.Trim())];
        Assert.Contains("person: precision / recall", texts);
        Assert.Contains("Recall", texts);
        Assert.Contains("interpolated envelope, AP 0.833", texts);
    }

    [Fact]
    public void The_same_svg_drawn_again_after_others_and_in_parallel_is_the_same_text()
    {
        string first = ChartRenderer.RenderSvg(Model());
        string[] again = new string[8];
        Parallel.For(0, again.Length, i => again[i] = ChartRenderer.RenderSvg(Model()));
        Assert.All(again, svg => Assert.Equal(first, svg));
        Assert.Contains("id=\"clip0\"", first);
        Assert.Contains("url(#clip0)", first);
    }

    [Fact]
    public void The_svg_does_not_depend_on_the_current_cultures_number_format()
    {
        // A host application with a decimal comma and another minus sign must still get SVG numbers.
        string invariant = ChartRenderer.RenderSvg(Model());
        Assert.Equal(invariant, DecimalCommaHost.Run(() => ChartRenderer.RenderSvg(Model())));
        Assert.Contains("0.5", invariant);
    }

    [Fact]
    public void Drawn_once_after_the_layout_is_settled_a_chart_is_what_scottplot_draws_by_itself()
    {
        PrSeries[] curves = [.. Enumerable.Range(0, 14).Select(i => new PrSeries($"class {i}", [0.0, 0.3, 0.3, 1.0], [1.0, 1.0 - i / 30.0, 0.6 - i / 30.0, 0.2], []))];
        ChartModel[] models =
        [
            Model(),
            Charts.ManyPrecisionRecall("All classes", curves),
            Charts.Confidence("F1 vs confidence", new ConfidenceSeries([0.9, 0.7, 0.4], [1.0, 2.0 / 3, 0.5], [0.25, 0.5, 0.75], [0.4, 4.0 / 7, 0.6], (0.4, 0.6), "best F1 0.600 at 0.4")),
            Charts.Bars("AP per class", "AP", [new BarItem("sofa", 0.9), new BarItem("bed", 0.5)]),
            Charts.Heatmap("Confusion", "predicted", "true", new HeatmapData(["a", "b"], ["a", "b"], [1, 0.2, 0, 0.5], ["9", "2", "", "5"])),
        ];
        foreach (ChartModel model in models)
        {
            using SKBitmap ours = SKBitmap.Decode(ChartRenderer.RenderPng(model));
            using SKBitmap scottPlots = SKBitmap.Decode(ChartRenderer.ToPlot(model).GetImageBytes(model.Width, model.Height, ScottPlot.ImageFormat.Png));
            Assert.Equal(scottPlots.Pixels, ours.Pixels);
            Assert.Equal(ChartRenderer.NumberIdsInOrder(ChartRenderer.ToPlot(model).GetSvgXml(model.Width, model.Height)), ChartRenderer.RenderSvg(model));
        }
    }

    [Fact]
    public void Svg_ids_are_renamed_in_order_with_every_reference()
    {
        string svg = "<svg><clipPath id=\"cl_e\"/><clipPath id=\"cl_3\"/><g clip-path=\"url(#cl_3)\"><use href=\"#cl_e\"/></g></svg>";
        Assert.Equal(
            "<svg><clipPath id=\"clip0\"/><clipPath id=\"clip1\"/><g clip-path=\"url(#clip1)\"><use href=\"#clip0\"/></g></svg>",
            ChartRenderer.NumberIdsInOrder(svg));
    }
}
