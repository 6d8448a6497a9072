using ILGPU;
using ILGPU.Runtime;

namespace DetectionEval.Matching.Gpu;

// The device kernels of the candidate search. One thread per detection slot walks the ground truth of
// its unit, so nothing of size (slots x ground truth) is ever stored or copied.
//
// Inputs (device arrays): ground-truth boxes grouped by unit; crowd flags (1 byte per ground truth);
// per unit its first ground-truth row and count; detection boxes of the slots grouped by unit; per slot
// its unit index.
// Outputs: VOC, per slot the index (within the unit) and IoU of the first ground truth with the largest
// IoU; COCO, a count pass (candidates with IoU >= floor per slot) and, after the host's prefix sum, a fill
// pass writing (index within unit, IoU) in input order.
// Reference: IouRules.Voc and IouRules.Coco in DetectionEval.Matching, transcribed operation by operation
// (every +, -, * and / through ExactMath, so the GPU neither fuses nor reorders).
// Sentinels: a slot of a unit without ground truth gets index -1 and IoU -infinity (BestOverlap.None).

/// <summary>The float64 IoU kernels; each mirrors one rule of <see cref="IouRules"/> exactly.</summary>
internal static class IouKernels
{
    /// <summary><see cref="IouRules.Voc"/>, operation for operation.</summary>
    public static double VocIou(Box d, Box g, double pixelOffset)
    {
        double dx1 = d.X, dy1 = d.Y, dx2 = ExactMath.Add(d.X, d.Width), dy2 = ExactMath.Add(d.Y, d.Height);
        double gx1 = g.X, gy1 = g.Y, gx2 = ExactMath.Add(g.X, g.Width), gy2 = ExactMath.Add(g.Y, g.Height);
        double iw = ExactMath.Max(ExactMath.Add(ExactMath.Sub(ExactMath.Min(dx2, gx2), ExactMath.Max(dx1, gx1)), pixelOffset), 0.0);
        double ih = ExactMath.Max(ExactMath.Add(ExactMath.Sub(ExactMath.Min(dy2, gy2), ExactMath.Max(dy1, gy1)), pixelOffset), 0.0);
        double intersection = ExactMath.Mul(iw, ih);
        double detectionArea = ExactMath.Mul(ExactMath.Add(ExactMath.Sub(dx2, dx1), pixelOffset), ExactMath.Add(ExactMath.Sub(dy2, dy1), pixelOffset));
        double groundTruthArea = ExactMath.Mul(ExactMath.Add(ExactMath.Sub(gx2, gx1), pixelOffset), ExactMath.Add(ExactMath.Sub(gy2, gy1), pixelOffset));
        double union = ExactMath.Sub(ExactMath.Add(detectionArea, groundTruthArea), intersection);
        return union > 0 ? ExactMath.Div(intersection, union) : 0.0;
    }

    /// <summary><see cref="IouRules.Coco"/>, operation for operation.</summary>
    public static double CocoIou(Box d, Box g, bool crowd)
    {
        double iw = ExactMath.Sub(ExactMath.Min(ExactMath.Add(d.X, d.Width), ExactMath.Add(g.X, g.Width)), ExactMath.Max(d.X, g.X));
        if (iw <= 0) return 0;
        double ih = ExactMath.Sub(ExactMath.Min(ExactMath.Add(d.Y, d.Height), ExactMath.Add(g.Y, g.Height)), ExactMath.Max(d.Y, g.Y));
        if (ih <= 0) return 0;
        double intersection = ExactMath.Mul(iw, ih);
        double detectionArea = ExactMath.Mul(d.Width, d.Height);
        double union = crowd
            ? detectionArea
            : ExactMath.Sub(ExactMath.Add(detectionArea, ExactMath.Mul(g.Width, g.Height)), intersection);
        return ExactMath.Div(intersection, union);
    }

    /// <summary>VOC: the best ground truth of each slot (numpy's <c>max</c> and first <c>argmax</c>).</summary>
    public static void BestOverlap(
        Index1D slot,
        ArrayView<Box> groundTruth,
        ArrayView<int> unitGroundTruthStart,
        ArrayView<int> unitGroundTruthCount,
        ArrayView<Box> detections,
        ArrayView<int> slotUnit,
        double pixelOffset,
        ArrayView<int> bestIndex,
        ArrayView<double> bestIou)
    {
        int unit = slotUnit[slot];
        int start = unitGroundTruthStart[unit];
        int count = unitGroundTruthCount[unit];
        Box d = detections[slot];
        int jmax = -1;
        double ovmax = double.NegativeInfinity;
        for (int g = 0; g < count; g++)
        {
            double iou = VocIou(d, groundTruth[start + g], pixelOffset);
            // Strictly greater keeps the first ground truth on ties.
            if (iou > ovmax)
            {
                ovmax = iou;
                jmax = g;
            }
        }
        bestIndex[slot] = jmax;
        bestIou[slot] = ovmax;
    }

    /// <summary>COCO, first pass: how many ground truths of its unit reach the floor, per slot.</summary>
    public static void CountCandidates(
        Index1D slot,
        ArrayView<Box> groundTruth,
        ArrayView<byte> crowd,
        ArrayView<int> unitGroundTruthStart,
        ArrayView<int> unitGroundTruthCount,
        ArrayView<Box> detections,
        ArrayView<int> slotUnit,
        double floor,
        ArrayView<int> counts)
    {
        int unit = slotUnit[slot];
        int start = unitGroundTruthStart[unit];
        int count = unitGroundTruthCount[unit];
        Box d = detections[slot];
        int found = 0;
        for (int g = 0; g < count; g++)
        {
            if (CocoIou(d, groundTruth[start + g], crowd[start + g] != 0) >= floor) found++;
        }
        counts[slot] = found;
    }

    /// <summary>COCO, second pass: each slot writes its candidates, in input order, from its offset on.</summary>
    public static void FillCandidates(
        Index1D slot,
        ArrayView<Box> groundTruth,
        ArrayView<byte> crowd,
        ArrayView<int> unitGroundTruthStart,
        ArrayView<int> unitGroundTruthCount,
        ArrayView<Box> detections,
        ArrayView<int> slotUnit,
        double floor,
        ArrayView<int> offsets,
        ArrayView<int> candidateIndex,
        ArrayView<double> candidateIou)
    {
        int unit = slotUnit[slot];
        int start = unitGroundTruthStart[unit];
        int count = unitGroundTruthCount[unit];
        Box d = detections[slot];
        int next = offsets[slot];
        for (int g = 0; g < count; g++)
        {
            double iou = CocoIou(d, groundTruth[start + g], crowd[start + g] != 0);
            if (iou >= floor)
            {
                candidateIndex[next] = g;
                candidateIou[next] = iou;
                next++;
            }
        }
    }
}
