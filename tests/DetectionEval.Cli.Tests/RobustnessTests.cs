using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using DetectionEval.Cli;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// What deval guarantees on hostile input and on Ctrl-C: exit 2 with one line for absurd sizes (a line of
/// a gigabyte, a class name of 100,000 characters, a million classes, sizes of 1e12), no entity of a DTD
/// ever read, exit 130 and no output at all when interrupted; and predictions in several parts.
/// </summary>
public sealed class RobustnessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-robust-").FullName;
    private readonly string _outputs;

    public RobustnessTests() => _outputs = Directory.CreateDirectory(Path.Combine(_folder, "out")).FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Malformed(params string[] parts) => Deval.TestData(["malformed", .. parts]);

    /// <summary>Every output option, all pointing into the (empty) output folder.</summary>
    private string[] Outputs() =>
    [
        "--json", Path.Combine(_outputs, "report.json"), "--csv", Path.Combine(_outputs, "classes.csv"),
        "--markdown", Path.Combine(_outputs, "summary.md"), "--report", Path.Combine(_outputs, "report.html"),
        "--plots", Path.Combine(_outputs, "plots"),
    ];

    /// <summary>Exit 2, one stderr line starting with the file, expected and found, no stack trace, and nothing in the output folder.</summary>
    private CommandRun RunWithBadInput(string[] args, string file, string message)
    {
        CommandRun run = Deval.Run([.. args, .. Outputs()]);
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}: {run.Error}");
        string line = Assert.Single(run.ErrorLines, l => l.StartsWith("deval: error: ", StringComparison.Ordinal));
        Assert.StartsWith("deval: error: " + file, line);
        Assert.Contains(message, line);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.True(line.Length < 1000, line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outputs));
        return run;
    }

    [Fact]
    public void A_line_of_a_gigabyte_fails_after_reading_one_mebibyte()
    {
        string labels = Path.Combine(_folder, "gt");
        Directory.CreateDirectory(labels);
        string huge = Path.Combine(labels, "img1.txt");
        // A sparse file: a gigabyte of NUL bytes without a line break, taking no disk space.
        using (FileStream file = File.Create(huge)) file.SetLength(1L << 30);
        RunWithBadInput(["evaluate", "--gt", labels, "--pred", Malformed("txt", "pred"), "--gt-format", "txt", "--pred-format", "txt"],
            huge + ":1:", "Expected lines of at most 1 MiB, but got a longer line (1 MiB without a line break).");
    }

    [Fact]
    public void A_class_name_of_100000_characters_is_refused_with_its_length()
    {
        string gt = Write("gt.json", $$"""{"images": [{"id": 1}], "annotations": [], "categories": [{"id": 1, "name": "{{new string('n', 100_000)}}"}]}""");
        RunWithBadInput(["evaluate", "--gt", gt, "--pred", Malformed("coco", "dt.json")],
            gt + ":1:", "$.categories[0].name: Expected a class name of at most 1,000 characters, but got 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' (100,000 characters).");
    }

    [Fact]
    public void A_million_classes_are_refused_at_the_first_one_past_the_limit()
    {
        string gt = Path.Combine(_folder, "gt.json");
        using (var writer = new StreamWriter(gt))
        {
            writer.Write("{\"images\": [{\"id\": 1}], \"annotations\": [], \"categories\": [");
            for (int i = 1; i <= 1_000_000; i++) writer.Write(i == 1 ? $"{{\"id\": {i}}}" : $",{{\"id\": {i}}}");
            writer.Write("]}");
        }
        RunWithBadInput(["evaluate", "--gt", gt, "--pred", Malformed("coco", "dt.json")], gt + ":1:", "$.categories[50000]: Expected at most 50,000 classes, but got more.");
    }

    [Theory]
    [InlineData("\"width\": 1e12", "$.images[0].width: Expected an image size in pixels, a whole number from 0 to 2147483647, but got the number 1e12.")]
    [InlineData("\"id\": 1e308", "$.images[0].id: Expected an integer image id, but got the number 1e308.")]
    public void Sizes_and_ids_beyond_any_image_are_refused(string property, string message)
    {
        string gt = Write("gt.json", $$"""{"images": [{"id": 1, {{property}}}], "annotations": [], "categories": [{"id": 1}]}""");
        RunWithBadInput(["evaluate", "--gt", gt, "--pred", Malformed("coco", "dt.json")], gt + ":1:", message);
    }

    [Fact]
    public void A_baseline_that_claims_a_trillion_classes_is_refused()
    {
        string report = Path.Combine(_folder, "baseline.json");
        CommandRun written = Deval.Run("evaluate", "--gt", Malformed("coco", "gt.json"), "--pred", Malformed("coco", "dt.json"), "--json", report);
        Assert.Equal(0, written.ExitCode);
        File.WriteAllText(report, File.ReadAllText(report).Replace("\"classes\": 2,", "\"classes\": 1000000000000,", StringComparison.Ordinal));
        CommandRun run = Deval.Run("gate", "--baseline", report, "--current", report, "--min", "AP=0.1", "--junit", Path.Combine(_outputs, "gate.xml"));
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"deval: error: {report}:", Assert.Single(run.ErrorLines));
        Assert.Contains("$.inputs.classes: Expected a whole number of 0 or more, but got the number 1000000000000.", run.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outputs));
    }

    [Theory]
    [InlineData("voc-xml")]
    [InlineData("cvat")]
    public void An_external_entity_is_never_read(string format)
    {
        string secret = Write("secret.txt", "TOP-SECRET-CONTENT");
        string doctype = $"<!DOCTYPE annotation [<!ENTITY leak SYSTEM \"file://{secret}\"><!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>";
        string gt = format == "cvat"
            ? Write("gt.xml", $"<?xml version=\"1.0\"?>\n{doctype}\n<annotations><meta><task><labels><label><name>&leak;</name></label></labels></task></meta><image name=\"img1\"><box label=\"&leak;&lol2;\" xtl=\"1\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/></image></annotations>")
            : Write("gt/img1.xml", $"<?xml version=\"1.0\"?>\n{doctype}\n<annotation><object><name>&leak;&lol2;</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>");
        string groundTruth = format == "cvat" ? gt : Path.GetDirectoryName(gt)!;
        string[] predictions = format == "cvat" ? [Malformed("cvat", "pred.xml"), "--pred-format", "cvat"] : [Malformed("voc", "results"), "--pred-format", "voc-results"];
        CommandRun run = RunWithBadInput(["evaluate", "--gt", groundTruth, "--gt-format", format, "--pred", .. predictions], gt + ":2:1:",
            "Expected XML without a DTD (<!DOCTYPE> is refused: no entities are expanded and nothing external is read), but got a DOCTYPE.");
        Assert.DoesNotContain("TOP-SECRET", run.Output + run.Error);
    }

    [Fact]
    public void Predictions_in_parts_evaluate_as_their_concatenation()
    {
        string gt = Deval.Sample("coco-val2014-100", "instances_val2014_100.json");
        string all = Deval.Sample("coco-val2014-100", "fakebbox100_results.json");
        string[] detections = File.ReadAllText(all).Split("},{", StringSplitOptions.None);
        // The results list cut in two after a detection, as two files of one sharded run.
        int cut = detections.Length / 3;
        string first = Write("part1.json", string.Join("},{", detections[..cut]) + "}]");
        string second = Write("part2.json", "[{" + string.Join("},{", detections[cut..]));
        CommandRun whole = Deval.Run("evaluate", "--gt", gt, "--pred", all, "--json", "-");
        CommandRun parts = Deval.Run("evaluate", "--gt", gt, "--pred", first, second, "--json", "-");
        CommandRun repeated = Deval.Run("evaluate", "--gt", gt, "--pred", first, "--pred", second, "--json", "-");
        Assert.Equal(0, parts.ExitCode);
        string Values(CommandRun run) => string.Join('\n', run.Output.Split('\n').Where(l => !l.Contains("\"predictions\":", StringComparison.Ordinal)));
        Assert.Equal(Values(whole), Values(parts));
        Assert.Equal(parts.Output, repeated.Output);
        Assert.Contains($"\"predictions\": \"{first}, {second}\"", parts.Output);
    }

    [Fact]
    public void A_cancelled_run_exits_130_and_writes_nothing()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = DevalApp.Run(
            ["evaluate", "--gt", Deval.Sample("coco-val2014-100", "instances_val2014_100.json"), "--pred", Deval.Sample("coco-val2014-100", "fakebbox100_results.json"), .. Outputs()],
            output, error, new CancellationToken(canceled: true));
        Assert.Equal(ExitCodes.Interrupted, exit);
        Assert.Equal("deval: interrupted; no output was written\n", error.ToString().ReplaceLineEndings("\n"));
        Assert.Equal("", output.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outputs));
    }

    [SkippableFact]
    public async Task Ctrl_c_stops_a_real_run_promptly_with_exit_130_and_no_output()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc and kill(2) are how the test knows when to interrupt
        // A shell without job control starts a background job (`cmd &`) with SIGINT ignored, and a child keeps
        // an ignored signal across exec: deval started from such a test run cannot be interrupted, rightly.
        Skip.If(IgnoresSigint(), "SIGINT is ignored in this process (started as a background job without job control), and deval would inherit that");
        // A ground truth whose reading takes seconds: 50 million numbers in a property deval skips.
        string gt = Path.Combine(_folder, "gt.json");
        using (var file = new FileStream(gt, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            file.Write("{\"info\": ["u8);
            byte[] zeros = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0,", 1 << 19)));
            for (int i = 0; i < 100; i++) file.Write(zeros);
            file.Write("0], \"images\": [{\"id\": 1}], \"annotations\": [], \"categories\": [{\"id\": 1}]}"u8);
        }
        string dt = Write("dt.json", """[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]""");
        string dotnet = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        var start = new ProcessStartInfo(dotnet) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in new[] { typeof(DevalApp).Assembly.Location, "evaluate", "--gt", gt, "--pred", dt }.Concat(Outputs())) start.ArgumentList.Add(arg);
        using Process deval = Process.Start(start)!;
        Task<string> stderr = deval.StandardError.ReadToEndAsync();
        Task<string> stdout = deval.StandardOutput.ReadToEndAsync();

        // Interrupt once deval has the ground truth open: its handler is in place and it is mid-read.
        var waiting = Stopwatch.StartNew();
        while (!deval.HasExited && !HasOpen(deval.Id, gt))
        {
            Assert.True(waiting.Elapsed < TimeSpan.FromSeconds(60), "deval never opened the ground truth");
            await Task.Delay(5);
        }
        if (deval.HasExited) Assert.Fail($"deval finished before it could be interrupted: {await stderr}");
        var interrupted = Stopwatch.StartNew();
        Assert.Equal(0, Kill(deval.Id, Sigint));
        bool exited = deval.WaitForExit(TimeSpan.FromSeconds(10));
        TimeSpan toExit = interrupted.Elapsed;
        if (!exited) deval.Kill();
        Assert.True(exited, "deval did not stop within 10 s of Ctrl-C");
        Assert.True(toExit < TimeSpan.FromSeconds(5), $"deval took {toExit.TotalSeconds:F1} s to stop");
        Assert.Equal(130, deval.ExitCode);
        Assert.Equal("deval: interrupted; no output was written", (await stderr).Trim());
        Assert.Equal("", await stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outputs));
        Assert.Equal(["dt.json", "gt.json", "out"], Directory.EnumerateFileSystemEntries(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_interrupted_synth_leaves_neither_file()
    {
        using var interrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var error = new StringWriter();
        // 200,000 images take seconds, so the interruption comes while both files are being written.
        int exit = DevalApp.Run(["synth", "--images", "200000", "--out", _outputs], new StringWriter(), error, interrupt.Token);
        Assert.Equal(ExitCodes.Interrupted, exit);
        Assert.Equal("deval: interrupted; no output was written", error.ToString().Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outputs));
    }

    [Fact]
    public void An_interrupted_conversion_writes_nothing()
    {
        var error = new StringWriter();
        string[] args = ["convert", Malformed("coco", "gt.json"), Path.Combine(_outputs, "gt.csv"), "--to", "csv"];
        int exit = DevalApp.Run(args, new StringWriter(), error, new CancellationToken(canceled: true));
        Assert.Equal(ExitCodes.Interrupted, exit);
        Assert.Equal("deval: interrupted; no output was written", error.ToString().Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outputs));
    }

    private const int Sigint = 2;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Whether this process ignores SIGINT (bit 1 of the SigIgn mask in /proc/self/status).</summary>
    private static bool IgnoresSigint()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (Sigint - 1))) != 0;
    }

    private static bool HasOpen(int pid, string path)
    {
        try
        {
            return Directory.EnumerateFiles($"/proc/{pid}/fd").Any(fd => new FileInfo(fd).LinkTarget == path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the process is starting or gone
        }
    }
}
