using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace DetectionEval.Plots;

/// <summary>
/// The fonts every chart is drawn with: DejaVu Sans regular and bold, shipped inside this assembly, so a
/// chart never depends on the fonts a machine has installed (Skia reads /usr/share/fonts otherwise, and
/// with none there all text silently vanishes). Titles and axis labels are bold, hence both faces.
/// <para>
/// Each face comes twice: whole, and cut down to Latin-1 and common punctuation (Fonts/make-latin1-subsets.sh),
/// with the same outlines, metrics and hints, so both draw the same pixels and name the same family in an
/// SVG. Skia's SVG canvas builds the whole font's glyph-to-character table for every piece of text it
/// writes: with the 6,000 glyphs of the whole face that was most of the time of an SVG chart, with the 280
/// of the cut one it is a small part. <see cref="FamilyFor(string)"/> picks the cut face for text it can show and
/// the whole one for any other (a class named in Greek or Cyrillic).
/// </para>
/// </summary>
public static class PlotFonts
{
    /// <summary>The family name charts use: the whole faces.</summary>
    public const string Family = "DejaVu Sans";

    /// <summary>The name under which ScottPlot finds the Latin-1 faces; in a drawing they are <see cref="Family"/>.</summary>
    public const string Latin1Family = "DejaVu Sans (Latin-1)";

    private static readonly Lazy<EmbeddedFontResolver> Resolver = new(() =>
    {
        var resolver = new EmbeddedFontResolver(
            new Faces(Load("DejaVuSans.ttf"), Load("DejaVuSans-Bold.ttf")),
            new Faces(Load("DejaVuSans-Latin1.ttf"), Load("DejaVuSans-Bold-Latin1.ttf")));
        Fonts.FontResolvers.Insert(0, resolver);
        Fonts.Default = Family;
        Fonts.Sans = Family;
        return resolver;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Registers the faces with ScottPlot once per process; later calls do nothing.</summary>
    public static void Register() => _ = Resolver.Value;

    /// <summary>The family to set <paramref name="text"/> in: <see cref="Latin1Family"/> when it has every character, else <see cref="Family"/>.</summary>
    public static string FamilyFor(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Faces latin1 = Resolver.Value.Latin1;
        return latin1.Regular.ContainsGlyphs(text) && latin1.Bold.ContainsGlyphs(text) ? Latin1Family : Family;
    }

    /// <summary>The family that can set every one of <paramref name="texts"/> (a legend, an axis's tick labels).</summary>
    public static string FamilyFor(IEnumerable<string> texts) => FamilyFor(string.Concat(texts));

    /// <summary>The typeface ScottPlot gets for <paramref name="family"/>, for tests.</summary>
    internal static SKTypeface? Typeface(string family, bool bold) => Resolver.Value.CreateTypeface(family, bold, italic: false);

    private static SKTypeface Load(string file)
    {
        string name = $"DetectionEval.Plots.Fonts.{file}";
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded font {name} is missing from the assembly.");
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"The embedded font {name} cannot be read.");
    }

    private sealed record Faces(SKTypeface Regular, SKTypeface Bold);

    /// <summary>Answers ScottPlot's font requests for <see cref="Family"/> and <see cref="Latin1Family"/> with the embedded faces.</summary>
    private sealed class EmbeddedFontResolver(Faces whole, Faces latin1) : IFontResolver
    {
        public Faces Latin1 => latin1;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => FacesOf(fontName) is { } faces ? (bold ? faces.Bold : faces.Regular) : null;

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            CreateTypeface(fontName, (int)weight >= (int)FontWeight.SemiBold, italic: false);

        private Faces? FacesOf(string fontName) => fontName switch
        {
            Family => whole,
            Latin1Family => latin1,
            _ => null,
        };
    }
}
