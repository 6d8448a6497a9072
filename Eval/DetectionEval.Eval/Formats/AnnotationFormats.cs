using System.Globalization;
using System.Text;
using System.Text.Json;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

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
    /// <param name="path">The file or folder.</param>
    /// <param name="role">Whether it holds ground truth or predictions.</param>
    /// <param name="options">The reading options (<c>--coords rel</c> makes YOLO-like lines ambiguous).</param>
    /// <param name="formatOption">The option that names this input's format, for the message when it cannot be told; null for <c>--gt-format</c> or <c>--pred-format</c> by role.</param>
    /// <exception cref="AnnotationFormatException">
    /// The path does not exist, its format cannot be told, or two formats would read it differently and the
    /// evidence does not choose between them.
    /// </exception>
    public static DetectedFormat Detect(string path, AnnotationRole role, LoadOptions options, string? formatOption = null) =>
        FormatDetection.Detect(path, role, options, formatOption);
}

/// <summary>The outcome of auto-detection: a format and the evidence for it.</summary>
/// <param name="Format">The format.</param>
/// <param name="Because">Why, in a few words (".txt files of 'class cx cy w h' in [0, 1]").</param>
public sealed record DetectedFormat(AnnotationFormat Format, string Because);

/*
 * Auto-detection. Input: a path, whether it holds ground truth or predictions, and the reading options.
 * The rule: never guess between two formats that would read the same file differently. Each rule below
 * either has evidence that only one format fits, or leads to a format whose reader fails loudly on a
 * file of the other (a LabelMe file read as COCO, a VOC file read as CVAT); where two readers would both
 * succeed with different boxes (YOLO and txt, txt and VOC results) and the evidence does not decide, it
 * is an input error that names both formats and the option that chooses.
 *
 *   .json     top-level keys: "shapes" LabelMe; "images"/"annotations"/"categories" or a list COCO; both
 *             ambiguous; neither COCO (its reader says what is missing).
 *   .xml      root element: <annotations> CVAT, <annotation> VOC, else unknown.
 *   .csv/.tsv header: Open Images' own column names (ImageID, XMin, XMax, YMin, YMax) Open Images, else CSV.
 *   .txt      *_det_* VOC results, else as a folder of .txt files.
 *   folder    Annotations/ a VOC root; else the extension most files have (.xml VOC, .json LabelMe, .txt):
 *             .txt files all *_det_* VOC results, some ambiguous; else YOLO or txt by their lines.
 *   YOLO/txt  from the first 20 lines of the first 20 files: every line a class index and 4 numbers (5 for
 *             predictions), or x y pairs of 3 points or more (a segmentation line, then the confidence for
 *             predictions), most of them all in [0, 1]: YOLO (txt would read them as boxes under a pixel),
 *             unless --coords rel makes txt read fractions too: ambiguous. Lines that cannot be YOLO (a
 *             class name, another number of fields, pixel coordinates): txt; a few YOLO lines among
 *             them: ambiguous.
 *             Empty files: YOLO next to classes.txt, else txt (both read them as images without boxes).
 *             --box-format is no evidence: it is the layout of txt and CSV inputs, and YOLO ignores it.
 *   empty     folder of predictions: no predictions; of ground truth: unknown.
 */

/// <summary>Auto-detection of a path's format.</summary>
internal static class FormatDetection
{
    private const int SniffBytes = 1 << 16;

    /// <summary>Files and lines per file that the YOLO/txt rule reads.</summary>
    private const int SampleFiles = 20, SampleLines = 20;

    public static DetectedFormat Detect(string path, AnnotationRole role, LoadOptions options, string? formatOption)
    {
        var ambiguity = new Ambiguity(path, role, formatOption);
        if (Directory.Exists(path)) return DetectFolder(path, role, options, ambiguity);
        if (!File.Exists(path)) throw InputFiles.CannotOpen(path, new FileNotFoundException(null, path));
        return DetectFile(path, role, options, ambiguity) ?? throw Unknown(path, "a file");
    }

    private static AnnotationFormatException Unknown(string path, string what) =>
        new(new SourceLocation(path), $"a file or folder in one of the formats {string.Join(", ", AnnotationFormats.Names)}",
            $"{what} whose format cannot be told", "Name the format with --gt-format or --pred-format.");

    /// <summary>Makes the error for input that two formats would read differently: it names both and the option that chooses.</summary>
    private sealed record Ambiguity(string Path, AnnotationRole Role, string? FormatOption)
    {
        public AnnotationFormatException Between(string found, AnnotationFormat one, AnnotationFormat other)
        {
            string option = FormatOption ?? (Role == AnnotationRole.GroundTruth ? "--gt-format" : "--pred-format");
            return new AnnotationFormatException(new SourceLocation(Path),
                $"input whose format can be told ({AnnotationFormats.Name(one)} or {AnnotationFormats.Name(other)} here)", found,
                $"Name it with {option} {AnnotationFormats.Name(one)} or {option} {AnnotationFormats.Name(other)}.");
        }
    }

    private static DetectedFormat? DetectFile(string path, AnnotationRole role, LoadOptions options, Ambiguity ambiguity)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        byte[] head = HeadBytes(path);
        switch (extension)
        {
            case ".json":
                return JsonKind(head, ".json file", ambiguity);
            case ".xml":
                string? root = XmlRoot(Text(head));
                if (root == "annotations") return new(AnnotationFormat.Cvat, "an .xml file with an <annotations> root");
                if (root == "annotation") return new(AnnotationFormat.VocXml, "an .xml file with an <annotation> root");
                return null;
            case ".csv" or ".tsv":
                // Open Images' own names, as its files write them; the CSV reader would take them as pixels.
                string[] header = HeaderFields(Text(head).Split('\n')[0]);
                if (OpenImagesColumns.All(name => header.Contains(name, StringComparer.Ordinal)))
                {
                    return new(AnnotationFormat.OpenImages, "a CSV file with ImageID and XMin columns");
                }
                return new(AnnotationFormat.Csv, "a .csv file");
            case ".txt":
                if (IsVocResultsName(path)) return new(AnnotationFormat.VocResults, "a results file named *_det_*");
                return TextKind([path], role, options, null, ambiguity);
            default:
                string text = Text(head).TrimStart();
                if (text.StartsWith('{') || text.StartsWith('[')) return JsonKind(head, "json file", ambiguity);
                return null;
        }
    }

    private static readonly string[] OpenImagesColumns = ["ImageID", "XMin", "XMax", "YMin", "YMax"];

    /// <summary>The fields of a CSV header, split at its most frequent separator (comma, semicolon, tab, bar), without quotes.</summary>
    private static string[] HeaderFields(string line)
    {
        char separator = new[] { ',', ';', '\t', '|' }.MaxBy(c => line.Count(x => x == c));
        return [.. line.Split(separator).Select(f => f.Trim().Trim('"').Trim())];
    }

    private static bool IsVocResultsName(string path) => Path.GetFileName(path).Contains("_det_", StringComparison.Ordinal);

    /// <summary>COCO or LabelMe, from the top-level keys of the file's start.</summary>
    private static DetectedFormat JsonKind(byte[] head, string what, Ambiguity ambiguity)
    {
        (bool list, HashSet<string> keys) = TopLevel(head);
        if (list) return new(AnnotationFormat.Coco, $"a {what} holding a list");
        bool labelMe = keys.Contains("shapes");
        string? coco = new[] { "images", "annotations", "categories" }.FirstOrDefault(keys.Contains);
        if (labelMe && coco is not null)
        {
            throw ambiguity.Between($"a {what} with both \"shapes\" (labelme) and \"{coco}\" (coco)", AnnotationFormat.LabelMe, AnnotationFormat.Coco);
        }
        if (labelMe) return new(AnnotationFormat.LabelMe, $"a {what} with \"shapes\"");
        // COCO too when nothing tells: its reader then says which section is missing.
        return new(AnnotationFormat.Coco, coco is null ? $"a {what}" : $"a {what} with \"{coco}\"");
    }

    /// <summary>Whether the json at the start of a file is a list, and the keys of its top-level object as far as the bytes go.</summary>
    private static (bool List, HashSet<string> Keys) TopLevel(byte[] head)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        ReadOnlySpan<byte> bytes = head;
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read()) return (false, keys);
            if (reader.TokenType == JsonTokenType.StartArray) return (true, keys);
            if (reader.TokenType != JsonTokenType.StartObject) return (false, keys);
            // Read() stops at the end of the bytes, in the middle of a value if need be.
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1) keys.Add(reader.GetString()!);
            }
        }
        catch (JsonException)
        {
            // Not json, or not json past this point: the keys so far are the evidence, and the reader reports the rest.
        }
        return (false, keys);
    }

    private static DetectedFormat DetectFolder(string path, AnnotationRole role, LoadOptions options, Ambiguity ambiguity)
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
            int results = files.Count(IsVocResultsName);
            if (results == files.Count) return new(AnnotationFormat.VocResults, "a folder of *_det_* results files");
            if (results > 0)
            {
                throw ambiguity.Between(
                    $"{Plural(results, "results file")} named *_det_* ({Path.GetFileName(files.First(IsVocResultsName))}) and {Plural(files.Count - results, "other .txt file")} ({Path.GetFileName(files.First(f => !IsVocResultsName(f)))})",
                    AnnotationFormat.VocResults, AnnotationFormat.Txt);
            }
            return TextKind(files, role, options, AnnotationFiles.ClassListNextTo(path), ambiguity);
        }
        if (role == AnnotationRole.Predictions && byExtension.Count == 0) return new(AnnotationFormat.Txt, "an empty folder");
        throw Unknown(path, byExtension.Count == 0 ? "an empty folder" : "a folder");
    }

    /// <summary>
    /// YOLO or per-image txt, from the lines: YOLO lines are a class index and numbers in [0, 1]; txt lines
    /// name a class or hold pixels. Fractions read as txt only with --coords rel, which makes them ambiguous.
    /// </summary>
    private static DetectedFormat TextKind(List<string> files, AnnotationRole role, LoadOptions options, string? classList, Ambiguity ambiguity)
    {
        int expected = role == AnnotationRole.GroundTruth ? 5 : 6;
        int lines = 0, shaped = 0, inRange = 0;
        bool polygons = false;
        string? yoloLine = null, otherLine = null;
        foreach (string file in files.Take(SampleFiles))
        {
            byte[] head = HeadBytes(file);
            string[] headLines = Text(head).Split('\n');
            // A head cut at SniffBytes ends inside a line (polygon lines are long): that line is no evidence.
            if (head.Length == SniffBytes && headLines.Length > 1) headLines = headLines[..^1];
            foreach (string line in headLines.Take(SampleLines))
            {
                string[] fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 0) continue;
                lines++;
                polygons |= fields.Length > expected;
                if (!IsYoloShaped(fields, expected, out bool fractions))
                {
                    otherLine ??= Example(file, fields);
                    continue;
                }
                shaped++;
                if (fractions)
                {
                    inRange++;
                    yoloLine ??= Example(file, fields);
                }
                else
                {
                    otherLine ??= Example(file, fields);
                }
            }
        }
        string yoloShape = (role, polygons) switch
        {
            (AnnotationRole.GroundTruth, false) => "'class cx cy w h'",
            (AnnotationRole.GroundTruth, true) => "'class x1 y1 x2 y2 ...' polygons",
            (_, false) => "'class cx cy w h conf'",
            (_, true) => "'class x1 y1 x2 y2 ... conf' polygons",
        };
        // Every line a class index and numbers, most of them fractions: YOLO. One bad line (a coordinate
        // above 1) still reads as YOLO and is reported as such; pixel coordinates are txt.
        if (lines > 0 && shaped == lines && 2 * inRange >= lines)
        {
            if (options.Coordinates == CoordinateSpace.Relative)
            {
                throw ambiguity.Between($"lines of a class index and fractions ({yoloLine}), which yolo reads as {yoloShape} and txt with --coords rel as 'class {(role == AnnotationRole.Predictions ? "score " : "")}a b c d'",
                    AnnotationFormat.Yolo, AnnotationFormat.Txt);
            }
            return new(AnnotationFormat.Yolo, $".txt files of {yoloShape} in [0, 1]");
        }
        if (yoloLine is not null && otherLine is not null)
        {
            throw ambiguity.Between($"lines like yolo's ({yoloLine}) and lines yolo cannot read ({otherLine})", AnnotationFormat.Yolo, AnnotationFormat.Txt);
        }
        if (lines > 0) return new(AnnotationFormat.Txt, ".txt files of 'class " + (role == AnnotationRole.Predictions ? "score " : "") + "a b c d' boxes");
        return classList is not null ? new(AnnotationFormat.Yolo, "empty .txt files next to classes.txt") : new(AnnotationFormat.Txt, "empty .txt files");
    }

    /// <summary>A line as evidence in a message: '0 0.5 0.5 0.2 0.2' in a.txt (fields rejoined, cut to a readable length).</summary>
    private static string Example(string file, string[] fields)
    {
        string line = string.Join(' ', fields);
        if (line.Length > 40) line = line[..37] + "...";
        return $"'{line}' in {Path.GetFileName(file)}";
    }

    private static string Plural(int count, string noun) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? "" : "s");

    private static bool IsYoloShaped(string[] fields, int expected, out bool fractions)
    {
        fractions = false;
        // A box line has `expected` fields; a segmentation line (ultralytics) 3 points or more in their place.
        bool polygon = fields.Length >= expected + 2 && (fields.Length - expected) % 2 == 0;
        if ((fields.Length != expected && !polygon) || !long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out _)) return false;
        fractions = true;
        for (int i = 1; i < fields.Length; i++)
        {
            if (!double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return false;
            if (v < 0 || v > 1) fractions = false;
        }
        return true;
    }

    /// <summary>The first <see cref="SniffBytes"/> bytes of a file.</summary>
    private static byte[] HeadBytes(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            byte[] buffer = new byte[SniffBytes];
            int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return buffer[..read];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InputFiles.CannotOpen(path, e);
        }
    }

    private static string Text(byte[] head) => Encoding.UTF8.GetString(head).TrimStart('\uFEFF');
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
