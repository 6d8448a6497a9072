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
/// Draws boxes on a photo with OpenCV: TP green, FP red, FN blue, ignored grey, each with its caption,
/// and a strip below the photo with the legend and a caller-given title. Input and output are encoded
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

        foreach (OverlayBox box in boxes.OrderBy(b => DrawOrder(b.Kind))) DrawBox(canvas, photo.Size(), box, thickness, fontScale, textThickness);
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

    private static void DrawBox(Mat canvas, Size photo, OverlayBox box, int thickness, double fontScale, int textThickness)
    {
        Scalar color = ColorOf(box.Kind);
        int x1 = Clamp(box.X, photo.Width - 1), y1 = Clamp(box.Y, photo.Height - 1);
        int x2 = Clamp(box.X + box.Width, photo.Width - 1), y2 = Clamp(box.Y + box.Height, photo.Height - 1);
        LineTypes line = box.Kind == OverlayKind.Ignored ? LineTypes.Link4 : LineTypes.AntiAlias;
        Cv2.Rectangle(canvas, new Point(x1, y1), new Point(x2, y2), color, thickness, line);
        if (box.Caption.Length == 0) return;

        Size text = Cv2.GetTextSize(box.Caption, HersheyFonts.HersheySimplex, fontScale, textThickness, out int baseline);
        int pad = Math.Max(2, thickness);
        int labelHeight = text.Height + baseline + pad;
        int top;
        if (box.Kind is OverlayKind.FalseNegative or OverlayKind.Ignored)
        {
            // Ground truth is labelled inside its bottom edge, so a detection's label on the same object
            // (above its top edge) does not cover it.
            top = Math.Max(y1, y2 - labelHeight);
        }
        else
        {
            // Detections are labelled above the box when there is room, else just inside its top edge.
            top = y1 - labelHeight >= 0 ? y1 - labelHeight : y1;
        }
        int left = Math.Min(x1, Math.Max(0, photo.Width - text.Width - 2 * pad));
        Cv2.Rectangle(canvas, new Rect(left, top, text.Width + 2 * pad, labelHeight), color, -1);
        Cv2.PutText(canvas, box.Caption, new Point(left + pad, top + text.Height + pad / 2), HersheyFonts.HersheySimplex, fontScale, Scalar.White, textThickness, LineTypes.Link8);
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
