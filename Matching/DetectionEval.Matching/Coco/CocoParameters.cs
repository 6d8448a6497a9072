namespace DetectionEval.Matching.Coco;

/// <summary>An object-size range in square pixels; both ends inclusive, as in pycocotools.</summary>
/// <param name="Label">Name used in reports (<c>all</c>, <c>small</c>, <c>medium</c>, <c>large</c>).</param>
/// <param name="Lo">Smallest area in the range.</param>
/// <param name="Hi">Largest area in the range.</param>
public readonly record struct AreaRange(string Label, double Lo, double Hi)
{
    /// <summary>True when <paramref name="area"/> lies outside [Lo, Hi]; an area on a bound is inside.</summary>
    public bool Excludes(double area) => area < Lo || area > Hi;
}

/// <summary>The fixed parameters of COCO bbox evaluation (pycocotools <c>Params.setDetParams</c>).</summary>
public static class CocoParameters
{
    /// <summary>
    /// IoU thresholds .50:.05:.95 as the exact doubles <c>np.linspace(.5, 0.95, 10)</c> gives. The ninth
    /// is 0.8999999999999999, not 0.9.
    /// </summary>
    public static IReadOnlyList<double> IouThresholds { get; } =
        [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95];

    /// <summary>Index of IoU 0.50 in <see cref="IouThresholds"/>.</summary>
    public const int Iou50 = 0;

    /// <summary>Index of IoU 0.75 in <see cref="IouThresholds"/>.</summary>
    public const int Iou75 = 5;

    /// <summary>
    /// Upper bound of a threshold in the matcher: <c>min(t, 1 - 1e-10)</c>, so that an IoU of exactly 1 can
    /// still match when a threshold of 1 is asked for.
    /// </summary>
    public const double LargestUsableThreshold = 1 - 1e-10;

    /// <summary>The four area ranges: all [0, 1e10], small [0, 32²], medium [32², 96²], large [96², 1e10].</summary>
    public static IReadOnlyList<AreaRange> AreaRanges { get; } =
    [
        new("all", 0, 1e10),
        new("small", 0, 32 * 32),
        new("medium", 32 * 32, 96 * 96),
        new("large", 96 * 96, 1e10),
    ];

    /// <summary>Index of the "all" range in <see cref="AreaRanges"/>.</summary>
    public const int AllAreas = 0;

    /// <summary>The default detection caps per (image, category): 1, 10 and 100.</summary>
    public static IReadOnlyList<int> DefaultMaxDetections { get; } = [1, 10, 100];

    /// <summary>
    /// The keypoint protocol's area ranges (pycocotools <c>Params.setKpParams</c>): all [0, 1e10], medium
    /// [32², 96²], large [96², 1e10]; there is no small range.
    /// </summary>
    public static IReadOnlyList<AreaRange> KeypointAreaRanges { get; } =
    [
        new("all", 0, 1e10),
        new("medium", 32 * 32, 96 * 96),
        new("large", 96 * 96, 1e10),
    ];

    /// <summary>The keypoint protocol's one detection cap per (image, category): 20.</summary>
    public static IReadOnlyList<int> KeypointMaxDetections { get; } = [20];
}
