namespace DetectionEval.Eval.Loaders;

/// <summary>Errors about input files as a whole, before any content is read.</summary>
public static class InputFiles
{
    /// <summary>The error for a file that cannot be opened.</summary>
    public static AnnotationFormatException CannotOpen(string displayName, Exception reason)
    {
        string found = reason switch
        {
            FileNotFoundException or DirectoryNotFoundException => "no such file",
            UnauthorizedAccessException => "a file that cannot be read (permission denied)",
            _ => $"a file that cannot be opened ({reason.Message})",
        };
        return new AnnotationFormatException(new SourceLocation(displayName), "an existing, readable file", found, inner: reason);
    }

    /// <summary>Fails early, with the usual one-line error, when <paramref name="path"/> is not a readable file.</summary>
    public static void RequireFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw new AnnotationFormatException(new SourceLocation(path), "a file", "a directory");
        }
        if (!File.Exists(path)) throw CannotOpen(path, new FileNotFoundException(null, path));
    }
}
