using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using DetectionEval.Eval;
using DetectionEval.Eval.Synthetic;
using DetectionEval.Cli.Runs;

namespace DetectionEval.Cli.Commands;

/// <summary>What <c>deval synth</c> was asked to do.</summary>
/// <param name="Dataset">What to generate.</param>
/// <param name="OutputFolder">The folder that receives <c>gt.json</c> and <c>dt.json</c>; created when missing.</param>
public sealed record SynthCommandSettings(SynthSettings Dataset, string OutputFolder)
{
    /// <summary>The ground-truth file's path.</summary>
    public string GroundTruthPath => Path.Combine(OutputFolder, SynthCommand.GroundTruthFile);

    /// <summary>The results file's path.</summary>
    public string DetectionsPath => Path.Combine(OutputFolder, SynthCommand.DetectionsFile);
}

/// <summary><c>deval synth</c>: writes a deterministic synthetic COCO ground-truth and results pair.</summary>
public sealed class SynthCommand
{
    /// <summary>Name of the ground-truth file in the output folder.</summary>
    public const string GroundTruthFile = "gt.json";

    /// <summary>Name of the results file in the output folder.</summary>
    public const string DetectionsFile = "dt.json";

    private readonly Option<int> _images = new("--images")
    {
        Description = "Number of images.",
        Required = true,
        CustomParser = r => ParsePositive(r, "--images"),
        HelpName = "N",
    };

    private readonly Option<int> _classes = new("--classes")
    {
        Description = "Number of categories.",
        DefaultValueFactory = _ => 80,
        CustomParser = r => ParsePositive(r, "--classes"),
        HelpName = "K",
    };

    private readonly Option<ulong> _seed = new("--seed")
    {
        Description = "Seed; the same seed gives byte-identical files.",
        DefaultValueFactory = _ => 1,
        CustomParser = ParseSeed,
        HelpName = "S",
    };

    private readonly Option<string> _out = new("--out")
    {
        Description = "Folder for gt.json and dt.json (created when missing).",
        Required = true,
        HelpName = "DIR",
    };

    private readonly Option<bool> _dense = new("--dense")
    {
        Description = "Dense scenes: about 300 objects and 3,000 detections per image.",
    };

    private readonly Option<bool> _segm = new("--segm")
    {
        Description = "Add masks: a polygon per ground truth and a compressed RLE per detection (the octagon inscribed in each box), for --iou-type segm.",
    };

    private readonly Option<bool> _keypoints = new("--keypoints")
    {
        Description = "Add keypoints: COCO's 17 person keypoints on every object, placed in its box (some unlabelled; crowd regions none), for --iou-type keypoints.",
    };

    private readonly Option<double?> _objects = new("--objects-per-image")
    {
        Description = "Mean ground-truth objects per image (default 7.3, or 300 with --dense).",
        CustomParser = r => ParseMean(r, "--objects-per-image"),
        HelpName = "M",
    };

    private readonly Option<double?> _detections = new("--detections-per-image")
    {
        Description = "Mean detections per image (default 100, or 3000 with --dense).",
        CustomParser = r => ParseMean(r, "--detections-per-image"),
        HelpName = "D",
    };

    /// <summary>Builds the verb.</summary>
    public static Command Create(TextWriter output, TextWriter error) => new SynthCommand().Build(output, error);

    private Command Build(TextWriter output, TextWriter error)
    {
        var command = new Command("synth", "Write a deterministic synthetic COCO pair (gt.json, dt.json) for benchmarks and stress tests.")
        {
            _images, _classes, _seed, _out, _dense, _segm, _keypoints, _objects, _detections,
        };
        command.SetAction((parse, cancellation) => Task.FromResult(DevalApp.Guard(error, () => Execute(ReadSettings(parse), output, error, cancellation))));
        return command;
    }

    private SynthCommandSettings ReadSettings(ParseResult parse) => new(
        new SynthSettings(
            parse.GetValue(_images),
            parse.GetValue(_classes),
            parse.GetValue(_seed),
            parse.GetValue(_dense),
            parse.GetValue(_objects),
            parse.GetValue(_detections)) { Segm = parse.GetValue(_segm), Keypoints = parse.GetValue(_keypoints) },
        parse.GetValue(_out)!);

    /// <summary>Generates the pair and writes both files atomically.</summary>
    public static int Execute(SynthCommandSettings settings, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        CreateFolder(settings.OutputFolder);
        using var progress = Progress.Start(error, "generating", settings.Dataset.Images, ProgressUnit.Images);
        SynthSummary summary = null!;
        // Both files are written to temporary names and renamed only once both are complete, so an
        // interrupted run (checked at every image) leaves neither.
        OutputFiles.Write(settings.GroundTruthPath, "--out", gt =>
            OutputFiles.Write(settings.DetectionsPath, "--out", dt =>
                summary = SyntheticCoco.Write(settings.Dataset, gt, dt, images =>
                {
                    cancellation.ThrowIfCancellationRequested();
                    progress.Report(images);
                })));
        progress.Done();
        output.WriteLine(
            $"{settings.GroundTruthPath}: {Counting.Of(summary.Images, "image")}, {Counting.Of(summary.Classes, "class")}, "
            + $"{Counting.Of(summary.GroundTruth, "ground-truth box")} ({Counting.Number(summary.Crowd)} crowd)");
        output.WriteLine($"{settings.DetectionsPath}: {Counting.Of(summary.Detections, "detection")}");
        return ExitCodes.Success;
    }

    private static void CreateFolder(string folder)
    {
        if (File.Exists(folder)) throw new UsageException($"{folder}: Expected a folder for --out (gt.json and dt.json are written into it), but got a file.");
        OutputFiles.CreateFolder(folder, folder, "--out");
    }

    private static int ParsePositive(ArgumentResult result, string name)
    {
        if (result.Tokens.Count == 0) return 1;
        string text = result.Tokens[0].Value;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 1)
        {
            result.AddError($"{name} expects a whole number of 1 or more, but got '{text}'.");
            return 1;
        }
        return value;
    }

    private static ulong ParseSeed(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return 1;
        string text = result.Tokens[0].Value;
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
        {
            result.AddError($"--seed expects a whole number of 0 or more, but got '{text}'.");
            return 1;
        }
        return value;
    }

    private static double? ParseMean(ArgumentResult result, string name)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[0].Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= 0 && value <= 1_000_000))
        {
            result.AddError($"{name} expects a number between 0 and 1000000, but got '{text}'.");
            return null;
        }
        return value;
    }
}
