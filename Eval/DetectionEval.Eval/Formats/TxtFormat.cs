using System.Text;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * One text file per image, the format of Cartucho/mAP and rafaelpadilla's tools: a folder of <stem>.txt
 * read in file-name order, lines "<class> <a> <b> <c> <d> [difficult]" for ground truth and
 * "<class> <score> <a> <b> <c> <d>" for predictions. a..d follow --box-format (xyxy by default,
 * Cartucho's "left top right bottom"; xywh for rafaelpadilla's "x y w h") and --coords (abs, or rel with
 * image sizes). Numbers are taken from the right, so a class name may contain spaces. Scores are read
 * as Python's float() reads them (".88" included). The trailing word "difficult" marks a difficult object.
 */

/// <summary>Per-image text files (Cartucho/mAP, rafaelpadilla).</summary>
internal sealed class TxtFormat : IAnnotationFormat
{
    public AnnotationFormat Format => AnnotationFormat.Txt;

    public bool IsFolder => true;

    public bool Supports(AnnotationRole role) => true;

    private static string Shape(BoxFormat format, bool scored)
    {
        IReadOnlyList<string> names = BoxLayout.FieldNames(format);
        string box = string.Join(' ', names.Select(n => $"<{n}>"));
        return scored ? $"6 fields '<class> <score> {box}'" : $"5 fields '<class> {box} [difficult]'";
    }

    public void ReadGroundTruth(string path, GroundTruthSink sink)
    {
        List<AnnotationFiles.Entry> files = AnnotationFiles.List(path, ".txt");
        AnnotationFiles.RequireSome(files, path, "per-image .txt files");
        foreach (AnnotationFiles.Entry file in files)
        {
            using LineReader reader = LineReader.Open(file.Path, file.DisplayName, sink.Options.Cancellation, sink.Options.Progress);
            ReadGroundTruthFile(reader, file.Stem, sink);
        }
    }

    /// <summary>Reads the file of the image named <paramref name="stem"/>.</summary>
    internal static void ReadGroundTruthFile(LineReader reader, string stem, GroundTruthSink sink)
    {
        BoxFormat format = sink.Options.BoxFormat ?? BoxFormat.Xyxy;
        bool relative = sink.Options.Coordinates == CoordinateSpace.Relative;
        string shape = Shape(format, scored: false);
        Span<Range> fields = stackalloc Range[64];
        Span<double> values = stackalloc double[4];
        int image = sink.Image(stem);
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            int count = Fields.Split(line, fields);
            if (count == 0) continue;
            if (count > fields.Length) throw reader.Error(shape, Fields.Count(count));
            bool difficult = line[fields[count - 1]].SequenceEqual("difficult"u8);
            int numbers = difficult ? count - 1 : count;
            if (numbers < 5) throw reader.Error(shape, Fields.Count(count));
            // A class name may have spaces, but a number before the box is a column too many.
            Range classField = new(fields[0].Start, fields[numbers - 5].End);
            if (numbers > 5 && Fields.TryParseDouble(line[fields[numbers - 5]], out _)) throw reader.Error(shape, Fields.Count(count));
            int cls = sink.Class(Fields.Text(line, classField), new SourceLocation(reader.DisplayName, reader.LineNumber, 1));
            ImageSize? size = relative ? sink.SizeOf(image, new SourceLocation(reader.DisplayName, reader.LineNumber)) : null;
            Box box = ReadBox(reader, line, fields[(numbers - 4)..numbers], format, size, values);
            sink.Add(image, cls, box, difficult ? GroundTruthFlags.Difficult : GroundTruthFlags.None);
        }
    }

    public void ReadPredictions(string path, PredictionSink sink)
    {
        foreach (AnnotationFiles.Entry file in AnnotationFiles.List(path, ".txt"))
        {
            using LineReader reader = LineReader.Open(file.Path, file.DisplayName, sink.Options.Cancellation, sink.Options.Progress);
            ReadPredictionsFile(reader, file.Stem, sink);
        }
    }

    /// <summary>Reads the predictions file of the image named <paramref name="stem"/>.</summary>
    internal static void ReadPredictionsFile(LineReader reader, string stem, PredictionSink sink)
    {
        BoxFormat format = sink.Options.BoxFormat ?? BoxFormat.Xyxy;
        bool relative = sink.Options.Coordinates == CoordinateSpace.Relative;
        string shape = Shape(format, scored: true);
        Span<Range> fields = stackalloc Range[64];
        Span<double> values = stackalloc double[4];
        int image = -1;
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            int count = Fields.Split(line, fields);
            if (count == 0) continue;
            if (count < 6 || count > fields.Length) throw reader.Error(shape, Fields.Count(count));
            // Resolved at the first box, so that an empty file needs no ground-truth image.
            if (image < 0) image = sink.Image(stem, new SourceLocation(reader.DisplayName, reader.LineNumber));
            Range classField = new(fields[0].Start, fields[count - 6].End);
            // A class name may have spaces, but a number before the score is a column too many.
            if (count > 6 && Fields.TryParseDouble(line[fields[count - 6]], out _)) throw reader.Error(shape, Fields.Count(count));
            int? category = sink.Class(Fields.Text(line, classField), new SourceLocation(reader.DisplayName, reader.LineNumber, 1));
            double score = Fields.Number(reader, line, fields[count - 5], "the score");
            ImageSize? size = relative ? sink.SizeOf(image, new SourceLocation(reader.DisplayName, reader.LineNumber)) : null;
            Box box = ReadBox(reader, line, fields[(count - 4)..count], format, size, values);
            if (category is int k) sink.Add(image, k, box, score);
        }
    }

    private static Box ReadBox(LineReader reader, ReadOnlySpan<byte> line, Span<Range> boxFields, BoxFormat format, ImageSize? size, Span<double> values)
    {
        IReadOnlyList<string> names = BoxLayout.FieldNames(format);
        for (int i = 0; i < 4; i++) values[i] = Fields.Number(reader, line, boxFields[i], names[i]);
        if (BoxLayout.TryToBox(format, values, size, out Box box, out BoxLayout.Problem problem)) return box;
        throw reader.Error(problem.Expected, problem.Found, Fields.Column(line, boxFields[problem.Field]));
    }

    public void Write(Dataset dataset, AnnotationRole role, string path, WriteOptions options)
    {
        var view = new DatasetView(dataset);
        string[] stems = view.UniqueStems(path);
        BoxFormat format = options.BoxFormat ?? BoxFormat.Xyxy;
        bool relative = options.Coordinates == CoordinateSpace.Relative;
        var texts = new string[stems.Length];
        int crowds = 0;
        Span<double> values = stackalloc double[4];
        var text = new StringBuilder();
        for (int image = 0; image < stems.Length; image++)
        {
            text.Clear();
            ImageSize? size = null;
            if (role == AnnotationRole.GroundTruth)
            {
                GroundTruthTable gt = dataset.GroundTruth;
                foreach (int row in view.GroundTruthOfImage[image])
                {
                    size ??= relative ? view.RequireSize(image, options.ImageSizes, path) : null;
                    GroundTruthFlags flags = gt.Flags[row];
                    if (flags.HasFlag(GroundTruthFlags.Crowd)) crowds++;
                    text.Append(view.ClassName(gt.Categories[row]));
                    AppendBox(text, format, gt.Boxes[row], size, values, path, view.ImageName(image));
                    // VOC treats crowd and ignore as difficult; the format has no other flag.
                    if (flags != GroundTruthFlags.None) text.Append(" difficult");
                    text.Append('\n');
                }
            }
            else
            {
                DetectionTable dt = dataset.Detections;
                foreach (int row in view.DetectionsOfImage[image])
                {
                    size ??= relative ? view.RequireSize(image, options.ImageSizes, path) : null;
                    text.Append(view.ClassName(dt.Categories[row])).Append(' ').Append(BoxLayout.Number(dt.Scores[row]));
                    AppendBox(text, format, dt.Boxes[row], size, values, path, view.ImageName(image));
                    text.Append('\n');
                }
            }
            texts[image] = text.ToString();
        }
        if (crowds > 0) options.Notice?.Invoke($"{path}: {Counting.Of(crowds, "crowd box")} written as difficult (the txt format has no crowd flag)");
        AtomicFolder.Write(path, folder =>
        {
            for (int image = 0; image < stems.Length; image++) File.WriteAllText(Path.Combine(folder, stems[image] + ".txt"), texts[image], new UTF8Encoding(false));
            if (role == AnnotationRole.GroundTruth) VocXmlFormat.WriteClassList(folder, dataset);
        }, options.Replace);
    }

    private static void AppendBox(StringBuilder text, BoxFormat format, Box box, ImageSize? size, Span<double> values, string path, string image)
    {
        DatasetView.Numbers(format, box, size, values, path, $"image '{image}'");
        for (int i = 0; i < 4; i++) text.Append(' ').Append(BoxLayout.Number(values[i]));
    }
}
