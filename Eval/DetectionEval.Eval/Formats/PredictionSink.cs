using System.Globalization;
using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * Predictions name images and classes; this resolves them against the ground truth already in the
 * builder. Images: by the ground truth's key (a file stem or CSV image name), its file name, the stem of
 * either, and last by an image id: a whole number (COCO results written with image ids) or a COCO
 * string id, matched exactly. Classes: by name
 * after --class-map, and, for names that are whole numbers, by category id (a CSV with COCO category
 * ids). Ids count only when they mean something: those of COCO json, whole-number image names and a
 * class list's indices, not the 1..N deval gives in name order. YOLO indices are turned into names through the class list first. A name that matches nothing is
 * an input error unless --ignore-unknown-classes asks to count and drop it.
 */

/// <summary>Receives predictions from a loader and resolves their image and class names against the ground truth.</summary>
public sealed class PredictionSink
{
    private const int Ambiguous = -2;
    private readonly Dictionary<string, int> _imagesByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _imagesByStem = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _classesByName = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<NamedClass>? _indexNames;
    private readonly Dictionary<long, string> _indexNameById = [];
    private readonly string? _indexNamesSource;
    private readonly List<string> _notices;

    private readonly bool _matchImageIds;
    private readonly bool _matchClassIds;

    internal PredictionSink(DatasetBuilder builder, LoadOptions options, IReadOnlyList<string?> keysByImage, ClassList? indexNames, List<string> notices,
        bool matchImageIds = true, bool matchClassIds = true)
    {
        // Ids given in name order are no names: "3" must not find the third image or class.
        _matchImageIds = matchImageIds;
        _matchClassIds = matchClassIds;
        Builder = builder;
        Options = options;
        _notices = notices;
        _indexNames = indexNames?.Classes;
        _indexNamesSource = indexNames?.Source;
        foreach (NamedClass c in _indexNames ?? []) _indexNameById.TryAdd(c.Id, options.ClassMap?.Apply(c.Name) ?? c.Name);
        for (int i = 0; i < builder.ImageCount; i++)
        {
            ImageInfo image = builder.GetImage(i);
            string? key = i < keysByImage.Count ? keysByImage[i] : null;
            foreach (string? name in new[] { key, image.FileName })
            {
                if (name is null) continue;
                AddName(_imagesByName, name, i);
                AddName(_imagesByStem, ImageNames.Stem(name), i);
            }
        }
        for (int k = 0; k < builder.CategoryCount; k++) AddName(_classesByName, builder.Categories[k].Name, k);
    }

    private static void AddName(Dictionary<string, int> index, string name, int value)
    {
        if (!index.TryAdd(name, value) && index[name] != value) index[name] = Ambiguous;
    }

    /// <summary>
    /// Rule: a file that names images and classes by id alone (COCO results) needs ground truth whose ids
    /// mean something; the 1..N deval gives in name order would match it silently and wrongly.
    /// </summary>
    /// <exception cref="AnnotationFormatException">The ground truth's image or class ids were given in name order.</exception>
    internal void RequireIdsThatMeanSomething(string path, string what)
    {
        if (!_matchImageIds)
        {
            throw new AnnotationFormatException(new SourceLocation(path),
                $"ground truth whose image ids {what} can name (COCO json, or files named by whole numbers)", "images that deval numbered 1..N in name order",
                "Give COCO ground truth with the ids the predictions use, or predictions that name images (csv, txt, ...).");
        }
        if (!_matchClassIds)
        {
            throw new AnnotationFormatException(new SourceLocation(path),
                $"ground truth whose class ids {what} can name (COCO json, or a class list)", "classes that deval numbered 1..K in name order",
                "Give the class list with --names (line i is category_id i).");
        }
    }

    /// <summary>The dataset being built (for formats with their own ids: COCO json).</summary>
    public DatasetBuilder Builder { get; }

    /// <summary>The reading options.</summary>
    public LoadOptions Options { get; }

    /// <summary>Adds a note for the user (printed on stderr by the command line).</summary>
    public void Notice(string message) => _notices.Add(message);

    /// <summary>Finds the ground-truth image a prediction names.</summary>
    /// <exception cref="AnnotationFormatException">No ground-truth image has that name, or several do.</exception>
    public int Image(string name, SourceLocation at)
    {
        if (TryImage(name, out int index)) return index;
        if (index == Ambiguous) throw new AnnotationFormatException(at, "an image name that identifies one ground-truth image", $"{InputLimits.Quote(name)}, which several images share");
        throw new AnnotationFormatException(at, "an image of the ground truth", $"{InputLimits.Quote(name)}, which it does not have");
    }

    /// <summary>Finds the ground-truth image a prediction names; false (index -2 when ambiguous) if none.</summary>
    public bool TryImage(string name, out int index)
    {
        if (_imagesByName.TryGetValue(name, out index) || _imagesByStem.TryGetValue(ImageNames.Stem(name), out index))
        {
            return index >= 0;
        }
        if (_matchImageIds && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && Builder.TryGetImage(id, out index)) return true;
        // COCO string image ids name an image as its file stem would.
        if (_matchImageIds && (Builder.TryGetImage(new RecordId(name), out index) || Builder.TryGetImage(new RecordId(ImageNames.Stem(name)), out index))) return true;
        index = -1;
        return false;
    }

    /// <summary>Finds the category of a class name; null when it is unknown and <see cref="UnknownClassHandling.Ignore"/> is set (then it is counted).</summary>
    /// <exception cref="AnnotationFormatException">The ground truth has no such class and unknown classes are errors.</exception>
    public int? Class(string name, SourceLocation at)
    {
        string renamed = Options.ClassMap?.Apply(name) ?? name;
        if (_classesByName.TryGetValue(renamed, out int index))
        {
            if (index == Ambiguous) throw new AnnotationFormatException(at, "a class name that identifies one category", $"{InputLimits.Quote(renamed)}, which several categories share");
            return index;
        }
        if (_matchClassIds && long.TryParse(renamed, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && Builder.TryGetCategory(id, out index)) return index;
        return Unknown(renamed, at, null);
    }

    /// <summary>The category of a YOLO class index: through the class list, or the index as name when there is none.</summary>
    /// <exception cref="AnnotationFormatException">The index is not in the class list, or its class is unknown and unknown classes are errors.</exception>
    public int? ClassOfIndex(long classIndex, SourceLocation at)
    {
        string indexText = classIndex.ToString(CultureInfo.InvariantCulture);
        if (_indexNames is null)
        {
            if (_classesByName.TryGetValue(indexText, out int byIndex) && byIndex >= 0) return byIndex;
            return Unknown(indexText, at, "YOLO names classes by index: give the class names with --names (names.txt or data.yaml).");
        }
        if (_indexNameById.TryGetValue(classIndex, out string? name))
        {
            if (_classesByName.TryGetValue(name, out int index) && index >= 0) return index;
            return Unknown(name, at, null);
        }
        throw new AnnotationFormatException(at, $"a class index listed in {_indexNamesSource} ({_indexNames.Min(c => c.Id)}..{_indexNames.Max(c => c.Id)})", indexText);
    }

    private int? Unknown(string name, SourceLocation at, string? hint)
    {
        if (Options.UnknownClasses == UnknownClassHandling.Ignore)
        {
            Builder.CountDetectionOfUnknownClass(name);
            return null;
        }
        var names = new List<string>(Builder.Categories.Count);
        foreach (Category c in Builder.Categories.OrderBy(c => c.Id)) names.Add(c.Name);
        throw new AnnotationFormatException(at, $"a class of the ground truth ({GroundTruthSink.ClassSummary(names)})", InputLimits.Quote(name),
            hint ?? "Rename it with --class-map, or drop such predictions with --ignore-unknown-classes.");
    }

    /// <summary>Adds a detection; its input position is the number of detections added before it.</summary>
    public void Add(int image, int category, Box box, double score) => Builder.AddDetection(image, category, box, score);

    /// <summary>
    /// Adds a detection given as polygons (flat x y pairs in pixels): its box is their bounding box, its mask
    /// their raster at the image's size when known (<see cref="PolygonShapes"/>). A low-memory run that keeps
    /// no masks (a box run) gets the box alone, without the raster.
    /// </summary>
    public void AddPolygons(int image, int category, IReadOnlyList<double[]> polygons, double score)
    {
        Box box = PolygonShapes.BoundingBox(polygons);
        if (Builder.Spill is { KeepsShapes: false })
        {
            Builder.AddDetection(image, category, box, score);
            return;
        }
        Builder.AddDetection(image, category, box, score, PolygonShapes.Shape(polygons, KnownSize(image)), area: null);
    }

    private ImageSize? KnownSize(int image)
    {
        ImageInfo info = Builder.GetImage(image);
        if (info.Width is int w && info.Height is int h && w > 0 && h > 0) return new ImageSize(w, h);
        return Options.ImageSizes is { } sizes && sizes.TryGetSize(info.FileName ?? info.Id.ToString(), out ImageSize size) ? size : null;
    }

    /// <summary>The size of a ground-truth image, from the ground truth or from <see cref="LoadOptions.ImageSizes"/>.</summary>
    /// <exception cref="AnnotationFormatException">No size is known for the image.</exception>
    public ImageSize SizeOf(int image, SourceLocation at)
    {
        ImageInfo info = Builder.GetImage(image);
        if (info.Width is int w && info.Height is int h && w > 0 && h > 0) return new ImageSize(w, h);
        return GroundTruthSink.LookUpSize(Options.ImageSizes, info.FileName ?? info.Id.ToString(), null, at);
    }
}
