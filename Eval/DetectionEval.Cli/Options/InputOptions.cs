using System.CommandLine;
using System.CommandLine.Parsing;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Cli.Options;

/// <summary>How the inputs are read, as parsed from the command line (paths, not yet opened).</summary>
/// <param name="BoxFormat">--box-format: the txt and CSV box layout; null for the format's default.</param>
/// <param name="Coordinates">--coords: pixels or fractions of the image size.</param>
/// <param name="NamesFile">--names: a class list (names.txt or data.yaml).</param>
/// <param name="ImagesFolder">--images: a folder of images whose sizes OpenCV reads.</param>
/// <param name="ImageSizesFile">--image-sizes: a list of image sizes.</param>
/// <param name="ClassMapFile">--class-map: class renames.</param>
/// <param name="UnknownClasses">--ignore-unknown-classes: drop predictions of classes the ground truth lacks.</param>
/// <param name="CsvColumns">--csv-columns: CSV header names by column, for ground truth and predictions.</param>
public sealed record InputSettings(
    BoxFormat? BoxFormat = null,
    CoordinateSpace Coordinates = CoordinateSpace.Absolute,
    string? NamesFile = null,
    string? ImagesFolder = null,
    string? ImageSizesFile = null,
    string? ClassMapFile = null,
    UnknownClassHandling UnknownClasses = UnknownClassHandling.Error,
    CsvColumnNames? CsvColumns = null)
{
    /// <summary>--gt-csv-columns: CSV header names of the ground truth, over <see cref="CsvColumns"/>.</summary>
    public CsvColumnNames? GroundTruthCsvColumns { get; init; }

    /// <summary>--pred-csv-columns: CSV header names of the predictions, over <see cref="CsvColumns"/>.</summary>
    public CsvColumnNames? PredictionCsvColumns { get; init; }

    /// <summary>Reading COCO json the way deval always did.</summary>
    public static InputSettings Default { get; } = new();

    /// <summary>Opens the files the settings name and returns the loaders' options.</summary>
    /// <param name="cancellation">Stops reading the images' sizes (--images) soon after it is cancelled.</param>
    /// <exception cref="AnnotationFormatException">A names, class-map or image-sizes file is missing or malformed.</exception>
    public LoadOptions ToLoadOptions(CancellationToken cancellation = default) => new()
    {
        BoxFormat = BoxFormat,
        Coordinates = Coordinates,
        Names = NamesFile is null ? null : ClassList.Read(NamesFile),
        ClassMap = ClassMapFile is null ? null : ClassMap.Read(ClassMapFile),
        UnknownClasses = UnknownClasses,
        ImageSizes = ImageSizes(cancellation),
        CsvColumns = CsvColumns ?? CsvColumnNames.Default,
        GroundTruthCsvColumns = GroundTruthCsvColumns,
        PredictionCsvColumns = PredictionCsvColumns,
    };

    /// <summary>The image-size source: --image-sizes, or --images read with OpenCV, or none.</summary>
    /// <param name="cancellation">Stops reading the images' sizes soon after it is cancelled.</param>
    public IImageSizeSource? ImageSizes(CancellationToken cancellation = default)
    {
        if (ImagesFolder is not null && ImageSizesFile is not null) throw new UsageException("--images and --image-sizes: Expected one source of image sizes, but got both.");
        if (ImageSizesFile is not null) return ImageSizeTable.Read(ImageSizesFile);
        if (ImagesFolder is not null) return ImageSizeReader.Folder(ImagesFolder, cancellation);
        return null;
    }
}

/// <summary>The options that say how annotation files are read, shared by the verbs that read them.</summary>
/// <param name="includeImages">Whether the verb gets --images from here (evaluate has it among its report options).</param>
internal sealed class InputOptions(bool includeImages = true)
{
    public WordOption<BoxFormat> BoxFormat { get; } = OptionWords.Choice("--box-format", "Box layout of the txt and CSV formats (default: txt xyxy, CSV from its header).", OptionWords.BoxFormats);

    public WordOption<CoordinateSpace> Coordinates { get; } = OptionWords.Choice("--coords", "txt and CSV coordinates: abs (pixels) or rel (fractions of the image size; needs --images or --image-sizes).", OptionWords.Coordinates);

    public Option<string?> Names { get; } = new("--names")
    {
        Description = "Class names: names.txt (line i is class i) or a YOLO data.yaml. Maps YOLO indices to names; fixes the classes and their order.",
        HelpName = "FILE",
    };

    public Option<string?> Images { get; } = new("--images")
    {
        Description = "A folder of the images; their sizes (read with OpenCV) turn relative coordinates into pixels.",
        HelpName = "DIR",
    };

    public Option<string?> ImageSizes { get; } = new("--image-sizes")
    {
        Description = "Image sizes for relative coordinates: lines '<image> <width> <height>', space or comma separated.",
        HelpName = "FILE",
    };

    public Option<string?> ClassMap { get; } = new("--class-map")
    {
        Description = "Class renames: lines 'name in file,name to use' (e.g. Open Images' class-descriptions CSV).",
        HelpName = "FILE",
    };

    public Option<bool> IgnoreUnknownClasses { get; } = new("--ignore-unknown-classes")
    {
        Description = "Drop predictions of classes the ground truth does not have (a warning counts them) instead of stopping.",
    };

    public Option<CsvColumnNames?> CsvColumns { get; } = CsvColumnsOption("--csv-columns", "CSV header names by column, e.g. image=filename,class=label,score=conf,x1=left; for ground truth and predictions.");

    public Option<CsvColumnNames?> GroundTruthCsvColumns { get; } = CsvColumnsOption("--gt-csv-columns", "CSV header names of the ground truth only, column by column over --csv-columns.");

    public Option<CsvColumnNames?> PredictionCsvColumns { get; } = CsvColumnsOption("--pred-csv-columns", "CSV header names of the predictions only, column by column over --csv-columns.");

    public IEnumerable<Option> All => includeImages
        ? [BoxFormat, Coordinates, Names, Images, ImageSizes, ClassMap, IgnoreUnknownClasses, CsvColumns, GroundTruthCsvColumns, PredictionCsvColumns]
        : [BoxFormat, Coordinates, Names, ImageSizes, ClassMap, IgnoreUnknownClasses, CsvColumns, GroundTruthCsvColumns, PredictionCsvColumns];

    public InputSettings Read(ParseResult parse)
    {
        string? images = includeImages ? parse.GetValue(Images) : null, sizes = parse.GetValue(ImageSizes);
        return new InputSettings(
            BoxFormat.Read(parse),
            Coordinates.Read(parse) ?? CoordinateSpace.Absolute,
            parse.GetValue(Names),
            images,
            sizes,
            parse.GetValue(ClassMap),
            parse.GetValue(IgnoreUnknownClasses) ? UnknownClassHandling.Ignore : UnknownClassHandling.Error,
            parse.GetValue(CsvColumns))
        {
            GroundTruthCsvColumns = parse.GetValue(GroundTruthCsvColumns),
            PredictionCsvColumns = parse.GetValue(PredictionCsvColumns),
        };
    }

    private static Option<CsvColumnNames?> CsvColumnsOption(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "COLUMN=NAME,...",
        CustomParser = result => ParseCsvColumns(result, name),
    };

    private static CsvColumnNames? ParseCsvColumns(ArgumentResult result, string option)
    {
        if (result.Tokens.Count == 0) return null;
        try
        {
            return CsvColumnNames.Parse(result.Tokens[0].Value);
        }
        catch (FormatException e)
        {
            result.AddError($"{option}: {e.Message}");
            return null;
        }
    }

    /// <summary>Stops a command line that gives reading options where no annotation file is read.</summary>
    /// <param name="parse">The parse.</param>
    /// <param name="formats">The verb's format options (--gt-format, --pred-format), checked with the reading options.</param>
    /// <param name="expected">What the options need, e.g. "--gt and --pred".</param>
    /// <param name="got">What was given instead, e.g. "--current".</param>
    /// <exception cref="UsageException">One of them was given.</exception>
    public void RequireNoneGiven(ParseResult parse, IEnumerable<Option> formats, string expected, string got)
    {
        foreach (Option option in formats.Concat(All))
        {
            if (parse.GetResult(option) is { Implicit: false })
            {
                throw new UsageException($"{option.Name}: Expected {expected} with it (it says how annotation files are read), but got {got}.");
            }
        }
    }
}
