namespace DetectionEval.Eval.Metrics;

// COCO precision/recall curves of a whole evaluation, for drawing.
//
// Inputs: the COCO tables (precision at the 101 recall points per threshold t, class k, area a, maxDets m).
// Rule: the curve at IoU threshold t is, at each recall point, the mean over classes whose entry is not
// -1 (area "all", the largest maxDets), the same entries the AP50 / AP75 summary averages; the
// 0.50:0.95 curve averages over all thresholds and classes, the entries behind AP. The summary values
// themselves are not recomputed here.
// Sentinels: a threshold where no class has ground truth gives null.

/// <summary>The COCO precision/recall curves behind AP50, AP75 and AP.</summary>
public static class CocoCurves
{
    /// <summary>Index of IoU 0.50 in the thresholds.</summary>
    public const int Iou50 = 0;

    /// <summary>Index of IoU 0.75 in the thresholds.</summary>
    public const int Iou75 = 5;

    /// <summary>Mean precision at each of the 101 recall points, at threshold index <paramref name="threshold"/>, or over all thresholds when null.</summary>
    /// <returns>Recall points and mean precision; null when no class has ground truth.</returns>
    public static CurvePoints? MeanPrecision(CocoResult coco, int? threshold)
    {
        ArgumentNullException.ThrowIfNull(coco);
        return MeanPrecision(coco.Tables, threshold);
    }

    /// <summary>
    /// The keypoint curves: mean precision at each recall point at OKS threshold index <paramref name="threshold"/>,
    /// or over all thresholds when null (area all, maxDets 20, the entries behind the keypoint AP50, AP75 and AP).
    /// </summary>
    /// <returns>Recall points and mean precision; null when no class has ground truth that counts.</returns>
    public static CurvePoints? MeanPrecision(CocoKeypointResult keypoints, int? threshold)
    {
        ArgumentNullException.ThrowIfNull(keypoints);
        return MeanPrecision(keypoints.Tables, threshold);
    }

    /// <summary>Area range 0 is "all" in the box, mask and keypoint tables alike; the last maxDets setting is the summary's.</summary>
    private static CurvePoints? MeanPrecision(CocoTables tables, int? threshold)
    {
        int a = 0, m = tables.MaxDetectionSettings - 1;
        int firstT = threshold ?? 0, lastT = threshold ?? tables.Thresholds - 1;
        var precision = new double[CocoTables.RecallPoints];
        for (int r = 0; r < CocoTables.RecallPoints; r++)
        {
            double sum = 0;
            int count = 0;
            for (int t = firstT; t <= lastT; t++)
            {
                for (int k = 0; k < tables.Classes; k++)
                {
                    double p = tables.Precision(t, r, k, a, m);
                    if (p < 0) continue;
                    sum += p;
                    count++;
                }
            }
            if (count == 0) return null;
            precision[r] = sum / count;
        }
        return new CurvePoints(CocoTables.RecallThresholds, precision);
    }
}
