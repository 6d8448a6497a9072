using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Pipeline;

/*
 * What the load stage checks once the files are read. Ground truth without a single image leaves nothing to
 * evaluate: an input error. An empty predictions file is a valid run without detections, but more often a
 * failed export: a warning. Reading options that did nothing for the inputs as they were read get a
 * warning, not an error: the results are right either way, and one command line is often reused for
 * datasets in several formats (a script that passes --box-format for its txt datasets), so stopping would
 * be harsher than the mistake. The warning makes the no-op visible: a user who believes their COCO boxes
 * are xyxy learns that the box layout did not change how they were read. Messages name the command line's
 * options, which are the loader options' names for users.
 */

/// <summary>The load stage's checks and warnings, told to the run's observer.</summary>
internal static class LoadChecks
{
    /// <summary>Ground truth without a single image leaves nothing to evaluate: every metric would be undefined.</summary>
    /// <exception cref="AnnotationFormatException">The ground truth has no image.</exception>
    public static void RequireGroundTruthImages(string path, DatasetBuilder builder)
    {
        if (builder.ImageCount > 0) return;
        throw new AnnotationFormatException(new SourceLocation(path), "ground truth with at least one image", "none", "Check that it is the right file.");
    }

    /// <summary>Warns about each predictions input from which no detection was read.</summary>
    public static void WarnAboutEmptyPredictions(IReadOnlyList<AnnotationInput> predictions, LoadedAnnotations loaded, EvaluationObserver observer)
    {
        for (int i = 0; i < Math.Min(predictions.Count, loaded.DetectionsRead.Count); i++)
        {
            if (loaded.DetectionsRead[i] == 0) observer.Warning($"{predictions[i].Path}: 0 detections read");
        }
    }

    /// <summary>Warns about the box layout, relative coordinates, CSV columns and unknown-class handling when no input was read in a format that uses them.</summary>
    public static void WarnAboutUnreadOptions(LoadOptions options, LoadedAnnotations loaded, EvaluationObserver observer)
    {
        AnnotationFormat[] formats = [loaded.GroundTruth.Format, .. loaded.AllPredictions.Select(p => p.Format)];
        string readAs = ReadAs(formats);
        bool txtOrCsv = formats.Any(f => f is AnnotationFormat.Txt or AnnotationFormat.Csv);
        if (options.BoxFormat is not null && !txtOrCsv)
        {
            observer.Warning($"--box-format does nothing here: only the txt and csv formats read it, and {readAs}.");
        }
        if (options.Coordinates == CoordinateSpace.Relative && !txtOrCsv)
        {
            observer.Warning($"--coords rel does nothing here: only the txt and csv formats read it, and {readAs}.");
        }
        if (!Equals(options.CsvColumns, CsvColumnNames.Default) && !formats.Contains(AnnotationFormat.Csv))
        {
            observer.Warning($"--csv-columns does nothing here: only the csv format reads it, and {readAs}.");
        }
        if (options.UnknownClasses == UnknownClassHandling.Ignore && loaded.AllPredictions.Count == 0)
        {
            observer.Warning("--ignore-unknown-classes does nothing here: it drops predictions, and only ground truth was read.");
        }
    }

    /// <summary>The warning for image sizes that were given but that no input asked for (no size, no list of images); null when they were used or not given.</summary>
    public static string? UnusedImageSizes(IImageSizeSource? sizes, InputsRead read)
    {
        if (sizes is not ObservedImageSizes { Used: false } observed) return null;
        AnnotationFormat[] formats = [read.GroundTruth.Format, .. read.Predictions.Select(p => p.Format)];
        return $"{observed.Description} was not used: no input needed image sizes ({ReadAs(formats)}, in pixels).";
    }

    /// <summary>"the inputs were read as coco", "the inputs were read as voc-xml and txt".</summary>
    private static string ReadAs(IEnumerable<AnnotationFormat> formats)
    {
        string[] names = [.. formats.Distinct().Select(AnnotationFormats.Name)];
        string list = names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} and {names[^1]}";
        return $"the inputs were read as {list}";
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
