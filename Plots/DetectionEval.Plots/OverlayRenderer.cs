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
public sealed record OverlayBox(double X, double Y, double Width, double Height, OverlayKind Kind, string Caption)
{
    /// <summary>The object's mask, drawn as a translucent fill with an outline; null for none.</summary>
    public OverlayMask? Mask { get; init; }

    /// <summary>Whether the box is drawn when there is a mask (a box evaluation next to a mask one); without a mask it always is.</summary>
    public bool BoxWithMask { get; init; }

    /// <summary>The object's keypoints, drawn with their skeleton over the box; null for none.</summary>
    public OverlayKeypoints? Keypoints { get; init; }
}

/// <summary>A mask cut to its bounding rectangle: <paramref name="Pixels"/> row by row, non-zero inside.</summary>
/// <param name="Left">Column of the rectangle's first pixel in the image.</param>
/// <param name="Top">Row of the rectangle's first pixel in the image.</param>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Pixels"><paramref name="Width"/> × <paramref name="Height"/> bytes, row-major.</param>
public sealed record OverlayMask(int Left, int Top, int Width, int Height, byte[] Pixels);

/// <summary>Keypoints and the limbs between them.</summary>
/// <param name="Points">Flat (x, y, v) triples in image pixels; a point is drawn when v &gt; 0, as COCO's showAnns does.</param>
/// <param name="Limbs">Pairs of point indices counted from 0; a limb is drawn when both its points are.</param>
public sealed record OverlayKeypoints(double[] Points, IReadOnlyList<(int From, int To)> Limbs);

/// <summary>
/// Draws boxes on a photo with OpenCV: TP green, FP red, FN blue, ignored grey, each with its caption
/// (a mask as a translucent fill with an outline instead of its box; keypoints as points and limbs),
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

        // Mask fills first (each blends with what is under it), then outlines, boxes and skeletons, then every
        // label over all of them, so no line runs through a label.
        OverlayBox[] ordered = [.. boxes.OrderBy(b => DrawOrder(b.Kind))];
        foreach (OverlayBox box in ordered)
        {
            if (box.Mask is { } mask) FillMask(canvas, photo.Size(), mask, ColorOf(box.Kind));
        }
        foreach (OverlayBox box in ordered)
        {
            if (box.Mask is { } mask) OutlineMask(canvas, photo.Size(), mask, ColorOf(box.Kind), Math.Max(1, thickness));
            if (box.Mask is null || box.BoxWithMask) DrawBox(canvas, photo.Size(), box, box.Mask is null ? thickness : Math.Max(1, thickness / 2));
            if (box.Keypoints is { } keypoints) DrawKeypoints(canvas, keypoints, ColorOf(box.Kind), thickness);
        }
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

    /// <summary>How much of a mask's colour shows over the photo.</summary>
    private const double MaskOpacity = 0.4;

    /// <summary>The part of a mask's rectangle inside the photo; empty when none is.</summary>
    private static Rect Visible(OverlayMask mask, Size photo) =>
        new Rect(mask.Left, mask.Top, mask.Width, mask.Height).Intersect(new Rect(0, 0, photo.Width, photo.Height));

    /// <summary>The mask's pixels as an 8-bit single-channel Mat over its whole rectangle (the caller disposes it).</summary>
    private static Mat MaskMat(OverlayMask mask)
    {
        if (mask.Pixels.Length != mask.Width * mask.Height) throw new ArgumentException("A mask's pixels are its width times its height.", nameof(mask));
        var mat = new Mat(mask.Height, mask.Width, MatType.CV_8UC1);
        mat.SetArray(mask.Pixels);
        return mat;
    }

    /// <summary>Blends the kind's colour into the photo under the mask's pixels.</summary>
    private static void FillMask(Mat canvas, Size photo, OverlayMask mask, Scalar color)
    {
        Rect visible = Visible(mask, photo);
        if (visible.Width <= 0 || visible.Height <= 0) return;
        using Mat whole = MaskMat(mask);
        using Mat inside = whole[new Rect(visible.X - mask.Left, visible.Y - mask.Top, visible.Width, visible.Height)];
        using Mat region = canvas[visible];
        using var paint = new Mat(visible.Height, visible.Width, MatType.CV_8UC3, color);
        using var blended = new Mat();
        Cv2.AddWeighted(region, 1 - MaskOpacity, paint, MaskOpacity, 0, blended);
        blended.CopyTo(region, inside);
    }

    /// <summary>Draws the outer and inner borders of the mask's regions in the kind's colour.</summary>
    private static void OutlineMask(Mat canvas, Size photo, OverlayMask mask, Scalar color, int thickness)
    {
        if (mask.Width == 0 || mask.Height == 0) return;
        using Mat whole = MaskMat(mask);
        Cv2.FindContours(whole, out Point[][] contours, out _, RetrievalModes.CComp, ContourApproximationModes.ApproxSimple, new Point(mask.Left, mask.Top));
        using Mat photoPart = canvas[new Rect(0, 0, photo.Width, photo.Height)];
        Cv2.Polylines(photoPart, contours, isClosed: true, color, thickness, LineTypes.AntiAlias);
    }

    /// <summary>Limbs between drawn points, then the points: filled in the kind's colour with a white rim.</summary>
    private static void DrawKeypoints(Mat canvas, OverlayKeypoints keypoints, Scalar color, int thickness)
    {
        double[] p = keypoints.Points;
        int count = p.Length / 3;
        bool Drawn(int k) => k >= 0 && k < count && p[(3 * k) + 2] > 0;
        Point At(int k) => new((int)Math.Round(p[3 * k]), (int)Math.Round(p[(3 * k) + 1]));
        foreach ((int from, int to) in keypoints.Limbs)
        {
            if (Drawn(from) && Drawn(to)) Cv2.Line(canvas, At(from), At(to), color, thickness, LineTypes.AntiAlias);
        }
        int radius = thickness + 2;
        for (int k = 0; k < count; k++)
        {
            if (!Drawn(k)) continue;
            Cv2.Circle(canvas, At(k), radius, color, -1, LineTypes.AntiAlias);
            Cv2.Circle(canvas, At(k), radius, Scalar.White, 1, LineTypes.AntiAlias);
        }
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
