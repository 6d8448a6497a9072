using System.Runtime.Intrinsics;

namespace DetectionEval.Matching.Voc;

// The VOC best-overlap search (numpy's max and first argmax of one detection's IoUs with the unit's ground
// truth), four ground truths at a time with Vector256<double>.
//
// Inputs: one detection; the unit's ground truth as columns (x1, y1, x2, y2 and the area term, each padded
// to a multiple of four with boxes that never win), built once per unit by Prepare.
// Exactness: every lane performs IouRules.Voc's operations in its order (add, subtract, multiply, divide,
// min and max are IEEE-exact per lane, and AVX has no fused multiply-add unless asked for), so each IoU is
// the scalar rule's double. Lane j keeps the first maximum of ground truths j, j + 4, ...; the lanes are
// then reduced to the largest value and, among equal values, the smallest index: the scalar first argmax.
// Sentinels: padding boxes have IoU -infinity, below any real IoU (which is at least 0).

/// <summary>Per-unit columns of ground-truth boxes for <see cref="VocBestOverlapSimd"/>.</summary>
public sealed class VocGroundTruthColumns
{
    internal double[] X1 = [], Y1 = [], X2 = [], Y2 = [], Area = [];
    internal int Count;
    internal int Padded;
}

/// <summary>The VOC best-overlap search with 256-bit vectors; results equal <see cref="VocMatcher.FindBestOverlap"/>.</summary>
public static class VocBestOverlapSimd
{
    /// <summary>True where 256-bit vectors of doubles are accelerated.</summary>
    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    /// <summary>Lays out <paramref name="groundTruth"/> as columns, with the area term of the rule precomputed.</summary>
    public static void Prepare(ReadOnlySpan<Box> groundTruth, double pixelOffset, VocGroundTruthColumns columns)
    {
        int count = groundTruth.Length;
        int padded = (count + 3) & ~3;
        if (columns.X1.Length < padded)
        {
            int size = Math.Max(padded, columns.X1.Length * 2);
            columns.X1 = new double[size];
            columns.Y1 = new double[size];
            columns.X2 = new double[size];
            columns.Y2 = new double[size];
            columns.Area = new double[size];
        }
        for (int g = 0; g < count; g++)
        {
            Box b = groundTruth[g];
            double x2 = b.X2, y2 = b.Y2;
            columns.X1[g] = b.X;
            columns.Y1[g] = b.Y;
            columns.X2[g] = x2;
            columns.Y2[g] = y2;
            // IouRules.Voc: ((gx2 - gx1) + offset) * ((gy2 - gy1) + offset), from the corners.
            columns.Area[g] = ((x2 - b.X) + pixelOffset) * ((y2 - b.Y) + pixelOffset);
        }
        columns.Count = count;
        columns.Padded = padded;
    }

    /// <summary>The first ground truth with the largest VOC IoU for <paramref name="detection"/>.</summary>
    public static BestOverlap FindBestOverlap(in Box detection, VocGroundTruthColumns columns, double pixelOffset)
    {
        int count = columns.Count;
        if (count == 0) return BestOverlap.None;
        double dx1s = detection.X, dy1s = detection.Y, dx2s = detection.X2, dy2s = detection.Y2;
        Vector256<double> dx1 = Vector256.Create(dx1s), dy1 = Vector256.Create(dy1s);
        Vector256<double> dx2 = Vector256.Create(dx2s), dy2 = Vector256.Create(dy2s);
        Vector256<double> offset = Vector256.Create(pixelOffset);
        Vector256<double> zero = Vector256<double>.Zero;
        Vector256<double> detectionArea = Vector256.Create(((dx2s - dx1s) + pixelOffset) * ((dy2s - dy1s) + pixelOffset));
        Vector256<double> best = Vector256.Create(double.NegativeInfinity);
        Vector256<long> bestIndex = Vector256.Create(-1L);
        Vector256<long> index = Vector256.Create(0L, 1L, 2L, 3L);
        Vector256<long> four = Vector256.Create(4L);
        Vector256<long> lastReal = Vector256.Create((long)count - 1);
        Vector256<double> negativeInfinity = Vector256.Create(double.NegativeInfinity);

        for (int g = 0; g < columns.Padded; g += 4)
        {
            Vector256<double> gx1 = Vector256.Create(columns.X1.AsSpan(g, 4));
            Vector256<double> gy1 = Vector256.Create(columns.Y1.AsSpan(g, 4));
            Vector256<double> gx2 = Vector256.Create(columns.X2.AsSpan(g, 4));
            Vector256<double> gy2 = Vector256.Create(columns.Y2.AsSpan(g, 4));
            Vector256<double> groundTruthArea = Vector256.Create(columns.Area.AsSpan(g, 4));
            // iw = max((min(x2_d, x2_g) - max(x1_d, x1_g)) + offset, 0), the same for ih.
            Vector256<double> iw = Vector256.Max((Vector256.Min(dx2, gx2) - Vector256.Max(dx1, gx1)) + offset, zero);
            Vector256<double> ih = Vector256.Max((Vector256.Min(dy2, gy2) - Vector256.Max(dy1, gy1)) + offset, zero);
            Vector256<double> intersection = iw * ih;
            Vector256<double> union = (detectionArea + groundTruthArea) - intersection;
            // union > 0 ? intersection / union : 0, lane by lane.
            Vector256<double> iou = Vector256.ConditionalSelect(Vector256.GreaterThan(union, zero), intersection / union, zero);
            // Padding lanes past the last ground truth never win.
            iou = Vector256.ConditionalSelect(Vector256.GreaterThan(index, lastReal).AsDouble(), negativeInfinity, iou);
            // Strictly greater keeps each lane's first maximum.
            Vector256<double> better = Vector256.GreaterThan(iou, best);
            best = Vector256.ConditionalSelect(better, iou, best);
            bestIndex = Vector256.ConditionalSelect(better.AsInt64(), index, bestIndex);
            index += four;
        }
        return ReduceLanes(best, bestIndex);
    }

    /// <summary>The largest lane value; among equal values the smallest index, as the scalar first argmax.</summary>
    private static BestOverlap ReduceLanes(Vector256<double> best, Vector256<long> bestIndex)
    {
        double value = best.GetElement(0);
        long index = bestIndex.GetElement(0);
        for (int lane = 1; lane < 4; lane++)
        {
            double v = best.GetElement(lane);
            long i = bestIndex.GetElement(lane);
            if (v > value || (v == value && i >= 0 && (index < 0 || i < index)))
            {
                value = v;
                index = i;
            }
        }
        return new BestOverlap((int)index, value);
    }
}
