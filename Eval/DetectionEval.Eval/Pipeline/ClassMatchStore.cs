using System.Runtime.InteropServices;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Pipeline;

// The match records of a bounded-memory run, grouped by class, 32 bytes a detection.
//
// A detection's COCO and VOC records come from the same unit, where both metrics keep the unit's
// detections in the same order (score descending, input order among equal scores); COCO keeps the first
// maxDets of them. So one stored match holds both: the score and tie keys, the COCO rank in the unit and
// outcome bits (or none past maxDets) and the VOC outcome. The category is where it is stored, and only
// the class's own records are needed to accumulate it, so each class can be accumulated and released on
// its own.

/// <summary>One detection's match results as a bounded-memory run keeps them.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal readonly struct StoredMatch
{
    /// <summary><see cref="RankInUnit"/> of a detection without a COCO record.</summary>
    public const int NoCocoRecord = int.MaxValue;

    private const byte NoVoc = 0xFF;

    public readonly double Score;
    public readonly int ImageRank;
    public readonly int InputPosition;
    public readonly int RankInUnit;
    private readonly ulong _outcomeLow;
    private readonly ushort _outcomeHigh;
    private readonly byte _voc;

    public StoredMatch(double score, int imageRank, int inputPosition, int rankInUnit, CocoOutcome coco, VocOutcome? voc)
    {
        Score = score;
        ImageRank = imageRank;
        InputPosition = inputPosition;
        RankInUnit = rankInUnit;
        ulong tp = Squeeze(coco.TruePositives), ignored = Squeeze(coco.Ignored);
        _outcomeLow = tp | (ignored << SqueezedBits);
        _outcomeHigh = (ushort)(ignored >> (64 - SqueezedBits));
        _voc = voc is VocOutcome v ? (byte)v : NoVoc;
    }

    /// <summary>A stored match as a partial result's columns hold it (<see cref="VocByte"/>: the VOC outcome, 255 for none).</summary>
    public static StoredMatch FromColumns(double score, int imageRank, int inputPosition, int rankInUnit, CocoOutcome coco, byte voc) =>
        new(score, imageRank, inputPosition, rankInUnit, coco, voc == NoVoc ? null : (VocOutcome)voc);

    /// <summary>The same match, of the image at <paramref name="imageRank"/> and input position <paramref name="inputPosition"/>.</summary>
    public StoredMatch Renumbered(int imageRank, int inputPosition) =>
        FromColumns(Score, imageRank, inputPosition, RankInUnit, Coco, _voc);

    /// <summary>The VOC outcome as a byte; 255 when the run computed no VOC.</summary>
    public byte VocByte => _voc;

    /// <summary>The VOC outcome (meaningful when the run computes VOC).</summary>
    public VocOutcome Voc => (VocOutcome)_voc;

    /// <summary>The COCO outcome (meaningful when <see cref="RankInUnit"/> is not <see cref="NoCocoRecord"/>).</summary>
    public CocoOutcome Coco
    {
        get
        {
            ulong tp = _outcomeLow & SqueezedMask;
            ulong ignored = (_outcomeLow >> SqueezedBits) | ((ulong)_outcomeHigh << (64 - SqueezedBits));
            return new CocoOutcome(Spread(tp), Spread(ignored));
        }
    }

    /// <summary>Thresholds the squeezed bits hold per area range.</summary>
    public const int Thresholds = 10;

    private const int SqueezedBits = Thresholds * CocoOutcome.MaxAreaRanges;
    private const ulong SqueezedMask = (1UL << SqueezedBits) - 1;
    private const ulong ThresholdMask = (1UL << Thresholds) - 1;

    /// <summary>Keeps the first <see cref="Thresholds"/> bits of each area range's field, side by side.</summary>
    private static ulong Squeeze(ulong bits)
    {
        ulong squeezed = 0;
        for (int a = 0; a < CocoOutcome.MaxAreaRanges; a++) squeezed |= ((bits >> (a * CocoOutcome.MaxThresholds)) & ThresholdMask) << (a * Thresholds);
        return squeezed;
    }

    private static ulong Spread(ulong squeezed)
    {
        ulong bits = 0;
        for (int a = 0; a < CocoOutcome.MaxAreaRanges; a++) bits |= ((squeezed >> (a * Thresholds)) & ThresholdMask) << (a * CocoOutcome.MaxThresholds);
        return bits;
    }
}

/// <summary>Stored matches grouped by class, with each class's countable ground truth, filled shard by shard.</summary>
internal sealed class ClassMatchStore
{
    private const int ChunkSize = 1024;
    private readonly List<StoredMatch[]>[] _chunks;
    private readonly int[] _counts;

    public ClassMatchStore(int classes, int areaRanges, bool coco, bool voc, bool keepUnits = false)
    {
        Units = keepUnits ? new UnitGroundTruth(areaRanges) : null;
        _chunks = new List<StoredMatch[]>[classes];
        for (int k = 0; k < classes; k++) _chunks[k] = [];
        _counts = new int[classes];
        Countable = new int[classes * areaRanges];
        Positives = new int[classes];
        AreaRanges = areaRanges;
        HasCoco = coco;
        HasVoc = voc;
    }

    public int Classes => _counts.Length;

    public int AreaRanges { get; }

    public bool HasCoco { get; }

    public bool HasVoc { get; }

    /// <summary>COCO ground truth that counts, per (class, area range).</summary>
    public int[] Countable { get; }

    /// <summary>VOC npos per class.</summary>
    public int[] Positives { get; }

    /// <summary>The counts of <see cref="Countable"/> and <see cref="Positives"/> per unit, when asked to keep them (a partial's, which a bootstrap resamples); else null.</summary>
    public UnitGroundTruth? Units { get; }

    /// <summary>Stored matches of class <paramref name="k"/> (released ones included).</summary>
    public int CountOf(int k) => _counts[k];

    public void Add(int k, StoredMatch match)
    {
        List<StoredMatch[]> chunks = _chunks[k];
        int slot = _counts[k]++ % ChunkSize;
        if (slot == 0) chunks.Add(new StoredMatch[ChunkSize]);
        chunks[^1][slot] = match;
    }

    /// <summary>Class <paramref name="k"/>'s matches in the order they were added; the store lets go of them.</summary>
    public StoredMatch[] Release(int k)
    {
        var all = new StoredMatch[_counts[k]];
        List<StoredMatch[]> chunks = _chunks[k];
        for (int c = 0; c < chunks.Count; c++)
        {
            int length = Math.Min(ChunkSize, all.Length - c * ChunkSize);
            chunks[c].AsSpan(0, length).CopyTo(all.AsSpan(c * ChunkSize));
        }
        _chunks[k] = [];
        return all;
    }
}

/// <summary>
/// The ground truth that counts per unit (image and class) with any: COCO's per area range and VOC's npos.
/// A bootstrap resamples images, so it weighs these counts image by image.
/// </summary>
internal sealed class UnitGroundTruth(int areaRanges)
{
    /// <summary>COCO's area ranges: the width of <see cref="Countable"/>'s rows.</summary>
    public int AreaRanges { get; } = areaRanges;

    /// <summary>Each unit's image rank (a partial: its image's index among the partial's images).</summary>
    public List<int> Images { get; } = [];

    /// <summary>Each unit's class.</summary>
    public List<int> Classes { get; } = [];

    /// <summary>COCO's ground truth that counts, per (unit, area range).</summary>
    public List<int> Countable { get; } = [];

    /// <summary>VOC's npos per unit.</summary>
    public List<int> Positives { get; } = [];

    /// <summary>Adds a unit's counts unless all are 0.</summary>
    public void Add(int image, int k, ReadOnlySpan<int> countable, int positives)
    {
        if (positives == 0 && !countable.ContainsAnyExcept(0)) return;
        Images.Add(image);
        Classes.Add(k);
        foreach (int c in countable) Countable.Add(c);
        Positives.Add(positives);
    }
}
