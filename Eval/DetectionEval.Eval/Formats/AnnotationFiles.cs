using DetectionEval.Eval.IO;
namespace DetectionEval.Eval.Formats;

/// <summary>The files of the folder formats: a folder's files of one extension in ordinal name order, or a single file.</summary>
internal static class AnnotationFiles
{
    /// <summary>The file name a class list next to the annotation files has (YOLO's classes.txt, labelImg writes it).</summary>
    public const string ClassListFileName = "classes.txt";

    /// <summary>One annotation file: its path and its name in messages (the user's folder joined with the file name).</summary>
    public readonly record struct Entry(string Path, string DisplayName, string Stem);

    /// <summary>
    /// Lists <paramref name="path"/>: a folder's files ending in <paramref name="extension"/> (ignoring case), sorted by
    /// file name (ordinal, the order the reference tools read them in), or the file itself.
    /// </summary>
    /// <exception cref="AnnotationFormatException">The path does not exist.</exception>
    public static List<Entry> List(string path, string extension, bool excludeClassList = true)
    {
        if (File.Exists(path)) return [new Entry(path, path, ImageNames.Stem(path))];
        if (!Directory.Exists(path)) throw InputFiles.CannotOpen(path, new FileNotFoundException(null, path));
        var entries = new List<Entry>();
        foreach (string file in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal))
        {
            string name = System.IO.Path.GetFileName(file);
            if (!name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) continue;
            if (excludeClassList && name.Equals(ClassListFileName, StringComparison.Ordinal)) continue;
            entries.Add(new Entry(file, System.IO.Path.Combine(path, name), ImageNames.Stem(name)));
        }
        return entries;
    }

    /// <summary>Fails when a ground-truth folder holds no annotation file of the format.</summary>
    public static void RequireSome(List<Entry> entries, string path, string what)
    {
        if (entries.Count == 0) throw new AnnotationFormatException(new SourceLocation(path), $"a folder of {what}", "a folder without any");
    }

    /// <summary>
    /// The bytes a format reads from <paramref name="path"/>, for a progress display: a file's length, or
    /// the lengths of the annotation files the folder formats list (a VOC root's Annotations/*.xml, not its
    /// images); 0 when the path does not exist.
    /// </summary>
    public static long BytesToRead(string path, AnnotationFormat format)
    {
        if (File.Exists(path)) return new FileInfo(path).Length;
        string? extension = format switch
        {
            AnnotationFormat.VocXml => ".xml",
            AnnotationFormat.LabelMe => ".json",
            AnnotationFormat.Yolo or AnnotationFormat.Txt or AnnotationFormat.VocResults => ".txt",
            _ => null,
        };
        if (extension is null || !Directory.Exists(path)) return 0;
        string folder = format == AnnotationFormat.VocXml && Directory.Exists(System.IO.Path.Combine(path, "Annotations")) ? System.IO.Path.Combine(path, "Annotations") : path;
        long bytes = 0;
        foreach (Entry entry in List(folder, extension)) bytes += new FileInfo(entry.Path).Length;
        return bytes;
    }

    /// <summary>The classes.txt in a folder input, if there is one.</summary>
    public static string? ClassListNextTo(string path)
    {
        if (!Directory.Exists(path)) return null;
        string candidate = System.IO.Path.Combine(path, ClassListFileName);
        return File.Exists(candidate) ? candidate : null;
    }
}
