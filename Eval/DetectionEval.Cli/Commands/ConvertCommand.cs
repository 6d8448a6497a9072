using System.CommandLine;
using DetectionEval.Cli.Options;
using DetectionEval.Cli.Runs;
using DetectionEval.Eval;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Cli.Commands;

/// <summary>What <c>deval convert</c> was asked to do, parsed and checked.</summary>
/// <param name="Input">The file or folder to convert.</param>
/// <param name="Output">Where to write it: a file, or a new folder for the folder formats.</param>
/// <param name="From">The input's format; null to detect it.</param>
/// <param name="To">The output's format.</param>
/// <param name="GroundTruth">The ground truth the input's predictions refer to; null when the input is ground truth.</param>
/// <param name="GroundTruthFormat">The ground truth's format; null to detect it.</param>
/// <param name="Inputs">How the inputs are read.</param>
/// <param name="Write">How the output is written.</param>
public sealed record ConvertSettings(
    string Input,
    string Output,
    AnnotationFormat? From,
    AnnotationFormat To,
    string? GroundTruth,
    AnnotationFormat? GroundTruthFormat,
    InputSettings Inputs,
    WriteOptions Write);

/// <summary><c>deval convert</c>: rewrites ground truth or predictions in another annotation format.</summary>
public sealed class ConvertCommand
{
    private readonly Argument<string> _input = new("IN") { Description = "The ground truth (or, with --gt, the predictions) to convert: a file or folder." };

    private readonly Argument<string> _output = new("OUT") { Description = "The converted file, or a new folder for the folder formats (voc-xml, voc-results, yolo, txt, labelme)." };

    private readonly WordOption<AnnotationFormat> _from = OptionWords.Choice("--from", "Format of IN; auto detects it. [default: auto]", OptionWords.Formats, auto: true);

    private readonly WordOption<AnnotationFormat> _to = OptionWords.Choice("--to", "Format to write.", OptionWords.Formats);

    private readonly Option<string?> _groundTruth = new("--gt")
    {
        Description = "IN holds predictions of this ground truth (their images and classes are resolved against it).",
        HelpName = "PATH",
    };

    private readonly WordOption<AnnotationFormat> _groundTruthFormat = CommonOptions.GroundTruthFormat();

    private readonly WordOption<BoxFormat> _toBoxFormat = OptionWords.Choice("--to-box-format", "Box layout written by the txt and CSV formats.", OptionWords.BoxFormats);

    private readonly WordOption<CoordinateSpace> _toCoords = OptionWords.Choice("--to-coords", "Coordinates written by the txt and CSV formats: abs or rel (needs image sizes).", OptionWords.Coordinates);

    private readonly Option<bool> _polygons = new("--polygons")
    {
        Description = "yolo, labelme and cvat: write each object's polygons (a YOLO segmentation line, polygon shapes) instead of its box. coco writes both always.",
    };

    private readonly Option<bool> _overwrite = new("--overwrite")
    {
        Description = "Replace OUT when it is a folder that is not empty (as a whole, once the new one is complete). A file OUT is always replaced.",
    };

    private readonly InputOptions _inputs = new();

    /// <summary>Builds the verb; its action writes through <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static Command Create(TextWriter output, TextWriter error) => new ConvertCommand().Build(output, error);

    private Command Build(TextWriter output, TextWriter error)
    {
        var command = new Command("convert", "Rewrite ground truth or predictions in another annotation format.")
        {
            _input, _output, _from, _to, _groundTruth, _groundTruthFormat, _toBoxFormat, _toCoords, _polygons, _overwrite,
        };
        foreach (Option option in _inputs.All) command.Options.Add(option);
        _to.Option.Required = true;
        command.SetAction((parse, cancellation) => Task.FromResult(DevalApp.Guard(error, () => Execute(ReadSettings(parse, error), output, error, cancellation))));
        return command;
    }

    private ConvertSettings ReadSettings(ParseResult parse, TextWriter error)
    {
        InputSettings inputs = _inputs.Read(parse);
        return new ConvertSettings(
            parse.GetValue(_input)!,
            parse.GetValue(_output)!,
            _from.Read(parse),
            _to.Read(parse) ?? AnnotationFormat.Coco,
            parse.GetValue(_groundTruth),
            _groundTruthFormat.Read(parse),
            inputs,
            new WriteOptions
            {
                BoxFormat = _toBoxFormat.Read(parse),
                Coordinates = _toCoords.Read(parse) ?? CoordinateSpace.Absolute,
                Replace = parse.GetValue(_overwrite),
                Polygons = parse.GetValue(_polygons),
                Notice = message => error.WriteLine($"{DevalApp.ToolName}: {message}"),
            });
    }

    /// <summary>Reads, converts and writes; prints one line saying what was written.</summary>
    public static int Execute(ConvertSettings settings, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        IAnnotationFormat writer = AnnotationFormats.Get(settings.To);
        AnnotationRole role = settings.GroundTruth is null ? AnnotationRole.GroundTruth : AnnotationRole.Predictions;
        RefuseUnusableOutput(settings, writer);

        LoadOptions loadOptions = settings.Inputs.ToLoadOptions(cancellation);
        var input = new AnnotationInput(settings.Input, settings.From) { FormatOption = "--from" };
        // The writer may need the image sizes too (relative coordinates), so they are checked for use after writing.
        FileInputs inputs = settings.GroundTruth is { } groundTruth
            ? new FileInputs(new AnnotationInput(groundTruth, settings.GroundTruthFormat), [input], loadOptions) { ImageSizesUsedLater = true }
            : new FileInputs(input, [], loadOptions) { ImageSizesUsedLater = true };
        using var progress = Progress.Start(error, "loading");
        LoadedDataset loaded = EvaluationPipeline.Load(inputs, new ConsoleObserver(progress, new StageTimings(), progress.Writer), cancellation);
        progress.Done();
        Dataset dataset = loaded.Dataset;

        WriteOptions write = settings.Write with { ImageSizes = settings.Write.ImageSizes ?? loaded.ImageSizes };
        // A run interrupted before this point writes nothing; writing, from memory, is not interrupted.
        cancellation.ThrowIfCancellationRequested();
        // A missing folder above OUT is created, as evaluate creates the folders of its outputs.
        OutputFiles.CreateFolderFor(settings.Output, "OUT");
        try
        {
            AnnotationLoader.Write(dataset, role, settings.To, settings.Output, write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{settings.Output}: Expected a writable {(writer.IsFolder ? "new folder" : "file")} for OUT, but got {OutputFiles.Describe(e)}.");
        }
        if (loaded.UnusedImageSizesWarning() is { } unused) error.WriteLine($"{DevalApp.ToolName}: warning: {unused}");

        InputFormat read = role == AnnotationRole.GroundTruth ? loaded.Read.GroundTruth : loaded.Read.Predictions[0];
        int boxes = role == AnnotationRole.GroundTruth ? dataset.GroundTruth.Count : dataset.Detections.Count;
        output.WriteLine(
            $"{settings.Input} ({AnnotationFormats.Name(read.Format)}) -> {settings.Output} ({AnnotationFormats.Name(settings.To)}): "
            + $"{Counting.Of(dataset.Images.Count, "image")}, {Counting.Of(dataset.Categories.Count, "class")}, {Counting.Of(boxes, role == AnnotationRole.GroundTruth ? "ground-truth box" : "detection")}");
        return ExitCodes.Success;
    }

    private static void RefuseUnusableOutput(ConvertSettings settings, IAnnotationFormat writer)
    {
        AnnotationRole role = settings.GroundTruth is null ? AnnotationRole.GroundTruth : AnnotationRole.Predictions;
        if (!writer.Supports(role))
        {
            string what = role == AnnotationRole.GroundTruth ? "ground truth" : "predictions";
            throw new UsageException($"--to {AnnotationFormats.Name(settings.To)}: Expected a format that holds {what}, but got one that holds {(role == AnnotationRole.GroundTruth ? "predictions" : "ground truth")} only.");
        }
        string full = Path.GetFullPath(settings.Output);
        foreach (string? input in new[] { settings.Input, settings.GroundTruth })
        {
            if (input is not null && string.Equals(full.TrimEnd('/'), Path.GetFullPath(input).TrimEnd('/'), StringComparison.Ordinal))
            {
                throw new UsageException($"{settings.Output}: Expected an output for OUT, but got one of the inputs.");
            }
        }
        if (writer.IsFolder && !settings.Write.Replace && Directory.Exists(settings.Output) && Directory.EnumerateFileSystemEntries(settings.Output).Any())
        {
            throw new UsageException($"{settings.Output}: Expected a new or empty folder for OUT ({AnnotationFormats.Name(settings.To)} writes one file per image or class), but got a folder that is not empty. Add --overwrite to replace it.");
        }
        if (writer.IsFolder && File.Exists(settings.Output))
        {
            throw new UsageException($"{settings.Output}: Expected a folder for OUT ({AnnotationFormats.Name(settings.To)} writes one file per image or class), but got a file.");
        }
    }
}
