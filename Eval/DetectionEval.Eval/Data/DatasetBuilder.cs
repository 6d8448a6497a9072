using System.Runtime.InteropServices;
using DetectionEval.Matching;

namespace DetectionEval.Eval.Data;

/// <summary>
/// Collects images, categories, ground truth and detections as loaders stream them in, and groups them
/// into a <see cref="Dataset"/>. Detections keep the order in which they were added; ties between equal
/// scores are broken by it.
/// </summary>
public sealed class DatasetBuilder
{
    private readonly List<ImageInfo> _images = [];
    // Two indices, so that the common numeric lookups (a COCO results file's millions) hash a long.
    private readonly Dictionary<long, int> _imageIndex = [];
    private readonly Dictionary<string, int> _imageIndexByText = new(StringComparer.Ordinal);
    private readonly List<Category> _categories = [];
    private readonly Dictionary<long, int> _categoryIndex = [];

    private readonly List<Box> _gtBoxes = [];
    private readonly List<double> _gtAreas = [];
    private readonly List<GroundTruthFlags> _gtFlags = [];
    private readonly List<RecordId> _gtIds = [];
    private readonly List<int> _gtImages = [];
    private readonly List<int> _gtCategories = [];

    private List<Box> _dtBoxes = [];
    private List<double> _dtScores = [];
    private List<int> _dtImages = [];
    private List<int> _dtCategories = [];

    // Shapes and detection areas are kept only once some row has one; rows before it are null (NaN for areas).
    private List<ObjectShape?>? _gtShapes;
    private List<ObjectShape?>? _dtShapes;
    private List<double>? _dtAreas;

    /// <summary>Number of images added so far.</summary>
    public int ImageCount => _images.Count;

    /// <summary>Number of categories added so far.</summary>
    public int CategoryCount => _categories.Count;

    /// <summary>Number of ground-truth boxes added so far.</summary>
    public int GroundTruthCount => _gtBoxes.Count;

    /// <summary>Number of detections added so far (spilled ones included).</summary>
    public int DetectionCount => _dtBoxes.Count + _spilledCount;

    private DetectionSpill? _spill;
    private SpillPart? _openPart;
    private int _spilledCount;

    /// <summary>The spill detections go to instead of memory, if any (<see cref="SpillDetectionsTo"/>).</summary>
    public DetectionSpill? Spill => _spill;

    /// <summary>
    /// From now on detections are written to <paramref name="spill"/> instead of kept in memory; then
    /// <see cref="Build"/> gives the ground truth only and the detections are read back shard by shard.
    /// </summary>
    /// <exception cref="InvalidOperationException">Detections were added already.</exception>
    public void SpillDetectionsTo(DetectionSpill spill)
    {
        ArgumentNullException.ThrowIfNull(spill);
        if (DetectionCount > 0 || _spill is not null) throw new InvalidOperationException("Detections can only be spilled from the start.");
        if (spill.ImageCount != _images.Count) throw new ArgumentException("The spill was made for another number of images.", nameof(spill));
        _spill = spill;
    }

    /// <summary>
    /// Appends parts written elsewhere (the fast COCO scanner's segments, in reading order) after the
    /// detections added so far.
    /// </summary>
    internal void CommitSpilledParts(IReadOnlyList<SpillPart> parts)
    {
        DetectionSpill spill = _spill ?? throw new InvalidOperationException("Detections are not spilled.");
        CommitOpenPart();
        foreach (SpillPart part in parts)
        {
            spill.Commit(part);
            _spilledCount += part.Count;
        }
    }

    /// <summary>Commits the part the builder itself writes to, so that the spill holds every detection added.</summary>
    internal void CommitOpenPart()
    {
        if (_openPart is null) return;
        _spill!.Commit(_openPart);
        _openPart = null;
    }

    /// <summary>Detections a loader read but dropped because their category is not in the ground truth.</summary>
    public int DetectionsOfUnknownCategories { get; private set; }

    /// <summary>Adds an image unless its id is already present.</summary>
    /// <returns>False when an image with this id exists.</returns>
    public bool TryAddImage(ImageInfo image, out int index)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (TryGetImage(image.Id, out index)) return false;
        index = _images.Count;
        _images.Add(image);
        if (image.Id.Text is { } text) _imageIndexByText.Add(text, index);
        else _imageIndex.Add(image.Id.Number, index);
        return true;
    }

    /// <summary>Finds an image by a whole-number id.</summary>
    public bool TryGetImage(long id, out int index) => _imageIndex.TryGetValue(id, out index);

    /// <summary>Finds an image by id; a string id finds only an image whose id is that string (<c>"1"</c> is not <c>1</c>).</summary>
    public bool TryGetImage(RecordId id, out int index) =>
        id.Text is { } text ? _imageIndexByText.TryGetValue(text, out index) : _imageIndex.TryGetValue(id.Number, out index);

    /// <summary>The image at <paramref name="index"/>.</summary>
    public ImageInfo GetImage(int index) => _images[index];

    /// <summary>Adds a category unless its id is already present.</summary>
    /// <returns>False when a category with this id exists.</returns>
    public bool TryAddCategory(Category category, out int index)
    {
        if (_categoryIndex.TryGetValue(category.Id, out index)) return false;
        index = _categories.Count;
        _categories.Add(category);
        _categoryIndex.Add(category.Id, index);
        return true;
    }

    /// <summary>Finds a category by id.</summary>
    public bool TryGetCategory(long id, out int index) => _categoryIndex.TryGetValue(id, out index);

    private readonly Dictionary<long, IReadOnlyList<(int From, int To)>> _skeletons = [];

    /// <summary>Records a category's keypoint skeleton (pairs of keypoint numbers counted from 1), for drawing.</summary>
    public void SetSkeleton(long categoryId, IReadOnlyList<(int From, int To)> skeleton) => _skeletons[categoryId] = skeleton;

    /// <summary>The categories added so far, in the order they were added.</summary>
    public IReadOnlyList<Category> Categories => _categories;

    /// <summary>Adds a ground-truth box.</summary>
    /// <param name="image">Index returned by <see cref="TryAddImage"/>.</param>
    /// <param name="category">Index returned by <see cref="TryAddCategory"/>.</param>
    /// <param name="box">The box.</param>
    /// <param name="area">The annotation's area field (COCO's size ranges read it).</param>
    /// <param name="flags">Crowd, difficult, ignore.</param>
    /// <param name="annotationId">The annotation id.</param>
    /// <param name="shape">Its mask and keypoints, when the input has them.</param>
    public void AddGroundTruth(int image, int category, Box box, double area, GroundTruthFlags flags, RecordId annotationId, ObjectShape? shape = null)
    {
        CheckIndices(image, category);
        if (shape is not null || _gtShapes is not null) (_gtShapes ??= Nulls<ObjectShape?>(_gtBoxes.Count, null)).Add(shape);
        _gtBoxes.Add(box);
        _gtAreas.Add(area);
        _gtFlags.Add(flags);
        _gtIds.Add(annotationId);
        _gtImages.Add(image);
        _gtCategories.Add(category);
    }

    /// <summary>Adds a detection; its input position is the number of detections added before it.</summary>
    public void AddDetection(int image, int category, Box box, double score) => AddDetection(image, category, box, score, null, null);

    /// <summary>
    /// Adds a detection with its mask or keypoints and, where the results gave no box, the area COCO's ranges
    /// test. A spill keeps the area, and the mask (as run lengths) and keypoints when it keeps shapes.
    /// </summary>
    public void AddDetection(int image, int category, Box box, double score, ObjectShape? shape, double? area)
    {
        CheckIndices(image, category);
        if (_spill is not null)
        {
            (_openPart ??= _spill.OpenPart()).Append(image, category, box, score, shape, area ?? double.NaN);
            _spilledCount++;
            return;
        }
        if (shape is not null || area is not null)
        {
            if (shape is not null || _dtShapes is not null) (_dtShapes ??= Nulls<ObjectShape?>(_dtBoxes.Count, null)).Add(shape);
            if (area is not null || _dtAreas is not null) (_dtAreas ??= Nulls(_dtBoxes.Count, double.NaN)).Add(area ?? double.NaN);
        }
        else
        {
            _dtShapes?.Add(null);
            _dtAreas?.Add(double.NaN);
        }
        _dtBoxes.Add(box);
        _dtScores.Add(score);
        _dtImages.Add(image);
        _dtCategories.Add(category);
    }

    /// <summary>
    /// Makes room for <paramref name="count"/> more detections at once, so that a loader that knows how many it
    /// will add grows each column once instead of doubling it (and copying it) as they come.
    /// </summary>
    internal void ReserveDetections(int count)
    {
        if (_spill is not null) return;
        _dtBoxes.EnsureCapacity(_dtBoxes.Count + count);
        _dtScores.EnsureCapacity(_dtScores.Count + count);
        _dtImages.EnsureCapacity(_dtImages.Count + count);
        _dtCategories.EnsureCapacity(_dtCategories.Count + count);
        _dtShapes?.EnsureCapacity(_dtShapes.Count + count);
        _dtAreas?.EnsureCapacity(_dtAreas.Count + count);
    }

    /// <summary>True when the builder holds no detections and keeps them in memory, without shapes or areas: a loader may then hand its columns over (<see cref="AdoptDetections"/>).</summary>
    internal bool CanAdoptDetections => _spill is null && _dtBoxes.Count == 0 && _dtShapes is null && _dtAreas is null;

    /// <summary>
    /// Takes a loader's columns as the builder's detections, without copying them (a loader's fast path, when
    /// <see cref="CanAdoptDetections"/>), and makes room for <paramref name="capacity"/> detections in all; the
    /// loader must not touch the lists afterwards. Indices come from <see cref="TryGetImage(RecordId, out int)"/> and <see cref="TryGetCategory"/>.
    /// </summary>
    internal void AdoptDetections(List<int> images, List<int> categories, List<Box> boxes, List<double> scores, int capacity)
    {
        if (!CanAdoptDetections) throw new InvalidOperationException("Only a builder without detections, shapes or a spill adopts a loader's columns.");
        if (images.Count != categories.Count || images.Count != boxes.Count || images.Count != scores.Count) throw new ArgumentException("The columns differ in length.");
        (_dtImages, _dtCategories, _dtBoxes, _dtScores) = (images, categories, boxes, scores);
        ReserveDetections(capacity - images.Count);
    }

    /// <summary>Adds many detections at once (a loader's fast path); indices come from <see cref="TryGetImage(RecordId, out int)"/> and <see cref="TryGetCategory"/>.</summary>
    internal void AddDetections(List<int> images, List<int> categories, List<Box> boxes, List<double> scores)
    {
        if (_spill is not null)
        {
            for (int i = 0; i < images.Count; i++) AddDetection(images[i], categories[i], boxes[i], scores[i]);
            return;
        }
        for (int i = 0; i < images.Count; i++)
        {
            _dtShapes?.Add(null);
            _dtAreas?.Add(double.NaN);
        }
        _dtImages.AddRange(images);
        _dtCategories.AddRange(categories);
        _dtBoxes.AddRange(boxes);
        _dtScores.AddRange(scores);
    }

    private readonly SortedSet<long> _unknownCategoryIds = [];

    /// <summary>The distinct unknown category ids seen, in ascending order.</summary>
    public IReadOnlyCollection<long> UnknownCategoryIds => _unknownCategoryIds;

    /// <summary>Counts a detection that was read but dropped because its category is unknown.</summary>
    public void CountDetectionOfUnknownCategory(long categoryId)
    {
        DetectionsOfUnknownCategories++;
        _unknownCategoryIds.Add(categoryId);
    }

    private readonly SortedDictionary<string, int> _unknownClassNames = new(StringComparer.Ordinal);

    /// <summary>The distinct unknown class names seen (formats that name classes), with their counts.</summary>
    public IReadOnlyDictionary<string, int> UnknownClassNames => _unknownClassNames;

    /// <summary>Counts a detection that was read but dropped because no category has its class name.</summary>
    public void CountDetectionOfUnknownClass(string name)
    {
        DetectionsOfUnknownCategories++;
        _unknownClassNames[name] = _unknownClassNames.GetValueOrDefault(name) + 1;
    }

    /// <summary>Each given area, or the box's <c>w * h</c> where none was given (a results part read by the box rule).</summary>
    private static double[] AreasOrBoxAreas(double[] areas, Box[] boxes)
    {
        for (int i = 0; i < areas.Length; i++)
        {
            if (double.IsNaN(areas[i])) areas[i] = boxes[i].Area;
        }
        return areas;
    }

    private static List<T> Nulls<T>(int count, T value)
    {
        var list = new List<T>(count + 1);
        for (int i = 0; i < count; i++) list.Add(value);
        return list;
    }

    private void CheckIndices(int image, int category)
    {
        if ((uint)image >= (uint)_images.Count) throw new ArgumentOutOfRangeException(nameof(image));
        if ((uint)category >= (uint)_categories.Count) throw new ArgumentOutOfRangeException(nameof(category));
    }

    /// <summary>Groups everything added so far into a dataset. The builder can be used again afterwards.</summary>
    public Dataset Build()
    {
        CommitOpenPart();
        int[] categoryRemap = SortCategoriesById(out Category[] categories);
        int imageCount = _images.Count;
        int categoryCount = categories.Length;

        // The ground truth and the detections are grouped, then each column gathered, side by side: every step
        // reads the builder's lists and writes arrays of its own.
        int[] gtCategories = [], dtCategories = [], gtOrder = [], dtOrder = [];
        Parallel.Invoke(
            () =>
            {
                gtCategories = Remap(_gtCategories, categoryRemap);
                gtOrder = GroupByImageThenCategory(CollectionsMarshal.AsSpan(_gtImages), gtCategories, imageCount, categoryCount);
            },
            () =>
            {
                dtCategories = Remap(_dtCategories, categoryRemap);
                dtOrder = GroupByImageThenCategory(CollectionsMarshal.AsSpan(_dtImages), dtCategories, imageCount, categoryCount);
            });

        GroundTruthTable groundTruth = null!;
        Box[] dtBoxes = [];
        double[] dtScores = [];
        int[] dtImages = [], dtCategoryColumn = [];
        Parallel.Invoke(
            () => groundTruth = new GroundTruthTable(
                Gather(_gtBoxes, gtOrder),
                Gather(_gtAreas, gtOrder),
                Gather(_gtFlags, gtOrder),
                Gather(_gtIds, gtOrder),
                Gather(_gtImages, gtOrder),
                Gather(gtCategories, gtOrder),
                _gtShapes is null ? null : Gather(_gtShapes, gtOrder)),
            () => dtBoxes = Gather(_dtBoxes, dtOrder),
            () => dtScores = Gather(_dtScores, dtOrder),
            () => dtImages = Gather(_dtImages, dtOrder),
            () => dtCategoryColumn = Gather(dtCategories, dtOrder));
        var detections = new DetectionTable(
            dtBoxes,
            dtScores,
            dtOrder,
            dtImages,
            dtCategoryColumn,
            _dtShapes is null ? null : Gather(_dtShapes, dtOrder),
            _dtAreas is null ? null : AreasOrBoxAreas(Gather(_dtAreas, dtOrder), dtBoxes));

        EvaluationUnit[] units = FindUnits(groundTruth, detections, categoryCount);
        return new Dataset(
            [.. _images],
            categories,
            groundTruth,
            detections,
            units,
            RankImagesById(),
            IndexUnitsByCategory(units, categoryCount),
            DetectionsOfUnknownCategories)
        {
            Skeletons = new Dictionary<long, IReadOnlyList<(int From, int To)>>(_skeletons),
        };
    }

    /// <summary>Whether each image added so far (by builder index) is in <paramref name="shard"/>, by its rank in ascending id order.</summary>
    public bool[] ImagesOfShard(ImageShard shard)
    {
        shard.Validate();
        int[] ranks = RankImagesById();
        bool[] held = new bool[ranks.Length];
        for (int i = 0; i < ranks.Length; i++) held[i] = shard.Holds(ranks[i]);
        return held;
    }

    /// <summary>Each category's index in the built dataset (ascending id), by its index in the builder.</summary>
    internal int[] DatasetCategoryIndices() => SortCategoriesById(out _);

    /// <summary>
    /// The dataset of one shard of a spilled run: the images [<paramref name="firstImage"/>, + <paramref name="imageCount"/>)
    /// of <paramref name="groundTruth"/> (the dataset <see cref="Build"/> gave, ground truth only) with their
    /// ground truth, their ranks among all images and the shard's detections, which keep their global input
    /// positions. Matching it gives the records a whole-dataset run gives for these images (image indices
    /// counted from <paramref name="firstImage"/>).
    /// </summary>
    /// <param name="groundTruth">The whole ground truth.</param>
    /// <param name="firstImage">The shard's first image.</param>
    /// <param name="imageCount">Its number of images.</param>
    /// <param name="spilled">Its detections in input order (image and category as the builder numbered them), with their shapes and areas.</param>
    /// <param name="categoryIndices">The dataset's category index of each builder category index.</param>
    internal static Dataset BuildShard(Dataset groundTruth, int firstImage, int imageCount, SpilledShard spilled, int[] categoryIndices)
    {
        SpilledDetection[] detections = spilled.Detections;
        GroundTruthTable all = groundTruth.GroundTruth;
        int gtStart = FirstRowOfImage(all.Images, firstImage), gtEnd = FirstRowOfImage(all.Images, firstImage + imageCount);
        int[] gtImages = all.Images[gtStart..gtEnd].ToArray();
        for (int i = 0; i < gtImages.Length; i++) gtImages[i] -= firstImage;
        var gt = new GroundTruthTable(
            all.Boxes[gtStart..gtEnd].ToArray(),
            all.Areas[gtStart..gtEnd].ToArray(),
            all.Flags[gtStart..gtEnd].ToArray(),
            all.AnnotationIds[gtStart..gtEnd].ToArray(),
            gtImages,
            all.Categories[gtStart..gtEnd].ToArray(),
            all.Shapes.IsEmpty ? null : all.Shapes[gtStart..gtEnd].ToArray());

        int n = detections.Length;
        int[] images = new int[n], categories = new int[n];
        for (int i = 0; i < n; i++)
        {
            images[i] = detections[i].Image - firstImage;
            categories[i] = categoryIndices[detections[i].Category];
        }
        int categoryCount = groundTruth.Categories.Count;
        int[] order = GroupByImageThenCategory(images, categories, imageCount, categoryCount);
        var boxes = new Box[n];
        double[] scores = new double[n];
        int[] positions = new int[n], dtImages = new int[n], dtCategories = new int[n];
        for (int i = 0; i < n; i++)
        {
            SpilledDetection d = detections[order[i]];
            boxes[i] = d.Box;
            scores[i] = d.Score;
            positions[i] = d.Position;
            dtImages[i] = images[order[i]];
            dtCategories[i] = categories[order[i]];
        }
        var dt = new DetectionTable(
            boxes, scores, positions, dtImages, dtCategories,
            spilled.Shapes is null ? null : Gather<ObjectShape?>(spilled.Shapes, order),
            spilled.Areas is null ? null : AreasOrBoxAreas(Gather<double>(spilled.Areas, order), boxes));
        EvaluationUnit[] units = FindUnits(gt, dt, categoryCount);
        int[] ranks = new int[imageCount];
        var shardImages = new ImageInfo[imageCount];
        for (int i = 0; i < imageCount; i++)
        {
            ranks[i] = groundTruth.ImageRank(firstImage + i);
            shardImages[i] = groundTruth.Images[firstImage + i];
        }
        return new Dataset(shardImages, [.. groundTruth.Categories], gt, dt, units, ranks, IndexUnitsByCategory(units, categoryCount), 0);
    }

    /// <summary>
    /// The images of <paramref name="dataset"/> that <paramref name="held"/> accepts (by image index), with their
    /// ground truth and detections, masks and keypoints included. They keep their ranks among all images and
    /// the detections their input positions, so matching it gives the records a whole-dataset run gives for
    /// these images (image indices counted among the held ones).
    /// </summary>
    internal static Dataset OfImages(Dataset dataset, bool[] held)
    {
        int[] local = new int[dataset.Images.Count];
        var images = new List<ImageInfo>();
        var ranks = new List<int>();
        for (int i = 0; i < local.Length; i++)
        {
            local[i] = held[i] ? images.Count : -1;
            if (!held[i]) continue;
            images.Add(dataset.Images[i]);
            ranks.Add(dataset.ImageRank(i));
        }
        GroundTruthTable gt = dataset.GroundTruth;
        int[] gtRows = RowsOfHeldImages(gt.Images, local);
        var groundTruth = new GroundTruthTable(
            Gather(gt.Boxes, gtRows), Gather(gt.Areas, gtRows), Gather(gt.Flags, gtRows), Gather(gt.AnnotationIds, gtRows),
            Gather(gt.Images, gtRows).Select(i => local[i]).ToArray(), Gather(gt.Categories, gtRows), gt.Shapes.IsEmpty ? null : Gather(gt.Shapes, gtRows));
        DetectionTable dt = dataset.Detections;
        int[] dtRows = RowsOfHeldImages(dt.Images, local);
        var detections = new DetectionTable(
            Gather(dt.Boxes, dtRows), Gather(dt.Scores, dtRows), Gather(dt.InputPositions, dtRows), Gather(dt.Images, dtRows).Select(i => local[i]).ToArray(),
            Gather(dt.Categories, dtRows), dt.Shapes.IsEmpty ? null : Gather(dt.Shapes, dtRows), dt.Areas.IsEmpty ? null : Gather(dt.Areas, dtRows));
        int categoryCount = dataset.Categories.Count;
        // Rows stay grouped by (image, category): the held images keep their order.
        EvaluationUnit[] units = FindUnits(groundTruth, detections, categoryCount);
        return new Dataset([.. images], [.. dataset.Categories], groundTruth, detections, units, [.. ranks], IndexUnitsByCategory(units, categoryCount), 0)
        {
            Skeletons = dataset.Skeletons,
        };
    }

    private static int[] RowsOfHeldImages(ReadOnlySpan<int> images, int[] local)
    {
        var rows = new List<int>();
        for (int row = 0; row < images.Length; row++)
        {
            if (local[images[row]] >= 0) rows.Add(row);
        }
        return [.. rows];
    }

    /// <summary>The first row whose image is at least <paramref name="image"/> in rows grouped by ascending image.</summary>
    private static int FirstRowOfImage(ReadOnlySpan<int> images, int image)
    {
        int lo = 0, hi = images.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (images[mid] < image) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private int[] SortCategoriesById(out Category[] sorted)
    {
        int[] byId = new int[_categories.Count];
        for (int i = 0; i < byId.Length; i++) byId[i] = i;
        Array.Sort(byId, (a, b) => _categories[a].Id.CompareTo(_categories[b].Id));
        sorted = new Category[byId.Length];
        int[] remap = new int[byId.Length];
        for (int rank = 0; rank < byId.Length; rank++)
        {
            sorted[rank] = _categories[byId[rank]];
            remap[byId[rank]] = rank;
        }
        return remap;
    }

    /// <summary>Ranks in ascending id order: numbers by value, strings by code point, as Python's sorted() orders them (pycocotools sorts image ids).</summary>
    private int[] RankImagesById()
    {
        int[] byId = new int[_images.Count];
        for (int i = 0; i < byId.Length; i++) byId[i] = i;
        Array.Sort(byId, (a, b) => _images[a].Id.CompareTo(_images[b].Id));
        int[] ranks = new int[byId.Length];
        for (int rank = 0; rank < byId.Length; rank++) ranks[byId[rank]] = rank;
        return ranks;
    }

    private static int[] Remap(List<int> values, int[] remap)
    {
        int[] result = new int[values.Count];
        for (int i = 0; i < result.Length; i++) result[i] = remap[values[i]];
        return result;
    }

    /// <summary>
    /// Row order sorted by (image, category) that keeps input order within a unit: two stable counting
    /// sorts, by category and then by image (least significant key first).
    /// </summary>
    private static int[] GroupByImageThenCategory(ReadOnlySpan<int> images, ReadOnlySpan<int> categories, int imageCount, int categoryCount)
    {
        int n = images.Length;
        int[] identity = new int[n];
        for (int i = 0; i < n; i++) identity[i] = i;
        int[] byCategory = StableCountingSort(identity, categories, categoryCount);
        return StableCountingSort(byCategory, images, imageCount);
    }

    private static int[] StableCountingSort(int[] rows, ReadOnlySpan<int> keyOfRow, int keyCount)
    {
        int[] starts = new int[keyCount + 1];
        foreach (int row in rows) starts[keyOfRow[row] + 1]++;
        for (int k = 0; k < keyCount; k++) starts[k + 1] += starts[k];
        int[] sorted = new int[rows.Length];
        foreach (int row in rows) sorted[starts[keyOfRow[row]]++] = row;
        return sorted;
    }

    private static T[] Gather<T>(List<T> source, int[] order) => Gather(CollectionsMarshal.AsSpan(source), order);

    private static T[] Gather<T>(ReadOnlySpan<T> source, int[] order)
    {
        var result = new T[order.Length];
        for (int i = 0; i < order.Length; i++) result[i] = source[order[i]];
        return result;
    }

    /// <summary>Walks both grouped tables together and emits one unit per (image, category) key present in either.</summary>
    private static EvaluationUnit[] FindUnits(GroundTruthTable gt, DetectionTable dt, int categoryCount)
    {
        var units = new List<EvaluationUnit>();
        int g = 0, d = 0;
        while (g < gt.Count || d < dt.Count)
        {
            long gtKey = g < gt.Count ? (long)gt.Images[g] * categoryCount + gt.Categories[g] : long.MaxValue;
            long dtKey = d < dt.Count ? (long)dt.Images[d] * categoryCount + dt.Categories[d] : long.MaxValue;
            long key = Math.Min(gtKey, dtKey);
            int gStart = g, dStart = d;
            while (g < gt.Count && (long)gt.Images[g] * categoryCount + gt.Categories[g] == key) g++;
            while (d < dt.Count && (long)dt.Images[d] * categoryCount + dt.Categories[d] == key) d++;
            units.Add(new EvaluationUnit((int)(key / categoryCount), (int)(key % categoryCount), gStart, g - gStart, dStart, d - dStart));
        }
        return [.. units];
    }

    private static int[][] IndexUnitsByCategory(EvaluationUnit[] units, int categoryCount)
    {
        int[] counts = new int[categoryCount];
        foreach (EvaluationUnit unit in units) counts[unit.Category]++;
        int[][] byCategory = new int[categoryCount][];
        for (int k = 0; k < categoryCount; k++) byCategory[k] = new int[counts[k]];
        Array.Clear(counts);
        for (int u = 0; u < units.Length; u++)
        {
            int k = units[u].Category;
            byCategory[k][counts[k]++] = u;
        }
        return byCategory;
    }
}
