using System.Globalization;
using System.Text;
using CsvHelper;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/// <summary>One class of a class list: its id and its name.</summary>
/// <param name="Id">The category id (for YOLO, the class index).</param>
/// <param name="Name">The class name.</param>
public readonly record struct NamedClass(long Id, string Name);

/// <summary>
/// A class list from <c>--names</c>: a names file with one name per line (YOLO's <c>classes.txt</c>,
/// darknet's <c>obj.names</c>; line i is class i), or an ultralytics <c>data.yaml</c> whose <c>names:</c>
/// is a list or an <c>index: name</c> map. The list fixes the classes, their ids and their order.
/// </summary>
public sealed class ClassList
{
    private ClassList(string source, IReadOnlyList<NamedClass> classes)
    {
        Source = source;
        Classes = classes;
    }

    /// <summary>Where the list came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The classes in list order.</summary>
    public IReadOnlyList<NamedClass> Classes { get; }

    /// <summary>Builds a list in memory; ids are the positions (0, 1, ...).</summary>
    public static ClassList FromNames(string source, IEnumerable<string> names) =>
        new(source, [.. names.Select((name, i) => new NamedClass(i, name))]);

    /// <summary>Reads a names file or a data.yaml (by extension .yaml/.yml).</summary>
    /// <exception cref="AnnotationFormatException">The file is missing, empty, or repeats a name or an index.</exception>
    public static ClassList Read(string path)
    {
        InputFiles.RequireFile(path);
        string extension = Path.GetExtension(path);
        bool yaml = extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase);
        using LineReader reader = LineReader.Open(path, path);
        return Read(reader, yaml);
    }

    /// <summary>Reads a names file, or a data.yaml when <paramref name="yaml"/>, from an open reader.</summary>
    /// <exception cref="AnnotationFormatException">The input is empty, or repeats a name or an index.</exception>
    internal static ClassList Read(LineReader reader, bool yaml)
    {
        var classes = new ClassesRead(reader.DisplayName);
        if (yaml) ReadYaml(reader, classes);
        else ReadLines(reader, classes);
        if (classes.List.Count == 0) throw new AnnotationFormatException(new SourceLocation(reader.DisplayName, 1), "at least one class name", "none");
        return new ClassList(reader.DisplayName, classes.List);
    }

    /// <summary>The classes read so far, with the checks each new one must pass.</summary>
    private sealed class ClassesRead(string path)
    {
        private readonly HashSet<long> _ids = [];
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        public List<NamedClass> List { get; } = [];

        public void Add(NamedClass named, int line, string? where)
        {
            var at = new SourceLocation(path, line, Path: where);
            InputLimits.RequireClassName(named.Name, at);
            InputLimits.RequireRoomForClass(List.Count, at);
            if (!_ids.Add(named.Id)) throw new AnnotationFormatException(at, "each class index once", $"{named.Id.ToString(CultureInfo.InvariantCulture)} again");
            if (!_names.Add(named.Name)) throw new AnnotationFormatException(at, "each class name once", $"{InputLimits.Quote(named.Name)} again");
            List.Add(named);
        }
    }

    private static void ReadLines(LineReader reader, ClassesRead classes)
    {
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            string name = Encoding.UTF8.GetString(line).Trim();
            // A trailing empty line ends the file; an empty line in the middle would shift every class after it.
            if (name.Length == 0)
            {
                while (reader.TryReadLine(out ReadOnlySpan<byte> next))
                {
                    if (!Fields.IsBlankLine(next))
                    {
                        throw reader.Error("one class name per line", "a name after an empty line", hint: "Line i names class i, so an empty line shifts the classes after it.");
                    }
                }
                break;
            }
            classes.Add(new NamedClass(classes.List.Count, name), reader.LineNumber, null);
        }
    }

    /// <summary>The <c>names:</c> key of a data.yaml: a flow list, a block list or an index map.</summary>
    private static void ReadYaml(LineReader reader, ClassesRead classes)
    {
        while (reader.TryReadLine(out ReadOnlySpan<byte> bytes))
        {
            string line = StripComment(Encoding.UTF8.GetString(bytes));
            if (!line.StartsWith("names:", StringComparison.Ordinal)) continue;
            string rest = line["names:".Length..].Trim();
            if (rest.StartsWith('['))
            {
                ReadFlowList(reader, rest, classes);
                return;
            }
            if (rest.Length > 0)
            {
                throw new AnnotationFormatException(new SourceLocation(reader.DisplayName, reader.LineNumber, Path: "names"), "a list or an 'index: name' map", InputLimits.Quote(rest));
            }
            ReadBlock(reader, classes);
            return;
        }
        throw new AnnotationFormatException(new SourceLocation(reader.DisplayName, Path: "names"), "a top-level 'names:' key (ultralytics data.yaml)", "a file without one");
    }

    private static void ReadFlowList(LineReader reader, string text, ClassesRead classes)
    {
        int end = text.IndexOf(']');
        if (end < 0) throw new AnnotationFormatException(new SourceLocation(reader.DisplayName, reader.LineNumber, Path: "names"), "a list on one line, [a, b, ...]", InputLimits.Quote(text));
        foreach (string item in text[1..end].Split(','))
        {
            string name = Unquote(item.Trim());
            if (name.Length == 0) continue;
            classes.Add(new NamedClass(classes.List.Count, name), reader.LineNumber, "names");
        }
    }

    private static void ReadBlock(LineReader reader, ClassesRead classes)
    {
        while (reader.TryReadLine(out ReadOnlySpan<byte> bytes))
        {
            string raw = StripComment(Encoding.UTF8.GetString(bytes));
            if (raw.Trim().Length == 0) continue;
            if (!char.IsWhiteSpace(raw[0])) break; // the next top-level key
            string item = raw.Trim();
            if (item.StartsWith('-'))
            {
                classes.Add(new NamedClass(classes.List.Count, Unquote(item[1..].Trim())), reader.LineNumber, "names");
                continue;
            }
            int colon = item.IndexOf(':');
            if (colon < 0 || !long.TryParse(item[..colon].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            {
                throw new AnnotationFormatException(new SourceLocation(reader.DisplayName, reader.LineNumber, Path: "names"), "'- name' or 'index: name'", InputLimits.Quote(item));
            }
            classes.Add(new NamedClass(id, Unquote(item[(colon + 1)..].Trim())), reader.LineNumber, "names");
        }
    }

    private static string StripComment(string line)
    {
        int hash = line.IndexOf(" #", StringComparison.Ordinal);
        if (line.StartsWith('#')) return "";
        return hash >= 0 ? line[..hash] : line;
    }

    private static string Unquote(string text) =>
        text.Length >= 2 && (text[0] == '\'' || text[0] == '"') && text[^1] == text[0] ? text[1..^1] : text;
}

/// <summary>
/// Renames classes before they are matched (<c>--class-map</c>): a CSV or tab-separated file of
/// <c>name in the file, name to use</c> lines without a header, such as Open Images'
/// <c>class-descriptions-boxable.csv</c> (<c>/m/01g317,Person</c>) or <c>tvmonitor,tv</c>.
/// </summary>
public sealed class ClassMap
{
    private readonly Dictionary<string, string> _renames;

    private ClassMap(string source, Dictionary<string, string> renames)
    {
        Source = source;
        _renames = renames;
    }

    /// <summary>Where the map came from.</summary>
    public string Source { get; }

    /// <summary>Number of renames.</summary>
    public int Count => _renames.Count;

    /// <summary>The name to use for <paramref name="name"/>: its rename, or itself.</summary>
    public string Apply(string name) => _renames.GetValueOrDefault(name, name);

    /// <summary>Builds a map in memory.</summary>
    public static ClassMap FromPairs(string source, IEnumerable<KeyValuePair<string, string>> pairs) =>
        new(source, new Dictionary<string, string>(pairs, StringComparer.Ordinal));

    /// <summary>Reads the file; the separator (comma, semicolon, tab or bar) is detected.</summary>
    /// <exception cref="AnnotationFormatException">A line does not have two fields, or a name is mapped twice.</exception>
    public static ClassMap Read(string path)
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
        return Read(stream, path);
    }

    /// <summary>Reads a map from a stream, which is disposed; <paramref name="path"/> names it in messages.</summary>
    /// <exception cref="AnnotationFormatException">A line does not have two fields, or a name is mapped twice.</exception>
    internal static ClassMap Read(Stream stream, string path)
    {
        var renames = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using CsvReader csv = CsvReader.Create(stream, CsvReaderOptions.Default with { HasHeader = false, TrackLineNumbers = true, SkipEmptyLines = true, MaxRecordSize = InputLimits.MaxLineBytes }, leaveOpen: false);
            while (csv.Read())
            {
                string from = csv.FieldCount > 0 ? csv.GetString(0).Trim() : "";
                string to = csv.FieldCount > 1 ? csv.GetString(1).Trim() : "";
                var where = new SourceLocation(path, (int)csv.LineNumber);
                if (csv.FieldCount != 2 || from.Length == 0 || to.Length == 0)
                {
                    throw new AnnotationFormatException(where, "two names, 'name in the file,name to use'", Fields.Count(csv.FieldCount));
                }
                if (!renames.TryAdd(from, to)) throw new AnnotationFormatException(where, "each name mapped once", $"{InputLimits.Quote(from)} again");
            }
        }
        catch (CsvFormatException e)
        {
            throw new AnnotationFormatException(new SourceLocation(path, e.LineNumber > 0 ? (int)e.LineNumber : null), "a CSV file of 'name,new name' lines", e.Message, inner: e);
        }
        return new ClassMap(path, renames);
    }
}
