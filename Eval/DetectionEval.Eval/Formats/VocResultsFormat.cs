using System.Text;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * Pascal VOC results: one text file per class, lines "<image> <score> <xmin> <ymin> <xmax> <ymax>".
 * The class is in the file name: comp4_det_test_<class>.txt (VOC devkit, py-faster-rcnn) or
 * <class>.txt (detectron2's PascalVOCDetectionEvaluator). Files are read in file-name order and lines in
 * file order, which keeps the stable tie order within a class. Corners are taken as written, with no
 * 1-based shift: the box is Box.FromCorners(xmin, ymin, xmax, ymax).
 */

/// <summary>Pascal VOC per-class results files (predictions).</summary>
internal sealed class VocResultsFormat : IAnnotationFormat
{
    private const string LineShape = "6 fields '<image> <score> <xmin> <ymin> <xmax> <ymax>'";

    public AnnotationFormat Format => AnnotationFormat.VocResults;

    public bool IsFolder => true;

    public bool Supports(AnnotationRole role) => role == AnnotationRole.Predictions;

    public void ReadGroundTruth(string path, GroundTruthSink sink) =>
        throw new AnnotationFormatException(new SourceLocation(path), "ground truth (VOC annotation XML: voc-xml)", "VOC results files, which hold predictions");

    /// <summary>The class named by a results file: after "_det_&lt;set&gt;_", else the whole stem.</summary>
    public static string ClassOfFile(string stem)
    {
        int det = stem.IndexOf("_det_", StringComparison.Ordinal);
        if (det < 0) return stem;
        int afterSet = stem.IndexOf('_', det + 5);
        return afterSet < 0 ? stem : stem[(afterSet + 1)..];
    }

    public void ReadPredictions(string path, PredictionSink sink)
    {
        foreach (AnnotationFiles.Entry file in AnnotationFiles.List(path, ".txt"))
        {
            using LineReader reader = LineReader.Open(file.Path, file.DisplayName, sink.Options.Cancellation, sink.Options.Progress);
            ReadFile(reader, ClassOfFile(file.Stem), sink);
        }
    }

    /// <summary>Reads one results file, the detections of <paramref name="className"/>.</summary>
    internal static void ReadFile(LineReader reader, string className, PredictionSink sink)
    {
        Span<Range> fields = stackalloc Range[7];
        Span<double> corners = stackalloc double[4];
        var fileLocation = new SourceLocation(reader.DisplayName);
        int? category = null;
        bool resolved = false;
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            int count = Fields.Split(line, fields);
            if (count == 0) continue;
            if (count != 6) throw reader.Error(LineShape, Fields.Count(count));
            if (!resolved)
            {
                // Resolved at the first line, so that an empty file of an unknown class is no error.
                category = sink.Class(className, fileLocation with { Line = reader.LineNumber });
                resolved = true;
            }
            string imageName = Fields.Text(line, fields[0]);
            int image = sink.Image(imageName, new SourceLocation(reader.DisplayName, reader.LineNumber, 1));
            double score = Fields.Number(reader, line, fields[1], "the score");
            string[] names = ["xmin", "ymin", "xmax", "ymax"];
            for (int i = 0; i < 4; i++) corners[i] = Fields.Number(reader, line, fields[2 + i], names[i]);
            if (!BoxLayout.TryToBox(BoxFormat.Xyxy, corners, null, out Box box, out BoxLayout.Problem problem))
            {
                throw reader.Error(problem.Expected.Replace("x2", "xmax").Replace("x1", "xmin").Replace("y2", "ymax").Replace("y1", "ymin"), problem.Found, Fields.Column(line, fields[2 + problem.Field]));
            }
            if (category is int k) sink.Add(image, k, box, score);
        }
    }

    public void Write(Dataset dataset, AnnotationRole role, string path, WriteOptions options)
    {
        if (role != AnnotationRole.Predictions) throw new AnnotationFormatException(new SourceLocation(path), "predictions (VOC results hold scored detections)", "ground truth");
        var view = new DatasetView(dataset);
        string[] stems = view.UniqueStems(path);
        DetectionTable dt = dataset.Detections;
        var files = new StringBuilder[dataset.Categories.Count];
        for (int k = 0; k < files.Length; k++) files[k] = new StringBuilder();
        foreach (int row in view.DetectionOrder)
        {
            Box box = dt.Boxes[row];
            files[dt.Categories[row]].Append(stems[dt.Images[row]]).Append(' ')
                .Append(BoxLayout.Number(dt.Scores[row])).Append(' ')
                .Append(BoxLayout.Number(box.X)).Append(' ').Append(BoxLayout.Number(box.Y)).Append(' ')
                .Append(BoxLayout.Number(box.X2)).Append(' ').Append(BoxLayout.Number(box.Y2)).Append('\n');
        }
        AtomicFolder.Write(path, folder =>
        {
            for (int k = 0; k < files.Length; k++)
            {
                File.WriteAllText(Path.Combine(folder, $"comp4_det_test_{view.ClassName(k)}.txt"), files[k].ToString(), new UTF8Encoding(false));
            }
        }, options.Replace);
    }
}
