namespace DetectionEval.Eval.IO;

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

    /// <summary>
    /// Fails early, with the usual one-line error, when an annotation input (a file or a folder) does not
    /// exist, naming the first folder of the path that is missing, or is a file of 0 bytes: no format holds
    /// annotations in an empty file (an empty list of COCO results is <c>[]</c>), and an empty file is
    /// usually one whose writing failed.
    /// </summary>
    /// <param name="path">The file or folder as the user named it.</param>
    /// <param name="role">What it should hold, for the message ("ground truth", "predictions").</param>
    public static void RequireInput(string path, string role)
    {
        if (Directory.Exists(path)) return;
        if (File.Exists(path))
        {
            if (new FileInfo(path).Length == 0)
            {
                throw new AnnotationFormatException(new SourceLocation(path), role, "an empty file (0 bytes)",
                    role == "predictions" ? "A run without detections is written as [] in COCO json." : null);
            }
            return;
        }
        throw new AnnotationFormatException(new SourceLocation(path), "an existing file or folder", Missing(path));
    }

    /// <summary>"no such file or folder", or which folder of the path is missing ("no folder data/labels").</summary>
    private static string Missing(string path)
    {
        string trimmed = Path.TrimEndingDirectorySeparator(path);
        string? missingFolder = null;
        for (string? parent = Path.GetDirectoryName(trimmed); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            if (Directory.Exists(parent)) break;
            missingFolder = parent;
        }
        if (missingFolder is not null) return $"a path in a folder that does not exist ({missingFolder})";
        return trimmed.Length < path.Length ? "no such folder" : "no such file or folder";
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
