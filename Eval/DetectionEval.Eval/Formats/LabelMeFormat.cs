using System.Globalization;
using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * LabelMe json: a folder of <stem>.json, one per image, read in file-name order (streamed, like COCO).
 * Each "shapes" entry with "shape_type": "rectangle" is a box: "label" is the class, "points" its two
 * corners in any order (the box is Box.FromCorners of their min and max). A "polygon" (LabelMe's default
 * shape type) of 3 points or more is an object given as a polygon (PolygonShapes); polygons with the same
 * "label" and "group_id" are one object of several parts, as labelme2coco merges them. Other shapes
 * (points, lines, circles, masks) are skipped and counted in a notice. "flags": {"difficult": true} and {"iscrowd": true}
 * set those flags. Predictions carry a "score" per shape (the X-AnyLabeling convention). The image is
 * named by the file stem; "imagePath", "imageWidth" and "imageHeight" give its file name and size.
 */

/// <summary>LabelMe json (rectangle and polygon shapes).</summary>
internal sealed class LabelMeFormat : IAnnotationFormat
{
    public AnnotationFormat Format => AnnotationFormat.LabelMe;

    public bool IsFolder => true;

    public bool Supports(AnnotationRole role) => true;

    private sealed record Shape(string Label, Box Box, GroundTruthFlags Flags, double? Score, SourceLocation At, string? FilePath, long Offset)
    {
        /// <summary>The parts of a polygon object (flat x y pairs), or null for a rectangle.</summary>
        public List<double[]>? Polygons { get; init; }

        /// <summary>The shape's "group_id"; polygons with the same label and group are one object.</summary>
        public long? GroupId { get; init; }

        /// <summary>The shape's location with its line, which costs a second pass over the file: only for errors.</summary>
        public SourceLocation Located()
        {
            (int? line, int? column) = JsonStreamReader.LineAndColumnIn(FilePath, Offset);
            return At with { Line = line, Column = column };
        }

        /// <summary>Runs <paramref name="resolve"/>, giving its input errors the shape's line.</summary>
        public T WithLine<T>(Func<T> resolve)
        {
            try
            {
                return resolve();
            }
            catch (AnnotationFormatException e) when (e.Location.Line is null)
            {
                throw new AnnotationFormatException(Located(), e.Expected, e.Found, e.Hint, e);
            }
        }
    }

    private sealed record ImageFile(string? ImagePath, int? Width, int? Height, List<Shape> Shapes, int Skipped);

    public void ReadGroundTruth(string path, GroundTruthSink sink)
    {
        List<AnnotationFiles.Entry> files = AnnotationFiles.List(path, ".json");
        AnnotationFiles.RequireSome(files, path, "LabelMe .json files");
        int skipped = 0;
        foreach (AnnotationFiles.Entry file in files)
        {
            using JsonStreamReader json = JsonStreamReader.OpenFile(file.Path, file.DisplayName, sink.Options.Cancellation, sink.Options.Progress);
            skipped += ReadGroundTruthFile(json, file.Stem, file.Path, sink);
        }
        if (skipped > 0) sink.Notice($"{path}: {Counting.Of(skipped, "LabelMe shape")} that {(skipped == 1 ? "is not a rectangle or polygon was" : "are not rectangles or polygons were")} skipped");
    }

    /// <summary>Reads the file of the image named <paramref name="stem"/>; returns the number of shapes skipped. <paramref name="filePath"/> (null for a stream) gives errors found later their line.</summary>
    internal static int ReadGroundTruthFile(JsonStreamReader json, string stem, string? filePath, GroundTruthSink sink)
    {
        ImageFile read = ReadFile(json, filePath);
        ImageSize? size = read.Width is int w && read.Height is int h && w > 0 && h > 0 ? new ImageSize(w, h) : null;
        int image = sink.Image(stem, read.ImagePath, size);
        foreach (Shape shape in read.Shapes)
        {
            int cls = shape.WithLine(() => sink.Class(shape.Label, shape.At));
            if (shape.Polygons is { } polygons) sink.AddPolygons(image, cls, polygons, shape.Flags);
            else sink.Add(image, cls, shape.Box, shape.Flags);
        }
        return read.Skipped;
    }

    public void ReadPredictions(string path, PredictionSink sink)
    {
        int skipped = 0;
        foreach (AnnotationFiles.Entry file in AnnotationFiles.List(path, ".json"))
        {
            using JsonStreamReader json = JsonStreamReader.OpenFile(file.Path, file.DisplayName, sink.Options.Cancellation, sink.Options.Progress);
            skipped += ReadPredictionsFile(json, file.Stem, file.Path, sink);
        }
        if (skipped > 0) sink.Notice($"{path}: {Counting.Of(skipped, "LabelMe shape")} that {(skipped == 1 ? "is not a rectangle or polygon was" : "are not rectangles or polygons were")} skipped");
    }

    /// <summary>Reads the predictions of the image named <paramref name="stem"/>; returns the number of shapes skipped.</summary>
    internal static int ReadPredictionsFile(JsonStreamReader json, string stem, string? filePath, PredictionSink sink)
    {
        ImageFile read = ReadFile(json, filePath);
        if (read.Shapes.Count == 0) return read.Skipped;
        int image = read.Shapes[0].WithLine(() => sink.Image(stem, read.Shapes[0].At));
        foreach (Shape shape in read.Shapes)
        {
            if (shape.Score is not double score) throw new AnnotationFormatException(shape.Located(), "a shape with a \"score\" (predictions need one)", "a shape without \"score\"");
            if (shape.WithLine(() => sink.Class(shape.Label, shape.At)) is not int k) continue;
            if (shape.Polygons is { } polygons) sink.AddPolygons(image, k, polygons, score);
            else sink.Add(image, k, shape.Box, score);
        }
        return read.Skipped;
    }

    private static ImageFile ReadFile(JsonStreamReader json, string? filePath)
    {
        json.ReadExpecting("a LabelMe json object");
        if (json.TokenType != JsonTokenType.StartObject) throw json.Error("a LabelMe json object with \"shapes\"");
        string? imagePath = null;
        int? width = null, height = null;
        var shapes = new List<Shape>();
        int skipped = 0;
        bool sawShapes = false;
        while (json.NextProperty())
        {
            if (json.ValueEquals("imagePath"u8)) imagePath = json.ReadOptionalString();
            else if (json.ValueEquals("imageWidth"u8)) width = json.ReadOptionalPixels();
            else if (json.ValueEquals("imageHeight"u8)) height = json.ReadOptionalPixels();
            else if (json.ValueEquals("shapes"u8))
            {
                sawShapes = true;
                json.ReadExpecting("an array of shapes");
                if (json.TokenType != JsonTokenType.StartArray) throw json.Error("an array of shapes");
                while (true)
                {
                    json.ReadExpecting("a shape object");
                    if (json.TokenType == JsonTokenType.EndArray) break;
                    if (json.TokenType != JsonTokenType.StartObject) throw json.Error("a shape object");
                    if (ReadShape(json, filePath) is Shape shape) shapes.Add(shape);
                    else skipped++;
                }
            }
            else json.Skip();
        }
        if (!sawShapes) throw new AnnotationFormatException(new SourceLocation(json.DisplayName, Path: "$"), "a LabelMe json object with \"shapes\"", "an object without \"shapes\"");
        return new ImageFile(imagePath, width, height, GroupParts(shapes), skipped);
    }

    /// <summary>
    /// Rule (labelme2coco): polygons with the same label and "group_id" are the parts of one object, which
    /// takes the place, flags and score of its first part. Rectangles and ungrouped polygons stay as they are.
    /// </summary>
    private static List<Shape> GroupParts(List<Shape> shapes) => PolygonShapes.GroupParts(
        shapes,
        shape => shape.Polygons is null || shape.GroupId is not long group ? null : (shape.Label, group),
        (first, next) =>
        {
            (List<double[]> parts, Box box) = PolygonShapes.Joined(first.Polygons!, next.Polygons!);
            return first with { Polygons = parts, Box = box, Flags = first.Flags | next.Flags };
        });

    /// <summary>Reads one shape object (the reader is on its start); null for a shape that is neither a rectangle nor a polygon.</summary>
    private static Shape? ReadShape(JsonStreamReader json, string? filePath)
    {
        long start = json.CurrentOffset;
        string path = json.CurrentPath;
        string? label = null, type = null;
        double? score = null;
        long? groupId = null;
        var points = new List<(double X, double Y)>();
        GroundTruthFlags flags = GroundTruthFlags.None;
        while (json.NextProperty())
        {
            if (json.ValueEquals("label"u8)) label = json.ReadOptionalString();
            else if (json.ValueEquals("shape_type"u8)) type = json.ReadOptionalString();
            else if (json.ValueEquals("score"u8))
            {
                json.ReadExpecting("the score, a number");
                if (json.TokenType == JsonTokenType.Null) continue;
                if (json.TokenType != JsonTokenType.Number || !double.IsFinite(json.GetDouble())) throw json.Error("the score, a finite number");
                score = json.GetDouble();
            }
            else if (json.ValueEquals("points"u8)) ReadPoints(json, points);
            else if (json.ValueEquals("flags"u8)) flags = ReadFlags(json);
            else if (json.ValueEquals("group_id"u8)) groupId = ReadGroupId(json);
            else json.Skip();
        }
        // LabelMe's default shape type is a polygon.
        if (type is null or "polygon") return PolygonShape(json, filePath, start, path, label, points, flags, score, groupId);
        if (type != "rectangle") return null;
        if (string.IsNullOrWhiteSpace(label)) throw json.ErrorAt(start, path, "a rectangle with a \"label\"", "none");
        if (points.Count != 2) throw json.ErrorAt(start, path + ".points", "a rectangle with 2 points [[x1, y1], [x2, y2]]", Counting.Of(points.Count, "point"));
        var at = new SourceLocation(json.DisplayName, Path: path);
        double x1 = Math.Min(points[0].X, points[1].X), x2 = Math.Max(points[0].X, points[1].X);
        double y1 = Math.Min(points[0].Y, points[1].Y), y2 = Math.Max(points[0].Y, points[1].Y);
        Box box = Box.FromCorners(x1, y1, x2, y2);
        if (!BoxLayout.IsFinite(box)) throw json.ErrorAt(start, path + ".points", BoxLayout.FiniteBox, $"[[{BoxLayout.Number(x1)}, {BoxLayout.Number(y1)}], [{BoxLayout.Number(x2)}, {BoxLayout.Number(y2)}]]");
        return new Shape(label, box, flags, score, at, filePath, start);
    }

    private static Shape PolygonShape(JsonStreamReader json, string? filePath, long start, string path, string? label,
        List<(double X, double Y)> points, GroundTruthFlags flags, double? score, long? groupId)
    {
        if (string.IsNullOrWhiteSpace(label)) throw json.ErrorAt(start, path, "a polygon with a \"label\"", "none");
        if (PolygonShapes.PolygonProblem(points.Count * 2) is { } found) throw json.ErrorAt(start, path + ".points", $"{PolygonShapes.PolygonShape} [[x1, y1], [x2, y2], [x3, y3], ...]", found);
        var polygon = new double[points.Count * 2];
        for (int i = 0; i < points.Count; i++)
        {
            (polygon[2 * i], polygon[(2 * i) + 1]) = points[i];
            foreach (double v in (double[])[points[i].X, points[i].Y])
            {
                if (PolygonShapes.CoordinateProblem(v) is { } far) throw json.ErrorAt(start, $"{path}.points[{i.ToString(CultureInfo.InvariantCulture)}]", PolygonShapes.CoordinateRange, far);
            }
        }
        List<double[]> parts = [polygon];
        var at = new SourceLocation(json.DisplayName, Path: path);
        return new Shape(label, PolygonShapes.BoundingBox(parts), flags, score, at, filePath, start) { Polygons = parts, GroupId = groupId };
    }

    private static long? ReadGroupId(JsonStreamReader json)
    {
        const string Expected = "a group_id, a whole number or null";
        json.ReadExpecting(Expected);
        if (json.TokenType == JsonTokenType.Null) return null;
        if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long group)) throw json.Error(Expected);
        return group;
    }

    private static void ReadPoints(JsonStreamReader json, List<(double X, double Y)> points)
    {
        const string Expected = "an array of points [x, y]";
        json.ReadExpecting(Expected);
        if (json.TokenType != JsonTokenType.StartArray) throw json.Error(Expected);
        Span<double> xy = stackalloc double[2];
        while (true)
        {
            json.ReadExpecting("a point [x, y]");
            if (json.TokenType == JsonTokenType.EndArray) return;
            if (json.TokenType != JsonTokenType.StartArray) throw json.Error("a point [x, y]");
            int count = 0;
            while (true)
            {
                json.ReadExpecting("a coordinate");
                if (json.TokenType == JsonTokenType.EndArray) break;
                if (json.TokenType != JsonTokenType.Number || !double.IsFinite(json.GetDouble())) throw json.Error("a coordinate, a finite number");
                if (count == 2) throw json.Error("a point of 2 numbers [x, y]", "more than 2");
                xy[count++] = json.GetDouble();
            }
            if (count != 2) throw json.Error("a point of 2 numbers [x, y]", Counting.Of(count, "number"));
            points.Add((xy[0], xy[1]));
        }
    }

    private static GroundTruthFlags ReadFlags(JsonStreamReader json)
    {
        json.ReadExpecting("an object of flags");
        if (json.TokenType == JsonTokenType.Null) return GroundTruthFlags.None;
        if (json.TokenType != JsonTokenType.StartObject) throw json.Error("an object of flags");
        GroundTruthFlags flags = GroundTruthFlags.None;
        while (json.NextProperty())
        {
            GroundTruthFlags flag = json.ValueEquals("difficult"u8) ? GroundTruthFlags.Difficult
                : json.ValueEquals("iscrowd"u8) ? GroundTruthFlags.Crowd
                : GroundTruthFlags.None;
            json.ReadExpecting("a flag value");
            if (flag == GroundTruthFlags.None)
            {
                json.Skip();
                continue;
            }
            bool set = json.TokenType switch
            {
                JsonTokenType.True => true,
                JsonTokenType.False or JsonTokenType.Null => false,
                JsonTokenType.Number => json.GetDouble() != 0,
                _ => throw json.Error("true or false"),
            };
            if (set) flags |= flag;
        }
        return flags;
    }

    public void Write(Dataset dataset, AnnotationRole role, string path, WriteOptions options)
    {
        var view = new DatasetView(dataset);
        string[] stems = view.UniqueStems(path);
        if (options.Polygons) NoticeRle(role == AnnotationRole.GroundTruth ? dataset.GroundTruth.Shapes : dataset.Detections.Shapes, path, options);
        AtomicFolder.Write(path, folder =>
        {
            for (int image = 0; image < stems.Length; image++)
            {
                AtomicFile.Write(Path.Combine(folder, stems[image] + ".json"), stream => WriteImage(stream, view, image, role, options));
            }
            if (role == AnnotationRole.GroundTruth) VocXmlFormat.WriteClassList(folder, dataset);
        }, options.Replace);
    }

    private static void WriteImage(Stream stream, DatasetView view, int image, AnnotationRole role, WriteOptions options)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("version", "5.4.1");
        json.WriteStartObject("flags");
        json.WriteEndObject();
        json.WriteStartArray("shapes");
        // Objects of several polygons are shapes sharing a group_id, numbered from 1 in each file.
        long group = 0;
        if (role == AnnotationRole.GroundTruth)
        {
            GroundTruthTable gt = view.Dataset.GroundTruth;
            foreach (int row in view.GroundTruthOfImage[image])
            {
                IReadOnlyList<double[]>? polygons = options.Polygons ? PolygonShapes.PolygonsOf(gt.Shapes, row) : null;
                if (polygons is null) WriteShape(json, view.ClassName(gt.Categories[row]), gt.Boxes[row], null, gt.Flags[row]);
                else WritePolygons(json, view.ClassName(gt.Categories[row]), polygons, null, gt.Flags[row], polygons.Count > 1 ? ++group : null);
            }
        }
        else
        {
            DetectionTable dt = view.Dataset.Detections;
            foreach (int row in view.DetectionsOfImage[image])
            {
                IReadOnlyList<double[]>? polygons = options.Polygons ? PolygonShapes.PolygonsOf(dt.Shapes, row) : null;
                if (polygons is null) WriteShape(json, view.ClassName(dt.Categories[row]), dt.Boxes[row], dt.Scores[row], GroundTruthFlags.None);
                else WritePolygons(json, view.ClassName(dt.Categories[row]), polygons, dt.Scores[row], GroundTruthFlags.None, polygons.Count > 1 ? ++group : null);
            }
        }
        json.WriteEndArray();
        json.WriteString("imagePath", view.ImageName(image));
        json.WriteNull("imageData");
        if (view.SizeOf(image, options.ImageSizes) is ImageSize size)
        {
            json.WriteNumber("imageHeight", size.Height);
            json.WriteNumber("imageWidth", size.Width);
        }
        json.WriteEndObject();
    }

    /// <summary>Counts the masks that came as RLE, which a polygon shape cannot hold: they are written as rectangles.</summary>
    internal static void NoticeRle(ReadOnlySpan<ObjectShape?> shapes, string path, WriteOptions options)
    {
        int rle = 0;
        for (int row = 0; row < shapes.Length; row++)
        {
            if (PolygonShapes.PolygonsOf(shapes, row) is null && PolygonShapes.HasMask(shapes, row)) rle++;
        }
        if (rle > 0) options.Notice?.Invoke($"{path}: {Counting.Of(rle, "mask")} given as RLE written as {(rle == 1 ? "its box" : "their boxes")} (polygons only)");
    }

    private static void WritePolygons(Utf8JsonWriter json, string label, IReadOnlyList<double[]> polygons, double? score, GroundTruthFlags flags, long? group)
    {
        foreach (double[] polygon in polygons)
        {
            json.WriteStartObject();
            json.WriteString("label", label);
            json.WriteStartArray("points");
            for (int i = 0; i + 1 < polygon.Length; i += 2)
            {
                json.WriteStartArray();
                json.WriteNumberValue(polygon[i]);
                json.WriteNumberValue(polygon[i + 1]);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            if (group is long g) json.WriteNumber("group_id", g);
            else json.WriteNull("group_id");
            json.WriteString("description", "");
            json.WriteString("shape_type", "polygon");
            WriteFlags(json, flags);
            if (score is double s) json.WriteNumber("score", s);
            json.WriteEndObject();
        }
    }

    private static void WriteFlags(Utf8JsonWriter json, GroundTruthFlags flags)
    {
        json.WriteStartObject("flags");
        if ((flags & (GroundTruthFlags.Difficult | GroundTruthFlags.Ignore)) != 0) json.WriteBoolean("difficult", true);
        if (flags.HasFlag(GroundTruthFlags.Crowd)) json.WriteBoolean("iscrowd", true);
        json.WriteEndObject();
    }

    private static void WriteShape(Utf8JsonWriter json, string label, Box box, double? score, GroundTruthFlags flags)
    {
        json.WriteStartObject();
        json.WriteString("label", label);
        json.WriteStartArray("points");
        json.WriteStartArray();
        json.WriteNumberValue(box.X);
        json.WriteNumberValue(box.Y);
        json.WriteEndArray();
        json.WriteStartArray();
        json.WriteNumberValue(box.X2);
        json.WriteNumberValue(box.Y2);
        json.WriteEndArray();
        json.WriteEndArray();
        json.WriteNull("group_id");
        json.WriteString("description", "");
        json.WriteString("shape_type", "rectangle");
        WriteFlags(json, flags);
        if (score is double s) json.WriteNumber("score", s);
        json.WriteEndObject();
    }
}
