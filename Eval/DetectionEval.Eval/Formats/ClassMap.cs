using System.Globalization;
using System.Text;
using CsvHelper;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

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
