using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching;
using DetectionEval.Matching.Tide;

namespace DetectionEval.Eval.Pipeline;

/// <summary>What an evaluation reads: annotation files, or a dataset already in memory.</summary>
public abstract record EvaluationInputs;

/// <summary>Ground truth and predictions in files, in any format the loaders know.</summary>
/// <param name="GroundTruth">The ground truth.</param>
/// <param name="Predictions">The predictions: one input, or the parts of one set read in order as if appended; empty to read ground truth only.</param>
/// <param name="Load">How the files are read (box layout, class names, image sizes).</param>
public sealed record FileInputs(AnnotationInput GroundTruth, IReadOnlyList<AnnotationInput> Predictions, LoadOptions Load) : EvaluationInputs
{
    /// <summary>The predictions as reports name them: the path, or the parts' paths joined by ", ".</summary>
    public string PredictionsLabel => string.Join(", ", Predictions.Select(p => p.Path));

    /// <summary>
    /// Whether the image sizes of <see cref="LoadOptions.ImageSizes"/> are used after reading too (overlays
    /// read the images; a writer may need sizes): then the load stage does not warn that no input used them.
    /// </summary>
    public bool ImageSizesUsedLater { get; init; }

    /// <summary>The size of the predictions on disk, which decides an automatic low-memory run.</summary>
    public long PredictionBytes => Predictions.Sum(p => SpillSettings.BytesOf(p.Path));
}

/// <summary>A dataset built in memory (the library's <see cref="DetectionEvaluator"/>, tests).</summary>
/// <param name="Dataset">Ground truth and detections.</param>
public sealed record DatasetInputs(Dataset Dataset) : EvaluationInputs;

/// <summary>Where the predictions live while they are evaluated.</summary>
public enum MemoryMode
{
    /// <summary>In memory, unless the predictions are large (<see cref="EvaluationRequest.LowMemoryFromBytes"/>) and nothing asked for needs every match at once.</summary>
    Auto,

    /// <summary>Everything in memory.</summary>
    InMemory,

    /// <summary>Spilled to a temporary folder and evaluated image shard by image shard: about 32 bytes of memory per detection, the same results.</summary>
    LowMemory,
}

/// <summary>What a run keeps beyond the numbers; each of them needs every match in memory at once.</summary>
[Flags]
public enum RunProducts
{
    /// <summary>The numbers only.</summary>
    Results = 0,

    /// <summary>The VOC precision-recall curves and the confidence curves (charts draw them).</summary>
    Curves = 1,

    /// <summary>The match records and the dataset's boxes (a bootstrap re-accumulates them; overlays draw them).</summary>
    Matches = 2,
}

/// <summary>The error analysis a run adds to its results.</summary>
/// <remarks>
/// The confusion matrix and the worst images are taken at the options' score threshold, else at the run's
/// pooled best-F1 confidence, else (no detections) at every confidence; TIDE uses every detection.
/// </remarks>
/// <param name="WorstImages">How many of the images with the most errors to list.</param>
public sealed record AnalysisRequest(int WorstImages = 20)
{
    /// <summary>TIDE's thresholds and detection cap.</summary>
    public TideSettings Tide { get; init; } = new();

    /// <summary>
    /// What the analysis measures overlaps on: boxes (box IoU, the default) or masks (<see cref="IouType.Segm"/>:
    /// mask IoU in the confusion matrix's VOC matching and TIDE's mask mode); the run must evaluate that iou type.
    /// </summary>
    public IouType Overlap { get; init; } = IouType.Bbox;
}

/// <summary>
/// One evaluation, as <see cref="EvaluationPipeline.Run"/> takes it: the inputs, the metric options, where
/// the predictions live, and what the run keeps besides the numbers.
/// </summary>
/// <param name="Inputs">Files or a dataset.</param>
public sealed record EvaluationRequest(EvaluationInputs Inputs)
{
    /// <summary>Predictions of at least this many bytes are evaluated with low memory when the memory mode is automatic and nothing asked for needs every match.</summary>
    public const long LowMemoryFromBytes = 256L << 20;

    /// <summary>Metric families, COCO's maxDets, the VOC profile, threads, the reported score threshold.</summary>
    public EvaluationOptions Options { get; init; } = new();

    /// <summary>In memory, low memory, or chosen from the predictions' size.</summary>
    public MemoryMode Memory { get; init; } = MemoryMode.Auto;

    /// <summary>How a low-memory run spills (shard size, folder); null for the defaults.</summary>
    public SpillSettings? Spill { get; init; }

    /// <summary>What the run keeps beyond the numbers.</summary>
    public RunProducts Keep { get; init; } = RunProducts.Results;

    /// <summary>The error analysis; null for none. It needs the VOC family.</summary>
    public AnalysisRequest? Analysis { get; init; }

    /// <summary>
    /// Picks the IoU engine once the dataset is grouped (the command line's <c>--device auto</c>), or null for
    /// the CPU path; the run disposes what it returns. Not called when <see cref="EvaluationOptions.Engine"/>
    /// is set, nor in a low-memory run, whose shards are small.
    /// </summary>
    public Func<Dataset, EvaluationOptions, IOverlapEngine?>? ChooseEngine { get; init; }

    /// <summary>What this request asks for that a low-memory run cannot give: everything it keeps, and the analysis.</summary>
    public RunProducts NeedsEverything => Keep | (Analysis is null ? RunProducts.Results : RunProducts.Matches);

    /// <summary>Whether the run spills its predictions: asked for, or automatic for large predictions when nothing needs every match.</summary>
    public bool UsesLowMemory => Memory switch
    {
        MemoryMode.LowMemory => true,
        MemoryMode.InMemory => false,
        _ => Inputs is FileInputs files && NeedsEverything == RunProducts.Results && files.PredictionBytes >= LowMemoryFromBytes,
    };

    /// <summary>Checks the request, throwing <see cref="ArgumentException"/> for one no run can carry out.</summary>
    public void Validate()
    {
        Options.Validate();
        if (Memory == MemoryMode.LowMemory && Inputs is not FileInputs) throw new ArgumentException("A low-memory run reads its predictions from files.", nameof(Memory));
        if (Memory == MemoryMode.LowMemory && NeedsEverything != RunProducts.Results)
        {
            throw new ArgumentException($"A low-memory run cannot keep {NeedsEverything}: it holds one shard's matches at a time.", nameof(Memory));
        }
        if (Analysis is not null && !Options.Metrics.HasFlag(MetricSet.Voc)) throw new ArgumentException("The error analysis reads the VOC matches.", nameof(Analysis));
        if (Analysis is { Overlap: IouType.Keypoints }) throw new ArgumentException("The error analysis measures boxes or masks, not keypoints.", nameof(Analysis));
        if (Analysis is { Overlap: IouType.Bbox } && !Options.EvaluatesBoxes) throw new ArgumentException("The error analysis reads the box matches: add bbox to the iou types.", nameof(Analysis));
        if (Analysis is { Overlap: IouType.Segm } && !Options.IouTypes.Contains(IouType.Segm)) throw new ArgumentException("The error analysis of masks needs segm among the iou types.", nameof(Analysis));
        if (Analysis is { WorstImages: < 0 }) throw new ArgumentException("The number of worst images cannot be negative.", nameof(Analysis));
    }
}
