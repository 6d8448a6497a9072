using DetectionEval.Eval.Reports;
using DetectionEval.Eval.IO;

namespace DetectionEval.Cli;

/// <summary>Writes the files a command was asked for, turning file-system failures into usage errors.</summary>
public static class OutputFiles
{
    /// <summary>Writes <paramref name="path"/> atomically, creating its folder when missing.</summary>
    /// <exception cref="UsageException">The file cannot be written.</exception>
    public static void Write(string path, string option, Action<Stream> write)
    {
        CreateFolderFor(path, option);
        try
        {
            AtomicFile.Write(path, write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path}: Expected a writable file for {option}, but got {Describe(e)}.");
        }
    }

    /// <summary>Stops a run that would replace one of its own inputs with a report.</summary>
    public static void RefuseToOverwriteInputs(string? output, string option, params string[] inputs)
    {
        if (output is null || output == "-") return;
        string full = Path.GetFullPath(output);
        foreach (string input in inputs)
        {
            if (string.Equals(full, Path.GetFullPath(input), StringComparison.Ordinal))
            {
                throw new UsageException($"{output}: Expected an output file for {option}, but got one of the inputs.");
            }
        }
    }

    /// <summary>Creates the folder that <paramref name="path"/> goes into, and the missing folders above it.</summary>
    /// <exception cref="UsageException">A file stands where a folder should be, or the folder cannot be created.</exception>
    public static void CreateFolderFor(string path, string option) =>
        CreateFolder(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", path, option);

    /// <summary>Creates <paramref name="folder"/> (for <paramref name="path"/>, given as <paramref name="option"/>) and the missing folders above it.</summary>
    /// <exception cref="UsageException">A file stands where a folder should be, or the folder cannot be created.</exception>
    public static void CreateFolder(string folder, string path, string option)
    {
        for (string? at = folder; !string.IsNullOrEmpty(at); at = Path.GetDirectoryName(at))
        {
            if (Directory.Exists(at)) break;
            if (File.Exists(at)) throw new UsageException($"{path}: Expected a path whose folders can be created for {option}, but got a file in the way ({at}).");
        }
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path}: Expected a folder that can be created for {option}, but got {Describe(e)}.");
        }
    }

    /// <summary>A file-system failure as the end of "but got ...".</summary>
    public static string Describe(Exception e) => e switch
    {
        DirectoryNotFoundException => "a path whose folder does not exist",
        UnauthorizedAccessException => "a path without write permission",
        _ => $"an error ({e.Message.TrimEnd('.')})",
    };
}
