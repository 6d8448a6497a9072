using DetectionEval.Eval;
using DetectionEval.Eval.Data;
using DetectionEval.Matching;
using DetectionEval.Matching.Masks;
using DetectionEval.Plots;

namespace DetectionEval.Cli.Visuals;

/// <summary>
/// An object's mask and keypoints as the overlays draw them: the run-length mask decoded, for drawing only,
/// into the rectangle it covers; the keypoints with their category's skeleton.
/// </summary>
internal static class ShapeOverlays
{
    /// <summary>COCO person's skeleton (person_keypoints_*.json), pairs of keypoints counted from 1: legs, hips, torso, arms, face.</summary>
    private static readonly (int From, int To)[] CocoPerson =
    [
        (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8), (7, 9),
        (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7),
    ];

    /// <summary>The mask's pixels inside its bounding rectangle, row by row (255 inside); null for an empty mask.</summary>
    public static OverlayMask? MaskOf(RunLengthMask mask)
    {
        if (mask.IsEmpty) return null;
        Box box = mask.BoundingBox;
        int left = (int)box.X, top = (int)box.Y, width = (int)box.Width, height = (int)box.Height;
        var pixels = new byte[width * height];
        ReadOnlySpan<uint> counts = mask.Counts;
        // Runs alternate outside and inside, column by column (COCO's order); only inside runs are written.
        long at = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            long end = at + counts[i];
            if (i % 2 == 1)
            {
                for (long p = at; p < end; p++)
                {
                    int column = (int)(p / mask.Height) - left, row = (int)(p % mask.Height) - top;
                    pixels[(row * width) + column] = 255;
                }
            }
            at = end;
        }
        return new OverlayMask(left, top, width, height, pixels);
    }

    /// <summary>
    /// The keypoints with the limbs of <paramref name="category"/>'s skeleton from its COCO json entry, else
    /// COCO person's for 17 keypoints, else none (points only).
    /// </summary>
    public static OverlayKeypoints KeypointsOf(double[] keypoints, Category category, Dataset dataset)
    {
        IReadOnlyList<(int From, int To)> skeleton = dataset.Skeletons.TryGetValue(category.Id, out var own) ? own
            : keypoints.Length == 3 * 17 ? CocoPerson
            : [];
        return new OverlayKeypoints(keypoints, [.. skeleton.Select(l => (l.From - 1, l.To - 1))]);
    }

    /// <summary>
    /// The overlay box of a reviewed object with what the evaluated iou types measure: its mask for segm (its
    /// box too, thinner, when bbox is evaluated as well), its keypoints for keypoints.
    /// </summary>
    public static OverlayBox WithShape(OverlayBox box, ObjectShape? shape, Category category, Dataset dataset, IReadOnlyList<IouType> iouTypes) => shape is null
        ? box
        : box with
        {
            Mask = iouTypes.Contains(IouType.Segm) && shape.Mask is { } mask ? MaskOf(mask) : null,
            BoxWithMask = iouTypes.Contains(IouType.Bbox),
            Keypoints = iouTypes.Contains(IouType.Keypoints) && shape.Keypoints is { } keypoints ? KeypointsOf(keypoints, category, dataset) : null,
        };
}
