using DetectionEval.Matching.Voc;

namespace DetectionEval.Matching;

// The reference implementation of IOverlapEngine: plain loops over each unit's (slot, ground truth) pairs
// with the IoU rules themselves. Device engines are checked against it; it is single-threaded because the
// match stage's own per-unit path (no engine) is what runs in parallel on the CPU.
// Inputs and outputs: see OverlapEngine.cs. Sentinels: BestOverlap.None for a unit without ground truth.

/// <summary>The candidate search in plain C#, the reference every other engine must equal.</summary>
public sealed class CpuOverlapEngine : IOverlapEngine
{
    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public void FindBestOverlaps(OverlapUnits units, double pixelOffset, Span<BestOverlap> best)
    {
        for (int u = 0; u < units.UnitCount; u++)
        {
            ReadOnlySpan<Box> groundTruth = units.GroundTruth.Slice(units.GroundTruthStart[u], units.GroundTruthCount[u]);
            for (int s = units.SlotStart[u]; s < units.SlotStart[u + 1]; s++)
            {
                best[s] = VocMatcher.FindBestOverlap(units.Detections[s], groundTruth, pixelOffset);
            }
        }
    }

    /// <inheritdoc />
    public CocoCandidates FindCocoCandidates(OverlapUnits units, double minimumIou)
    {
        int slots = units.SlotStart[^1];
        int[] offsets = new int[slots + 1];
        var groundTruth = new List<int>();
        var iou = new List<double>();
        for (int u = 0; u < units.UnitCount; u++)
        {
            int start = units.GroundTruthStart[u], count = units.GroundTruthCount[u];
            for (int s = units.SlotStart[u]; s < units.SlotStart[u + 1]; s++)
            {
                for (int g = 0; g < count; g++)
                {
                    double value = IouRules.Coco(units.Detections[s], units.GroundTruth[start + g], units.GroundTruthIsCrowd[start + g] != 0);
                    if (value >= minimumIou)
                    {
                        groundTruth.Add(g);
                        iou.Add(value);
                    }
                }
                offsets[s + 1] = groundTruth.Count;
            }
        }
        return new CocoCandidates(offsets, [.. groundTruth], [.. iou]);
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose()
    {
    }
}
