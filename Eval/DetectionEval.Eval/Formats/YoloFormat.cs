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
 */

/// <summary>YOLO txt labels and predictions.</summary>
internal sealed class YoloFormat : IAnnotationFormat
{
    private const string GroundTruthShape = "5 fields '<class> <cx> <cy> <w> <h>'";
    private const string PredictionShape = "6 fields '<class> <cx> <cy> <w> <h> <confidence>' (ultralytics save_conf)";
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
        Span<Range> fields = stackalloc Range[7];
        Span<double> values = stackalloc double[4];
        int image = sink.Image(stem);
        ImageSize? size = null;
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            int count = Fields.Split(line, fields);
            if (count == 0) continue;
            if (count != 5) throw reader.Error(GroundTruthShape, Fields.Count(count), hint: count > 6 ? "Polygon (segmentation) labels are not boxes." : null);
            long classIndex = ClassIndex(reader, line, fields[0]);
            if (!classes.TryGetValue(classIndex, out int cls))
            {
                cls = sink.ClassOfIndex(classIndex, Where(reader, line, fields[0]));
                classes.Add(classIndex, cls);
            }
            size ??= sink.SizeOf(image, Where(reader, line, fields[0]));
            Box box = ReadBox(reader, line, fields, values, size.Value);
            sink.Add(image, cls, box);
        }
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
        Span<Range> fields = stackalloc Range[7];
        Span<double> values = stackalloc double[4];
        int image = -1;
        ImageSize size = default;
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            int count = Fields.Split(line, fields);
            if (count == 0) continue;
            if (count != 6) throw reader.Error(PredictionShape, Fields.Count(count));
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
            Box box = ReadBox(reader, line, fields, values, size);
            double score = Fields.Number(reader, line, fields[5], "the confidence");
            if (category is int k) sink.Add(image, k, box, score);
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
        int flagged = 0;
        Span<double> values = stackalloc double[4];
        var text = new StringBuilder();
        for (int image = 0; image < stems.Length; image++)
        {
            text.Clear();
            if (role == AnnotationRole.GroundTruth)
            {
                GroundTruthTable gt = dataset.GroundTruth;
                foreach (int row in view.GroundTruthOfImage[image])
                {
                    if (gt.Flags[row] != GroundTruthFlags.None) flagged++;
                    AppendLine(text, gt.Categories[row], gt.Boxes[row], null, view, image, options, path, values);
                }
            }
            else
            {
                DetectionTable dt = dataset.Detections;
                foreach (int row in view.DetectionsOfImage[image])
                {
                    AppendLine(text, dt.Categories[row], dt.Boxes[row], dt.Scores[row], view, image, options, path, values);
                }
            }
            texts[image] = text.ToString();
        }
        if (flagged > 0) options.Notice?.Invoke($"{path}: {Counting.Of(flagged, "difficult or crowd box")} written as {(flagged == 1 ? "an ordinary box" : "ordinary boxes")} (YOLO has no such flags)");
        AtomicFolder.Write(path, folder =>
        {
            for (int image = 0; image < stems.Length; image++) File.WriteAllText(Path.Combine(folder, stems[image] + ".txt"), texts[image], new UTF8Encoding(false));
            VocXmlFormat.WriteClassList(folder, dataset);
        }, options.Replace);
    }

    private static void AppendLine(StringBuilder text, int category, Box box, double? score, DatasetView view, int image, WriteOptions options, string path, Span<double> values)
    {
        ImageSize size = view.RequireSize(image, options.ImageSizes, path);
        DatasetView.Numbers(BoxFormat.Cxcywh, box, size, values, path, $"image '{view.ImageName(image)}'");
        // The class index is the category's position: classes.txt lists the categories in that order.
        text.Append(category.ToString(CultureInfo.InvariantCulture));
        for (int i = 0; i < 4; i++) text.Append(' ').Append(BoxLayout.Number(values[i]));
        if (score is double s) text.Append(' ').Append(BoxLayout.Number(s));
        text.Append('\n');
    }
}
