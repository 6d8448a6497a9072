using System.Xml.Linq;
using DetectionEval.Plots;
using SkiaSharp;

namespace DetectionEval.Plots.Tests;

public class PlotFontsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_latin1_faces_draw_the_same_pixels_as_the_whole_faces(bool bold)
    {
        const string text = "person: precision / recall (AP 0.612) Äö é ± × – “quoted” …";

        Assert.Equal(PlotFonts.Latin1Family, PlotFonts.FamilyFor(text));
        Assert.Equal(Draw(PlotFonts.Family, bold, text), Draw(PlotFonts.Latin1Family, bold, text));
    }

    [Fact]
    public void Text_the_latin1_faces_cannot_set_gets_the_whole_faces()
    {
        Assert.Equal(PlotFonts.Latin1Family, PlotFonts.FamilyFor("traffic light"));
        Assert.Equal(PlotFonts.Family, PlotFonts.FamilyFor("кошка"));
        Assert.Equal(PlotFonts.Family, PlotFonts.FamilyFor(["dog", "γάτα"]));
    }

    [Fact]
    public void An_svg_names_one_family_for_both_faces_and_keeps_text_beyond_latin1()
    {
        ChartModel model = Charts.ClassPrecisionRecall(
            "кошка: precision / recall",
            new PrSeries("raw (2 detections, 1 positive)", [1.0, 1.0], [1.0, 0.5], []),
            new PrSeries("interpolated envelope, AP 1.000", [0.0, 1.0], [1.0, 1.0], []));

        XDocument svg = XDocument.Parse(ChartRenderer.RenderSvg(model));

        XElement[] texts = [.. svg.Descendants(XNamespace.Get("http://www.w3.org/2000/svg") + "text")];
        Assert.Equal(["DejaVu Sans"], texts.Select(t => t.Attribute("font-family")?.Value).Distinct());
        Assert.Contains("кошка: precision / recall", texts.Select(t => t.Value.Trim()));
        Assert.Contains("raw (2 detections, 1 positive)", texts.Select(t => t.Value.Trim()));
    }

    private static uint[] Draw(string family, bool bold, string text)
    {
        PlotFonts.Register();
        using var bitmap = new SKBitmap(900, 40);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(PlotFonts.Typeface(family, bold), 14);
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(text, 4, 28, SKTextAlign.Left, font, paint);
        return [.. bitmap.Pixels.Select(p => (uint)p)];
    }
}
