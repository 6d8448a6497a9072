using System.Globalization;
using System.Text;
using System.Xml.Linq;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * Pascal VOC annotation XML: a folder of <stem>.xml (or a VOC root whose Annotations/ holds them), one
 * per image, read in file-name order. Per <object>: <name>, <difficult> (0/1) and the direct child
 * <bndbox> with xmin ymin xmax ymax, taken as the same continuous coordinates as COCO (no 1-based shift,
 * the rule of the c02 rendering); the box is Box.FromCorners(xmin, ymin, xmax, ymax). <part> boxes are
 * not objects. The image is named by the file's stem (what VOC results name it), its file name is
 * <filename> and its size <size>. An <iscrowd>1</iscrowd> (written by deval for COCO crowds) is kept.
 */

/// <summary>Pascal VOC annotation XML (ground truth).</summary>
internal sealed class VocXmlFormat : IAnnotationFormat
{
    public AnnotationFormat Format => AnnotationFormat.VocXml;

    public bool IsFolder => true;

    public bool Supports(AnnotationRole role) => role == AnnotationRole.GroundTruth;

    public void ReadGroundTruth(string path, GroundTruthSink sink)
    {
        string folder = Directory.Exists(Path.Combine(path, "Annotations")) ? Path.Combine(path, "Annotations") : path;
        List<AnnotationFiles.Entry> files = AnnotationFiles.List(folder, ".xml");
        AnnotationFiles.RequireSome(files, folder, "Pascal VOC .xml files");
        foreach (AnnotationFiles.Entry file in files) ReadFile(file, sink);
    }

    public void ReadPredictions(string path, PredictionSink sink) =>
        throw new AnnotationFormatException(new SourceLocation(path), "predictions in a format with scores (VOC results: voc-results)", "Pascal VOC annotation XML, which has no scores");

    private static void ReadFile(AnnotationFiles.Entry file, GroundTruthSink sink) =>
        ReadAnnotation(XmlInput.Load(file.Path, file.DisplayName, sink.Options.Cancellation, sink.Options.Progress), file.DisplayName, file.Stem, sink);

    /// <summary>Reads one annotation file from a stream: the image named <paramref name="stem"/>.</summary>
    internal static void ReadFile(Stream stream, string displayName, string stem, GroundTruthSink sink) =>
        ReadAnnotation(XmlInput.Load(stream, displayName, sink.Options.Cancellation), displayName, stem, sink);

    private static void ReadAnnotation(XDocument document, string displayName, string stem, GroundTruthSink sink)
    {
        var file = (DisplayName: displayName, Stem: stem);
        XElement root = document.Root!;
        if (root.Name.LocalName != "annotation")
        {
            throw new AnnotationFormatException(XmlInput.At(file.DisplayName, root), "a Pascal VOC <annotation> root element", $"<{root.Name.LocalName}>");
        }
        string? fileName = Child(root, "filename")?.Value.Trim();
        int image = sink.Image(file.Stem, string.IsNullOrEmpty(fileName) ? null : fileName, ReadSize(file.DisplayName, root));
        Span<double> corners = stackalloc double[4];
        foreach (XElement obj in root.Elements("object"))
        {
            XElement name = Child(obj, "name") ?? throw Missing(file.DisplayName, obj, "<name>");
            string className = name.Value.Trim();
            if (className.Length == 0) throw new AnnotationFormatException(XmlInput.At(file.DisplayName, name), "a class name", "an empty <name>");
            int cls = sink.Class(className, XmlInput.At(file.DisplayName, name));
            XElement bndbox = Child(obj, "bndbox") ?? throw Missing(file.DisplayName, obj, "<bndbox> (xmin, ymin, xmax, ymax)");
            string[] names = ["xmin", "ymin", "xmax", "ymax"];
            for (int i = 0; i < 4; i++) corners[i] = Number(file.DisplayName, bndbox, names[i]);
            if (!BoxLayout.TryToBox(BoxFormat.Xyxy, corners, null, out Box box, out BoxLayout.Problem problem))
            {
                XElement field = Child(bndbox, names[problem.Field])!;
                throw new AnnotationFormatException(XmlInput.At(file.DisplayName, field), problem.Expected.Replace("x2", "xmax").Replace("x1", "xmin").Replace("y2", "ymax").Replace("y1", "ymin"), problem.Found);
            }
            GroundTruthFlags flags = Flag(file.DisplayName, obj, "difficult", GroundTruthFlags.Difficult) | Flag(file.DisplayName, obj, "iscrowd", GroundTruthFlags.Crowd);
            sink.Add(image, cls, box, flags);
        }
    }

    private static XElement? Child(XElement parent, string name) => parent.Element(name);

    private static AnnotationFormatException Missing(string file, XElement obj, string what) =>
        new(XmlInput.At(file, obj), $"an <object> with {what}", $"an <object> without {what.Split(' ')[0]}");

    private static double Number(string file, XElement bndbox, string name)
    {
        XElement element = Child(bndbox, name) ?? throw new AnnotationFormatException(XmlInput.At(file, bndbox), $"a <bndbox> with <{name}>", $"a <bndbox> without <{name}>");
        string text = element.Value.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)) return value;
        throw new AnnotationFormatException(XmlInput.At(file, element), $"a number in <{name}>", $"'{text}'");
    }

    private static GroundTruthFlags Flag(string file, XElement obj, string name, GroundTruthFlags flag)
    {
        XElement? element = Child(obj, name);
        if (element is null) return GroundTruthFlags.None;
        string text = element.Value.Trim();
        return text switch
        {
            "0" or "" or "false" or "False" => GroundTruthFlags.None,
            "1" or "true" or "True" => flag,
            _ => throw new AnnotationFormatException(XmlInput.At(file, element), $"0 or 1 in <{name}>", $"'{text}'"),
        };
    }

    private static ImageSize? ReadSize(string file, XElement root)
    {
        XElement? size = Child(root, "size");
        if (size is null) return null;
        int? width = Pixels(file, size, "width"), height = Pixels(file, size, "height");
        // Some tools write 0 for an unknown size.
        return width is > 0 && height is > 0 ? new ImageSize(width.Value, height.Value) : null;
    }

    private static int? Pixels(string file, XElement size, string name)
    {
        XElement? element = Child(size, name);
        if (element is null) return null;
        string text = element.Value.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0 && value <= int.MaxValue && value == Math.Floor(value)) return (int)value;
        throw new AnnotationFormatException(XmlInput.At(file, element), $"a whole number of pixels in <{name}>", $"'{text}'");
    }

    public void Write(Dataset dataset, AnnotationRole role, string path, WriteOptions options)
    {
        if (role != AnnotationRole.GroundTruth) throw new AnnotationFormatException(new SourceLocation(path), "ground truth (VOC annotation XML has no scores)", "predictions");
        var view = new DatasetView(dataset);
        string[] stems = view.UniqueStems(path);
        AtomicFolder.Write(path, folder =>
        {
            for (int image = 0; image < stems.Length; image++)
            {
                File.WriteAllText(Path.Combine(folder, stems[image] + ".xml"), Annotation(view, image, options), new UTF8Encoding(false));
            }
            WriteClassList(folder, dataset);
        }, options.Replace);
    }

    private static string Annotation(DatasetView view, int image, WriteOptions options)
    {
        var xml = new StringBuilder();
        xml.Append("<annotation>\n");
        xml.Append("\t<filename>").Append(Escape(view.ImageName(image))).Append("</filename>\n");
        if (view.SizeOf(image, options.ImageSizes) is ImageSize size)
        {
            xml.Append(CultureInfo.InvariantCulture, $"\t<size>\n\t\t<width>{size.Width}</width>\n\t\t<height>{size.Height}</height>\n\t\t<depth>3</depth>\n\t</size>\n");
        }
        GroundTruthTable gt = view.Dataset.GroundTruth;
        foreach (int row in view.GroundTruthOfImage[image])
        {
            Box box = gt.Boxes[row];
            GroundTruthFlags flags = gt.Flags[row];
            xml.Append("\t<object>\n");
            xml.Append("\t\t<name>").Append(Escape(view.ClassName(gt.Categories[row]))).Append("</name>\n");
            // VOC treats ignore like difficult; COCO reads neither, so both survive as <difficult>.
            bool difficult = (flags & (GroundTruthFlags.Difficult | GroundTruthFlags.Ignore)) != 0;
            xml.Append("\t\t<difficult>").Append(difficult ? '1' : '0').Append("</difficult>\n");
            if (flags.HasFlag(GroundTruthFlags.Crowd)) xml.Append("\t\t<iscrowd>1</iscrowd>\n");
            xml.Append("\t\t<bndbox>\n");
            xml.Append("\t\t\t<xmin>").Append(BoxLayout.Number(box.X)).Append("</xmin>\n");
            xml.Append("\t\t\t<ymin>").Append(BoxLayout.Number(box.Y)).Append("</ymin>\n");
            xml.Append("\t\t\t<xmax>").Append(BoxLayout.Number(box.X2)).Append("</xmax>\n");
            xml.Append("\t\t\t<ymax>").Append(BoxLayout.Number(box.Y2)).Append("</ymax>\n");
            xml.Append("\t\t</bndbox>\n");
            xml.Append("\t</object>\n");
        }
        xml.Append("</annotation>\n");
        return xml.ToString();
    }

    private static string Escape(string text) => System.Security.SecurityElement.Escape(text);

    /// <summary>Writes the classes in category order, so that reading the folder back keeps their order and ids.</summary>
    internal static void WriteClassList(string folder, Dataset dataset)
    {
        var text = new StringBuilder();
        foreach (Category category in dataset.Categories) text.Append(category.Name).Append('\n');
        File.WriteAllText(Path.Combine(folder, AnnotationFiles.ClassListFileName), text.ToString(), new UTF8Encoding(false));
    }
}
