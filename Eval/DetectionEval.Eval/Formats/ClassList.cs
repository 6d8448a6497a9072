using System.Globalization;
using System.Text;
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
        if (yaml) UltralyticsDataYaml.ReadNames(reader, classes);
        else ReadLines(reader, classes);
        if (classes.List.Count == 0) throw new AnnotationFormatException(new SourceLocation(reader.DisplayName, 1), "at least one class name", "none");
        return new ClassList(reader.DisplayName, classes.List);
    }

    /// <summary>The classes read so far, with the checks each new one must pass.</summary>
    /// <summary>The classes read so far, each index and name once, within the input limits.</summary>
    internal sealed class ClassesRead(string path)
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
}
