using System.Globalization;
using System.Text;
using CsvHelper;

namespace DetectionEval.Eval.Loaders;

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
        List<NamedClass> classes = extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase)
            ? ReadYaml(path)
            : ReadLines(path);
        if (classes.Count == 0) throw new AnnotationFormatException(new SourceLocation(path), "at least one class name", "none");
        return new ClassList(path, classes);
    }

    private static List<NamedClass> ReadLines(string path)
    {
        var classes = new List<NamedClass>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using LineReader reader = LineReader.Open(path, path);
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
            if (!seen.Add(name)) throw reader.Error("each class name once", $"'{name}' again");
            classes.Add(new NamedClass(classes.Count, name));
        }
        return classes;
    }

    /// <summary>The <c>names:</c> key of a data.yaml: a flow list, a block list or an index map.</summary>
    private static List<NamedClass> ReadYaml(string path)
    {
        string[] lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = StripComment(lines[i]);
            if (!line.StartsWith("names:", StringComparison.Ordinal)) continue;
            string rest = line["names:".Length..].Trim();
            if (rest.StartsWith('[')) return ReadFlowList(path, i + 1, rest);
            if (rest.Length > 0)
            {
                throw new AnnotationFormatException(new SourceLocation(path, i + 1, Path: "names"), "a list or an 'index: name' map", $"'{rest}'");
            }
            return ReadBlock(path, lines, i + 1);
        }
        throw new AnnotationFormatException(new SourceLocation(path, Path: "names"), "a top-level 'names:' key (ultralytics data.yaml)", "a file without one");
    }

    private static List<NamedClass> ReadFlowList(string path, int lineNumber, string text)
    {
        int end = text.IndexOf(']');
        if (end < 0) throw new AnnotationFormatException(new SourceLocation(path, lineNumber, Path: "names"), "a list on one line, [a, b, ...]", $"'{text}'");
        var classes = new List<NamedClass>();
        foreach (string item in text[1..end].Split(','))
        {
            string name = Unquote(item.Trim());
            if (name.Length == 0) continue;
            Add(classes, new NamedClass(classes.Count, name), path, lineNumber);
        }
        return classes;
    }

    private static List<NamedClass> ReadBlock(string path, string[] lines, int start)
    {
        var classes = new List<NamedClass>();
        for (int i = start; i < lines.Length; i++)
        {
            string raw = StripComment(lines[i]);
            if (raw.Trim().Length == 0) continue;
            if (!char.IsWhiteSpace(raw[0])) break; // the next top-level key
            string item = raw.Trim();
            if (item.StartsWith('-'))
            {
                Add(classes, new NamedClass(classes.Count, Unquote(item[1..].Trim())), path, i + 1);
                continue;
            }
            int colon = item.IndexOf(':');
            if (colon < 0 || !long.TryParse(item[..colon].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            {
                throw new AnnotationFormatException(new SourceLocation(path, i + 1, Path: "names"), "'- name' or 'index: name'", $"'{item}'");
            }
            Add(classes, new NamedClass(id, Unquote(item[(colon + 1)..].Trim())), path, i + 1);
        }
        return classes;
    }

    private static void Add(List<NamedClass> classes, NamedClass named, string path, int line)
    {
        foreach (NamedClass c in classes)
        {
            if (c.Id == named.Id) throw new AnnotationFormatException(new SourceLocation(path, line, Path: "names"), "each class index once", $"{named.Id} again");
            if (c.Name == named.Name) throw new AnnotationFormatException(new SourceLocation(path, line, Path: "names"), "each class name once", $"'{named.Name}' again");
        }
        classes.Add(named);
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
        var renames = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using CsvReader csv = CsvReader.FromFile(path, CsvReaderOptions.Default with { HasHeader = false, TrackLineNumbers = true, SkipEmptyLines = true });
            while (csv.Read())
            {
                string from = csv.FieldCount > 0 ? csv.GetString(0).Trim() : "";
                string to = csv.FieldCount > 1 ? csv.GetString(1).Trim() : "";
                var where = new SourceLocation(path, (int)csv.LineNumber);
                if (csv.FieldCount != 2 || from.Length == 0 || to.Length == 0)
                {
                    throw new AnnotationFormatException(where, "two names, 'name in the file,name to use'", Fields.Count(csv.FieldCount));
                }
                if (!renames.TryAdd(from, to)) throw new AnnotationFormatException(where, "each name mapped once", $"'{from}' again");
            }
        }
        catch (CsvFormatException e)
        {
            throw new AnnotationFormatException(new SourceLocation(path, e.LineNumber > 0 ? (int)e.LineNumber : null), "a CSV file of 'name,new name' lines", e.Message, inner: e);
        }
        return new ClassMap(path, renames);
    }
}
