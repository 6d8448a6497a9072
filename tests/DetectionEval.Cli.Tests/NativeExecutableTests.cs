using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// The native executable (Native AOT, built by tests/benchmarks/native-executable.sh into
/// artifacts/native/RID/) against the .NET tool's code, run in-process: the same exit code, stdout, JSON report
/// and records file, byte for byte, on the samples (overlays drawn with OpenCV beside it included); the tool
/// package built with it installs it as deval; the GPU engine it leaves out refused in one line. Building it
/// takes minutes, so these tests run where it was built and skip, saying how to build it, where it was not
/// or where a source file changed since; DEVAL_NATIVE names an executable built elsewhere. `--filter Category!=Native` leaves them out.
/// </summary>
[Trait("Category", "Native")]
public sealed class NativeExecutableTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-native-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The executable to test, or null when none was built.</summary>
    private static string? Executable()
    {
        if (Environment.GetEnvironmentVariable("DEVAL_NATIVE") is { Length: > 0 } given) return given;
        string path = Path.Combine(ReferenceData.RepositoryRoot, "artifacts", "native", RuntimeInformation.RuntimeIdentifier, OperatingSystem.IsWindows() ? "deval.exe" : "deval");
        return File.Exists(path) ? path : null;
    }

    private static string RequireExecutable()
    {
        string? executable = Executable();
        Skip.If(executable is null, $"no native executable in artifacts/native/{RuntimeInformation.RuntimeIdentifier}: run tests/benchmarks/native-executable.sh to build it (or set DEVAL_NATIVE)");
        string? source = NewerSource(File.GetLastWriteTimeUtc(executable!));
        Skip.If(source is not null, $"{executable} is older than {source}: run tests/benchmarks/native-executable.sh to build it again");
        return executable!;
    }

    /// <summary>A source file of deval changed after <paramref name="built"/>, or null: a stale executable is not compared.</summary>
    private static string? NewerSource(DateTime built) =>
        new[] { "Eval", "Matching", "Plots" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(ReferenceData.RepositoryRoot, folder), "*.*", SearchOption.AllDirectories))
            .Where(path => path.EndsWith(".cs", StringComparison.Ordinal) || path.EndsWith(".csproj", StringComparison.Ordinal))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .FirstOrDefault(path => File.GetLastWriteTimeUtc(path) > built);

    private static readonly string CocoGt = Deval.Sample("coco-val2014-100", "instances_val2014_100.json");
    private static readonly string CocoDt = Deval.Sample("coco-val2014-100", "fakebbox100_results.json");

    [SkippableTheory]
    [InlineData("--metric|all")]
    [InlineData("--metric|all|--analysis|--score-threshold|0.5|--voc-plus-one")]
    [InlineData("--metric|coco|--max-dets|1,5,50")]
    [InlineData("--metric|voc|--iou|0.3|--voc-iou-rule|gt")]
    [InlineData("--iou-type|bbox,segm|--metric|coco", "fakesegm100_results.json")]
    public void The_native_executable_writes_the_coco_sample_report_byte_for_byte_as_the_dotnet_tool(string options, string predictions = "fakebbox100_results.json")
    {
        string native = RequireExecutable();
        string[] arguments = ["evaluate", "--gt", CocoGt, "--pred", Deval.Sample("coco-val2014-100", predictions), .. options.Split('|')];
        AssertSameRunAndFiles(native, arguments, [("--json", "report.json")]);
    }

    [SkippableTheory]
    [InlineData("voc/Annotations", "voc/results", "")]
    [InlineData("csv/gt.csv", "csv/predictions.csv", "--names|classes.txt")]
    [InlineData("openimages/boxes.csv", "openimages/predictions.csv", "--names|classes.txt|--image-sizes|images.txt")]
    [InlineData("yolo/labels", "yolo/predictions", "--image-sizes|images.txt")]
    [InlineData("cvat/annotations.xml", "cvat/predictions.xml", "")]
    public void The_native_executable_reads_the_format_samples_as_the_dotnet_tool(string groundTruth, string predictions, string options)
    {
        string native = RequireExecutable();
        static string Sample(string relative) => Deval.Sample(["formats", .. relative.Split('/')]);
        string[] arguments = ["evaluate", "--gt", Sample(groundTruth), "--pred", Sample(predictions),
            .. options.Split('|', StringSplitOptions.RemoveEmptyEntries).Select(o => o.Contains('.', StringComparison.Ordinal) ? Sample(o) : o)];
        AssertSameRunAndFiles(native, arguments, [("--json", "report.json")]);
    }

    [SkippableFact]
    public void The_native_executable_writes_the_same_records_csv_and_markdown_as_the_dotnet_tool()
    {
        string native = RequireExecutable();
        AssertSameRunAndFiles(native, ["evaluate", "--gt", CocoGt, "--pred", CocoDt, "--analysis"],
            [("--json", "report.json"), ("--records", "records.parquet"), ("--csv", "classes.csv"), ("--markdown", "summary.md"), ("--confusion-csv", "confusion.csv")]);
    }

    [SkippableFact]
    public void The_native_executable_gates_the_sample_regression_as_the_dotnet_tool()
    {
        string native = RequireExecutable();
        AssertSameRunAndFiles(native,
            ["gate", "--baseline", Deval.Sample("coco-val2014-100", "gate", "baseline.json"), "--gt", CocoGt, "--pred", Deval.Sample("coco-val2014-100", "gate", "regressed_results.json"),
             "--baseline-pred", CocoDt, "--max-drop", "AP=0.001", "--per-class-max-drop", "0.02", "--bootstrap", "200"],
            [("--junit", "gate.xml"), ("--markdown", "gate.md"), ("--json", "current.json")], expectedExit: ExitCodes.GateFailed);
    }

    [SkippableFact]
    public void The_native_executable_says_in_one_line_that_it_has_no_gpu_engine_and_which_package_has()
    {
        string native = RequireExecutable();
        CommandRun run = RunNative(native, "evaluate", "--gt", CocoGt, "--pred", CocoDt, "--device", "gpu");
        Assert.Equal((2, "", "deval: error: --device gpu: this native deval does not include the GPU engine: install the .NET build, which has it (dotnet tool install -g DetectionEval.Cli.Gpu).\n"),
            (run.ExitCode, run.Output, run.Error));
    }

    [SkippableFact]
    public void The_native_executable_draws_the_same_overlays_as_the_dotnet_tool_with_opencv_beside_it()
    {
        string native = RequireExecutable();
        string peer = ReferenceData.Case(Path.Combine("peer", "cartucho"));
        AssertSameRunAndFiles(native,
            ["evaluate", "--gt", Path.Combine(peer, "gt.json"), "--pred", Path.Combine(peer, "dt.json"), "--voc-plus-one",
             "--score-threshold", "0.5", "--images", Path.Combine(peer, "images"), "--worst", "4"],
            [("--overlays", "overlays"), ("--json", "report.json")]);
    }

    [SkippableFact]
    public void The_tool_package_built_beside_it_installs_the_native_executable_as_deval()
    {
        string native = RequireExecutable();
        string packages = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(native)!)!, "packages");
        string? pointer = Directory.Exists(packages)
            ? Directory.EnumerateFiles(packages, "DetectionEval.Cli.*.nupkg").Select(Path.GetFileNameWithoutExtension).FirstOrDefault(name => char.IsAsciiDigit(name![^1]) && char.IsAsciiDigit(name["DetectionEval.Cli.".Length]))
            : null;
        Skip.If(pointer is null, $"no tool packages in {packages}: run tests/benchmarks/native-executable.sh");
        string version = pointer!["DetectionEval.Cli.".Length..];
        string toolPath = Path.Combine(_folder, "tool-path");
        var install = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "tool", "install", "DetectionEval.Cli", "--version", version, "--tool-path", toolPath, "--add-source", packages, "--ignore-failed-sources" })
            install.ArgumentList.Add(argument);
        // A package cache of its own: the machine's cache may hold an older build of the same version.
        install.Environment["NUGET_PACKAGES"] = Path.Combine(_folder, "nuget-packages");
        using (Process process = Process.Start(install)!)
        {
            Task<string> error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"dotnet tool install: {output}{error.Result}");
        }
        string installed = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "deval.exe" : "deval");

        AssertSameRunAndFiles(installed, ["evaluate", "--gt", CocoGt, "--pred", CocoDt, "--metric", "all"], [("--json", "report.json")]);
        CommandRun timed = RunNative(installed, "evaluate", "--gt", CocoGt, "--pred", CocoDt, "--timings");
        Assert.Contains("deval: time: JIT compiling       0.000 s (0 methods;", timed.Error, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(native), File.ReadAllBytes(installed));
    }

    [SkippableFact]
    public void The_native_executable_alone_says_that_charts_need_the_libraries_published_beside_it()
    {
        string native = RequireExecutable();
        string alone = Path.Combine(_folder, "alone");
        Directory.CreateDirectory(alone);
        string copy = Path.Combine(alone, Path.GetFileName(native));
        File.Copy(native, copy);
        string plots = Path.Combine(_folder, "plots");
        CommandRun run = RunNative(copy, "evaluate", "--gt", CocoGt, "--pred", CocoDt, "--plots", plots);
        Assert.Equal((2, "", "deval: error: --plots: Expected libSkiaSharp, the chart library's native part, beside this native deval, but got none: copy it from the folder deval was published to, or install deval as a tool (dotnet tool install -g DetectionEval.Cli), whose package has it.\n"),
            (run.ExitCode, run.Output, run.Error));
        Assert.False(Directory.Exists(plots));
    }

    [SkippableFact]
    public void The_native_executable_alone_says_that_overlays_need_opencv_beside_it()
    {
        string native = RequireExecutable();
        string alone = Directory.CreateDirectory(Path.Combine(_folder, "alone")).FullName;
        string copy = Path.Combine(alone, Path.GetFileName(native));
        File.Copy(native, copy);
        string peer = ReferenceData.Case(Path.Combine("peer", "cartucho"));
        string overlays = Path.Combine(_folder, "overlays");
        CommandRun run = RunNative(copy, "evaluate", "--gt", Path.Combine(peer, "gt.json"), "--pred", Path.Combine(peer, "dt.json"),
            "--overlays", overlays, "--images", Path.Combine(peer, "images"));
        Assert.Equal((2, "", "deval: error: --overlays needs OpenCV's native library, which could not be loaded (libOpenCvSharpExtern.so is missing): copy it beside this deval from the folder deval was published to, or reinstall deval, whose package includes it\n"),
            (run.ExitCode, run.Output, run.Error));
        Assert.False(Directory.Exists(overlays));
    }

    /// <summary>
    /// Runs <paramref name="arguments"/> with the native executable and in-process, each writing the
    /// <paramref name="outputs"/> (option, file name) into a folder of its own, and asserts the same exit code,
    /// stdout and stderr, and the same bytes in every file; the in-process run must exit with <paramref name="expectedExit"/>.
    /// </summary>
    private void AssertSameRunAndFiles(string native, string[] arguments, (string Option, string File)[] outputs, int expectedExit = ExitCodes.Success)
    {
        string nativeFolder = Directory.CreateDirectory(Path.Combine(_folder, "native")).FullName;
        string toolFolder = Directory.CreateDirectory(Path.Combine(_folder, "tool")).FullName;
        string[] With(string folder) => [.. arguments, .. outputs.SelectMany(o => new[] { o.Option, Path.Combine(folder, o.File) })];

        CommandRun fromNative = RunNative(native, With(nativeFolder));
        CommandRun fromTool = Deval.Run(With(toolFolder));

        Assert.Equal(expectedExit, fromTool.ExitCode);
        Assert.Equal((fromTool.ExitCode, fromTool.Output, fromTool.Error), (fromNative.ExitCode, fromNative.Output, fromNative.Error));
        foreach ((_, string output) in outputs)
        {
            string written = Path.Combine(toolFolder, output);
            string[] files = Directory.Exists(written)
                ? [.. Directory.EnumerateFiles(written, "*", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(toolFolder, path)).Order(StringComparer.Ordinal)]
                : [output];
            Assert.NotEmpty(files);
            if (Directory.Exists(written))
            {
                Assert.Equal(files, Directory.EnumerateFiles(Path.Combine(nativeFolder, output), "*", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(nativeFolder, path)).Order(StringComparer.Ordinal));
            }
            foreach (string file in files)
            {
                byte[] expected = File.ReadAllBytes(Path.Combine(toolFolder, file));
                Assert.True(expected.Length > 0, $"{file}: the .NET tool wrote nothing");
                Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(nativeFolder, file))), $"{file} differs between the native executable and the .NET tool ({string.Join(' ', arguments)})");
            }
        }
        Directory.Delete(nativeFolder, recursive: true);
        Directory.Delete(toolFolder, recursive: true);
    }

    private static CommandRun RunNative(string executable, params string[] arguments)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new CommandRun(process.ExitCode, output.ReplaceLineEndings("\n"), error.Result.ReplaceLineEndings("\n"));
    }
}
