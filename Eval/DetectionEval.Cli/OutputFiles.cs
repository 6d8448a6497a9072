using DetectionEval.Eval.Reports;

namespace DetectionEval.Cli;

/// <summary>Writes the files a command was asked for, turning file-system failures into usage errors.</summary>
public static class OutputFiles
{
    /// <summary>Writes <paramref name="path"/> atomically.</summary>
    /// <exception cref="UsageException">The file cannot be written.</exception>
    public static void Write(string path, string option, Action<Stream> write)
    {
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

    private static string Describe(Exception e) => e switch
    {
        DirectoryNotFoundException => "a path whose folder does not exist",
        UnauthorizedAccessException => "a path without write permission",
        _ => $"an error ({e.Message})",
    };
}
