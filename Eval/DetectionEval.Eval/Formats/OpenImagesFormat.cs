using CsvHelper;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * Open Images CSV. Ground truth: the boxes file (ImageID, Source, LabelName, Confidence, XMin, XMax,
 * YMin, YMax, IsOccluded, IsTruncated, IsGroupOf, IsDepiction, IsInside); predictions: the challenge's
 * ImageID, LabelName, Score, XMin, XMax, YMin, YMax. Coordinates are fractions of the image size in
 * [0, 1]; the box is Box.FromCorners(XMin*W, YMin*H, XMax*W, YMax*H), so the image sizes must be known
 * (--images or --image-sizes); the images listed there without a row are images without boxes.
 * IsGroupOf = 1 is a crowd; an empty flag cell (exporters leave IsOccluded, IsGroupOf, ... empty) is 0,
 * and the flags other than IsGroupOf are not read. LabelName is the class, usually a machine id
 * (/m/01g317); --class-map with the class-descriptions CSV renames them. Rows keep file order.
 */

/// <summary>A row of the Open Images boxes file.</summary>
[CsvRecord]
internal sealed partial record OpenImagesBox(
    [property: CsvColumn("ImageID")] string ImageId,
    [property: CsvColumn("LabelName")] string LabelName,
    [property: CsvColumn("XMin")] double XMin,
    [property: CsvColumn("XMax")] double XMax,
    [property: CsvColumn("YMin")] double YMin,
    [property: CsvColumn("YMax")] double YMax,
    [property: CsvColumn("IsGroupOf", Optional = true), CsvDefault(0)] int IsGroupOf = 0);

/// <summary>A row of an Open Images challenge predictions file.</summary>
[CsvRecord]
internal sealed partial record OpenImagesPrediction(
    [property: CsvColumn("ImageID")] string ImageId,
    [property: CsvColumn("LabelName")] string LabelName,
    [property: CsvColumn("Score", "Confidence")] double Score,
    [property: CsvColumn("XMin")] double XMin,
    [property: CsvColumn("XMax")] double XMax,
    [property: CsvColumn("YMin")] double YMin,
    [property: CsvColumn("YMax")] double YMax);

/// <summary>Open Images CSV.</summary>
internal sealed class OpenImagesFormat : IAnnotationFormat
{
    public AnnotationFormat Format => AnnotationFormat.OpenImages;

    public bool IsFolder => false;

    public bool Supports(AnnotationRole role) => true;

    private static readonly string[] Corners = ["XMin", "YMin", "XMax", "YMax"];

    public void ReadGroundTruth(string path, GroundTruthSink sink)
    {
        using CsvReader csv = CsvFormat.Open(path, sink.Options.Cancellation, sink.Options.Progress);
        ReadGroundTruth(csv, path, sink);
    }

    /// <summary>Reads ground truth from an open reader; <paramref name="path"/> names the file in messages.</summary>
    internal static void ReadGroundTruth(CsvReader csv, string path, GroundTruthSink sink)
    {
        Span<double> values = stackalloc double[4];
        foreach ((OpenImagesBox row, SourceLocation at) in Rows<OpenImagesBox>(csv, path))
        {
            int image = sink.Image(row.ImageId);
            int cls = sink.Class(row.LabelName, at with { Path = "column 'LabelName'" });
            ImageSize size = sink.SizeOf(image, at with { Path = "column 'ImageID'" });
            Box box = ToBox(row.XMin, row.XMax, row.YMin, row.YMax, size, at, values);
            sink.Add(image, cls, box, row.IsGroupOf == 1 ? GroundTruthFlags.Crowd : GroundTruthFlags.None);
        }
        // The boxes file lists no image without boxes; the image sizes name every image.
        if (sink.Options.ImageSizes is { } sizes) sink.AddImagesOf(sizes);
    }

    public void ReadPredictions(string path, PredictionSink sink)
    {
        using CsvReader csv = CsvFormat.Open(path, sink.Options.Cancellation, sink.Options.Progress);
        ReadPredictions(csv, path, sink);
    }

    /// <summary>Reads predictions from an open reader; <paramref name="path"/> names the file in messages.</summary>
    internal static void ReadPredictions(CsvReader csv, string path, PredictionSink sink)
    {
        Span<double> values = stackalloc double[4];
        foreach ((OpenImagesPrediction row, SourceLocation at) in Rows<OpenImagesPrediction>(csv, path))
        {
            int image = sink.Image(row.ImageId, at with { Path = "column 'ImageID'" });
            int? category = sink.Class(row.LabelName, at with { Path = "column 'LabelName'" });
            if (!double.IsFinite(row.Score)) throw new AnnotationFormatException(at with { Path = "column 'Score'" }, "a finite score", BoxLayout.Number(row.Score));
            ImageSize size = sink.SizeOf(image, at with { Path = "column 'ImageID'" });
            Box box = ToBox(row.XMin, row.XMax, row.YMin, row.YMax, size, at, values);
            if (category is int k) sink.Add(image, k, box, row.Score);
        }
    }

    /// <summary>The rows of the file as records, each with its line; CsvHelper's errors become input errors.</summary>
    private static IEnumerable<(T Row, SourceLocation At)> Rows<T>(CsvReader csv, string path)
    {
        int headerFields;
        try
        {
            headerFields = csv.Headers.Count;
            if (headerFields == 0) throw new AnnotationFormatException(new SourceLocation(path, 1), "an Open Images header row (ImageID,...,XMin,XMax,YMin,YMax)", "an empty file");
            string[] required = typeof(T) == typeof(OpenImagesPrediction)
                ? ["ImageID", "LabelName", "Score", "XMin", "XMax", "YMin", "YMax"]
                : ["ImageID", "LabelName", "XMin", "XMax", "YMin", "YMax"];
            string[] missing = [.. required.Where(name => !csv.TryGetFieldIndex(name, out _) && !(name == "Score" && csv.TryGetFieldIndex("Confidence", out _)))];
            if (missing.Length > 0 || !csv.TryValidateHeader<T>(out _))
            {
                throw new AnnotationFormatException(new SourceLocation(path, 1), $"an Open Images header with {string.Join(", ", required)}", $"one without {string.Join(", ", missing)}");
            }
        }
        catch (CsvFormatException e)
        {
            throw CsvFormat.FromCsv(path, e);
        }
        while (true)
        {
            T row;
            SourceLocation at;
            try
            {
                if (!csv.Read()) yield break;
                at = new SourceLocation(path, (int)csv.LineNumber);
                if (csv.FieldCount != headerFields) throw new AnnotationFormatException(at, $"{Fields.Count(headerFields)} as in the header", Fields.Count(csv.FieldCount));
                row = csv.GetRecord<T>();
            }
            catch (CsvFormatException e)
            {
                string column = e.FieldIndex >= 0 && e.FieldIndex < csv.Headers.Count ? $"column '{csv.Headers[e.FieldIndex]}'" : "";
                string value = e.FieldIndex >= 0 && e.FieldIndex < csv.FieldCount ? Fields.Quote(csv.GetSpan(e.FieldIndex)) : (e.InnerException?.Message ?? e.Message);
                throw new AnnotationFormatException(new SourceLocation(path, e.LineNumber > 0 ? (int)e.LineNumber : (int)csv.LineNumber, Path: column.Length > 0 ? column : null),
                    column.Length > 0 ? "a number" : "well-formed CSV", value, inner: e);
            }
            yield return (row, at);
        }
    }

    private static Box ToBox(double xMin, double xMax, double yMin, double yMax, ImageSize size, SourceLocation at, Span<double> values)
    {
        values[0] = xMin;
        values[1] = yMin;
        values[2] = xMax;
        values[3] = yMax;
        if (BoxLayout.TryToBox(BoxFormat.Xyxy, values, size, out Box box, out BoxLayout.Problem problem)) return box;
        string expected = problem.Expected.StartsWith("a relative", StringComparison.Ordinal)
            ? $"{Corners[problem.Field]} between 0 and 1"
            : problem.Expected.Replace("x2 >= x1", "XMax >= XMin").Replace("y2 >= y1", "YMax >= YMin");
        throw new AnnotationFormatException(at with { Path = $"column '{Corners[problem.Field]}'" }, expected, problem.Found);
    }

    public void Write(Dataset dataset, AnnotationRole role, string path, WriteOptions options)
    {
        var view = new DatasetView(dataset);
        int difficult = 0;
        AtomicFile.Write(path, stream =>
        {
            using CsvWriter csv = CsvWriter.Create(stream, CsvWriterOptions.Default with { NewLine = "\n" }, leaveOpen: true);
            Span<double> values = stackalloc double[4];
            string[] header = role == AnnotationRole.GroundTruth
                ? ["ImageID", "Source", "LabelName", "Confidence", "XMin", "XMax", "YMin", "YMax", "IsOccluded", "IsTruncated", "IsGroupOf", "IsDepiction", "IsInside"]
                : ["ImageID", "LabelName", "Score", "XMin", "XMax", "YMin", "YMax"];
            foreach (string name in header) csv.WriteField(name);
            csv.EndRecord();
            if (role == AnnotationRole.GroundTruth)
            {
                GroundTruthTable gt = dataset.GroundTruth;
                for (int image = 0; image < dataset.Images.Count; image++)
                {
                    foreach (int row in view.GroundTruthOfImage[image])
                    {
                        GroundTruthFlags flags = gt.Flags[row];
                        if ((flags & (GroundTruthFlags.Difficult | GroundTruthFlags.Ignore)) != 0) difficult++;
                        csv.WriteField(view.ImageName(image));
                        csv.WriteField("deval");
                        csv.WriteField(view.ClassName(gt.Categories[row]));
                        csv.WriteField("1");
                        WriteCorners(csv, view, image, gt.Boxes[row], options, path, values);
                        csv.WriteField("0");
                        csv.WriteField("0");
                        csv.WriteField(flags.HasFlag(GroundTruthFlags.Crowd) ? "1" : "0");
                        csv.WriteField("0");
                        csv.WriteField("0");
                        csv.EndRecord();
                    }
                }
            }
            else
            {
                DetectionTable dt = dataset.Detections;
                foreach (int row in view.DetectionOrder)
                {
                    int image = dt.Images[row];
                    csv.WriteField(view.ImageName(image));
                    csv.WriteField(view.ClassName(dt.Categories[row]));
                    csv.WriteField(BoxLayout.Number(dt.Scores[row]));
                    WriteCorners(csv, view, image, dt.Boxes[row], options, path, values);
                    csv.EndRecord();
                }
            }
        });
        if (difficult > 0) options.Notice?.Invoke($"{path}: {Counting.Of(difficult, "difficult box")} written as {(difficult == 1 ? "an ordinary box" : "ordinary boxes")} (Open Images has no difficult flag)");
    }

    private static void WriteCorners(CsvWriter csv, DatasetView view, int image, Box box, WriteOptions options, string path, Span<double> values)
    {
        ImageSize size = view.RequireSize(image, options.ImageSizes, path);
        DatasetView.Numbers(BoxFormat.Xyxy, box, size, values, path, $"image '{view.ImageName(image)}'");
        // Open Images orders the corners XMin, XMax, YMin, YMax.
        csv.WriteField(BoxLayout.Number(values[0]));
        csv.WriteField(BoxLayout.Number(values[2]));
        csv.WriteField(BoxLayout.Number(values[1]));
        csv.WriteField(BoxLayout.Number(values[3]));
    }
}
