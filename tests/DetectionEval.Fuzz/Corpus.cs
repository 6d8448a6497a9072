namespace DetectionEval.Fuzz;

/// <summary>The committed seed corpus: tests/DetectionEval.Fuzz/corpus/&lt;target&gt;/, small files in name order.</summary>
internal static class Corpus
{
    /// <summary>The repository's root (the folder holding DetectionEval.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The seed folder of a target.</summary>
    public static string Folder(FuzzTarget target) => Path.Combine(RepositoryRoot, "tests", "DetectionEval.Fuzz", "corpus", target.Name);

    /// <summary>The seeds of a target; a target without seeds starts from one empty input.</summary>
    public static IReadOnlyList<byte[]> Seeds(FuzzTarget target)
    {
        string folder = Folder(target);
        if (!Directory.Exists(folder)) return [[]];
        List<byte[]> seeds = [.. Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
        return seeds.Count == 0 ? [[]] : seeds;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DetectionEval.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find the repository root (DetectionEval.sln) above " + AppContext.BaseDirectory);
    }
}
