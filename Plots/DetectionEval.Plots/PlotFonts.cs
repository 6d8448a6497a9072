using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace DetectionEval.Plots;

/// <summary>
/// The fonts every chart is drawn with: DejaVu Sans regular and bold, shipped inside this assembly, so a
/// chart never depends on the fonts a machine has installed (Skia reads /usr/share/fonts otherwise, and
/// with none there all text silently vanishes). Titles and axis labels are bold, hence both faces.
/// </summary>
public static class PlotFonts
{
    /// <summary>The family name charts use.</summary>
    public const string Family = "DejaVu Sans";

    private static readonly Lazy<EmbeddedFontResolver> Resolver = new(() =>
    {
        var resolver = new EmbeddedFontResolver(Load("DejaVuSans.ttf"), Load("DejaVuSans-Bold.ttf"));
        Fonts.FontResolvers.Insert(0, resolver);
        Fonts.Default = Family;
        Fonts.Sans = Family;
        return resolver;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Registers both faces with ScottPlot once per process; later calls do nothing.</summary>
    public static void Register() => _ = Resolver.Value;

    private static SKTypeface Load(string file)
    {
        string name = $"DetectionEval.Plots.Fonts.{file}";
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded font {name} is missing from the assembly.");
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"The embedded font {name} cannot be read.");
    }

    /// <summary>Answers ScottPlot's font requests for <see cref="Family"/> with the embedded faces.</summary>
    private sealed class EmbeddedFontResolver(SKTypeface regular, SKTypeface bold) : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold1, bool italic) =>
            fontName == Family ? (bold1 ? bold : regular) : null;

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            fontName == Family ? ((int)weight >= (int)FontWeight.SemiBold ? bold : regular) : null;
    }
}
