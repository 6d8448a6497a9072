using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Matching;

namespace DetectionEval.Eval;

/// <summary>A ground-truth box of one image, for <see cref="DetectionEvaluator"/>.</summary>
/// <param name="CategoryId">Its category id; must be one of the evaluator's categories.</param>
/// <param name="Box">The box.</param>
/// <param name="Flags">Crowd, difficult, ignore.</param>
/// <param name="Area">The area COCO's size ranges use; <c>Box.Area</c> (w·h) when null.</param>
public readonly record struct GroundTruthBox(long CategoryId, Box Box, GroundTruthFlags Flags = GroundTruthFlags.None, double? Area = null);

/// <summary>A detection of one image, for <see cref="DetectionEvaluator"/>.</summary>
/// <param name="CategoryId">Its category id; detections of unknown categories are dropped and counted.</param>
/// <param name="Box">The box.</param>
/// <param name="Score">The confidence.</param>
public readonly record struct DetectedBox(long CategoryId, Box Box, double Score);

/// <summary>One image's ground truth and detections.</summary>
/// <param name="ImageId">A unique image id; COCO breaks score ties across images by ascending id.</param>
/// <param name="GroundTruth">Its ground-truth boxes.</param>
/// <param name="Detections">Its detections; their order breaks score ties within the image.</param>
public sealed record ImageSample(long ImageId, IReadOnlyList<GroundTruthBox> GroundTruth, IReadOnlyList<DetectedBox> Detections);

/// <summary>
/// Incremental evaluation for training loops: feed images batch by batch with <see cref="Update(IEnumerable{ImageSample})"/>, then
/// call <see cref="Compute"/>. The result equals evaluating the same images from files.
/// </summary>
/// <example>
/// <code>
/// var evaluator = new DetectionEvaluator([new Category(1, "person")]);
/// foreach (var batch in validationBatches) evaluator.Update(batch);
/// EvaluationResult result = evaluator.Compute();
/// if (result.HasCoco) Console.WriteLine(result.Coco.Summary.Ap);
/// </code>
/// </example>
public sealed class DetectionEvaluator
{
    private readonly IReadOnlyList<Category> _categories;
    private readonly EvaluationOptions _options;
    private DatasetBuilder _builder;
    private long _nextAnnotationId;

    /// <summary>Creates an evaluator for a fixed set of classes.</summary>
    public DetectionEvaluator(IEnumerable<Category> categories, EvaluationOptions? options = null)
    {
        _categories = [.. categories];
        _options = options ?? new EvaluationOptions();
        _options.Validate();
        _builder = NewBuilder();
    }

    /// <summary>Images added so far.</summary>
    public int ImageCount => _builder.ImageCount;

    /// <summary>Adds a batch of images.</summary>
    /// <exception cref="ArgumentException">An image id repeats, a ground truth names an unknown category,
    /// or a box or score is not finite.</exception>
    public void Update(IEnumerable<ImageSample> batch)
    {
        foreach (ImageSample sample in batch) Update(sample);
    }

    /// <summary>Adds one image.</summary>
    public void Update(ImageSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        foreach (GroundTruthBox g in sample.GroundTruth)
        {
            RequireFiniteBox(g.Box);
            if (!_builder.TryGetCategory(g.CategoryId, out _)) throw new ArgumentException($"Ground truth of unknown category {g.CategoryId}.", nameof(sample));
        }
        foreach (DetectedBox d in sample.Detections)
        {
            RequireFiniteBox(d.Box);
            if (!double.IsFinite(d.Score)) throw new ArgumentException("Detection scores must be finite.", nameof(sample));
        }
        if (!_builder.TryAddImage(new ImageInfo(sample.ImageId), out int image)) throw new ArgumentException($"Image {sample.ImageId} was already added.", nameof(sample));

        foreach (GroundTruthBox g in sample.GroundTruth)
        {
            _builder.TryGetCategory(g.CategoryId, out int category);
            _builder.AddGroundTruth(image, category, g.Box, g.Area ?? g.Box.Area, g.Flags, ++_nextAnnotationId);
        }
        foreach (DetectedBox d in sample.Detections)
        {
            if (_builder.TryGetCategory(d.CategoryId, out int category)) _builder.AddDetection(image, category, d.Box, d.Score);
            else _builder.CountDetectionOfUnknownCategory(d.CategoryId);
        }
    }

    /// <summary>Evaluates everything added so far, through <see cref="EvaluationPipeline"/>. Can be called again after more updates.</summary>
    public EvaluationResult Compute() => EvaluationPipeline.Run(new EvaluationRequest(new DatasetInputs(_builder.Build())) { Options = _options }).Result;

    /// <summary>
    /// Matches everything added so far and keeps the records as a partial result: what this rank of a
    /// distributed loop sends (<see cref="PartialResult.ToBytes"/>) for <see cref="Merge"/>. Each image must be
    /// added to one rank only.
    /// </summary>
    public PartialResult ToPartial() => EvaluationPipeline.PartialOfDataset(_builder.Build(), _options);

    /// <summary>
    /// Merges the ranks' partial results into the result of one evaluator fed every rank's images in the
    /// order given (<see cref="EvaluationPipeline.Merge(IEnumerable{PartialResult}, MergeOptions?)"/>), without curves.
    /// </summary>
    /// <exception cref="PartialResultException">Ranks that cannot be merged: other settings or categories, or an image in two ranks.</exception>
    public static EvaluationResult Merge(IEnumerable<PartialResult> partials, MergeOptions? options = null) => EvaluationPipeline.Merge(partials, options);

    /// <summary>Forgets every image added so far.</summary>
    public void Reset()
    {
        _builder = NewBuilder();
        _nextAnnotationId = 0;
    }

    private DatasetBuilder NewBuilder()
    {
        var builder = new DatasetBuilder();
        foreach (Category c in _categories)
        {
            if (!builder.TryAddCategory(c, out _)) throw new ArgumentException($"Category id {c.Id} is listed twice.", "categories");
        }
        return builder;
    }

    private static void RequireFiniteBox(Box box)
    {
        if (!double.IsFinite(box.X) || !double.IsFinite(box.Y) || !double.IsFinite(box.Width) || !double.IsFinite(box.Height))
        {
            throw new ArgumentException("Box coordinates must be finite.");
        }
        if (box.Width < 0 || box.Height < 0) throw new ArgumentException("Box width and height must be 0 or more.");
    }
}
