using System.Globalization;
using System.Text;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * YOLO txt (darknet, ultralytics): a folder of <stem>.txt, one per image, read in file-name order; lines
 * "class cx cy w h" for ground truth and "class cx cy w h confidence" for predictions (ultralytics
 * save_conf). Numbers are fractions of the image size, each in [0, 1]; the box is
 * x = cx*W - w*W/2, width w*W (the c02 rendering rule, see BoxLayout). Class indices become names
 * through the class list (--names, or the classes.txt in the folder); without one the index is the
 * class. The image size comes from --image-sizes or --images; a box on an image without a known size
 * is an input error, never a guess. The images listed there without a label file are images without
 * objects (ultralytics' background images). YOLO has no difficult or crowd flag.
 * Segmentation lines (ultralytics' YOLO-seg) are "class x1 y1 x2 y2 ... xn yn", 3 points or more as
 * fractions, and the confidence last for predictions; the field count tells them from boxes (5 or 6).
 * They are objects given as polygons (PolygonShapes). With WriteOptions.Polygons the writer writes them,
 * an object of several parts joined into one outline as ultralytics' convert_coco does.
 */

/// <summary>YOLO txt labels and predictions.</summary>
internal sealed class YoloFormat : IAnnotationFormat
{
    private const string GroundTruthShape = "5 fields '<class> <cx> <cy> <w> <h>', or a segmentation line '<class> <x1> <y1> <x2> <y2> <x3> <y3> ...'";
    private const string PredictionShape = "6 fields '<class> <cx> <cy> <w> <h> <confidence>', or a segmentation line '<class> <x1> <y1> ... <x3> <y3> <confidence>' (ultralytics save_conf)";
    private static readonly string[] FieldNames = ["cx", "cy", "w", "h"];

    public AnnotationFormat Format => AnnotationFormat.Yolo;

    public bool IsFolder => true;

    public bool Supports(AnnotationRole role) => true;

    public void ReadGroundTruth(string path, GroundTruthSink sink)
    {
        List<AnnotationFiles.Entry> files = AnnotationFiles.List(path, ".txt");
        // Class lookups repeat on every line; the sink (and the location it needs for errors) only sees new indices.
        var classes = new Dictionary<long, int>();
        foreach (AnnotationFiles.Entry file in files)
        {
            using LineReader reader = LineReader.Open(file.Path, file.DisplayName, sink.Options.Cancellation, sink.Options.Progress);
            ReadGroundTruthFile(reader, file.Stem, sink, classes);
        }
        if (sink.Options.ImageSizes is { } sizes) sink.AddImagesOf(sizes);
        if (sink.ImageCount == 0) AnnotationFiles.RequireSome(files, path, "YOLO .txt label files");
    }

    /// <summary>Reads the label file of the image named <paramref name="stem"/>; <paramref name="classes"/> caches the class indices seen.</summary>
    internal static void ReadGroundTruthFile(LineReader reader, string stem, GroundTruthSink sink, Dictionary<long, int> classes)
    {
        var fields = new Range[16];
        Span<double> values = stackalloc double[4];
        int image = sink.Image(stem);
        ImageSize? size = null;
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            int count = SplitAll(line, ref fields);
            if (count == 0) continue;
            if (count != 5 && count < 7) throw reader.Error(GroundTruthShape, Fields.Count(count));
            long classIndex = ClassIndex(reader, line, fields[0]);
            if (!classes.TryGetValue(classIndex, out int cls))
            {
                cls = sink.ClassOfIndex(classIndex, Where(reader, line, fields[0]));
                classes.Add(classIndex, cls);
            }
            size ??= sink.SizeOf(image, Where(reader, line, fields[0]));
            if (count == 5) sink.Add(image, cls, ReadBox(reader, line, fields, values, size.Value));
            else sink.AddPolygons(image, cls, [ReadPolygon(reader, line, fields.AsSpan(1, count - 1), size.Value, "")]);
        }
    }

    /// <summary>Splits a line into <paramref name="fields"/>, growing it for long segmentation lines; returns the field count.</summary>
    private static int SplitAll(ReadOnlySpan<byte> line, ref Range[] fields)
    {
        int count = Fields.Split(line, fields);
        if (count <= fields.Length) return count;
        fields = new Range[count];
        return Fields.Split(line, fields);
    }

    /// <summary>
    /// Reads a segmentation line's x y pairs (fractions of the image's width and height, ultralytics' format)
    /// into pixels. <paramref name="after"/> names what follows the pairs in the line, for the message.
    /// </summary>
    private static double[] ReadPolygon(LineReader reader, ReadOnlySpan<byte> line, ReadOnlySpan<Range> coordinates, ImageSize size, string after)
    {
        if (PolygonShapes.PolygonProblem(coordinates.Length) is { } found)
        {
            throw reader.Error($"{PolygonShapes.PolygonShape} after the class{after}", found, Fields.Column(line, coordinates[0]));
        }
        var polygon = new double[coordinates.Length];
        for (int i = 0; i < polygon.Length; i++)
        {
            string name = (i % 2 == 0 ? "x" : "y") + ((i / 2) + 1).ToString(CultureInfo.InvariantCulture);
            double value = Fields.Number(reader, line, coordinates[i], name);
            if (!(value >= 0 && value <= 1))
            {
                throw reader.Error($"{name} in [0, 1] (a fraction of the image's {(i % 2 == 0 ? "width" : "height")})", BoxLayout.Number(value), Fields.Column(line, coordinates[i]));
            }
            polygon[i] = value * (i % 2 == 0 ? size.Width : size.Height);
            if (PolygonShapes.CoordinateProblem(polygon[i]) is { } far)
            {
                throw reader.Error($"{PolygonShapes.CoordinateRange} ({name} times the image's {(i % 2 == 0 ? "width" : "height")})", far, Fields.Column(line, coordinates[i]));
            }
        }
        return polygon;
    }

    public void ReadPredictions(string path, PredictionSink sink)
    {
        var categories = new Dictionary<long, int>();
        foreach (AnnotationFiles.Entry file in AnnotationFiles.List(path, ".txt"))
        {
            using LineReader reader = LineReader.Open(file.Path, file.DisplayName, sink.Options.Cancellation, sink.Options.Progress);
            ReadPredictionsFile(reader, file.Stem, sink, categories);
        }
    }

    /// <summary>Reads the predictions file of the image named <paramref name="stem"/>; <paramref name="categories"/> caches the class indices seen.</summary>
    internal static void ReadPredictionsFile(LineReader reader, string stem, PredictionSink sink, Dictionary<long, int> categories)
    {
        var fields = new Range[16];
        Span<double> values = stackalloc double[4];
        int image = -1;
        ImageSize size = default;
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            int count = SplitAll(line, ref fields);
            if (count == 0) continue;
            if (count != 6 && count < 8) throw reader.Error(PredictionShape, Fields.Count(count));
            if (image < 0)
            {
                // Resolved at the first box, so that an empty file needs no image.
                image = sink.Image(stem, new SourceLocation(reader.DisplayName, reader.LineNumber));
                size = sink.SizeOf(image, new SourceLocation(reader.DisplayName, reader.LineNumber));
            }
            long classIndex = ClassIndex(reader, line, fields[0]);
            // Known classes are cached; an unknown one goes to the sink every time, which counts it.
            int? category = categories.TryGetValue(classIndex, out int known) ? known : sink.ClassOfIndex(classIndex, Where(reader, line, fields[0]));
            if (category is int found) categories.TryAdd(classIndex, found);
            if (count == 6)
            {
                Box box = ReadBox(reader, line, fields, values, size);
                double score = Fields.Number(reader, line, fields[5], "the confidence");
                if (category is int k) sink.Add(image, k, box, score);
            }
            else
            {
                // ultralytics save_txt with save_conf: the class, the polygon's x y pairs, the confidence last.
                double[] polygon = ReadPolygon(reader, line, fields.AsSpan(1, count - 2), size, " and before the confidence");
                double score = Fields.Number(reader, line, fields[count - 1], "the confidence");
                if (category is int k) sink.AddPolygons(image, k, [polygon], score);
            }
        }
    }

    private static SourceLocation Where(LineReader reader, ReadOnlySpan<byte> line, Range field) =>
        new(reader.DisplayName, reader.LineNumber, Fields.Column(line, field));

    private static long ClassIndex(LineReader reader, ReadOnlySpan<byte> line, Range field)
    {
        ReadOnlySpan<byte> text = line[field];
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long index)) return index;
        throw reader.Error("a class index, a whole number of 0 or more", Fields.Quote(text), Fields.Column(line, field));
    }

    private static Box ReadBox(LineReader reader, ReadOnlySpan<byte> line, Span<Range> fields, Span<double> values, ImageSize size)
    {
        for (int i = 0; i < 4; i++) values[i] = Fields.Number(reader, line, fields[1 + i], FieldNames[i]);
        if (BoxLayout.TryToBox(BoxFormat.Cxcywh, values, size, out Box box, out BoxLayout.Problem problem)) return box;
        throw reader.Error(problem.Expected, problem.Found, Fields.Column(line, fields[1 + problem.Field]));
    }

    public void Write(Dataset dataset, AnnotationRole role, string path, WriteOptions options)
    {
        var view = new DatasetView(dataset);
        string[] stems = view.UniqueStems(path);
        var texts = new string[stems.Length];
        int flagged = 0, rle = 0;
        Span<double> values = stackalloc double[4];
        var text = new StringBuilder();
        ReadOnlySpan<ObjectShape?> shapes = role == AnnotationRole.GroundTruth ? dataset.GroundTruth.Shapes : dataset.Detections.Shapes;
        // ultralytics reads a label file as boxes or as segments, not both: with polygons asked for and
        // present, every object is a segmentation line (a box as its four corners, pycocotools' box polygon).
        bool segments = options.Polygons && AnyPolygons(shapes);
        for (int image = 0; image < stems.Length; image++)
        {
            text.Clear();
            if (role == AnnotationRole.GroundTruth)
            {
                GroundTruthTable gt = dataset.GroundTruth;
                foreach (int row in view.GroundTruthOfImage[image])
                {
                    if (gt.Flags[row] != GroundTruthFlags.None) flagged++;
                    if (segments && PolygonShapes.PolygonsOf(shapes, row) is null && PolygonShapes.HasMask(shapes, row)) rle++;
                    AppendLine(text, gt.Categories[row], gt.Boxes[row], segments ? PolygonShapes.PolygonsOf(shapes, row) : null, segments, null, view, image, options, path, values);
                }
            }
            else
            {
                DetectionTable dt = dataset.Detections;
                foreach (int row in view.DetectionsOfImage[image])
                {
                    if (segments && PolygonShapes.PolygonsOf(shapes, row) is null && PolygonShapes.HasMask(shapes, row)) rle++;
                    AppendLine(text, dt.Categories[row], dt.Boxes[row], segments ? PolygonShapes.PolygonsOf(shapes, row) : null, segments, dt.Scores[row], view, image, options, path, values);
                }
            }
            texts[image] = text.ToString();
        }
        if (flagged > 0) options.Notice?.Invoke($"{path}: {Counting.Of(flagged, "difficult or crowd box")} written as {(flagged == 1 ? "an ordinary box" : "ordinary boxes")} (YOLO has no such flags)");
        if (rle > 0) options.Notice?.Invoke($"{path}: {Counting.Of(rle, "mask")} given as RLE written as {(rle == 1 ? "its box's polygon" : "their boxes' polygons")} (YOLO holds polygons only)");
        AtomicFolder.Write(path, folder =>
        {
            for (int image = 0; image < stems.Length; image++) File.WriteAllText(Path.Combine(folder, stems[image] + ".txt"), texts[image], new UTF8Encoding(false));
            VocXmlFormat.WriteClassList(folder, dataset);
        }, options.Replace);
    }

    private static bool AnyPolygons(ReadOnlySpan<ObjectShape?> shapes)
    {
        for (int row = 0; row < shapes.Length; row++)
        {
            if (shapes[row]?.Polygons is not null) return true;
        }
        return false;
    }

    private static void AppendLine(StringBuilder text, int category, Box box, IReadOnlyList<double[]>? polygons, bool segments, double? score,
        DatasetView view, int image, WriteOptions options, string path, Span<double> values)
    {
        ImageSize size = view.RequireSize(image, options.ImageSizes, path);
        // The class index is the category's position: classes.txt lists the categories in that order.
        text.Append(category.ToString(CultureInfo.InvariantCulture));
        if (segments)
        {
            double[] points = polygons is null ? [box.X, box.Y, box.X, box.Y2, box.X2, box.Y2, box.X2, box.Y]
                : polygons.Count == 1 ? polygons[0]
                : JoinParts(polygons);
            for (int i = 0; i < points.Length; i++)
            {
                double value = points[i] / (i % 2 == 0 ? size.Width : size.Height);
                if (!(value >= 0 && value <= 1))
                {
                    throw new AnnotationFormatException(new SourceLocation(path), $"polygons inside their image for YOLO's fractions (image '{view.ImageName(image)}')",
                        $"{(i % 2 == 0 ? "x" : "y")} = {BoxLayout.Number(points[i])} of {(i % 2 == 0 ? size.Width : size.Height)} pixels");
                }
                text.Append(' ').Append(BoxLayout.Number(value));
            }
        }
        else
        {
            DatasetView.Numbers(BoxFormat.Cxcywh, box, size, values, path, $"image '{view.ImageName(image)}'");
            for (int i = 0; i < 4; i++) text.Append(' ').Append(BoxLayout.Number(values[i]));
        }
        if (score is double s) text.Append(' ').Append(BoxLayout.Number(s));
        text.Append('\n');
    }

    /// <summary>
    /// One polygon from an object's several parts, as ultralytics' convert_coco writes them (merge_multi_segment):
    /// neighbouring parts are joined at their closest vertices and the outline walks there and back, so
    /// the one line holds every part. The joins are lines of no width; the raster can differ along them.
    /// </summary>
    internal static double[] JoinParts(IReadOnlyList<double[]> parts)
    {
        int n = parts.Count;
        var segments = new (double X, double Y)[n][];
        for (int i = 0; i < n; i++)
        {
            segments[i] = new (double, double)[parts[i].Length / 2];
            for (int j = 0; j < segments[i].Length; j++) segments[i][j] = (parts[i][2 * j], parts[i][(2 * j) + 1]);
        }
        var joins = new List<int>[n];
        for (int i = 0; i < n; i++) joins[i] = [];
        for (int i = 1; i < n; i++)
        {
            (int a, int b) = ClosestVertices(segments[i - 1], segments[i]);
            joins[i - 1].Add(a);
            joins[i].Add(b);
        }
        var walk = new List<(double X, double Y)>();
        // Forward: each part from its join, closed; the middle parts only up to their second join.
        for (int i = 0; i < n; i++)
        {
            List<int> idx = joins[i];
            int first = idx[0], second = idx.Count == 2 ? idx[1] : 0;
            if (idx.Count == 2 && first > second)
            {
                // As ultralytics does: the part is reversed and the two indices swapped (not re-indexed).
                (first, second) = (second, first);
                Array.Reverse(segments[i]);
            }
            segments[i] = Roll(segments[i], first);
            if (i == 0 || i == n - 1) walk.AddRange(segments[i]);
            else walk.AddRange(segments[i].AsSpan(0, second - first + 1));
        }
        // Back: the rest of each middle part, last to first.
        for (int i = n - 1; i >= 0; i--)
        {
            if (i == 0 || i == n - 1) continue;
            int skip = Math.Abs(joins[i][1] - joins[i][0]);
            walk.AddRange(segments[i].AsSpan(skip));
        }
        var flat = new double[walk.Count * 2];
        for (int j = 0; j < walk.Count; j++) (flat[2 * j], flat[(2 * j) + 1]) = walk[j];
        return flat;
    }

    /// <summary>numpy's roll by <c>-shift</c>, then the first point again at the end (the part closed).</summary>
    private static (double X, double Y)[] Roll((double X, double Y)[] points, int shift)
    {
        var rolled = new (double X, double Y)[points.Length + 1];
        for (int j = 0; j < points.Length; j++) rolled[j] = points[(j + shift) % points.Length];
        rolled[^1] = rolled[0];
        return rolled;
    }

    /// <summary>The first pair (in row-major order) of vertices of <paramref name="a"/> and <paramref name="b"/> at the least squared distance.</summary>
    private static (int A, int B) ClosestVertices((double X, double Y)[] a, (double X, double Y)[] b)
    {
        (int A, int B) best = (0, 0);
        double bestDistance = double.PositiveInfinity;
        for (int i = 0; i < a.Length; i++)
        {
            for (int j = 0; j < b.Length; j++)
            {
                double dx = a[i].X - b[j].X, dy = a[i].Y - b[j].Y;
                double d = (dx * dx) + (dy * dy);
                if (d < bestDistance)
                {
                    bestDistance = d;
                    best = (i, j);
                }
            }
        }
        return best;
    }
}
