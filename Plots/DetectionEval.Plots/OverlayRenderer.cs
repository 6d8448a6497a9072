using OpenCvSharp;

namespace DetectionEval.Plots;

/// <summary>What a box on an overlay is, which sets its colour.</summary>
public enum OverlayKind
{
    /// <summary>A detection that found an object: green.</summary>
    TruePositive,

    /// <summary>A detection that found nothing (or a duplicate): red.</summary>
    FalsePositive,

    /// <summary>An object no detection found: blue.</summary>
    FalseNegative,

    /// <summary>An ignored (difficult) object, or a detection on one: grey.</summary>
    Ignored,
}

/// <summary>One box to draw, in image pixels.</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
/// <param name="Kind">What it is.</param>
/// <param name="Caption">Text drawn at the box, e.g. "person 0.87".</param>
public sealed record OverlayBox(double X, double Y, double Width, double Height, OverlayKind Kind, string Caption);

/// <summary>
/// Draws boxes on a photo with OpenCV: TP green, FP red, FN blue, ignored grey, each with its caption
/// placed by <see cref="LabelPlacement"/> so no label covers another, and a strip below the photo with the legend and a caller-given title. Input and output are encoded
/// image bytes, so the caller decides where files come from and go.
/// </summary>
public static class OverlayRenderer
{
    /// <summary>BGR colours by kind.</summary>
    private static Scalar ColorOf(OverlayKind kind) => kind switch
    {
        OverlayKind.TruePositive => new Scalar(40, 170, 40),
        OverlayKind.FalsePositive => new Scalar(40, 40, 220),
        OverlayKind.FalseNegative => new Scalar(220, 110, 20),
        _ => new Scalar(150, 150, 150),
    };

    /// <summary>Draws <paramref name="boxes"/> on the encoded image and returns a JPEG.</summary>
    /// <param name="image">The photo, as file bytes (JPEG, PNG, BMP ...).</param>
    /// <param name="boxes">Boxes to draw; ground truth first looks best, detections on top.</param>
    /// <param name="title">Text for the strip below the photo (image name, counts).</param>
    /// <exception cref="ArgumentException">The bytes are not an image OpenCV can decode.</exception>
    /// <exception cref="OpenCvUnavailableException">OpenCV's native library cannot be loaded on this machine.</exception>
    public static byte[] Draw(byte[] image, IReadOnlyList<OverlayBox> boxes, string title)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(boxes);
        OpenCvRuntime.EnsureLoaded();
        using Mat photo = Cv2.ImDecode(image, ImreadModes.Color);
        if (photo.Empty()) throw new ArgumentException("The bytes are not an image OpenCV can decode.", nameof(image));

        // Lines and text grow with the image so they stay readable on large photos.
        double scale = Math.Max(1.0, Math.Min(photo.Width, photo.Height) / 500.0);
        int thickness = (int)Math.Round(2 * scale);
        double fontScale = 0.5 * scale;
        int textThickness = Math.Max(1, (int)Math.Round(scale));
        int line = (int)Math.Round(26 * scale);
        // The legend and the title share one line below the photo when they fit, else the title gets its own.
        int legendWidth = LegendWidth(line, fontScale, textThickness);
        int titleWidth = Cv2.GetTextSize(title, HersheyFonts.HersheySimplex, fontScale, textThickness, out _).Width;
        bool oneLine = legendWidth + 8 + titleWidth <= photo.Cols - 6;
        int strip = oneLine ? line : 2 * line;

        using var canvas = new Mat(photo.Rows + strip, photo.Cols, MatType.CV_8UC3, Scalar.White);
        using (Mat top = canvas[new Rect(0, 0, photo.Cols, photo.Rows)]) photo.CopyTo(top);

        // Boxes first, then every label over all of them, so no box line runs through a label.
        OverlayBox[] ordered = [.. boxes.OrderBy(b => DrawOrder(b.Kind))];
        foreach (OverlayBox box in ordered) DrawBox(canvas, photo.Size(), box, thickness);
        DrawLabels(canvas, photo.Size(), boxes, thickness, fontScale, textThickness);
        DrawLegend(canvas, photo.Rows, line, fontScale, textThickness);
        Point titleAt = oneLine
            ? new Point(legendWidth + 8, photo.Rows + (int)(line * 0.7))
            : new Point(6, photo.Rows + line + (int)(line * 0.7));
        Cv2.PutText(canvas, title, titleAt, HersheyFonts.HersheySimplex, fontScale, Scalar.Black, textThickness, LineTypes.AntiAlias);

        Cv2.ImEncode(".jpg", canvas, out byte[] jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, 92));
        return jpeg;
    }

    /// <summary>Ignored first, then misses, then detections: what matters most is drawn last, on top.</summary>
    private static int DrawOrder(OverlayKind kind) => kind switch
    {
        OverlayKind.Ignored => 0,
        OverlayKind.FalseNegative => 1,
        OverlayKind.TruePositive => 2,
        _ => 3,
    };

    private static void DrawBox(Mat canvas, Size photo, OverlayBox box, int thickness)
    {
        PixelRect r = PixelBox(box, photo);
        LineTypes line = box.Kind == OverlayKind.Ignored ? LineTypes.Link4 : LineTypes.AntiAlias;
        Cv2.Rectangle(canvas, new Point(r.X, r.Y), new Point(r.Right, r.Bottom), ColorOf(box.Kind), thickness, line);
    }

    /// <summary>The box in whole pixels, inside the photo (its right and bottom edges are the last pixels drawn).</summary>
    private static PixelRect PixelBox(OverlayBox box, Size photo)
    {
        int x1 = Clamp(box.X, photo.Width - 1), y1 = Clamp(box.Y, photo.Height - 1);
        int x2 = Clamp(box.X + box.Width, photo.Width - 1), y2 = Clamp(box.Y + box.Height, photo.Height - 1);
        return new PixelRect(x1, y1, x2 - x1, y2 - y1);
    }

    /// <summary>The smaller font a label falls back to when the normal one does not fit at its box.</summary>
    private const double SmallFont = 0.75;

    /// <summary>
    /// Which labels get their place first: a detection that found its object, then the other detections
    /// (in a cluster of duplicates the match keeps its usual spot), then misses, then ignored objects.
    /// </summary>
    private static int LabelOrder(OverlayKind kind) => kind switch
    {
        OverlayKind.TruePositive => 0,
        OverlayKind.FalsePositive => 1,
        OverlayKind.FalseNegative => 2,
        _ => 3,
    };

    /// <summary>
    /// Places every caption with <see cref="LabelPlacement"/> (in <see cref="LabelOrder"/>)
    /// and draws leader lines, then the labels: a filled box in the kind's colour with white text.
    /// </summary>
    private static void DrawLabels(Mat canvas, Size photo, IReadOnlyList<OverlayBox> boxes, int thickness, double fontScale, int textThickness)
    {
        int pad = Math.Max(2, thickness);
        OverlayBox[] captioned = [.. boxes.Where(b => b.Caption.Length > 0).OrderBy(b => LabelOrder(b.Kind))];
        LabelRequest[] requests = [.. captioned.Select(b =>
        {
            Size normal = LabelSize(b.Caption, fontScale, textThickness, pad), small = LabelSize(b.Caption, fontScale * SmallFont, textThickness, pad);
            LabelAnchor anchor = b.Kind is OverlayKind.FalseNegative or OverlayKind.Ignored ? LabelAnchor.InsideBottom : LabelAnchor.AboveTop;
            return new LabelRequest(PixelBox(b, photo), normal.Width, normal.Height, small.Width, small.Height, anchor);
        })];
        IReadOnlyList<PlacedLabel?> placed = LabelPlacement.Place(requests, photo.Width, photo.Height);
        for (int i = 0; i < captioned.Length; i++)
        {
            if (placed[i] is { Leader: { } l })
            {
                Scalar color = ColorOf(captioned[i].Kind);
                Cv2.Line(canvas, new Point(l.FromX, l.FromY), new Point(l.ToX, l.ToY), color, Math.Max(1, thickness / 2), LineTypes.AntiAlias);
                Cv2.Circle(canvas, new Point(l.ToX, l.ToY), thickness + 1, color, -1, LineTypes.AntiAlias);
            }
        }
        for (int i = 0; i < captioned.Length; i++)
        {
            if (placed[i] is not { } p) continue;
            double scale = p.Small ? fontScale * SmallFont : fontScale;
            Size text = Cv2.GetTextSize(captioned[i].Caption, HersheyFonts.HersheySimplex, scale, textThickness, out _);
            PixelRect r = p.Label;
            Cv2.Rectangle(canvas, new Rect(r.X, r.Y, r.Width, r.Height), ColorOf(captioned[i].Kind), -1);
            Cv2.PutText(canvas, captioned[i].Caption, new Point(r.X + pad, r.Y + pad / 2 + text.Height), HersheyFonts.HersheySimplex, scale, Scalar.White, textThickness, LineTypes.AntiAlias);
        }
    }

    /// <summary>A caption's label: the text with <paramref name="pad"/> pixels around it and room below for descenders.</summary>
    private static Size LabelSize(string caption, double fontScale, int textThickness, int pad)
    {
        Size text = Cv2.GetTextSize(caption, HersheyFonts.HersheySimplex, fontScale, textThickness, out int baseline);
        return new Size(text.Width + 2 * pad, text.Height + baseline + pad);
    }

    private static readonly (string Name, OverlayKind Kind)[] LegendEntries =
        [("TP", OverlayKind.TruePositive), ("FP", OverlayKind.FalsePositive), ("FN", OverlayKind.FalseNegative), ("ignored", OverlayKind.Ignored)];

    /// <summary>Draws the colour legend at the left of the strip; returns where it ends.</summary>
    private static int DrawLegend(Mat canvas, int y, int line, double fontScale, int textThickness)
    {
        int x = 6;
        int swatch = (int)(line * 0.5);
        foreach ((string name, OverlayKind kind) in LegendEntries)
        {
            Cv2.Rectangle(canvas, new Rect(x, y + (line - swatch) / 2, swatch, swatch), ColorOf(kind), -1);
            x += swatch + 4;
            Cv2.PutText(canvas, name, new Point(x, y + (int)(line * 0.7)), HersheyFonts.HersheySimplex, fontScale, Scalar.Black, textThickness, LineTypes.AntiAlias);
            x += Cv2.GetTextSize(name, HersheyFonts.HersheySimplex, fontScale, textThickness, out _).Width + 12;
        }
        return x;
    }

    private static int LegendWidth(int line, double fontScale, int textThickness)
    {
        int x = 6;
        foreach ((string name, _) in LegendEntries)
        {
            x += (int)(line * 0.5) + 4 + Cv2.GetTextSize(name, HersheyFonts.HersheySimplex, fontScale, textThickness, out _).Width + 12;
        }
        return x;
    }

    private static int Clamp(double value, int max) => (int)Math.Round(Math.Clamp(value, 0, max));
}
