namespace DetectionEval.Eval.IO;

/// <summary>
/// Writes a folder of files so that readers see either no folder or the complete one: the files go to a
/// temporary folder next to the target, which is renamed to the target only after everything was written.
/// </summary>
public static class AtomicFolder
{
    /// <summary>Creates <paramref name="path"/> with the files <paramref name="write"/> puts into the folder it is given.</summary>
    /// <param name="path">The folder to create.</param>
    /// <param name="write">Writes the files into the (temporary) folder it is given.</param>
    /// <param name="replace">Whether a folder that exists and is not empty is replaced as a whole (once the new one is complete).</param>
    /// <exception cref="IOException">The target exists and is not an empty folder (without <paramref name="replace"/>), or cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The target cannot be written.</exception>
    public static void Write(string path, Action<string> write, bool replace = false)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        if (File.Exists(full)) throw new IOException($"{path} is a file, not a folder");
        if (!replace && Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any()) throw new IOException($"{path} is a folder that is not empty");
        string parent = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(parent)) throw new DirectoryNotFoundException($"the folder of {path} does not exist");
        string temporary = Path.Combine(parent, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temporary);
        try
        {
            write(temporary);
            if (Directory.Exists(full))
            {
                // The old folder moves aside first, so the target is never half old and half new.
                string old = Path.Combine(parent, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.old");
                Directory.Move(full, old);
                Directory.Move(temporary, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temporary, full);
            }
        }
        catch
        {
            try
            {
                Directory.Delete(temporary, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the original error is what the user needs to see.
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }
}
