using DetectionEval.Matching;

namespace DetectionEval.Eval.Data;

/// <summary>One image of a dataset.</summary>
/// <param name="Id">The image id of the annotation file: a number, or a string where COCO json gives one.</param>
/// <param name="FileName">Its file name when the format carries one.</param>
/// <param name="Width">Its width in pixels when known.</param>
/// <param name="Height">Its height in pixels when known.</param>
public sealed record ImageInfo(RecordId Id, string? FileName = null, int? Width = null, int? Height = null);

/// <summary>One class of a dataset.</summary>
/// <param name="Id">The category id of the annotation file.</param>
/// <param name="Name">Its name.</param>
public sealed record Category(long Id, string Name);

/// <summary>An (image, category) pair with any ground truth or detection: the unit of matching.</summary>
/// <remarks>Units share no state, so they can be matched in any order and on any thread.</remarks>
/// <param name="Image">Index into <see cref="Dataset.Images"/>.</param>
/// <param name="Category">Index into <see cref="Dataset.Categories"/>.</param>
/// <param name="GroundTruthStart">First row of the unit in <see cref="Dataset.GroundTruth"/>.</param>
/// <param name="GroundTruthCount">Its number of ground-truth rows.</param>
/// <param name="DetectionStart">First row of the unit in <see cref="Dataset.Detections"/>.</param>
/// <param name="DetectionCount">Its number of detection rows.</param>
public readonly record struct EvaluationUnit(
    int Image, int Category, int GroundTruthStart, int GroundTruthCount, int DetectionStart, int DetectionCount);

/// <summary>Ground-truth boxes as flat columns, grouped by unit and in input order within a unit.</summary>
public sealed class GroundTruthTable
{
    internal GroundTruthTable(
        Box[] boxes, double[] areas, GroundTruthFlags[] flags, RecordId[] annotationIds, int[] images, int[] categories, ObjectShape?[]? shapes = null)
    {
        _shapes = shapes;
        _boxes = boxes;
        _areas = areas;
        _flags = flags;
        _annotationIds = annotationIds;
        _images = images;
        _categories = categories;
    }

    private readonly Box[] _boxes;
    private readonly double[] _areas;
    private readonly GroundTruthFlags[] _flags;
    private readonly RecordId[] _annotationIds;
    private readonly int[] _images;
    private readonly int[] _categories;

    /// <summary>Number of rows.</summary>
    public int Count => _boxes.Length;

    /// <summary>Boxes.</summary>
    public ReadOnlySpan<Box> Boxes => _boxes;

    /// <summary>The annotations' <c>area</c> field (w·h where the format has none).</summary>
    public ReadOnlySpan<double> Areas => _areas;

    /// <summary>Crowd, difficult and ignore flags.</summary>
    public ReadOnlySpan<GroundTruthFlags> Flags => _flags;

    /// <summary>Annotation ids (numbers, or strings where COCO json gives them).</summary>
    public ReadOnlySpan<RecordId> AnnotationIds => _annotationIds;

    /// <summary>Image index of each row.</summary>
    public ReadOnlySpan<int> Images => _images;

    /// <summary>Category index of each row.</summary>
    public ReadOnlySpan<int> Categories => _categories;

    private readonly ObjectShape?[]? _shapes;

    /// <summary>Each row's mask and keypoints (null where it has none); empty when no row has any.</summary>
    public ReadOnlySpan<ObjectShape?> Shapes => _shapes;
}

/// <summary>Detections as flat columns, grouped by unit and in input order within a unit.</summary>
public sealed class DetectionTable
{
    internal DetectionTable(
        Box[] boxes, double[] scores, int[] inputPositions, int[] images, int[] categories, ObjectShape?[]? shapes = null, double[]? areas = null)
    {
        _shapes = shapes;
        _areas = areas;
        _boxes = boxes;
        _scores = scores;
        _inputPositions = inputPositions;
        _images = images;
        _categories = categories;
    }

    private readonly Box[] _boxes;
    private readonly double[] _scores;
    private readonly int[] _inputPositions;
    private readonly int[] _images;
    private readonly int[] _categories;

    /// <summary>Number of rows.</summary>
    public int Count => _boxes.Length;

    /// <summary>Boxes.</summary>
    public ReadOnlySpan<Box> Boxes => _boxes;

    /// <summary>Confidence scores.</summary>
    public ReadOnlySpan<double> Scores => _scores;

    /// <summary>Each detection's position in the input, which breaks ties between equal scores.</summary>
    public ReadOnlySpan<int> InputPositions => _inputPositions;

    /// <summary>Image index of each row.</summary>
    public ReadOnlySpan<int> Images => _images;

    /// <summary>Category index of each row.</summary>
    public ReadOnlySpan<int> Categories => _categories;

    private readonly ObjectShape?[]? _shapes;
    private readonly double[]? _areas;

    /// <summary>Each row's mask and keypoints (null where it has none); empty when no row has any.</summary>
    public ReadOnlySpan<ObjectShape?> Shapes => _shapes;

    /// <summary>
    /// Each row's area for COCO's area ranges, where the results gave no boxes (pycocotools' <c>loadRes</c>:
    /// a mask's pixel count, or the extent of the keypoints); empty when every area is its box's <c>w * h</c>.
    /// </summary>
    public ReadOnlySpan<double> Areas => _areas;
}

/// <summary>
/// Ground truth and detections of one evaluation, in flat arrays grouped by (image, category). Nothing
/// here knows which file format the data came from.
/// </summary>
public sealed class Dataset
{
    internal Dataset(
        ImageInfo[] images,
        Category[] categories,
        GroundTruthTable groundTruth,
        DetectionTable detections,
        EvaluationUnit[] units,
        int[] imageRanks,
        int[][] unitsByCategory,
        int detectionsOfUnknownCategories)
    {
        Images = images;
        Categories = categories;
        GroundTruth = groundTruth;
        Detections = detections;
        _units = units;
        _imageRanks = imageRanks;
        _unitsByCategory = unitsByCategory;
        DetectionsOfUnknownCategories = detectionsOfUnknownCategories;
    }

    private readonly EvaluationUnit[] _units;
    private readonly int[] _imageRanks;
    private readonly int[][] _unitsByCategory;

    /// <summary>Images in input order.</summary>
    public IReadOnlyList<ImageInfo> Images { get; }

    /// <summary>Categories in ascending id order; a category index refers to this list.</summary>
    public IReadOnlyList<Category> Categories { get; }

    /// <summary>Ground-truth rows.</summary>
    public GroundTruthTable GroundTruth { get; }

    /// <summary>Detection rows.</summary>
    public DetectionTable Detections { get; }

    /// <summary>Detections that were read but dropped because their category is not in the ground truth.</summary>
    public int DetectionsOfUnknownCategories { get; }

    /// <summary>
    /// The keypoint skeletons of the categories whose COCO json entry has a <c>skeleton</c>, by category id:
    /// pairs of keypoint numbers counted from 1, as COCO writes them. For drawing only.
    /// </summary>
    public IReadOnlyDictionary<long, IReadOnlyList<(int From, int To)>> Skeletons { get; init; } = new Dictionary<long, IReadOnlyList<(int From, int To)>>();

    /// <summary>Units ordered by (image index, category index).</summary>
    public ReadOnlySpan<EvaluationUnit> Units => _units;

    /// <summary>
    /// An image's rank in ascending image-id order (COCO accumulates images in that order): numbers by
    /// value, strings by code point (<see cref="RecordId.CompareTo"/>).
    /// </summary>
    public int ImageRank(int image) => _imageRanks[image];

    /// <summary>Indices into <see cref="Units"/> of one category's units, in image-index order.</summary>
    public ReadOnlySpan<int> UnitsOfCategory(int category) => _unitsByCategory[category];

    private int[]? _firstUnitOfImage;

    /// <summary>The indices into <see cref="Units"/> of one image's units (units are ordered by image, then category).</summary>
    public Range UnitsOfImage(int image)
    {
        int[] first = LazyInitializer.EnsureInitialized(ref _firstUnitOfImage, FirstUnitOfEachImage);
        return first[image]..first[image + 1];
    }

    private int[] FirstUnitOfEachImage()
    {
        int[] first = new int[Images.Count + 1];
        int u = 0;
        for (int image = 0; image <= Images.Count; image++)
        {
            while (u < _units.Length && _units[u].Image < image) u++;
            first[image] = u;
        }
        return first;
    }
}
