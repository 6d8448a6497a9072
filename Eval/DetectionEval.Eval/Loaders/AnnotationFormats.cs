using System.Text;

namespace DetectionEval.Eval.Loaders;

/// <summary>The registry of formats: names, lookup and auto-detection.</summary>
public static class AnnotationFormats
{
    private static readonly IAnnotationFormat[] Formats =
    [
        new CocoFormat(), new VocXmlFormat(), new VocResultsFormat(), new YoloFormat(), new TxtFormat(),
        new CsvFormat(), new LabelMeFormat(), new CvatFormat(), new OpenImagesFormat(),
    ];

    /// <summary>Every format, in the order of <see cref="AnnotationFormat"/>.</summary>
    public static IReadOnlyList<IAnnotationFormat> All => Formats;

    /// <summary>The implementation of a format.</summary>
    public static IAnnotationFormat Get(AnnotationFormat format) => Formats[(int)format];

    /// <summary>The option value of a format: coco, voc-xml, voc-results, yolo, txt, csv, labelme, cvat, openimages.</summary>
    public static string Name(AnnotationFormat format) => format switch
    {
        AnnotationFormat.Coco => "coco",
        AnnotationFormat.VocXml => "voc-xml",
        AnnotationFormat.VocResults => "voc-results",
        AnnotationFormat.Yolo => "yolo",
        AnnotationFormat.Txt => "txt",
        AnnotationFormat.Csv => "csv",
        AnnotationFormat.LabelMe => "labelme",
        AnnotationFormat.Cvat => "cvat",
        _ => "openimages",
    };

    /// <summary>Every option value, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<AnnotationFormat>().Select(Name)];

    /// <summary>Parses an option value.</summary>
    public static bool TryParse(string name, out AnnotationFormat format)
    {
        foreach (AnnotationFormat candidate in Enum.GetValues<AnnotationFormat>())
        {
            if (Name(candidate) == name)
            {
                format = candidate;
                return true;
            }
        }
        format = default;
        return false;
    }

    /// <summary>
    /// Tells the format of <paramref name="path"/> from what it is (file or folder), its extension and its
    /// first bytes, and says why.
    /// </summary>
    /// <exception cref="AnnotationFormatException">The path does not exist or its format cannot be told.</exception>
    public static DetectedFormat Detect(string path, AnnotationRole role, LoadOptions options) =>
        FormatDetection.Detect(path, role, options);
}

/// <summary>The outcome of auto-detection: a format and the evidence for it.</summary>
/// <param name="Format">The format.</param>
/// <param name="Because">Why, in a few words (".txt files of 'class cx cy w h' in [0, 1]").</param>
public sealed record DetectedFormat(AnnotationFormat Format, string Because);

/*
 * Auto-detection. Input: a path and whether it holds ground truth or predictions. A file goes by its
 * extension and first 64 KiB: .json with "shapes" is LabelMe, other json COCO; .xml by its root element
 * (<annotations> CVAT, <annotation> VOC); .csv with ImageID and XMin columns Open Images, else CSV; a
 * *_det_* .txt VOC results. A folder goes by its files: a VOC root (Annotations/), mostly .xml (VOC),
 * .json (LabelMe) or .txt; .txt files are VOC results when named *_det_*, YOLO when every line of the
 * first 20 files is a class index and 4 (5 with a confidence) numbers, most of them in [0, 1], and txt
 * otherwise (class names, pixels). --box-format means txt. The evidence is returned for the user.
 */

/// <summary>Auto-detection of a path's format.</summary>
internal static class FormatDetection
{
    private const int SniffBytes = 1 << 16;

    public static DetectedFormat Detect(string path, AnnotationRole role, LoadOptions options)
    {
        if (Directory.Exists(path)) return DetectFolder(path, role, options);
        if (!File.Exists(path)) throw InputFiles.CannotOpen(path, new FileNotFoundException(null, path));
        return DetectFile(path, role, options) ?? throw Unknown(path, "a file");
    }

    private static AnnotationFormatException Unknown(string path, string what) =>
        new(new SourceLocation(path), $"a file or folder in one of the formats {string.Join(", ", AnnotationFormats.Names)}",
            $"{what} whose format cannot be told", "Name the format with --gt-format or --pred-format.");

    private static DetectedFormat? DetectFile(string path, AnnotationRole role, LoadOptions options)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        string head = Head(path);
        switch (extension)
        {
            case ".json":
                if (head.Contains("\"shapes\"", StringComparison.Ordinal)) return new(AnnotationFormat.LabelMe, "a .json file with \"shapes\"");
                return new(AnnotationFormat.Coco, "a .json file");
            case ".xml":
                string? root = XmlRoot(head);
                if (root == "annotations") return new(AnnotationFormat.Cvat, "an .xml file with an <annotations> root");
                if (root == "annotation") return new(AnnotationFormat.VocXml, "an .xml file with an <annotation> root");
                return null;
            case ".csv" or ".tsv":
                string header = head.Split('\n')[0];
                if (header.Contains("ImageID", StringComparison.Ordinal) && header.Contains("XMin", StringComparison.Ordinal))
                {
                    return new(AnnotationFormat.OpenImages, "a CSV file with ImageID and XMin columns");
                }
                return new(AnnotationFormat.Csv, "a .csv file");
            case ".txt":
                if (Path.GetFileName(path).Contains("_det_", StringComparison.Ordinal)) return new(AnnotationFormat.VocResults, "a results file named *_det_*");
                return TextKind([path], role, options, null);
            default:
                if (head.TrimStart().StartsWith('{') || head.TrimStart().StartsWith('[')) return new(AnnotationFormat.Coco, "a json file");
                return null;
        }
    }

    private static DetectedFormat DetectFolder(string path, AnnotationRole role, LoadOptions options)
    {
        if (Directory.Exists(Path.Combine(path, "Annotations"))) return new(AnnotationFormat.VocXml, "a VOC folder with Annotations/");
        var byExtension = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if (name.Equals(AnnotationFiles.ClassListFileName, StringComparison.Ordinal)) continue;
            string extension = Path.GetExtension(name).ToLowerInvariant();
            if (!byExtension.TryGetValue(extension, out List<string>? files)) byExtension[extension] = files = [];
            files.Add(file);
        }
        int Count(string extension) => byExtension.TryGetValue(extension, out List<string>? files) ? files.Count : 0;
        int xml = Count(".xml"), json = Count(".json"), txt = Count(".txt");
        if (xml > 0 && xml >= json && xml >= txt) return new(AnnotationFormat.VocXml, "a folder of .xml files");
        if (json > 0 && json >= txt) return new(AnnotationFormat.LabelMe, "a folder of .json files");
        if (txt > 0)
        {
            List<string> files = byExtension[".txt"];
            if (files.Any(f => Path.GetFileName(f).Contains("_det_", StringComparison.Ordinal))) return new(AnnotationFormat.VocResults, "a folder of *_det_* results files");
            return TextKind(files, role, options, AnnotationFiles.ClassListNextTo(path));
        }
        if (role == AnnotationRole.Predictions && byExtension.Count == 0) return new(AnnotationFormat.Txt, "an empty folder");
        throw Unknown(path, byExtension.Count == 0 ? "an empty folder" : "a folder");
    }

    /// <summary>
    /// YOLO or per-image txt: YOLO lines are a class index and numbers in [0, 1]; anything else (a class
    /// name, pixel coordinates) is txt. A box layout given with --box-format means txt.
    /// </summary>
    private static DetectedFormat TextKind(List<string> files, AnnotationRole role, LoadOptions options, string? classList)
    {
        if (options.BoxFormat is not null) return new(AnnotationFormat.Txt, ".txt files and --box-format");
        int expected = role == AnnotationRole.GroundTruth ? 5 : 6;
        int lines = 0, shaped = 0, inRange = 0;
        foreach (string file in files.Take(20))
        {
            foreach (string line in Head(file).Split('\n').Take(20))
            {
                string[] fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 0) continue;
                lines++;
                if (!IsYoloShaped(fields, expected, out bool fractions)) continue;
                shaped++;
                if (fractions) inRange++;
            }
        }
        // Every line a class index and numbers, most of them fractions: YOLO. One bad line (a coordinate
        // above 1) still reads as YOLO and is reported as such; pixel coordinates are txt.
        if (lines > 0 && shaped == lines && 2 * inRange >= lines)
        {
            return new(AnnotationFormat.Yolo, role == AnnotationRole.GroundTruth ? ".txt files of 'class cx cy w h' in [0, 1]" : ".txt files of 'class cx cy w h conf' in [0, 1]");
        }
        if (lines > 0) return new(AnnotationFormat.Txt, ".txt files of 'class " + (role == AnnotationRole.Predictions ? "score " : "") + "a b c d' boxes");
        return classList is not null ? new(AnnotationFormat.Yolo, "empty .txt files next to classes.txt") : new(AnnotationFormat.Txt, "empty .txt files");
    }

    private static bool IsYoloShaped(string[] fields, int expected, out bool fractions)
    {
        fractions = false;
        if (fields.Length != expected || !long.TryParse(fields[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)) return false;
        fractions = true;
        for (int i = 1; i < fields.Length; i++)
        {
            if (!double.TryParse(fields[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v)) return false;
            if (v < 0 || v > 1) fractions = false;
        }
        return true;
    }

    private static string Head(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            byte[] buffer = new byte[SniffBytes];
            int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return Encoding.UTF8.GetString(buffer, 0, read).TrimStart('\uFEFF');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InputFiles.CannotOpen(path, e);
        }
    }

    /// <summary>The name of the first element, skipping the declaration, comments and a DOCTYPE.</summary>
    private static string? XmlRoot(string head)
    {
        int i = 0;
        while (true)
        {
            i = head.IndexOf('<', i);
            if (i < 0 || i + 1 >= head.Length) return null;
            char next = head[i + 1];
            if (next is '?' or '!')
            {
                i++;
                continue;
            }
            int end = i + 1;
            while (end < head.Length && (char.IsLetterOrDigit(head[end]) || head[end] is '_' or '-' or ':' or '.')) end++;
            return head[(i + 1)..end];
        }
    }
}
