namespace DetectionEval.Cli.Tests;

public sealed class SynthCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-synth-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Synth_writes_a_pair_that_evaluate_reads_and_reports_its_counts()
    {
        string dir = Path.Combine(_folder, "new", "folder");
        CommandRun run = Deval.Run("synth", "--images", "40", "--classes", "5", "--seed", "9", "--out", dir);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.Matches(@"gt\.json: 40 images, 5 classes, \d+ ground-truth boxes \(\d+ crowd\)\n.*dt\.json: [\d,]+ detections\n", run.Output);
        Assert.Equal(["dt.json", "gt.json"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        CommandRun evaluate = Deval.Run("evaluate", "--gt", Path.Combine(dir, "gt.json"), "--pred", Path.Combine(dir, "dt.json"), "--metric", "voc");
        Assert.Equal(0, evaluate.ExitCode);
        Assert.StartsWith("40 images, 5 classes, ", evaluate.Output);
    }

    [Fact]
    public void Seed_1_writes_the_files_recorded_when_the_generator_was_written_and_another_seed_does_not()
    {
        // "The same seed gives byte-identical files on every machine" (README, synth): the SHA-256 of the
        // seed-1 files of 100 images and 80 classes, recorded once (as in the library's test), not a second
        // run in this process.
        string a = Path.Combine(_folder, "a"), c = Path.Combine(_folder, "c");
        Assert.Equal(0, Deval.Run("synth", "--images", "100", "--classes", "80", "--seed", "1", "--out", a).ExitCode);
        Assert.Equal(0, Deval.Run("synth", "--images", "100", "--classes", "80", "--seed", "2", "--out", c).ExitCode);
        Assert.Equal("43ea9b7bd329e29aaf597419e6002e2a1f5e4e00b03e8f54d196f7bdc0e29ed9", Sha256(Path.Combine(a, "gt.json")));
        Assert.Equal("dd260853a9c859666cbc7f166b0957ec7e26c2a0c881b7b577286cf9e4ce231c", Sha256(Path.Combine(a, "dt.json")));
        Assert.NotEqual(Sha256(Path.Combine(a, "dt.json")), Sha256(Path.Combine(c, "dt.json")));
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Dense_mode_writes_thousands_of_detections_per_image()
    {
        CommandRun run = Deval.Run("synth", "--images", "2", "--classes", "1", "--dense", "--out", _folder);
        Assert.Equal(0, run.ExitCode);
        string line = run.Output.Split('\n')[1];
        long detections = long.Parse(line.Split(": ")[1].Split(' ')[0].Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(detections, 3000, 9000);
    }

    [Theory]
    [InlineData("--images", "0", "--images expects a whole number of 1 or more, but got '0'.")]
    [InlineData("--classes", "many", "--classes expects a whole number of 1 or more, but got 'many'.")]
    [InlineData("--seed", "-1", "--seed expects a whole number of 0 or more, but got '-1'.")]
    [InlineData("--detections-per-image", "NaN", "--detections-per-image expects a number between 0 and 1000000, but got 'NaN'.")]
    public void A_bad_number_is_a_usage_error(string option, string value, string message)
    {
        string[] args = option == "--images"
            ? ["synth", "--images", value, "--out", _folder]
            : ["synth", "--images", "3", option, value, "--out", _folder];
        CommandRun run = Deval.Run(args);
        Assert.Equal(ExitCodes.UsageOrInputError, run.ExitCode);
        Assert.Equal($"deval: error: {message}", run.ErrorLines[0]);
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public void An_output_folder_that_cannot_be_created_exits_2_with_one_line()
    {
        string file = Path.Combine(_folder, "a-file");
        File.WriteAllText(file, "x");
        CommandRun run = Deval.Run("synth", "--images", "3", "--out", Path.Combine(file, "sub"));
        Assert.Equal(ExitCodes.UsageOrInputError, run.ExitCode);
        Assert.Equal($"deval: error: {Path.Combine(file, "sub")}: Expected a path whose folders can be created for --out, but got a file in the way ({file}).", Assert.Single(run.ErrorLines));
    }
}
