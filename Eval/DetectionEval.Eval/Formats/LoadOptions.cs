using DetectionEval.Eval.Data;

namespace DetectionEval.Eval.Formats;

/// <summary>How annotation files are read: the settings shared by every format.</summary>
public sealed record LoadOptions
{
    /// <summary>The box layout of the txt and CSV formats; null for the format's default (txt: xyxy; CSV: from the header).</summary>
    public BoxFormat? BoxFormat { get; init; }

    /// <summary>Pixels or fractions of the image size, for the txt and CSV formats.</summary>
    public CoordinateSpace Coordinates { get; init; } = CoordinateSpace.Absolute;

    /// <summary>A class list (<c>--names</c>): YOLO's index-to-name list; for name-based ground truth, the classes, their ids and order.</summary>
    public ClassList? Names { get; init; }

    /// <summary>Renames applied to every class name read from a file (<c>--class-map</c>).</summary>
    public ClassMap? ClassMap { get; init; }

    /// <summary>What happens to predictions of a class the ground truth does not have (formats that name classes).</summary>
    public UnknownClassHandling UnknownClasses { get; init; } = UnknownClassHandling.Error;

    /// <summary>Image sizes for relative coordinates (<c>--image-sizes</c> or <c>--images</c>).</summary>
    public IImageSizeSource? ImageSizes { get; init; }

    /// <summary>CSV header names chosen by the user, by column, for ground truth and predictions (<c>--csv-columns image=file,class=label</c>).</summary>
    public CsvColumnNames CsvColumns { get; init; } = CsvColumnNames.Default;

    /// <summary>CSV header names of the ground truth only (<c>--gt-csv-columns</c>), chosen over <see cref="CsvColumns"/> column by column; null for none.</summary>
    public CsvColumnNames? GroundTruthCsvColumns { get; init; }

    /// <summary>CSV header names of the predictions only (<c>--pred-csv-columns</c>), chosen over <see cref="CsvColumns"/> column by column; null for none.</summary>
    public CsvColumnNames? PredictionCsvColumns { get; init; }

    /// <summary>The CSV header names for a file of <paramref name="role"/>: its own names where it has them, else the shared ones.</summary>
    public CsvColumnNames CsvColumnsFor(AnnotationRole role) =>
        (role == AnnotationRole.GroundTruth ? GroundTruthCsvColumns : PredictionCsvColumns) is { } own ? CsvColumns.With(own) : CsvColumns;

    /// <summary>Stops reading soon after it is cancelled (<see cref="OperationCanceledException"/>); the loaders check it every few thousand records.</summary>
    internal CancellationToken Cancellation { get; init; }

    /// <summary>Write the predictions to a spill on disk instead of memory (bounded-memory runs); null to keep them in memory.</summary>
    internal SpillSettings? Spill { get; init; }

    /// <summary>
    /// Told the bytes of the input files as they are read (<see cref="WorkStage.Loading"/>): their total
    /// first, then each buffer read; null for none (what reading costs then is one null check per buffer).
    /// Set by the pipeline from its observer.
    /// </summary>
    internal IProgressSink? Progress { get; init; }
}

/// <summary>How a bounded-memory run spills its predictions.</summary>
/// <param name="ImagesPerShard">Consecutive images per shard; null to size shards at about <see cref="DetectionsPerShard"/> detections from the predictions' file sizes.</param>
/// <param name="Folder">Where the spill's temporary folder is made; null for the system's temporary folder.</param>
public sealed record SpillSettings(int? ImagesPerShard = null, string? Folder = null)
{
    /// <summary>Spill only the detections of this image shard (a distributed run's worker); null for every detection.</summary>
    public ImageShard? Keep { get; init; }

    /// <summary>Spill each detection's mask (as run lengths) and keypoints too (a mask or keypoint run); boxes, scores and areas are always spilled.</summary>
    public bool KeepShapes { get; init; }

    /// <summary>About how many detections a shard holds when its size is chosen from the file sizes.</summary>
    public const long DetectionsPerShard = 1 << 19;

    /// <summary>Bytes of a predictions file per detection, for sizing shards (COCO results take about 90).</summary>
    private const long BytesPerDetection = 64;

    /// <summary>The size of an input: a file's length, or the lengths of the files in a folder and its subfolders; 0 when it does not exist.</summary>
    public static long BytesOf(string path)
    {
        if (File.Exists(path)) return new FileInfo(path).Length;
        if (!Directory.Exists(path)) return 0;
        long bytes = 0;
        var everything = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (FileInfo file in new DirectoryInfo(path).EnumerateFiles("*", everything)) bytes += file.Length;
        return bytes;
    }

    /// <summary>Images per shard for <paramref name="imageCount"/> images and predictions of <paramref name="predictionBytes"/> bytes in all.</summary>
    public int ImagesPerShardFor(int imageCount, long predictionBytes)
    {
        if (ImagesPerShard is int fixedSize) return fixedSize;
        long shards = Math.Max(1, predictionBytes / BytesPerDetection / DetectionsPerShard);
        return (int)Math.Max(1, (imageCount + shards - 1) / shards);
    }
}

/// <summary>What a column of the CSV format holds.</summary>
public enum CsvColumn
{
    /// <summary>The image name.</summary>
    Image,

    /// <summary>The class name.</summary>
    Class,

    /// <summary>Left edge (xyxy).</summary>
    X1,

    /// <summary>Top edge (xyxy).</summary>
    Y1,

    /// <summary>Right edge (xyxy).</summary>
    X2,

    /// <summary>Bottom edge (xyxy).</summary>
    Y2,

    /// <summary>Left edge (xywh).</summary>
    X,

    /// <summary>Top edge (xywh).</summary>
    Y,

    /// <summary>Centre x (cxcywh).</summary>
    Cx,

    /// <summary>Centre y (cxcywh).</summary>
    Cy,

    /// <summary>Box width (xywh, cxcywh).</summary>
    W,

    /// <summary>Box height (xywh, cxcywh).</summary>
    H,

    /// <summary>A prediction's confidence.</summary>
    Score,

    /// <summary>The difficult flag.</summary>
    Difficult,

    /// <summary>The crowd flag.</summary>
    IsCrowd,

    /// <summary>The image width in pixels.</summary>
    Width,

    /// <summary>The image height in pixels.</summary>
    Height,
}

/// <summary>
/// Header names of the CSV format's columns. Each column has a chosen name (from <c>--csv-columns</c>),
/// or else is found by its usual names, ignoring case.
/// </summary>
public sealed record CsvColumnNames
{
    /// <summary>No names chosen: every column is found by its usual names.</summary>
    public static CsvColumnNames Default { get; } = new();

    /// <summary>The usual header names of each column, tried in order when none is chosen; the first is the option's name for it.</summary>
    public static IReadOnlyDictionary<CsvColumn, string[]> UsualNames { get; } = new Dictionary<CsvColumn, string[]>
    {
        [CsvColumn.Image] = ["image", "image_id", "imageid", "filename", "file_name", "file", "image_name", "img", "path"],
        [CsvColumn.Class] = ["class", "label", "class_name", "category", "category_name", "name", "category_id", "class_id", "labelname"],
        [CsvColumn.X1] = ["x1", "xmin", "left", "x_min"],
        [CsvColumn.Y1] = ["y1", "ymin", "top", "y_min"],
        [CsvColumn.X2] = ["x2", "xmax", "right", "x_max"],
        [CsvColumn.Y2] = ["y2", "ymax", "bottom", "y_max"],
        [CsvColumn.X] = ["x", "bbox_x"],
        [CsvColumn.Y] = ["y", "bbox_y"],
        [CsvColumn.Cx] = ["cx", "x_center", "xc", "center_x"],
        [CsvColumn.Cy] = ["cy", "y_center", "yc", "center_y"],
        [CsvColumn.W] = ["w", "bbox_width", "box_width", "bbox_w"],
        [CsvColumn.H] = ["h", "bbox_height", "box_height", "bbox_h"],
        [CsvColumn.Score] = ["score", "confidence", "conf", "probability", "prob"],
        [CsvColumn.Difficult] = ["difficult", "is_difficult"],
        [CsvColumn.IsCrowd] = ["iscrowd", "is_crowd", "crowd", "isgroupof"],
        [CsvColumn.Width] = ["width", "image_width", "img_width"],
        [CsvColumn.Height] = ["height", "image_height", "img_height"],
    };

    /// <summary>The name of a column in <c>--csv-columns</c> and in the files deval writes: its first usual name.</summary>
    public static string OptionName(CsvColumn column) => UsualNames[column][0];

    /// <summary>The four box columns of a layout, in the order of <see cref="BoxFormat"/>'s numbers.</summary>
    public static IReadOnlyList<CsvColumn> BoxColumns(BoxFormat format) => format switch
    {
        BoxFormat.Xyxy => [CsvColumn.X1, CsvColumn.Y1, CsvColumn.X2, CsvColumn.Y2],
        BoxFormat.Xywh => [CsvColumn.X, CsvColumn.Y, CsvColumn.W, CsvColumn.H],
        _ => [CsvColumn.Cx, CsvColumn.Cy, CsvColumn.W, CsvColumn.H],
    };

    /// <summary>Chosen header names by column.</summary>
    public IReadOnlyDictionary<CsvColumn, string> Chosen { get; init; } = new Dictionary<CsvColumn, string>();

    /// <summary>The header names to look for: the chosen one alone, or the usual ones.</summary>
    public IReadOnlyList<string> Candidates(CsvColumn column) => Chosen.TryGetValue(column, out string? name) ? [name] : UsualNames[column];

    /// <summary>These names with those chosen in <paramref name="other"/> in their place, column by column.</summary>
    public CsvColumnNames With(CsvColumnNames other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var chosen = new Dictionary<CsvColumn, string>(Chosen);
        foreach ((CsvColumn column, string name) in other.Chosen) chosen[column] = name;
        return new CsvColumnNames { Chosen = chosen };
    }

    /// <summary>Parses <c>column=header,column=header</c>, columns named as in <see cref="OptionName"/>.</summary>
    /// <exception cref="FormatException">An entry is not column=header or names an unknown column.</exception>
    public static CsvColumnNames Parse(string text)
    {
        var chosen = new Dictionary<CsvColumn, string>();
        foreach (string entry in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=');
            string name = eq > 0 ? entry[..eq].Trim().ToLowerInvariant() : "";
            string header = eq > 0 ? entry[(eq + 1)..].Trim() : "";
            CsvColumn? column = Enum.GetValues<CsvColumn>().Cast<CsvColumn?>().FirstOrDefault(c => OptionName(c!.Value) == name);
            if (header.Length == 0 || column is null)
            {
                throw new FormatException($"Expected column=header with a column among {string.Join(", ", Enum.GetValues<CsvColumn>().Select(OptionName))}, but got '{entry}'.");
            }
            chosen[column.Value] = header;
        }
        return new CsvColumnNames { Chosen = chosen };
    }
}
