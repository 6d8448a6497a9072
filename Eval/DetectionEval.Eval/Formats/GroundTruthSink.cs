using System.Globalization;
using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Formats;

/*
 * Ground truth of the formats that name images and classes (every format but COCO json) is collected
 * here first and added to the DatasetBuilder once complete, because ids follow from the whole input:
 *   images:  numbered by their names when every name's stem is a distinct whole number
 *            ("000000008249.jpg" -> 8249, which keeps COCO ids through a conversion), else 1..N in
 *            ordinal name order (the rendering rule of the peer cases, reference README section 9);
 *   classes: a class list (--names, a classes.txt next to the files, CVAT's labels) gives ids and order;
 *            YOLO indices without names keep the index as id; otherwise the sorted names get 1..K.
 * Boxes keep the order they were read in (sorted file, then line), which is the order ties need, and
 * get annotation ids 1..N in that order; their area field is w*h.
 */

/// <summary>Receives ground truth from a loader. COCO json writes to <see cref="Builder"/> directly; the other formats name images and classes.</summary>
public sealed class GroundTruthSink
{
    private readonly List<string> _imageKeys = [];
    private readonly List<string?> _imageFiles = [];
    private readonly List<ImageSize?> _imageSizes = [];
    private readonly Dictionary<string, int> _imageIndex = new(StringComparer.Ordinal);

    private readonly List<NamedClass> _classes = [];
    private readonly Dictionary<string, int> _classIndex = new(StringComparer.Ordinal);
    private bool _fixedClasses;
    private string? _classSource;
    private bool _indexIds;
    private Dictionary<long, int>? _classById;

    private readonly List<(int Image, int Class, Box Box, GroundTruthFlags Flags, IReadOnlyList<double[]>? Polygons)> _boxes = [];
    private readonly List<string> _notices;

    internal GroundTruthSink(DatasetBuilder builder, LoadOptions options, List<string> notices)
    {
        Builder = builder;
        Options = options;
        _notices = notices;
        if (options.Names is { } names) UseClassList(names.Source, names.Classes);
    }

    /// <summary>The dataset being built (for formats with their own ids: COCO json).</summary>
    public DatasetBuilder Builder { get; }

    /// <summary>The reading options.</summary>
    public LoadOptions Options { get; }

    /// <summary>The image keys by builder image index, once complete (null for COCO json images).</summary>
    internal List<string?> KeysByBuilderIndex { get; } = [];

    /// <summary>Whether image ids mean something to the user (COCO ids, or whole-number names) rather than a count in name order.</summary>
    internal bool ImageIdsAreMeaningful { get; private set; } = true;

    /// <summary>Whether category ids mean something to the user (COCO ids, a class list's indices) rather than a count in name order.</summary>
    internal bool ClassIdsAreMeaningful { get; private set; } = true;

    /// <summary>Adds a note for the user (printed on stderr by the command line).</summary>
    public void Notice(string message) => _notices.Add(message);

    /// <summary>Number of images named so far.</summary>
    public int ImageCount => _imageKeys.Count;

    /// <summary>Names an image; returns its index for <see cref="Add"/>. The same key gives the same image.</summary>
    /// <param name="key">How the other files name it: the file stem of a per-image file, or the image column of a CSV.</param>
    /// <param name="fileName">The image's file name when the format gives one.</param>
    /// <param name="size">The image's size when the format gives one.</param>
    public int Image(string key, string? fileName = null, ImageSize? size = null)
    {
        if (_imageIndex.TryGetValue(key, out int index))
        {
            _imageFiles[index] ??= fileName;
            _imageSizes[index] ??= size;
            return index;
        }
        index = _imageKeys.Count;
        _imageKeys.Add(key);
        _imageFiles.Add(fileName);
        _imageSizes.Add(size);
        _imageIndex.Add(key, index);
        return index;
    }

    /// <summary>
    /// Declares the format's own class list (CVAT labels, a classes.txt next to the files). Ignored when
    /// a list was given with <c>--names</c>.
    /// </summary>
    /// <param name="source">Where the list is, for messages.</param>
    /// <param name="classes">The classes with their ids, in order.</param>
    /// <param name="announce">Whether to tell the user where the class names came from.</param>
    public void DeclareClasses(string source, IReadOnlyList<NamedClass> classes, bool announce)
    {
        if (_fixedClasses) return;
        UseClassList(source, classes);
        if (announce) Notice($"class names from {source}");
    }

    private void UseClassList(string source, IReadOnlyList<NamedClass> classes)
    {
        if (classes.Count > InputLimits.MaxClasses) InputLimits.RequireRoomForClass(classes.Count, new SourceLocation(source));
        foreach (NamedClass c in classes) InputLimits.RequireClassName(c.Name, new SourceLocation(source));
        _fixedClasses = true;
        _classById = null;
        _classSource = source;
        _classes.Clear();
        _classIndex.Clear();
        foreach (NamedClass c in classes)
        {
            var renamed = c with { Name = Rename(c.Name) };
            if (_classIndex.TryAdd(renamed.Name, _classes.Count)) _classes.Add(renamed);
        }
    }

    /// <summary>True when a class list fixes the classes.</summary>
    public bool HasClassList => _fixedClasses;

    /// <summary>Finds or adds a class by name (after <c>--class-map</c>); returns its index for <see cref="Add"/>.</summary>
    /// <exception cref="AnnotationFormatException">A class list is in effect and does not have the name.</exception>
    public int Class(string name, SourceLocation at)
    {
        name = Rename(name);
        if (_classIndex.TryGetValue(name, out int index)) return index;
        if (_fixedClasses)
        {
            throw new AnnotationFormatException(at, $"a class listed in {_classSource} ({ClassSummary(_classes.Select(c => c.Name))})", InputLimits.Quote(name));
        }
        InputLimits.RequireClassName(name, at);
        InputLimits.RequireRoomForClass(_classes.Count, at);
        index = _classes.Count;
        _classes.Add(new NamedClass(0, name));
        _classIndex.Add(name, index);
        return index;
    }

    /// <summary>A YOLO class index: its name from the class list, or the index itself as name and id.</summary>
    /// <exception cref="AnnotationFormatException">The class list has no such index.</exception>
    public int ClassOfIndex(long classIndex, SourceLocation at)
    {
        if (_fixedClasses)
        {
            if (_classById is null)
            {
                _classById = [];
                for (int k = 0; k < _classes.Count; k++) _classById.TryAdd(_classes[k].Id, k);
            }
            if (!_classById.TryGetValue(classIndex, out int position)) throw new AnnotationFormatException(at, $"a class index listed in {_classSource} ({IndexRange(_classes)})", classIndex.ToString(CultureInfo.InvariantCulture));
            return position;
        }
        string name = classIndex.ToString(CultureInfo.InvariantCulture);
        if (_classIndex.TryGetValue(name, out int index)) return index;
        InputLimits.RequireRoomForClass(_classes.Count, at);
        _indexIds = true;
        index = _classes.Count;
        _classes.Add(new NamedClass(classIndex, name));
        _classIndex.Add(name, index);
        return index;
    }

    /// <summary>Adds a ground-truth box.</summary>
    public void Add(int image, int classIndex, Box box, GroundTruthFlags flags = GroundTruthFlags.None) => _boxes.Add((image, classIndex, box, flags, null));

    /// <summary>
    /// Adds a ground truth given as polygons (flat x y pairs in pixels, 3 points or more each); its box, mask
    /// and area follow <see cref="PolygonShapes"/>' rules once the image's size is known.
    /// </summary>
    public void AddPolygons(int image, int classIndex, IReadOnlyList<double[]> polygons, GroundTruthFlags flags = GroundTruthFlags.None) =>
        _boxes.Add((image, classIndex, PolygonShapes.BoundingBox(polygons), flags, polygons));

    /// <summary>The size of an image, from its own file or from <see cref="LoadOptions.ImageSizes"/>.</summary>
    /// <exception cref="AnnotationFormatException">No size is known for the image.</exception>
    public ImageSize SizeOf(int image, SourceLocation at)
    {
        if (_imageSizes[image] is ImageSize own) return own;
        ImageSize size = LookUpSize(Options.ImageSizes, _imageKeys[image], _imageFiles[image], at);
        _imageSizes[image] = size;
        return size;
    }

    /// <summary>An image's size from its own file or the size source; null when neither knows it.</summary>
    private ImageSize? KnownSize(int image)
    {
        if (_imageSizes[image] is ImageSize own) return own;
        IImageSizeSource? sizes = Options.ImageSizes;
        if (sizes is not null && (sizes.TryGetSize(_imageKeys[image], out ImageSize size) || (_imageFiles[image] is { } file && sizes.TryGetSize(file, out size)))) return size;
        return null;
    }

    internal static ImageSize LookUpSize(IImageSizeSource? sizes, string key, string? fileName, SourceLocation at)
    {
        if (sizes is not null && (sizes.TryGetSize(key, out ImageSize size) || (fileName is not null && sizes.TryGetSize(fileName, out size)))) return size;
        string source = sizes is null ? "from --images DIR or --image-sizes FILE" : $"in {sizes.Description}";
        throw new AnnotationFormatException(at, $"the size of image {InputLimits.Quote(key)} {source} (relative coordinates need it)", sizes is null ? "no image sizes" : "no such image");
    }

    /// <summary>Adds the images of a size source that no annotation named (images without objects).</summary>
    internal void AddImagesOf(IImageSizeSource source)
    {
        var known = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _imageKeys.Count; i++)
        {
            known.TryAdd(_imageKeys[i], i);
            known.TryAdd(ImageNames.Stem(_imageKeys[i]), i);
        }
        foreach (string name in source.ImageNames)
        {
            // An image the annotations already named (by name or stem) gets its file name; the others are new.
            if (known.TryGetValue(name, out int index) || known.TryGetValue(ImageNames.Stem(name), out index)) _imageFiles[index] ??= name;
            else Image(ImageNames.Stem(name), name);
        }
    }

    internal string Rename(string name) => Options.ClassMap?.Apply(name) ?? name;

    /// <summary>Numbers images and classes and moves everything into the builder.</summary>
    internal void Complete()
    {
        int[] imageOrder = NumberImages(out long[] imageIds);
        var builderImage = new int[_imageKeys.Count];
        foreach (int i in imageOrder)
        {
            ImageSize? size = _imageSizes[i];
            Builder.TryAddImage(new ImageInfo(imageIds[i], _imageFiles[i] ?? _imageKeys[i], size?.Width, size?.Height), out builderImage[i]);
            KeysByBuilderIndex.Add(_imageKeys[i]);
        }

        long[] classIds = NumberClasses();
        var builderClass = new int[_classes.Count];
        for (int k = 0; k < _classes.Count; k++)
        {
            if (!Builder.TryAddCategory(new Category(classIds[k], _classes[k].Name), out builderClass[k]))
            {
                throw new AnnotationFormatException(new SourceLocation(_classSource ?? "the class list"), "distinct class ids", $"{classIds[k]} twice");
            }
        }

        long annotationId = 1;
        foreach ((int image, int cls, Box box, GroundTruthFlags flags, IReadOnlyList<double[]>? polygons) in _boxes)
        {
            if ((annotationId & 0xFFFF) == 0) Options.Cancellation.ThrowIfCancellationRequested();
            if (polygons is not null)
            {
                ObjectShape shape = PolygonShapes.Shape(polygons, KnownSize(image));
                Builder.AddGroundTruth(builderImage[image], builderClass[cls], box, PolygonShapes.GroundTruthArea(shape, box), flags, annotationId++, shape);
                continue;
            }
            // Convention: formats without an area field use w * h, as COCO ground truth without one does.
            Builder.AddGroundTruth(builderImage[image], builderClass[cls], box, box.Area, flags, annotationId++);
        }
    }

    private int[] NumberImages(out long[] ids)
    {
        int n = _imageKeys.Count;
        ids = new long[n];
        var distinct = new HashSet<long>();
        bool numeric = true;
        for (int i = 0; i < n && numeric; i++)
        {
            numeric = long.TryParse(ImageNames.Stem(_imageKeys[i]), NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]) && distinct.Add(ids[i]);
        }
        int[] order = [.. Enumerable.Range(0, n)];
        ImageIdsAreMeaningful = numeric || n == 0;
        if (numeric)
        {
            long[] byId = ids;
            Array.Sort(order, (a, b) => byId[a].CompareTo(byId[b]));
            return order;
        }
        Array.Sort(order, (a, b) => string.CompareOrdinal(_imageKeys[a], _imageKeys[b]));
        for (int rank = 0; rank < n; rank++) ids[order[rank]] = rank + 1;
        return order;
    }

    private long[] NumberClasses()
    {
        var ids = new long[_classes.Count];
        ClassIdsAreMeaningful = _fixedClasses || _indexIds || _classes.Count == 0;
        if (_fixedClasses || _indexIds)
        {
            for (int k = 0; k < ids.Length; k++) ids[k] = _classes[k].Id;
            return ids;
        }
        int[] order = [.. Enumerable.Range(0, _classes.Count)];
        Array.Sort(order, (a, b) => string.CompareOrdinal(_classes[a].Name, _classes[b].Name));
        for (int rank = 0; rank < order.Length; rank++) ids[order[rank]] = rank + 1;
        return ids;
    }

    internal static string ClassSummary(IEnumerable<string> names)
    {
        List<string> list = [.. names.Take(6).Select(n => n.Length <= 60 ? n : n[..57] + "...")];
        string text = string.Join(", ", list);
        return names.Skip(6).Any() ? text + ", ..." : text;
    }

    private static string IndexRange(List<NamedClass> classes) =>
        classes.Count == 0 ? "none" : $"{classes.Min(c => c.Id)}..{classes.Max(c => c.Id)}";
}
