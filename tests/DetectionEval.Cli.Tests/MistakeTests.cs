using DetectionEval.Cli;
using DetectionEval.Plots;

namespace DetectionEval.Cli.Tests;

/// <summary>
/// The mistakes a new user makes, each with one clear line and the documented exit code: mistyped verbs and
/// options, a machine without OpenCV's native dependencies, options that do nothing for the inputs given,
/// empty files, missing folders, outputs in folders that do not exist yet.
/// </summary>
public sealed class MistakeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-mistakes-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string Gt = Deval.TestData("malformed", "coco", "gt.json");
    private static readonly string Dt = Deval.TestData("malformed", "coco", "dt.json");
    private static readonly string CartuchoImages = ReferenceData.Case(Path.Combine("peer", "cartucho", "images"));

    private string Temp(params string[] parts) => Path.Combine([_folder, .. parts]);

    private static void AssertUsageError(CommandRun run, params string[] lines)
    {
        Assert.Equal(ExitCodes.UsageOrInputError, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal(lines, run.ErrorLines);
    }

    // ---- mistyped verbs and options ----

    [Theory]
    [InlineData("--thresh", "0.5", "--score-threshold")]
    [InlineData("--plot", "plots", "--plots")]
    [InlineData("--metrc", "voc", "--metric")]
    [InlineData("--jsno", "out.json", "--json")]
    public void A_mistyped_option_gets_one_line_with_the_closest_option(string typed, string value, string meant)
    {
        CommandRun run = Deval.Run("evaluate", "--gt", Gt, "--pred", Dt, typed, value);
        AssertUsageError(run, $"deval: error: unknown option '{typed}' for evaluate; did you mean '{meant}'?", "Run 'deval evaluate --help' for usage.");
    }

    [Fact]
    public void A_mistyped_option_after_the_predictions_is_not_read_as_another_predictions_file()
    {
        // --pred takes several files, so without the check "--thresh" and "0.5" would be two more of them.
        CommandRun run = Deval.Run("evaluate", "--gt", Gt, "--pred", Dt, "--thresh", "0.5", "--json", Temp("out.json"));
        AssertUsageError(run, "deval: error: unknown option '--thresh' for evaluate; did you mean '--score-threshold'?", "Run 'deval evaluate --help' for usage.");
        Assert.False(File.Exists(Temp("out.json")));
    }

    [Fact]
    public void A_mistyped_required_option_is_the_one_line_not_the_missing_option_it_causes()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", Gt, "--prd", Dt);
        AssertUsageError(run, "deval: error: unknown option '--prd' for evaluate; did you mean '--pred'?", "Run 'deval evaluate --help' for usage.");
    }

    [Fact]
    public void Two_mistyped_options_get_a_line_each()
    {
        CommandRun run = Deval.Run("gate", "--baseline", Gt, "--curent", Gt, "--max-dorp", "AP=0.1");
        AssertUsageError(run,
            "deval: error: unknown option '--curent' for gate; did you mean '--current'?",
            "deval: error: unknown option '--max-dorp' for gate; did you mean '--max-drop'?",
            "Run 'deval gate --help' for usage.");
    }

    [Fact]
    public void An_option_nothing_resembles_is_named_without_a_guess()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", Gt, "--pred", Dt, "--verbose");
        AssertUsageError(run, "deval: error: unknown option '--verbose' for evaluate.", "Run 'deval evaluate --help' for usage.");
    }

    [Fact]
    public void A_mistyped_verb_gets_one_line_with_the_closest_verb()
    {
        CommandRun run = Deval.Run("evalute", "--gt", Gt, "--pred", Dt);
        AssertUsageError(run, "deval: error: unknown command 'evalute'; did you mean 'evaluate'?", "Run 'deval --help' for usage.");
    }

    [Fact]
    public void An_unknown_verb_lists_the_verbs_and_no_verb_says_so()
    {
        AssertUsageError(Deval.Run("score", "--gt", Gt),
            "deval: error: unknown command 'score'; the commands are evaluate, convert, gate, compare, synth, merge.", "Run 'deval --help' for usage.");
        AssertUsageError(Deval.Run(),
            "deval: error: no command given; the commands are evaluate, convert, gate, compare, synth, merge.", "Run 'deval --help' for usage.");
    }

    [Fact]
    public void Other_parse_errors_keep_their_line_and_exit_2()
    {
        CommandRun run = Deval.Run("evaluate", "--gt", Gt, "--pred", Dt, "--iou", "5");
        AssertUsageError(run, "deval: error: --iou expects a number between 0 and 1, but got '5'.", "Run 'deval evaluate --help' for usage.");
    }

    [Fact]
    public void Stdout_as_dash_and_negative_numbers_are_values_not_options()
    {
        Assert.False(CommandLineMistakes.LooksLikeOption("-"));
        Assert.False(CommandLineMistakes.LooksLikeOption("-0.5"));
        Assert.False(CommandLineMistakes.LooksLikeOption("-Infinity"));
        Assert.True(CommandLineMistakes.LooksLikeOption("-x"));
        Assert.True(CommandLineMistakes.LooksLikeOption("--thresh=0.5"));
        CommandRun run = Deval.Run("evaluate", "--gt", Gt, "--pred", Dt, "--json", "-");
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("{", run.Output);
    }

    [Theory]
    [InlineData("thresh", "threads", 3)]
    [InlineData("prd", "pred", 1)]
    [InlineData("evalute", "evaluate", 1)]
    [InlineData("metirc", "metric", 1)]
    public void The_edit_distance_counts_each_insertion_deletion_substitution_and_swap_once(string a, string b, int distance)
    {
        Assert.Equal(distance, CommandLineMistakes.EditDistance(a, b));
        Assert.Equal(distance, CommandLineMistakes.EditDistance(b, a));
    }

    // ---- OpenCV's native library ----

    /// <summary>What OpenCvSharp throws on a machine without GTK 3: the real exception types, with the loader's message.</summary>
    private static void FailLikeAMachineWithoutGtk() => throw new TypeInitializationException(
        "OpenCvSharp.Internal.NativeMethods",
        new DllNotFoundException(
            "Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies. In order to help diagnose loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n"
            + "/opt/deval/runtimes/linux-x64/native/OpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n"
            + "libgtk-3.so.0: cannot open shared object file: No such file or directory\n"));

    private const string GtkHint = "could not be loaded (libgtk-3.so.0 is missing): on Debian/Ubuntu run `apt-get install -y --no-install-recommends libgtk-3-0`";

    private static CommandRun RunWithoutGtk(params string[] args)
    {
        OpenCvRequirement.LoadOverride.Value = FailLikeAMachineWithoutGtk;
        try
        {
            return Deval.Run(args);
        }
        finally
        {
            OpenCvRequirement.LoadOverride.Value = null;
        }
    }

    [Fact]
    public void A_missing_OpenCV_library_is_reinstalled_only_where_the_package_carries_it()
    {
        var unavailable = new OpenCvUnavailableException("libOpenCvSharpExtern.so", null);

        Assert.Equal(
            "--overlays needs OpenCV's native library, which could not be loaded (libOpenCvSharpExtern.so is missing): reinstall deval, whose package includes it",
            OpenCvRequirement.Explain("--overlays", unavailable, packageCarriesOpenCv: true, "linux-x64"));
        Assert.Equal(
            "--overlays needs OpenCV's native library, which could not be loaded (libOpenCvSharpExtern.so is missing): deval's package for linux-arm64 does not include it (no OpenCvSharp runtime is published for it): put an OpenCvSharpExtern built for linux-arm64 on the library path, or run this on linux-x64",
            OpenCvRequirement.Explain("--overlays", unavailable, packageCarriesOpenCv: false, "linux-arm64"));
        Assert.Contains("deval's package for osx-arm64 does not include it",
            OpenCvRequirement.Explain(null, new OpenCvUnavailableException("libOpenCvSharpExtern.dylib", null), packageCarriesOpenCv: false, "osx-arm64"), StringComparison.Ordinal);
    }

    [Fact]
    public void Overlays_without_OpenCVs_native_library_stop_before_the_evaluation_with_the_package_to_install()
    {
        CommandRun run = RunWithoutGtk("evaluate", "--gt", Gt, "--pred", Dt, "--overlays", Temp("overlays"), "--images", CartuchoImages, "--json", Temp("out.json"));
        AssertUsageError(run, "deval: error: --overlays needs OpenCV's native library, which " + GtkHint);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void Image_sizes_read_on_all_cores_without_OpenCV_give_the_hint_once()
    {
        // Converting to YOLO needs every image's size; the folder's images are read in a parallel loop,
        // whose workers all fail the same way.
        string groundTruth = ReferenceData.Case(Path.Combine("peer", "cartucho", "original", "ground-truth"));
        CommandRun run = RunWithoutGtk("convert", "--to", "yolo", "--images", CartuchoImages, groundTruth, Temp("labels"));
        Assert.Equal(ExitCodes.UsageOrInputError, run.ExitCode);
        Assert.Equal(
            [$"deval: {groundTruth}: read as txt (.txt files of 'class a b c d' boxes)", "deval: error: --images needs OpenCV's native library, which " + GtkHint],
            run.ErrorLines);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void OpenCVs_load_failure_from_a_parallel_loop_anywhere_is_an_input_error_not_an_internal_one()
    {
        var error = new StringWriter { NewLine = "\n" };
        int exit = DevalApp.Guard(error, () =>
        {
            Parallel.For(0, 4, _ => FailLikeAMachineWithoutGtk());
            return 0;
        });
        Assert.Equal(ExitCodes.UsageOrInputError, exit);
        Assert.Equal("deval: error: OpenCV's native library, which deval needs here, " + GtkHint + "\n", error.ToString());
    }

    // ---- options that do nothing for the inputs given ----

    [Theory]
    [InlineData("--box-format", "xywh", "deval: warning: --box-format does nothing here: only the txt and csv formats read it, and the inputs were read as coco.")]
    [InlineData("--coords", "rel", "deval: warning: --coords rel does nothing here: only the txt and csv formats read it, and the inputs were read as coco.")]
    [InlineData("--csv-columns", "image=file", "deval: warning: --csv-columns does nothing here: only the csv format reads it, and the inputs were read as coco.")]
    public void A_reading_option_the_inputs_format_ignores_is_a_warning(string option, string value, string warning)
    {
        CommandRun run = Deval.Run("evaluate", "--gt", Gt, "--pred", Dt, option, value);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal([warning], run.ErrorLines);
        Assert.Contains("mAP (all-point) = 1.0000", run.Output);
    }

    [Fact]
    public void Image_sizes_no_input_needed_are_a_warning()
    {
        string sizes = Deval.TestData("malformed", "txt", "sizes.txt");
        CommandRun run = Deval.Run("evaluate", "--gt", Gt, "--pred", Dt, "--image-sizes", sizes);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal([$"deval: warning: --image-sizes {sizes} was not used: no input needed image sizes (the inputs were read as coco, in pixels)."], run.ErrorLines);

        CommandRun images = Deval.Run("evaluate", "--gt", Gt, "--pred", Dt, "--images", CartuchoImages);
        Assert.Equal(0, images.ExitCode);
        Assert.Equal([$"deval: warning: --images {CartuchoImages} was not used: no input needed image sizes (the inputs were read as coco, in pixels)."], images.ErrorLines);
    }

    [Fact]
    public void Reading_options_the_inputs_use_give_no_warning()
    {
        string gt = Directory.CreateDirectory(Temp("gt")).FullName, pred = Directory.CreateDirectory(Temp("pred")).FullName;
        File.WriteAllText(Path.Combine(gt, "img1.txt"), "cat 0.1 0.1 0.5 0.5\n");
        File.WriteAllText(Path.Combine(pred, "img1.txt"), "cat 0.9 0.1 0.1 0.5 0.5\n");
        CommandRun relative = Deval.Run("evaluate", "--gt", gt, "--pred", pred, "--box-format", "xyxy", "--coords", "rel",
            "--image-sizes", Deval.TestData("malformed", "txt", "sizes.txt"), "--metric", "voc");
        Assert.Equal(0, relative.ExitCode);
        Assert.Equal([$"deval: {gt}: read as txt (.txt files of 'class a b c d' boxes)", $"deval: {pred}: read as txt (.txt files of 'class score a b c d' boxes)"], relative.ErrorLines);
        Assert.Contains("mAP (all-point) = 1.0000", relative.Output);

        string yolo = Deval.TestData("malformed", "yolo");
        CommandRun sizes = Deval.Run("evaluate", "--gt", Path.Combine(yolo, "labels"), "--pred", Path.Combine(yolo, "predictions"),
            "--names", Path.Combine(yolo, "names.txt"), "--image-sizes", Path.Combine(yolo, "sizes.txt"));
        Assert.Equal(0, sizes.ExitCode);
        Assert.DoesNotContain("warning", sizes.Error);
        Assert.Contains("mAP (all-point) = 1.0000", sizes.Output);
    }

    [Fact]
    public void Ignoring_unknown_classes_when_converting_ground_truth_alone_is_a_warning()
    {
        CommandRun run = Deval.Run("convert", "--to", "coco", "--ignore-unknown-classes", Gt, Temp("out.json"));
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["deval: warning: --ignore-unknown-classes does nothing here: it drops predictions, and only ground truth was read."], run.ErrorLines);
    }

    [Fact]
    public void Reading_options_where_no_annotation_file_is_read_are_usage_errors()
    {
        string report = Temp("report.json");
        Assert.Equal(0, Deval.Run("evaluate", "--gt", Gt, "--pred", Dt, "--json", report).ExitCode);
        AssertUsageError(Deval.Run("gate", "--baseline", report, "--current", report, "--max-drop", "AP=0.01", "--box-format", "xywh"),
            "deval: error: --box-format: Expected --gt and --pred with it (it says how annotation files are read), but got --current.");
        AssertUsageError(Deval.Run("gate", "--baseline", report, "--current", report, "--max-drop", "AP=0.01", "--gt-format", "coco"),
            "deval: error: --gt-format: Expected --gt and --pred with it (it says how annotation files are read), but got --current.");
        AssertUsageError(Deval.Run("compare", report, report, "--names", "names.txt"),
            "deval: error: --names: Expected --bootstrap, --gt, --pred-a and --pred-b with it (it says how annotation files are read), but got no --bootstrap.");
    }

    // ---- empty inputs ----

    [Fact]
    public void Predictions_without_a_detection_are_a_warning_and_still_scored()
    {
        string empty = Deval.TestData("malformed", "coco", "empty_dt.json");
        CommandRun run = Deval.Run("evaluate", "--gt", Gt, "--pred", empty);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal([$"deval: warning: {empty}: 0 detections read"], run.ErrorLines);
        Assert.Contains("mAP (all-point) = 0.0000", run.Output);

        // One empty part of several is named alone.
        CommandRun parts = Deval.Run("evaluate", "--gt", Gt, "--pred", Dt, empty);
        Assert.Equal(0, parts.ExitCode);
        Assert.Equal([$"deval: warning: {empty}: 0 detections read"], parts.ErrorLines);
    }

    [Fact]
    public void An_empty_predictions_folder_is_a_warning()
    {
        string folder = Directory.CreateDirectory(Temp("predictions")).FullName;
        CommandRun run = Deval.Run("evaluate", "--gt", Gt, "--pred", folder);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal([$"deval: {folder}: read as txt (an empty folder)", $"deval: warning: {folder}: 0 detections read"], run.ErrorLines);
    }

    [Theory]
    [InlineData("gt.json", "ground truth", "")]
    [InlineData("gt.txt", "ground truth", "")]
    [InlineData("gt.csv", "ground truth", "")]
    [InlineData("dt.json", "predictions", " A run without detections is written as [] in COCO json.")]
    [InlineData("dt.txt", "predictions", " A run without detections is written as [] in COCO json.")]
    [InlineData("dt.xml", "predictions", " A run without detections is written as [] in COCO json.")]
    public void A_file_of_0_bytes_is_an_input_error_in_any_format(string name, string role, string hint)
    {
        string empty = Temp(name);
        File.WriteAllBytes(empty, []);
        bool groundTruth = role == "ground truth";
        CommandRun run = Deval.Run("evaluate", "--gt", groundTruth ? empty : Gt, "--pred", groundTruth ? Dt : empty, "--json", Temp("out.json"));
        AssertUsageError(run, $"deval: error: {empty}: Expected {role}, but got an empty file (0 bytes).{hint}");
        Assert.False(File.Exists(Temp("out.json")));
    }

    [Fact]
    public void Ground_truth_without_images_is_an_input_error()
    {
        string gt = Temp("gt.json");
        File.WriteAllText(gt, """{"images": [], "annotations": [], "categories": [{"id": 1, "name": "cat"}]}""");
        AssertUsageError(Deval.Run("evaluate", "--gt", gt, "--pred", Deval.TestData("malformed", "coco", "empty_dt.json")),
            $"deval: error: {gt}: Expected ground truth with at least one image, but got none. Check that it is the right file.");
    }

    // ---- paths ----

    [Fact]
    public void A_missing_ground_truth_folder_is_named_as_a_folder()
    {
        string folder = Temp("labels") + Path.DirectorySeparatorChar;
        AssertUsageError(Deval.Run("evaluate", "--gt", folder, "--pred", Dt),
            $"deval: error: {folder}: Expected an existing file or folder, but got no such folder.");
        string missing = Temp("labels");
        AssertUsageError(Deval.Run("evaluate", "--gt", missing, "--pred", Dt),
            $"deval: error: {missing}: Expected an existing file or folder, but got no such file or folder.");
        string deeper = Temp("dataset", "labels");
        AssertUsageError(Deval.Run("evaluate", "--gt", deeper, "--pred", Dt),
            $"deval: error: {deeper}: Expected an existing file or folder, but got a path in a folder that does not exist ({Temp("dataset")}).");
    }

    [Theory]
    [InlineData("coco", "out.json")]
    [InlineData("csv", "out.csv")]
    [InlineData("voc-xml", "annotations")]
    public void Convert_creates_the_missing_folders_above_its_output(string format, string name)
    {
        string output = Temp("new", "deeper", name);
        CommandRun run = Deval.Run("convert", "--to", format, Gt, output);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.StartsWith($"{Gt} (coco) -> {output} ({format}): 2 images", run.Output);
        Assert.True(File.Exists(output) || Directory.EnumerateFiles(output).Any());
    }

    [Fact]
    public void Convert_under_a_file_says_which_file_is_in_the_way()
    {
        string file = Temp("a-file");
        File.WriteAllText(file, "x");
        string output = Path.Combine(file, "out.json");
        AssertUsageError(Deval.Run("convert", "--to", "coco", Gt, output),
            $"deval: error: {output}: Expected a path whose folders can be created for OUT, but got a file in the way ({file}).");
    }

    [Fact]
    public void Synth_into_an_existing_file_says_it_needs_a_folder()
    {
        string file = Temp("a-file");
        File.WriteAllText(file, "x");
        AssertUsageError(Deval.Run("synth", "--images", "3", "--out", file),
            $"deval: error: {file}: Expected a folder for --out (gt.json and dt.json are written into it), but got a file.");
        Assert.Equal("x", File.ReadAllText(file));
    }
}
