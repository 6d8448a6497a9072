using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Masks;

namespace DetectionEval.Eval.Formats;

// Objects given as polygons by the formats that have no box for them (YOLO segmentation lines, LabelMe and
// CVAT polygon shapes). Rules, written once here:
//   box:   the polygons' bounding box, the min and max of their vertices (ultralytics' segments2boxes;
//          CVAT's and LabelMe's own exporters to COCO take the same extent);
//   mask:  the polygons rasterised at the image's size as pycocotools does (their union); none when the
//          image's size is unknown, as for COCO polygons on an image without "height" and "width";
//   area:  of ground truth, the mask's pixel count (what CVAT's datumaro and labelme2coco write into COCO's
//          "area"), or w*h of the box without a mask; a prediction's area is its box's, as for a COCO result
//          with a "bbox".

/// <summary>Boxes, masks and areas of objects that a format gives as polygons.</summary>
internal static class PolygonShapes
{
    /// <summary>The formats that hold polygons besides COCO json (one polygon per shape or line).</summary>
    public static bool HoldsPolygons(AnnotationFormat format) =>
        format is AnnotationFormat.Coco or AnnotationFormat.Yolo or AnnotationFormat.LabelMe or AnnotationFormat.Cvat;

    /// <summary>The bounding box of the polygons' vertices.</summary>
    /// <summary>
    /// Rule (labelme2coco, and CVAT's COCO export): polygons with the same label and group id are the parts of
    /// one object, which takes the place of its first part; <paramref name="join"/> adds a later part to it
    /// (its polygons after the first's, and whatever else the format keeps of both). Shapes without polygons or
    /// without a group (<paramref name="partOf"/> gives a null group) stay as they are, in order.
    /// </summary>
    public static List<T> GroupParts<T>(List<T> shapes, Func<T, (string Label, long? Group)?> partOf, Func<T, T, T> join)
    {
        var grouped = new List<T>(shapes.Count);
        var groups = new Dictionary<(string Label, long Group), int>();
        foreach (T shape in shapes)
        {
            if (partOf(shape) is not ({ } label, long group))
            {
                grouped.Add(shape);
                continue;
            }
            if (groups.TryGetValue((label, group), out int at))
            {
                grouped[at] = join(grouped[at], shape);
                continue;
            }
            groups.Add((label, group), grouped.Count);
            grouped.Add(shape);
        }
        return grouped;
    }

    /// <summary>The polygons of two parts of one object, the first's first, and their bounding box.</summary>
    public static (List<double[]> Polygons, Box Box) Joined(IReadOnlyList<double[]> first, IReadOnlyList<double[]> next)
    {
        List<double[]> parts = [.. first, .. next];
        return (parts, BoundingBox(parts));
    }

    public static Box BoundingBox(IReadOnlyList<double[]> polygons)
    {
        double x1 = double.PositiveInfinity, y1 = double.PositiveInfinity, x2 = double.NegativeInfinity, y2 = double.NegativeInfinity;
        foreach (double[] polygon in polygons)
        {
            for (int i = 0; i + 1 < polygon.Length; i += 2)
            {
                x1 = Math.Min(x1, polygon[i]);
                x2 = Math.Max(x2, polygon[i]);
                y1 = Math.Min(y1, polygon[i + 1]);
                y2 = Math.Max(y2, polygon[i + 1]);
            }
        }
        return Box.FromCorners(x1, y1, x2, y2);
    }

    /// <summary>The object's shape: its polygons, and their mask when the image's size is known.</summary>
    public static ObjectShape Shape(IReadOnlyList<double[]> polygons, ImageSize? size) =>
        new(size is ImageSize s ? PolygonRaster.FromPolygons(polygons, s.Height, s.Width) : null, null) { Polygons = polygons };

    /// <summary>A ground truth's area: its mask's pixel count, or its box's w*h without a mask.</summary>
    public static double GroundTruthArea(ObjectShape shape, Box box) => shape.Mask is { } mask ? mask.Area : box.Area;

    /// <summary>The polygons of a row, or null.</summary>
    public static IReadOnlyList<double[]>? PolygonsOf(ReadOnlySpan<ObjectShape?> shapes, int row) => shapes.IsEmpty ? null : shapes[row]?.Polygons;

    /// <summary>Whether a row has a mask (as polygons or RLE).</summary>
    public static bool HasMask(ReadOnlySpan<ObjectShape?> shapes, int row) => !shapes.IsEmpty && shapes[row] is { } s && (s.Mask is not null || s.Polygons is not null);

    /// <summary>Whether a row has keypoints.</summary>
    public static bool HasKeypoints(ReadOnlySpan<ObjectShape?> shapes, int row) => !shapes.IsEmpty && shapes[row]?.Keypoints is not null;

    /// <summary>
    /// Rule: a polygon has 3 points or more, as x y pairs. Returns null when <paramref name="coordinates"/>
    /// numbers make one, else what was found.
    /// </summary>
    public static string? PolygonProblem(int coordinates)
    {
        if (coordinates % 2 != 0) return $"{Counting.Of(coordinates, "coordinate")}, an odd number";
        if (coordinates < 6) return $"{Counting.Of(coordinates / 2, "point")}";
        return null;
    }

    /// <summary>
    /// The largest distance of a vertex from the image's origin, in pixels. The rasteriser walks every point
    /// of every edge on a grid five times finer than the pixels (pycocotools' rule), so a vertex far away
    /// costs memory in proportion; a million pixels is far beyond any image.
    /// </summary>
    public const double MaxCoordinate = 1_000_000;

    /// <summary>What <see cref="CoordinateProblem"/> expects.</summary>
    public const string CoordinateRange = "a polygon coordinate within ±1,000,000 pixels";

    /// <summary>Rule: a polygon's coordinate lies within <see cref="MaxCoordinate"/> of the origin; null when it does, else what was found.</summary>
    public static string? CoordinateProblem(double value) => Math.Abs(value) <= MaxCoordinate ? null : BoxLayout.Number(value);

    /// <summary>What <see cref="PolygonProblem"/> expects.</summary>
    public const string PolygonShape = "a polygon of 3 points or more, x y pairs";

    /// <summary>
    /// Tells the user, once per output, which masks and keypoints <paramref name="format"/> cannot hold or
    /// was not asked to write (<see cref="WriteOptions.Polygons"/>).
    /// </summary>
    public static void NoticeDropped(Dataset dataset, AnnotationRole role, AnnotationFormat format, string path, WriteOptions options)
    {
        if (options.Notice is null || format == AnnotationFormat.Coco) return;
        ReadOnlySpan<ObjectShape?> shapes = role == AnnotationRole.GroundTruth ? dataset.GroundTruth.Shapes : dataset.Detections.Shapes;
        int masks = 0, keypoints = 0;
        for (int row = 0; row < shapes.Length; row++)
        {
            if (HasMask(shapes, row)) masks++;
            if (HasKeypoints(shapes, row)) keypoints++;
        }
        string name = AnnotationFormats.Name(format);
        if (masks > 0 && !HoldsPolygons(format))
        {
            options.Notice($"{path}: the masks of {Counting.Of(masks, "object")} dropped ({name} holds boxes only)");
        }
        else if (masks > 0 && !options.Polygons)
        {
            options.Notice($"{path}: the masks of {Counting.Of(masks, "object")} dropped, their boxes written (add --polygons to write the polygons)");
        }
        if (keypoints > 0) options.Notice($"{path}: the keypoints of {Counting.Of(keypoints, "object")} dropped ({name} holds no keypoints)");
    }
}
