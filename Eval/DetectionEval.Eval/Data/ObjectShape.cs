using DetectionEval.Matching.Masks;

namespace DetectionEval.Eval.Data;

/// <summary>
/// What an object carries besides its box: its mask and its keypoints, each when the input gave one.
/// </summary>
/// <param name="Mask">The instance mask, at its image's size (polygons already rasterised), or null.</param>
/// <param name="Keypoints">Flat (x, y, v) triples, or null. A ground truth's v is its visibility flag (0 not
/// labelled); a detection's third value is not read.</param>
public sealed record ObjectShape(RunLengthMask? Mask, double[]? Keypoints)
{
    /// <summary>A ground truth's <c>num_keypoints</c> field as written; null when absent.</summary>
    public int? LabelledKeypoints { get; init; }

    /// <summary>
    /// The polygons the input gave (flat <c>[x1, y1, x2, y2, ...]</c> in pixels, one list per part), kept so that a
    /// conversion can write them again; null when the mask came as RLE or boxes, or there is none.
    /// </summary>
    public IReadOnlyList<double[]>? Polygons { get; init; }
}
