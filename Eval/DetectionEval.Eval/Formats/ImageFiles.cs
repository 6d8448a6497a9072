using DetectionEval.Eval.IO;
namespace DetectionEval.Eval.Formats;

// Finding an annotation's image file inside an images folder, without ever reading outside it.
//
// Inputs: the images folder the user named and a file name from an annotation file (COCO "file_name").
// Rules: a file name must be relative, must not contain a ".." segment, and, once every symbolic link on
// the way is followed, must still lie inside the images folder (itself resolved the same way). A name
// without an extension (Cartucho's and VOC's image ids) is tried as given and then with .jpg, .jpeg,
// .png and .bmp. A name that breaks a rule is an input error; a missing file is not (null).

/// <summary>Resolves image file names from annotations inside one images folder.</summary>
public sealed class ImageFiles
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".JPG", ".JPEG", ".PNG"];

    private readonly string _root;

    /// <summary>Opens an images folder.</summary>
    /// <param name="root">The folder as the user named it.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public ImageFiles(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException(root);
        Root = root;
        _root = ResolveLinks(Path.GetFullPath(root));
    }

    /// <summary>The folder as the user named it.</summary>
    public string Root { get; }

    /// <summary>The full path of the image named <paramref name="fileName"/>, or null when no such file exists.</summary>
    /// <param name="fileName">The name as the annotation file gives it.</param>
    /// <param name="location">Where the name was read, for the error message.</param>
    /// <exception cref="AnnotationFormatException">The name is absolute, climbs with "..", or leads outside the folder.</exception>
    public string? Find(string fileName, SourceLocation location)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(location);
        CheckRelative(fileName, location);
        foreach (string candidate in Candidates(fileName))
        {
            string full = Path.GetFullPath(Path.Combine(_root, candidate));
            if (!IsInside(full, _root)) throw Outside(fileName, location);
            if (!File.Exists(full)) continue;
            // Rule: follow every link on the way; the file it leads to must still be inside the folder.
            if (!IsInside(ResolveLinks(full), _root)) throw Outside(fileName, location);
            return full;
        }
        return null;
    }

    /// <summary>Rule: only relative names without ".." segments or drive prefixes.</summary>
    private static void CheckRelative(string fileName, SourceLocation location)
    {
        if (fileName.Length == 0) throw new AnnotationFormatException(location, $"an image file name inside the images folder", "an empty name");
        bool rooted = Path.IsPathRooted(fileName) || fileName.StartsWith('/') || fileName.StartsWith('\\') || (fileName.Length >= 2 && fileName[1] == ':');
        bool climbs = fileName.Split('/', '\\').Any(segment => segment == "..");
        if (rooted || climbs || fileName.Contains('\0', StringComparison.Ordinal)) throw Outside(fileName, location);
    }

    private static IEnumerable<string> Candidates(string fileName)
    {
        yield return fileName;
        if (Path.HasExtension(fileName)) yield break;
        foreach (string extension in Extensions) yield return fileName + extension;
    }

    private static AnnotationFormatException Outside(string fileName, SourceLocation location) =>
        new(location, "an image file name inside the images folder (relative, without '..', no link leading out)", $"'{fileName}'");

    private static bool IsInside(string full, string root)
    {
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        StringComparison comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return full.StartsWith(prefix, comparison);
    }

    /// <summary>The path with every symbolic link on it followed, component by component.</summary>
    private static string ResolveLinks(string full, int depth = 0)
    {
        if (depth > 40) throw new IOException($"Too many levels of symbolic links at {full}.");
        string? root = Path.GetPathRoot(full);
        if (string.IsNullOrEmpty(root)) return full;
        string current = root;
        string[] parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        foreach (string part in parts)
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is null) continue;
            FileSystemInfo? target = info.ResolveLinkTarget(returnFinalTarget: false);
            // A relative link is relative to the folder holding it; FullName already accounts for that.
            if (target is not null) current = ResolveLinks(Path.GetFullPath(target.FullName), depth + 1);
        }
        return current;
    }
}
