namespace DetectionEval.Tests.Shared;

/// <summary>
/// Finds the golden reference cases: the folder named by <c>DEVAL_REFERENCE_DIR</c>, else the copies in
/// <c>tests/data/reference</c> (made by <c>tests/data/copy-reference.sh</c>, listed with their SHA-256 in
/// <c>tests/data/reference.sha256</c>). Tests that need them fail, never skip, when they are missing.
/// </summary>
public static class ReferenceData
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Directory { get; } = FindReference();

    public static string Case(string relative) => Path.Combine(Directory, relative);

    /// <summary>Every folder with gt.json, dt.json and expected.json, as "cases/c02_basic" or "peer/cartucho".</summary>
    public static IEnumerable<string> CocoJsonCases()
    {
        foreach (string group in new[] { "cases", "peer" })
        {
            string root = Path.Combine(Directory, group);
            if (!System.IO.Directory.Exists(root)) continue;
            foreach (string dir in System.IO.Directory.GetDirectories(root).Order(StringComparer.Ordinal))
            {
                if (File.Exists(Path.Combine(dir, "gt.json")) && File.Exists(Path.Combine(dir, "dt.json")) && File.Exists(Path.Combine(dir, "expected.json")))
                {
                    yield return $"{group}/{Path.GetFileName(dir)}";
                }
            }
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DetectionEval.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find the repository root (DetectionEval.sln) above " + AppContext.BaseDirectory);
    }

    private static string FindReference()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("DEVAL_REFERENCE_DIR");
        if (!string.IsNullOrEmpty(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        return Path.Combine(RepositoryRoot, "tests", "data", "reference");
    }

    /// <summary>The manifest of the copies: one "sha256  relative/path" line per file, as sha256sum writes it.</summary>
    public static string Manifest => Path.Combine(RepositoryRoot, "tests", "data", "reference.sha256");
}
