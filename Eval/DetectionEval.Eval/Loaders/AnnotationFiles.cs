namespace DetectionEval.Eval.Loaders;

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

    /// <summary>The classes.txt in a folder input, if there is one.</summary>
    public static string? ClassListNextTo(string path)
    {
        if (!Directory.Exists(path)) return null;
        string candidate = System.IO.Path.Combine(path, ClassListFileName);
        return File.Exists(candidate) ? candidate : null;
    }
}
