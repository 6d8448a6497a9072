using System.CommandLine;
using System.CommandLine.Parsing;
using DetectionEval.Eval.Loaders;

namespace DetectionEval.Cli.Commands;

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

    /// <summary>Opens the files the settings name and returns the loaders' options, cancelled with the run (<see cref="DevalApp.Cancellation"/>).</summary>
    /// <exception cref="AnnotationFormatException">A names, class-map or image-sizes file is missing or malformed.</exception>
    public LoadOptions ToLoadOptions() => new()
    {
        Cancellation = DevalApp.Cancellation,
        BoxFormat = BoxFormat,
        Coordinates = Coordinates,
        Names = NamesFile is null ? null : ClassList.Read(NamesFile),
        ClassMap = ClassMapFile is null ? null : ClassMap.Read(ClassMapFile),
        UnknownClasses = UnknownClasses,
        // Observed, so that a size source no input needed can be reported (InputOptions.WarnIfImageSizesUnused).
        ImageSizes = ImageSizes() is { } sizes ? new ObservedImageSizes(sizes) : null,
        CsvColumns = CsvColumns ?? CsvColumnNames.Default,
        GroundTruthCsvColumns = GroundTruthCsvColumns,
        PredictionCsvColumns = PredictionCsvColumns,
    };

    /// <summary>The image-size source: --image-sizes, or --images read with OpenCV, or none.</summary>
    public IImageSizeSource? ImageSizes()
    {
        if (ImagesFolder is not null && ImageSizesFile is not null) throw new UsageException("--images and --image-sizes: Expected one source of image sizes, but got both.");
        if (ImageSizesFile is not null) return ImageSizeTable.Read(ImageSizesFile);
        if (ImagesFolder is not null) return ImageSizeReader.Folder(ImagesFolder, DevalApp.Cancellation);
        return null;
    }
}

/// <summary>The options that say how annotation files are read, shared by the verbs that read them.</summary>
/// <param name="includeImages">Whether the verb gets --images from here (evaluate has it among its report options).</param>
internal sealed class InputOptions(bool includeImages = true)
{
    public Option<string> BoxFormat { get; } = Choice("--box-format", "Box layout of the txt and CSV formats (default: txt xyxy, CSV from its header).", "xyxy", "xywh", "cxcywh");

    public Option<string> Coordinates { get; } = Choice("--coords", "txt and CSV coordinates: abs (pixels) or rel (fractions of the image size; needs --images or --image-sizes).", "abs", "rel");

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

    /// <summary>A --gt-format / --pred-format style option: a format name or auto.</summary>
    public static Option<string> FormatOption(string name, string description, bool allowAuto = true)
    {
        var option = new Option<string>(name) { Description = description };
        if (allowAuto) option.DefaultValueFactory = _ => "auto";
        option.AcceptOnlyFromAmong([.. allowAuto ? ["auto"] : Array.Empty<string>(), .. AnnotationFormats.Names]);
        return option;
    }

    /// <summary>The format an option names; null for auto.</summary>
    public static AnnotationFormat? FormatOf(ParseResult parse, Option<string> option)
    {
        string? name = parse.GetValue(option);
        return name is null or "auto" ? null : AnnotationFormats.TryParse(name, out AnnotationFormat format) ? format : null;
    }

    public static BoxFormat? BoxFormatOf(string? name) => name switch
    {
        "xyxy" => Eval.Loaders.BoxFormat.Xyxy,
        "xywh" => Eval.Loaders.BoxFormat.Xywh,
        "cxcywh" => Eval.Loaders.BoxFormat.Cxcywh,
        _ => null,
    };

    public InputSettings Read(ParseResult parse)
    {
        string? images = includeImages ? parse.GetValue(Images) : null, sizes = parse.GetValue(ImageSizes);
        return new InputSettings(
            BoxFormatOf(parse.GetValue(BoxFormat)),
            parse.GetValue(Coordinates) == "rel" ? CoordinateSpace.Relative : CoordinateSpace.Absolute,
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

    private static Option<string> Choice(string name, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = description };
        option.AcceptOnlyFromAmong(values);
        return option;
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

    /// <summary>
    /// Reads the inputs, saying on stderr which format was detected (before reading it), what the loaders
    /// noticed, and which reading options did nothing for these inputs.
    /// </summary>
    /// <param name="groundTruth">The ground truth.</param>
    /// <param name="predictions">The predictions; null to read ground truth only.</param>
    /// <param name="options">How to read them.</param>
    /// <param name="error">Stderr.</param>
    /// <param name="imageSizesUsedLater">Whether the image sizes may still be used after reading (by convert's writer, or --images by --overlays); then the caller reports them unused itself.</param>
    public static LoadedAnnotations Load(AnnotationInput groundTruth, AnnotationInput? predictions, LoadOptions options, TextWriter error, bool imageSizesUsedLater = false) =>
        LoadParts(groundTruth, predictions is null ? [] : [predictions], options, error, imageSizesUsedLater);

    /// <summary>Reads the ground truth and the parts of the predictions, in order, as <see cref="Load"/> reads one file.</summary>
    public static LoadedAnnotations LoadParts(AnnotationInput groundTruth, IReadOnlyList<AnnotationInput> predictions, LoadOptions options, TextWriter error, bool imageSizesUsedLater = false)
    {
        LoadedAnnotations loaded = AnnotationLoader.LoadParts(groundTruth, predictions, options, input =>
        {
            // COCO json is the default input and is read silently, as it always was.
            if (input.Detected is { } detected && detected.Format != AnnotationFormat.Coco)
            {
                error.WriteLine($"{DevalApp.ToolName}: {input.Path}: read as {AnnotationFormats.Name(detected.Format)} ({detected.Because})");
            }
        });
        foreach (string notice in loaded.Notices) error.WriteLine($"{DevalApp.ToolName}: {notice}");
        if (predictions.Count > 0) RequireGroundTruthImages(groundTruth.Path, loaded.Builder);
        WarnAboutEmptyPredictions(predictions, loaded, error);
        WarnAboutUnreadOptions(options, loaded, error);
        if (!imageSizesUsedLater) WarnIfImageSizesUnused(options, loaded, error);
        return loaded;
    }

    /// <summary>Ground truth without a single image leaves nothing to evaluate: every metric would be undefined.</summary>
    private static void RequireGroundTruthImages(string path, Eval.Data.DatasetBuilder builder)
    {
        if (builder.ImageCount > 0) return;
        throw new AnnotationFormatException(new SourceLocation(path), "ground truth with at least one image", "none", "Check that it is the right file.");
    }

    /// <summary>An empty predictions file is a valid run without detections, but more often a failed export: a warning, not an error.</summary>
    private static void WarnAboutEmptyPredictions(IReadOnlyList<AnnotationInput> predictions, LoadedAnnotations loaded, TextWriter error)
    {
        for (int i = 0; i < Math.Min(predictions.Count, loaded.DetectionsRead.Count); i++)
        {
            if (loaded.DetectionsRead[i] == 0) error.WriteLine($"{DevalApp.ToolName}: warning: {predictions[i].Path}: 0 detections read");
        }
    }

    /*
     * Reading options that did nothing for the inputs as they were read get a warning, not an error: the
     * results are right either way, and one command line is often reused for datasets in several formats
     * (a script that passes --box-format for its txt datasets), so stopping would be harsher than the
     * mistake. The warning makes the no-op visible: a user who believes their COCO boxes are xyxy learns
     * that --box-format did not change how they were read. (gate --current and compare without
     * --bootstrap read no annotations at all; there these options are usage errors: RequireNoInputOptions.)
     */

    /// <summary>Warns about --box-format, --coords rel, --csv-columns and --ignore-unknown-classes when no input was read in a format that uses them.</summary>
    private static void WarnAboutUnreadOptions(LoadOptions options, LoadedAnnotations loaded, TextWriter error)
    {
        AnnotationFormat[] formats = [loaded.GroundTruth.Format, .. loaded.AllPredictions.Select(p => p.Format)];
        string readAs = ReadAs(formats);
        bool txtOrCsv = formats.Any(f => f is AnnotationFormat.Txt or AnnotationFormat.Csv);
        if (options.BoxFormat is not null && !txtOrCsv)
        {
            error.WriteLine($"{DevalApp.ToolName}: warning: --box-format does nothing here: only the txt and csv formats read it, and {readAs}.");
        }
        if (options.Coordinates == CoordinateSpace.Relative && !txtOrCsv)
        {
            error.WriteLine($"{DevalApp.ToolName}: warning: --coords rel does nothing here: only the txt and csv formats read it, and {readAs}.");
        }
        if (!Equals(options.CsvColumns, CsvColumnNames.Default) && !formats.Contains(AnnotationFormat.Csv))
        {
            error.WriteLine($"{DevalApp.ToolName}: warning: --csv-columns does nothing here: only the csv format reads it, and {readAs}.");
        }
        if (options.UnknownClasses == UnknownClassHandling.Ignore && loaded.AllPredictions.Count == 0)
        {
            error.WriteLine($"{DevalApp.ToolName}: warning: --ignore-unknown-classes does nothing here: it drops predictions, and only ground truth was read.");
        }
    }

    /// <summary>Warns when --images or --image-sizes was given but no input asked for an image size or the list of images.</summary>
    public static void WarnIfImageSizesUnused(LoadOptions options, LoadedAnnotations loaded, TextWriter error)
    {
        if (options.ImageSizes is not ObservedImageSizes { Used: false } sizes) return;
        AnnotationFormat[] formats = [loaded.GroundTruth.Format, .. loaded.AllPredictions.Select(p => p.Format)];
        error.WriteLine($"{DevalApp.ToolName}: warning: {sizes.Description} was not used: no input needed image sizes ({ReadAs(formats)}, in pixels).");
    }

    /// <summary>"the inputs were read as coco", "the inputs were read as voc-xml and txt".</summary>
    private static string ReadAs(IEnumerable<AnnotationFormat> formats)
    {
        string[] names = [.. formats.Distinct().Select(AnnotationFormats.Name)];
        string list = names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} and {names[^1]}";
        return $"the inputs were read as {list}";
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

/// <summary>An image-size source that remembers whether anything asked it for a size or for its images.</summary>
internal sealed class ObservedImageSizes(IImageSizeSource inner) : IImageSizeSource
{
    private volatile bool _used;

    /// <summary>Whether a size or the list of images was asked for.</summary>
    public bool Used => _used;

    /// <inheritdoc/>
    public string Description => inner.Description;

    /// <inheritdoc/>
    public IReadOnlyCollection<string> ImageNames
    {
        get
        {
            _used = true;
            return inner.ImageNames;
        }
    }

    /// <inheritdoc/>
    public bool TryGetSize(string image, out ImageSize size)
    {
        _used = true;
        return inner.TryGetSize(image, out size);
    }
}
