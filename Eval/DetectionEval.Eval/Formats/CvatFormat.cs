using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * CVAT for images 1.1 XML: one annotations.xml, streamed. <meta> lists the labels, whose order becomes
 * the class order (ids 1..K); each <image name width height> holds <box label xtl ytl xbr ybr> elements,
 * taken as Box.FromCorners(xtl, ytl, xbr, ybr), and <polygon label points="x1,y1;x2,y2;..."> elements of
 * 3 points or more, objects given as polygons (PolygonShapes); polygons with the same label and
 * "group_id" attribute are one object of several parts, as CVAT's COCO export merges them.
 * <attribute name="difficult">, "iscrowd"/"is_crowd" set the flags; predictions carry
 * <attribute name="score"> (or "confidence"). Other shapes (polyline, points, mask, ...) are skipped and
 * counted in a notice. CVAT for video (<track>) is refused. The image is
 * named by its "name" attribute, matched by name or stem.
 */

/// <summary>CVAT for images 1.1 XML (boxes and polygons).</summary>
internal sealed class CvatFormat : IAnnotationFormat
{
    public AnnotationFormat Format => AnnotationFormat.Cvat;

    public bool IsFolder => false;

    public bool Supports(AnnotationRole role) => true;

    private readonly record struct CvatBox(string Label, Box Box, GroundTruthFlags Flags, double? Score, SourceLocation At)
    {
        /// <summary>The parts of a polygon object (flat x y pairs), or null for a box.</summary>
        public List<double[]>? Polygons { get; init; }

        /// <summary>The "group_id" attribute; polygons with the same label and group are one object.</summary>
        public long? GroupId { get; init; }
    }

    public void ReadGroundTruth(string path, GroundTruthSink sink)
    {
        InputFiles.RequireFile(path);
        using XmlReader xml = XmlInput.Open(path, path, sink.Options.Cancellation, sink.Options.Progress);
        ReadGroundTruth(xml, path, sink);
    }

    /// <summary>Reads ground truth from an open reader (<see cref="XmlInput.Open(Stream, string, CancellationToken, IProgressSink)"/>); <paramref name="displayName"/> names the file in messages.</summary>
    internal static void ReadGroundTruth(XmlReader xml, string displayName, GroundTruthSink sink)
    {
        string path = displayName;
        int skipped = Read(xml, displayName, labels =>
        {
            if (labels.Count > 0) sink.DeclareClasses($"the labels of {path}", [.. labels.Select((name, i) => new NamedClass(i + 1, name))], announce: false);
        },
        (name, size, boxes) =>
        {
            int image = sink.Image(name, name, size);
            foreach (CvatBox box in GroupParts(boxes))
            {
                int cls = sink.Class(box.Label, box.At);
                if (box.Polygons is { } polygons) sink.AddPolygons(image, cls, polygons, box.Flags);
                else sink.Add(image, cls, box.Box, box.Flags);
            }
        });
        if (skipped > 0) sink.Notice($"{path}: {Counting.Of(skipped, "CVAT shape")} that {(skipped == 1 ? "is not a box or polygon was" : "are not boxes or polygons were")} skipped");
    }

    public void ReadPredictions(string path, PredictionSink sink)
    {
        InputFiles.RequireFile(path);
        using XmlReader xml = XmlInput.Open(path, path, sink.Options.Cancellation, sink.Options.Progress);
        ReadPredictions(xml, path, sink);
    }

    /// <summary>Reads predictions from an open reader, as <see cref="ReadGroundTruth(XmlReader, string, GroundTruthSink)"/> reads ground truth.</summary>
    internal static void ReadPredictions(XmlReader xml, string displayName, PredictionSink sink)
    {
        string path = displayName;
        int skipped = Read(xml, displayName, _ => { }, (name, size, boxes) =>
        {
            if (boxes.Count == 0) return;
            int image = sink.Image(name, boxes[0].At);
            foreach (CvatBox box in GroupParts(boxes))
            {
                string element = box.Polygons is null ? "<box>" : "<polygon>";
                if (box.Score is not double score) throw new AnnotationFormatException(box.At, $"a {element} with a score attribute (predictions need one)", $"a {element} without one");
                if (sink.Class(box.Label, box.At) is not int k) continue;
                if (box.Polygons is { } polygons) sink.AddPolygons(image, k, polygons, score);
                else sink.Add(image, k, box.Box, score);
            }
        });
        if (skipped > 0) sink.Notice($"{path}: {Counting.Of(skipped, "CVAT shape")} that {(skipped == 1 ? "is not a box or polygon was" : "are not boxes or polygons were")} skipped");
    }

    /// <summary>Streams the file: the labels once, then each image with its boxes and polygons. Returns the number of skipped shapes.</summary>
    private static int Read(XmlReader xml, string path, Action<List<string>> onLabels, Action<string, ImageSize?, List<CvatBox>> onImage)
    {
        var lines = (IXmlLineInfo)xml;
        int skipped = 0;
        try
        {
            if (xml.MoveToContent() != XmlNodeType.Element || xml.LocalName != "annotations")
            {
                throw new AnnotationFormatException(new SourceLocation(path, lines.LineNumber, lines.LinePosition, "/"), "a CVAT for images 1.1 <annotations> root element", $"<{xml.LocalName}>");
            }
            if (xml.IsEmptyElement) return 0;
            xml.Read();
            int imageNumber = 0;
            while (xml.NodeType != XmlNodeType.EndElement && !xml.EOF)
            {
                if (xml.NodeType != XmlNodeType.Element)
                {
                    xml.Read();
                    continue;
                }
                switch (xml.LocalName)
                {
                    case "meta":
                        var metaAt = new SourceLocation(path, lines.LineNumber, lines.LinePosition, "/annotations/meta");
                        var meta = (XElement)XNode.ReadFrom(xml);
                        List<string> labels = [.. meta.Descendants("labels").Elements("label").Select(l => l.Element("name")?.Value.Trim() ?? "").Where(n => n.Length > 0)];
                        if (labels.Count > InputLimits.MaxClasses) InputLimits.RequireRoomForClass(labels.Count, metaAt);
                        foreach (string label in labels) InputLimits.RequireClassName(label, metaAt);
                        onLabels(labels);
                        continue;
                    case "image":
                        imageNumber++;
                        skipped += ReadImage(xml, path, imageNumber, onImage);
                        continue;
                    case "track":
                        throw new AnnotationFormatException(new SourceLocation(path, lines.LineNumber, lines.LinePosition, "/annotations/track"),
                            "CVAT for images 1.1 (boxes inside <image> elements)", "a <track> (CVAT for video)", "Export the task as 'CVAT for images 1.1'.");
                    default:
                        xml.Skip();
                        continue;
                }
            }
        }
        catch (XmlException e)
        {
            throw XmlInput.Malformed(path, e, lines);
        }
        return skipped;
    }

    private static int ReadImage(XmlReader xml, string path, int imageNumber, Action<string, ImageSize?, List<CvatBox>> onImage)
    {
        var lines = (IXmlLineInfo)xml;
        string imagePath = $"/annotations/image[{imageNumber.ToString(CultureInfo.InvariantCulture)}]";
        var at = new SourceLocation(path, lines.LineNumber, lines.LinePosition, imagePath);
        string name = xml.GetAttribute("name") ?? throw new AnnotationFormatException(at, "an <image> with a name attribute", "none");
        int? width = Pixels(xml, "width", at), height = Pixels(xml, "height", at);
        ImageSize? size = width is > 0 && height is > 0 ? new ImageSize(width.Value, height.Value) : null;
        var boxes = new List<CvatBox>();
        int skipped = 0;
        if (xml.IsEmptyElement)
        {
            xml.Read();
            onImage(name, size, boxes);
            return 0;
        }
        xml.Read();
        int boxNumber = 0, polygonNumber = 0;
        while (xml.NodeType != XmlNodeType.EndElement)
        {
            if (xml.NodeType != XmlNodeType.Element)
            {
                xml.Read();
                continue;
            }
            if (xml.LocalName == "box")
            {
                boxNumber++;
                boxes.Add(ReadBox(xml, path, $"{imagePath}/box[{boxNumber.ToString(CultureInfo.InvariantCulture)}]"));
            }
            else if (xml.LocalName == "polygon")
            {
                polygonNumber++;
                boxes.Add(ReadPolygon(xml, path, $"{imagePath}/polygon[{polygonNumber.ToString(CultureInfo.InvariantCulture)}]"));
            }
            else
            {
                skipped++;
                xml.Skip();
            }
        }
        xml.Read();
        onImage(name, size, boxes);
        return skipped;
    }

    private static CvatBox ReadBox(XmlReader xml, string path, string boxPath)
    {
        var lines = (IXmlLineInfo)xml;
        var at = new SourceLocation(path, lines.LineNumber, lines.LinePosition, boxPath);
        string label = xml.GetAttribute("label") ?? throw new AnnotationFormatException(at, "a <box> with a label attribute", "none");
        Span<double> corners = stackalloc double[4];
        string[] names = ["xtl", "ytl", "xbr", "ybr"];
        for (int i = 0; i < 4; i++)
        {
            string? text = xml.GetAttribute(names[i]);
            if (text is null) throw new AnnotationFormatException(at, $"a <box> with {names[i]}", $"a <box> without {names[i]}");
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out corners[i]) || !double.IsFinite(corners[i]))
            {
                throw new AnnotationFormatException(at, $"a number in {names[i]}", $"'{text}'");
            }
        }
        if (!BoxLayout.TryToBox(BoxFormat.Xyxy, corners, null, out Box box, out BoxLayout.Problem problem))
        {
            throw new AnnotationFormatException(at, problem.Expected.Replace("x2", "xbr").Replace("x1", "xtl").Replace("y2", "ybr").Replace("y1", "ytl"), problem.Found);
        }
        return ReadAttributes(xml, new CvatBox(label, box, GroundTruthFlags.None, null, at));
    }

    private static CvatBox ReadPolygon(XmlReader xml, string path, string polygonPath)
    {
        var lines = (IXmlLineInfo)xml;
        var at = new SourceLocation(path, lines.LineNumber, lines.LinePosition, polygonPath);
        string label = xml.GetAttribute("label") ?? throw new AnnotationFormatException(at, "a <polygon> with a label attribute", "none");
        string points = xml.GetAttribute("points") ?? throw new AnnotationFormatException(at, "a <polygon> with points", "a <polygon> without points");
        const string Expected = "points \"x1,y1;x2,y2;x3,y3;...\", 3 points or more";
        string[] pairs = points.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var polygon = new double[pairs.Length * 2];
        for (int i = 0; i < pairs.Length; i++)
        {
            string[] xy = pairs[i].Split(',', StringSplitOptions.TrimEntries);
            if (xy.Length != 2) throw new AnnotationFormatException(at, $"{Expected}: a point 'x,y'", $"'{Shorten(pairs[i])}'");
            for (int c = 0; c < 2; c++)
            {
                if (!double.TryParse(xy[c], NumberStyles.Float, CultureInfo.InvariantCulture, out polygon[(2 * i) + c]) || !double.IsFinite(polygon[(2 * i) + c]))
                {
                    throw new AnnotationFormatException(at, $"a number in the points ({Expected})", $"'{Shorten(xy[c])}' in point {(i + 1).ToString(CultureInfo.InvariantCulture)}");
                }
                if (PolygonShapes.CoordinateProblem(polygon[(2 * i) + c]) is { } far)
                {
                    throw new AnnotationFormatException(at, PolygonShapes.CoordinateRange, $"{far} in point {(i + 1).ToString(CultureInfo.InvariantCulture)}");
                }
            }
        }
        if (PolygonShapes.PolygonProblem(polygon.Length) is { } found) throw new AnnotationFormatException(at, Expected, found);
        List<double[]> parts = [polygon];
        long? group = null;
        if (xml.GetAttribute("group_id") is { } groupText)
        {
            group = long.TryParse(groupText, NumberStyles.Integer, CultureInfo.InvariantCulture, out long g) ? g
                : throw new AnnotationFormatException(at, "a whole number in group_id", $"'{Shorten(groupText)}'");
        }
        return ReadAttributes(xml, new CvatBox(label, PolygonShapes.BoundingBox(parts), GroundTruthFlags.None, null, at) { Polygons = parts, GroupId = group });
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";

    /// <summary>
    /// Rule (CVAT's COCO export): polygons with the same label and "group_id" are the parts of one object,
    /// which takes the place, flags and score of its first part. Boxes and ungrouped polygons stay as they are.
    /// </summary>
    private static List<CvatBox> GroupParts(List<CvatBox> shapes) => PolygonShapes.GroupParts(
        shapes,
        shape => shape.Polygons is null || shape.GroupId is not long group || group == 0 ? null : (shape.Label, group),
        (first, next) =>
        {
            (List<double[]> parts, Box box) = PolygonShapes.Joined(first.Polygons!, next.Polygons!);
            return first with { Polygons = parts, Box = box, Flags = first.Flags | next.Flags };
        });

    /// <summary>Reads a shape's score attribute and its <c>&lt;attribute&gt;</c> children (flags, score), and moves past the element.</summary>
    private static CvatBox ReadAttributes(XmlReader xml, CvatBox shape)
    {
        SourceLocation at = shape.At;
        GroundTruthFlags flags = GroundTruthFlags.None;
        double? score = null;
        if (xml.GetAttribute("score") is { } scoreText) score = Score(scoreText, at);
        if (xml.IsEmptyElement)
        {
            xml.Read();
            return shape with { Flags = flags, Score = score };
        }
        xml.Read();
        while (xml.NodeType != XmlNodeType.EndElement)
        {
            if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "attribute")
            {
                string attribute = xml.GetAttribute("name") ?? "";
                string value = xml.ReadElementContentAsString().Trim();
                switch (attribute.ToLowerInvariant())
                {
                    case "difficult":
                        if (Truthy(value, at)) flags |= GroundTruthFlags.Difficult;
                        break;
                    case "iscrowd" or "is_crowd":
                        if (Truthy(value, at)) flags |= GroundTruthFlags.Crowd;
                        break;
                    case "score" or "confidence":
                        score = Score(value, at);
                        break;
                }
                continue;
            }
            if (xml.NodeType == XmlNodeType.Element) xml.Skip();
            else xml.Read();
        }
        xml.Read();
        return shape with { Flags = flags, Score = score };
    }

    private static double Score(string text, SourceLocation at) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double score) && double.IsFinite(score)
            ? score
            : throw new AnnotationFormatException(at, "a score, a finite number", $"'{text}'");

    private static bool Truthy(string text, SourceLocation at) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" or "" => false,
        _ => throw new AnnotationFormatException(at, "true or false", $"'{text}'"),
    };

    private static int? Pixels(XmlReader xml, string name, SourceLocation at)
    {
        string? text = xml.GetAttribute(name);
        if (text is null) return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)) return value;
        throw new AnnotationFormatException(at, $"a whole number of pixels in {name}", $"'{text}'");
    }

    public void Write(Dataset dataset, AnnotationRole role, string path, WriteOptions options)
    {
        var view = new DatasetView(dataset);
        if (options.Polygons) LabelMeFormat.NoticeRle(role == AnnotationRole.GroundTruth ? dataset.GroundTruth.Shapes : dataset.Detections.Shapes, path, options);
        AtomicFile.Write(path, stream =>
        {
            long group = 0;
            using var xml = XmlWriter.Create(stream, new XmlWriterSettings { Indent = true, IndentChars = "  ", Encoding = new UTF8Encoding(false), NewLineChars = "\n" });
            xml.WriteStartDocument();
            xml.WriteStartElement("annotations");
            xml.WriteElementString("version", "1.1");
            xml.WriteStartElement("meta");
            xml.WriteStartElement("task");
            xml.WriteStartElement("labels");
            foreach (Category category in dataset.Categories)
            {
                xml.WriteStartElement("label");
                xml.WriteElementString("name", category.Name);
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndElement();
            for (int image = 0; image < dataset.Images.Count; image++)
            {
                xml.WriteStartElement("image");
                xml.WriteAttributeString("id", image.ToString(CultureInfo.InvariantCulture));
                xml.WriteAttributeString("name", view.ImageName(image));
                if (view.SizeOf(image, options.ImageSizes) is ImageSize size)
                {
                    xml.WriteAttributeString("width", size.Width.ToString(CultureInfo.InvariantCulture));
                    xml.WriteAttributeString("height", size.Height.ToString(CultureInfo.InvariantCulture));
                }
                // Objects of several polygons are polygons sharing a group_id, numbered from 1 over the file.
                if (role == AnnotationRole.GroundTruth)
                {
                    GroundTruthTable gt = dataset.GroundTruth;
                    foreach (int row in view.GroundTruthOfImage[image])
                    {
                        IReadOnlyList<double[]>? polygons = options.Polygons ? PolygonShapes.PolygonsOf(gt.Shapes, row) : null;
                        if (polygons is null) WriteBox(xml, view.ClassName(gt.Categories[row]), gt.Boxes[row], gt.Flags[row], null);
                        else WritePolygons(xml, view.ClassName(gt.Categories[row]), polygons, gt.Flags[row], null, polygons.Count > 1 ? ++group : null);
                    }
                }
                else
                {
                    DetectionTable dt = dataset.Detections;
                    foreach (int row in view.DetectionsOfImage[image])
                    {
                        IReadOnlyList<double[]>? polygons = options.Polygons ? PolygonShapes.PolygonsOf(dt.Shapes, row) : null;
                        if (polygons is null) WriteBox(xml, view.ClassName(dt.Categories[row]), dt.Boxes[row], GroundTruthFlags.None, dt.Scores[row]);
                        else WritePolygons(xml, view.ClassName(dt.Categories[row]), polygons, GroundTruthFlags.None, dt.Scores[row], polygons.Count > 1 ? ++group : null);
                    }
                }
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
            xml.WriteEndDocument();
        });
    }

    private static void WriteBox(XmlWriter xml, string label, Box box, GroundTruthFlags flags, double? score)
    {
        xml.WriteStartElement("box");
        xml.WriteAttributeString("label", label);
        xml.WriteAttributeString("source", score is null ? "manual" : "auto");
        xml.WriteAttributeString("occluded", "0");
        xml.WriteAttributeString("xtl", BoxLayout.Number(box.X));
        xml.WriteAttributeString("ytl", BoxLayout.Number(box.Y));
        xml.WriteAttributeString("xbr", BoxLayout.Number(box.X2));
        xml.WriteAttributeString("ybr", BoxLayout.Number(box.Y2));
        xml.WriteAttributeString("z_order", "0");
        if ((flags & (GroundTruthFlags.Difficult | GroundTruthFlags.Ignore)) != 0) WriteAttribute(xml, "difficult", "true");
        if (flags.HasFlag(GroundTruthFlags.Crowd)) WriteAttribute(xml, "iscrowd", "true");
        if (score is double s) WriteAttribute(xml, "score", BoxLayout.Number(s));
        xml.WriteEndElement();
    }

    private static void WritePolygons(XmlWriter xml, string label, IReadOnlyList<double[]> polygons, GroundTruthFlags flags, double? score, long? group)
    {
        var points = new StringBuilder();
        foreach (double[] polygon in polygons)
        {
            points.Clear();
            for (int i = 0; i + 1 < polygon.Length; i += 2)
            {
                if (i > 0) points.Append(';');
                points.Append(BoxLayout.Number(polygon[i])).Append(',').Append(BoxLayout.Number(polygon[i + 1]));
            }
            xml.WriteStartElement("polygon");
            xml.WriteAttributeString("label", label);
            xml.WriteAttributeString("source", score is null ? "manual" : "auto");
            xml.WriteAttributeString("occluded", "0");
            xml.WriteAttributeString("points", points.ToString());
            xml.WriteAttributeString("z_order", "0");
            if (group is long g) xml.WriteAttributeString("group_id", g.ToString(CultureInfo.InvariantCulture));
            if ((flags & (GroundTruthFlags.Difficult | GroundTruthFlags.Ignore)) != 0) WriteAttribute(xml, "difficult", "true");
            if (flags.HasFlag(GroundTruthFlags.Crowd)) WriteAttribute(xml, "iscrowd", "true");
            if (score is double s) WriteAttribute(xml, "score", BoxLayout.Number(s));
            xml.WriteEndElement();
        }
    }

    private static void WriteAttribute(XmlWriter xml, string name, string value)
    {
        xml.WriteStartElement("attribute");
        xml.WriteAttributeString("name", name);
        xml.WriteString(value);
        xml.WriteEndElement();
    }
}
