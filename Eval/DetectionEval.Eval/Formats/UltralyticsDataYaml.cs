using System.Globalization;
using System.Text;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/// <summary>
/// The <c>names:</c> key of an ultralytics <c>data.yaml</c>, the one key deval reads from it: a flow list
/// (<c>names: [a, b]</c>), a block list (<c>- a</c>) or an index map (<c>0: a</c>). Not a YAML parser: the
/// rest of the file is skipped line by line, and comments after <c> #</c> are dropped.
/// </summary>
internal static class UltralyticsDataYaml
{
    /// <summary>The <c>names:</c> key of a data.yaml: a flow list, a block list or an index map.</summary>
    public static void ReadNames(LineReader reader, ClassList.ClassesRead classes)
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

    private static void ReadFlowList(LineReader reader, string text, ClassList.ClassesRead classes)
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

    private static void ReadBlock(LineReader reader, ClassList.ClassesRead classes)
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
