using DetectionEval.Eval.Data;
using DetectionEval.Matching;

namespace DetectionEval.Eval.Matches;

/// <summary>
/// The per-unit arrays an <see cref="IOverlapEngine"/> reads, built once per match stage from a dataset:
/// ground-truth ranges (the dataset's ground truth is already grouped by unit), crowd flags and the slot
/// layout (where each unit's detections, in matching order, start).
/// </summary>
internal sealed class EngineUnits
{
    private readonly Dataset _dataset;
    private readonly int[] _groundTruthStart;
    private readonly int[] _groundTruthCount;
    private readonly int[] _slotStart;
    private readonly byte[] _crowd;

    private EngineUnits(Dataset dataset, int[] groundTruthStart, int[] groundTruthCount, int[] slotStart, byte[] crowd)
    {
        _dataset = dataset;
        _groundTruthStart = groundTruthStart;
        _groundTruthCount = groundTruthCount;
        _slotStart = slotStart;
        _crowd = crowd;
    }

    /// <summary>The layout of <paramref name="units"/>; unit u's slots start at <paramref name="firstSlot"/>(u).</summary>
    public static EngineUnits Of(Dataset dataset, EvaluationUnit[] units, Func<int, int> firstSlot, int slots)
    {
        int[] start = new int[units.Length], count = new int[units.Length], slotStart = new int[units.Length + 1];
        for (int u = 0; u < units.Length; u++)
        {
            start[u] = units[u].GroundTruthStart;
            count[u] = units[u].GroundTruthCount;
            slotStart[u] = firstSlot(u);
        }
        slotStart[^1] = slots;
        ReadOnlySpan<GroundTruthFlags> flags = dataset.GroundTruth.Flags;
        byte[] crowd = new byte[flags.Length];
        for (int g = 0; g < crowd.Length; g++) crowd[g] = (flags[g] & GroundTruthFlags.Crowd) != 0 ? (byte)1 : (byte)0;
        return new EngineUnits(dataset, start, count, slotStart, crowd);
    }

    /// <summary>The engine's view, with <paramref name="slotBoxes"/> as the detections in matching order.</summary>
    public OverlapUnits Describe(Box[] slotBoxes) =>
        new(_dataset.GroundTruth.Boxes, _crowd, _groundTruthStart, _groundTruthCount, slotBoxes, _slotStart);
}
