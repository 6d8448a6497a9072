namespace DetectionEval.Eval.Loaders;

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

    /// <summary>CSV header names chosen by the user, by role (<c>--csv-columns image=file,class=label</c>).</summary>
    public CsvColumnNames CsvColumns { get; init; } = CsvColumnNames.Default;
}

/// <summary>
/// Header names of the CSV format's columns. Each role has a chosen name (from <c>--csv-columns</c>), or
/// else is found by its usual names, ignoring case.
/// </summary>
public sealed record CsvColumnNames
{
    /// <summary>No names chosen: every column is found by its usual names.</summary>
    public static CsvColumnNames Default { get; } = new();

    /// <summary>The roles a column can have, in the order a written file has them.</summary>
    public static IReadOnlyList<string> Roles { get; } = ["image", "class", "x1", "y1", "x2", "y2", "x", "y", "cx", "cy", "w", "h", "score", "difficult", "iscrowd", "width", "height"];

    /// <summary>The usual header names of each role, tried in order when none is chosen.</summary>
    public static IReadOnlyDictionary<string, string[]> UsualNames { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["image"] = ["image", "image_id", "imageid", "filename", "file_name", "file", "image_name", "img", "path"],
        ["class"] = ["class", "label", "class_name", "category", "category_name", "name", "category_id", "class_id", "labelname"],
        ["x1"] = ["x1", "xmin", "left", "x_min"],
        ["y1"] = ["y1", "ymin", "top", "y_min"],
        ["x2"] = ["x2", "xmax", "right", "x_max"],
        ["y2"] = ["y2", "ymax", "bottom", "y_max"],
        ["x"] = ["x", "bbox_x"],
        ["y"] = ["y", "bbox_y"],
        ["cx"] = ["cx", "x_center", "xc", "center_x"],
        ["cy"] = ["cy", "y_center", "yc", "center_y"],
        ["w"] = ["w", "bbox_width", "box_width", "bbox_w"],
        ["h"] = ["h", "bbox_height", "box_height", "bbox_h"],
        ["score"] = ["score", "confidence", "conf", "probability", "prob"],
        ["difficult"] = ["difficult", "is_difficult"],
        ["iscrowd"] = ["iscrowd", "is_crowd", "crowd", "isgroupof"],
        ["width"] = ["width", "image_width", "img_width"],
        ["height"] = ["height", "image_height", "img_height"],
    };

    /// <summary>Chosen header names by role.</summary>
    public IReadOnlyDictionary<string, string> Chosen { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The header names to look for, for a role: the chosen one alone, or the usual ones.</summary>
    public IReadOnlyList<string> Candidates(string role) => Chosen.TryGetValue(role, out string? name) ? [name] : UsualNames[role];

    /// <summary>Parses <c>role=header,role=header</c>.</summary>
    /// <exception cref="FormatException">An entry is not role=header or names an unknown role.</exception>
    public static CsvColumnNames Parse(string text)
    {
        var chosen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=');
            string role = eq > 0 ? entry[..eq].Trim().ToLowerInvariant() : "";
            string header = eq > 0 ? entry[(eq + 1)..].Trim() : "";
            if (header.Length == 0 || !UsualNames.ContainsKey(role))
            {
                throw new FormatException($"Expected role=header with a role among {string.Join(", ", Roles)}, but got '{entry}'.");
            }
            chosen[role] = header;
        }
        return new CsvColumnNames { Chosen = chosen };
    }
}
