using System.Globalization;
using CsvHelper;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Reports;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * A CSV file with one row per box, read with CsvHelper (separator detected: comma, semicolon, tab or
 * bar). Columns are found by header name, ignoring case: image, class, the box (x1,y1,x2,y2 or
 * xmin,...; x,y,w,h; cx,cy,w,h; the layout follows --box-format or the header), score (predictions),
 * difficult and iscrowd (ground truth, optional), width and height (image size, optional, used for
 * --coords rel). --csv-columns column=header picks other names (--gt-csv-columns and --pred-csv-columns for
 * one side only, column by column over --csv-columns). Rows keep file order. A ground-truth row
 * with an image and no class or box names an image without boxes (deval writes one for each such image);
 * so do the images of --images or --image-sizes.
 */

/// <summary>CSV with one row per box.</summary>
internal sealed class CsvFormat : IAnnotationFormat
{
    public AnnotationFormat Format => AnnotationFormat.Csv;

    public bool IsFolder => false;

    public bool Supports(AnnotationRole role) => true;

    /// <summary>The columns of one file, by role; -1 where absent.</summary>
    private sealed record Columns(int Image, int Class, BoxFormat Layout, int[] Box, int Score, int Difficult, int Crowd, int Width, int Height, string[] Headers);

    internal static CsvReader Open(string path, CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        InputFiles.RequireFile(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InputFiles.CannotOpen(path, e);
        }
        return Open(stream, path, cancellation, progress);
    }

    /// <summary>Reads CSV from a stream, which the reader disposes; records longer than <see cref="InputLimits.MaxLineBytes"/> are refused.</summary>
    internal static CsvReader Open(Stream stream, string displayName, CancellationToken cancellation = default, IProgressSink? progress = null) =>
        CsvReader.Create(
            new GuardedStream(stream, displayName, cancellation, progress: progress),
            CsvReaderOptions.Default with { TrackLineNumbers = true, PoolStrings = true, SkipEmptyLines = true, MaxRecordSize = InputLimits.MaxLineBytes },
            leaveOpen: false);

    private static Columns FindColumns(CsvReader csv, string path, LoadOptions options, AnnotationRole role)
    {
        string[] headers = ReadHeaders(csv, path);
        CsvColumnNames names = options.CsvColumnsFor(role);
        int Find(CsvColumn column) => Index(csv, names.Candidates(column));
        int image = Find(CsvColumn.Image), cls = Find(CsvColumn.Class);
        string found = $"a header with {string.Join(",", headers)}";
        if (image < 0) throw HeaderError(path, $"an image column ({string.Join(", ", names.Candidates(CsvColumn.Image))})", found);
        if (cls < 0) throw HeaderError(path, $"a class column ({string.Join(", ", names.Candidates(CsvColumn.Class))})", found);

        int width = Find(CsvColumn.Width), height = Find(CsvColumn.Height);
        BoxFormat[] layouts = options.BoxFormat is BoxFormat chosen ? [chosen] : [BoxFormat.Xyxy, BoxFormat.Xywh, BoxFormat.Cxcywh];
        foreach (BoxFormat layout in layouts)
        {
            int[] box = [.. CsvColumnNames.BoxColumns(layout).Select(Find)];
            if (layout != BoxFormat.Xyxy && box[2] < 0 && box[3] < 0 && width >= 0 && height >= 0)
            {
                // "x,y,width,height": without a w column, width and height are the box's size.
                box[2] = width;
                box[3] = height;
                width = height = -1;
            }
            if (box.All(i => i >= 0))
            {
                int score = Find(CsvColumn.Score);
                if (role == AnnotationRole.Predictions && score < 0) throw HeaderError(path, $"a score column ({string.Join(", ", names.Candidates(CsvColumn.Score))})", found);
                return new Columns(image, cls, layout, box, score, Find(CsvColumn.Difficult), Find(CsvColumn.IsCrowd), width, height, headers);
            }
        }
        string wanted = options.BoxFormat is BoxFormat only
            ? $"the {BoxLayout.Name(only)} box columns {string.Join(",", BoxLayout.FieldNames(only))}"
            : "box columns x1,y1,x2,y2 (or xmin,ymin,xmax,ymax), x,y,w,h or cx,cy,w,h";
        throw HeaderError(path, wanted, found);
    }

    private static string[] ReadHeaders(CsvReader csv, string path)
    {
        try
        {
            string[] headers = [.. csv.Headers];
            if (headers.Length == 0) throw HeaderError(path, "a header row naming the columns", "an empty file");
            return headers;
        }
        catch (CsvFormatException e)
        {
            throw FromCsv(path, e);
        }
    }

    private static int Index(CsvReader csv, IReadOnlyList<string> candidates)
    {
        foreach (string name in candidates)
        {
            if (csv.TryGetFieldIndex(name, out int index)) return index;
        }
        return -1;
    }

    private static AnnotationFormatException HeaderError(string path, string expected, string found) =>
        new(new SourceLocation(path, 1), expected, found);

    internal static AnnotationFormatException FromCsv(string path, CsvFormatException e) =>
        new(new SourceLocation(path, e.LineNumber > 0 ? (int)e.LineNumber : null), "well-formed CSV", e.Message, inner: e);

    public void ReadGroundTruth(string path, GroundTruthSink sink)
    {
        using CsvReader csv = Open(path, sink.Options.Cancellation, sink.Options.Progress);
        ReadGroundTruth(csv, path, sink);
    }

    /// <summary>Reads ground truth from an open reader; <paramref name="path"/> names the file in messages.</summary>
    internal static void ReadGroundTruth(CsvReader csv, string path, GroundTruthSink sink)
    {
        Columns columns = FindColumns(csv, path, sink.Options, AnnotationRole.GroundTruth);
        var rows = new Rows(csv, path, columns);
        bool relative = sink.Options.Coordinates == CoordinateSpace.Relative;
        Span<double> values = stackalloc double[4];
        // Class names repeat on every row; the sink (and the location it needs for errors) only sees new ones.
        var classes = new Dictionary<string, int>(StringComparer.Ordinal);
        while (rows.Next())
        {
            int image = sink.Image(rows.Text(columns.Image, "image"), null, rows.Size());
            if (rows.IsImageOnly()) continue;
            string className = rows.Text(columns.Class, "class");
            if (!classes.TryGetValue(className, out int cls))
            {
                cls = sink.Class(className, rows.At(columns.Class));
                classes.Add(className, cls);
            }
            ImageSize? size = relative ? sink.SizeOf(image, rows.At(columns.Image)) : null;
            Box box = rows.Box(values, size);
            GroundTruthFlags flags = rows.Flag(columns.Difficult, GroundTruthFlags.Difficult) | rows.Flag(columns.Crowd, GroundTruthFlags.Crowd);
            sink.Add(image, cls, box, flags);
        }
        if (sink.Options.ImageSizes is { } sizes) sink.AddImagesOf(sizes);
    }

    public void ReadPredictions(string path, PredictionSink sink)
    {
        using CsvReader csv = Open(path, sink.Options.Cancellation, sink.Options.Progress);
        ReadPredictions(csv, path, sink);
    }

    /// <summary>Reads predictions from an open reader; <paramref name="path"/> names the file in messages.</summary>
    internal static void ReadPredictions(CsvReader csv, string path, PredictionSink sink)
    {
        Columns columns = FindColumns(csv, path, sink.Options, AnnotationRole.Predictions);
        var rows = new Rows(csv, path, columns);
        bool relative = sink.Options.Coordinates == CoordinateSpace.Relative;
        Span<double> values = stackalloc double[4];
        var images = new Dictionary<string, int>(StringComparer.Ordinal);
        var categories = new Dictionary<string, int>(StringComparer.Ordinal);
        while (rows.Next())
        {
            string imageName = rows.Text(columns.Image, "image");
            if (!images.TryGetValue(imageName, out int image))
            {
                image = sink.Image(imageName, rows.At(columns.Image));
                images.Add(imageName, image);
            }
            string className = rows.Text(columns.Class, "class");
            // Known classes are cached; an unknown one goes to the sink every time, which counts it.
            int? category = categories.TryGetValue(className, out int known) ? known : sink.Class(className, rows.At(columns.Class));
            if (category is int found) categories.TryAdd(className, found);
            double score = rows.Number(columns.Score);
            ImageSize? size = relative ? rows.Size() ?? sink.SizeOf(image, rows.At(columns.Image)) : null;
            Box box = rows.Box(values, size);
            if (category is int k) sink.Add(image, k, box, score);
        }
    }

    /// <summary>Reading the rows of one file, with errors that name the line and the column.</summary>
    private sealed class Rows(CsvReader csv, string path, Columns columns)
    {
        public bool Next()
        {
            try
            {
                if (!csv.Read()) return false;
            }
            catch (CsvFormatException e)
            {
                throw FromCsv(path, e);
            }
            if (csv.FieldCount != columns.Headers.Length)
            {
                throw new AnnotationFormatException(new SourceLocation(path, (int)csv.LineNumber), $"{Fields.Count(columns.Headers.Length)} as in the header", Fields.Count(csv.FieldCount));
            }
            return true;
        }

        /// <summary>A row with an image and nothing else: an image without boxes.</summary>
        public bool IsImageOnly()
        {
            if (!csv.IsEmpty(columns.Class)) return false;
            foreach (int column in columns.Box)
            {
                if (!csv.IsEmpty(column)) return false;
            }
            return true;
        }

        public SourceLocation At(int column) => new(path, (int)csv.LineNumber, Path: $"column '{columns.Headers[column]}'");

        public string Text(int column, string what)
        {
            string text = csv.GetString(column);
            if (text.Length == 0) throw new AnnotationFormatException(At(column), $"the {what}", "an empty field");
            return text;
        }

        public double Number(int column)
        {
            ReadOnlySpan<byte> text = csv.GetSpan(column);
            if (Fields.TryParseDouble(text, out double value)) return value;
            throw new AnnotationFormatException(At(column), "a number", text.Length == 0 ? "an empty field" : Fields.Quote(text));
        }

        public Box Box(Span<double> values, ImageSize? size)
        {
            for (int i = 0; i < 4; i++) values[i] = Number(columns.Box[i]);
            if (BoxLayout.TryToBox(columns.Layout, values, size, out Box box, out BoxLayout.Problem problem)) return box;
            throw new AnnotationFormatException(At(columns.Box[problem.Field]), problem.Expected, problem.Found);
        }

        /// <summary>The image size columns of the row, when the file has them.</summary>
        public ImageSize? Size()
        {
            if (columns.Width < 0 || columns.Height < 0 || csv.IsEmpty(columns.Width)) return null;
            double w = Number(columns.Width), h = Number(columns.Height);
            if (w >= 1 && h >= 1 && w == Math.Floor(w) && h == Math.Floor(h) && w <= int.MaxValue && h <= int.MaxValue) return new ImageSize((int)w, (int)h);
            throw new AnnotationFormatException(At(columns.Width), "an image size in whole pixels", $"{BoxLayout.Number(w)} x {BoxLayout.Number(h)}");
        }

        public GroundTruthFlags Flag(int column, GroundTruthFlags flag)
        {
            if (column < 0) return GroundTruthFlags.None;
            string text = csv.GetString(column).Trim();
            return text.ToLowerInvariant() switch
            {
                "" or "0" or "false" or "no" => GroundTruthFlags.None,
                "1" or "true" or "yes" => flag,
                _ => throw new AnnotationFormatException(At(column), "0 or 1 (or true/false)", $"'{text}'"),
            };
        }
    }

    public void Write(Dataset dataset, AnnotationRole role, string path, WriteOptions options)
    {
        var view = new DatasetView(dataset);
        BoxFormat layout = options.BoxFormat ?? BoxFormat.Xyxy;
        bool relative = options.Coordinates == CoordinateSpace.Relative;
        AtomicFile.Write(path, stream =>
        {
            using CsvWriter csv = CsvWriter.Create(stream, CsvWriterOptions.Default with { NewLine = "\n" }, leaveOpen: true);
            csv.WriteField("image");
            csv.WriteField("class");
            foreach (string name in BoxLayout.FieldNames(layout)) csv.WriteField(name);
            if (role == AnnotationRole.Predictions) csv.WriteField("score");
            else
            {
                csv.WriteField("difficult");
                csv.WriteField("iscrowd");
            }
            if (relative)
            {
                csv.WriteField("width");
                csv.WriteField("height");
            }
            csv.EndRecord();
            Span<double> values = stackalloc double[4];
            if (role == AnnotationRole.GroundTruth)
            {
                GroundTruthTable gt = dataset.GroundTruth;
                for (int image = 0; image < dataset.Images.Count; image++)
                {
                    if (view.GroundTruthOfImage[image].Count == 0)
                    {
                        // An image without boxes: a row with its name and nothing else.
                        csv.WriteField(view.ImageName(image));
                        for (int i = 1; i < 8 + (relative ? 2 : 0); i++) csv.WriteField("");
                        csv.EndRecord();
                    }
                    foreach (int row in view.GroundTruthOfImage[image])
                    {
                        ImageSize? size = relative ? view.RequireSize(image, options.ImageSizes, path) : null;
                        WriteStart(csv, view, image, gt.Categories[row], layout, gt.Boxes[row], size, values, path);
                        GroundTruthFlags flags = gt.Flags[row];
                        csv.WriteField((flags & (GroundTruthFlags.Difficult | GroundTruthFlags.Ignore)) != 0 ? "1" : "0");
                        csv.WriteField(flags.HasFlag(GroundTruthFlags.Crowd) ? "1" : "0");
                        WriteSize(csv, size);
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
                    ImageSize? size = relative ? view.RequireSize(image, options.ImageSizes, path) : null;
                    WriteStart(csv, view, image, dt.Categories[row], layout, dt.Boxes[row], size, values, path);
                    csv.WriteField(BoxLayout.Number(dt.Scores[row]));
                    WriteSize(csv, size);
                    csv.EndRecord();
                }
            }
        });
    }

    private static void WriteStart(CsvWriter csv, DatasetView view, int image, int category, BoxFormat layout, Box box, ImageSize? size, Span<double> values, string path)
    {
        csv.WriteField(view.ImageName(image));
        csv.WriteField(view.ClassName(category));
        DatasetView.Numbers(layout, box, size, values, path, $"image '{view.ImageName(image)}'");
        for (int i = 0; i < 4; i++) csv.WriteField(BoxLayout.Number(values[i]));
    }

    private static void WriteSize(CsvWriter csv, ImageSize? size)
    {
        if (size is not ImageSize s) return;
        csv.WriteField(s.Width.ToString(CultureInfo.InvariantCulture));
        csv.WriteField(s.Height.ToString(CultureInfo.InvariantCulture));
    }
}
