namespace DetectionEval.Matching.Coco;

/// <summary>
/// What one detection became under the COCO rules, at every (area range, IoU threshold) pair.
/// </summary>
/// <remarks>
/// Layout: bit <c>a * 16 + t</c> of each mask is area range <c>a</c> (at most 4) and IoU threshold
/// <c>t</c> (at most 16). A detection is a true positive when its <see cref="TruePositives"/> bit is
/// set, ignored (neither TP nor FP) when its <see cref="Ignored"/> bit is set, and a false positive when
/// neither is. The two masks never share a bit.
/// </remarks>
/// <param name="TruePositives">Matched to a ground truth that is not ignored.</param>
/// <param name="Ignored">Matched to an ignored ground truth, or unmatched with an area outside the range.</param>
public readonly record struct CocoOutcome(ulong TruePositives, ulong Ignored)
{
    /// <summary>Largest number of area ranges one outcome holds.</summary>
    public const int MaxAreaRanges = 4;

    /// <summary>Largest number of IoU thresholds one outcome holds.</summary>
    public const int MaxThresholds = 16;

    /// <summary>The bit of (area range, threshold).</summary>
    public static ulong Bit(int areaRange, int threshold) => 1UL << (areaRange * MaxThresholds + threshold);

    /// <summary>True when the detection counts as a true positive at this area range and threshold.</summary>
    public bool IsTruePositive(int areaRange, int threshold) => (TruePositives & Bit(areaRange, threshold)) != 0;

    /// <summary>True when the detection counts as neither TP nor FP at this area range and threshold.</summary>
    public bool IsIgnored(int areaRange, int threshold) => (Ignored & Bit(areaRange, threshold)) != 0;

    /// <summary>True when the detection counts as a false positive at this area range and threshold.</summary>
    public bool IsFalsePositive(int areaRange, int threshold) =>
        ((TruePositives | Ignored) & Bit(areaRange, threshold)) == 0;
}

/// <summary>One kept detection of a unit, in score order.</summary>
/// <param name="Detection">The detection's index within its unit's input.</param>
/// <param name="Outcome">What it became at each area range and threshold.</param>
public readonly record struct CocoDetectionOutcome(int Detection, CocoOutcome Outcome);
