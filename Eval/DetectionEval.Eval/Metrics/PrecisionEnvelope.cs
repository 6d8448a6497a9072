namespace DetectionEval.Eval.Metrics;

// The interpolated precision envelope that VOC all-point AP integrates, as drawable points.
//
// Inputs: a class's raw curve (recall and precision after each detection, in score order).
// Rule (voc_ap, use_07_metric=False): mrec = [0, rec..., 1], mpre = [0, prec..., 0]; mpre[i] becomes the
// largest precision at or after i; the area is the sum over recall changes of (mrec[i+1] - mrec[i]) *
// mpre[i+1]. The envelope returned here is that step function: for every i where recall changes, the
// segment (mrec[i], mpre[i+1]) -> (mrec[i+1], mpre[i+1]), so the area under the drawn steps is the AP.
// Sentinels: an empty curve gives the single segment (0, 0) -> (1, 0).

/// <summary>Points of a curve, for drawing.</summary>
/// <param name="Recall">Recall of each point.</param>
/// <param name="Precision">Precision of each point.</param>
public sealed record CurvePoints(IReadOnlyList<double> Recall, IReadOnlyList<double> Precision);

/// <summary>The precision envelope of VOC all-point AP.</summary>
public static class PrecisionEnvelope
{
    /// <summary>The envelope of a raw curve as a step line whose area is the all-point AP.</summary>
    public static CurvePoints Of(IReadOnlyList<double> recall, IReadOnlyList<double> precision)
    {
        ArgumentNullException.ThrowIfNull(recall);
        ArgumentNullException.ThrowIfNull(precision);
        if (recall.Count != precision.Count) throw new ArgumentException("Recall and precision must have the same length.", nameof(precision));
        int n = recall.Count + 2;
        double[] mrec = new double[n], mpre = new double[n];
        for (int i = 0; i < recall.Count; i++)
        {
            mrec[i + 1] = recall[i];
            mpre[i + 1] = precision[i];
        }
        mrec[n - 1] = 1.0;
        for (int i = n - 1; i > 0; i--) mpre[i - 1] = Math.Max(mpre[i - 1], mpre[i]);

        // Two points per recall change, in arrays of that size: charts thin these curves without copying them.
        int changes = 0;
        for (int i = 0; i < n - 1; i++)
        {
            if (mrec[i + 1] != mrec[i]) changes++;
        }
        double[] x = new double[2 * changes], y = new double[2 * changes];
        for (int i = 0, j = 0; i < n - 1; i++)
        {
            if (mrec[i + 1] == mrec[i]) continue;
            (x[j], y[j]) = (mrec[i], mpre[i + 1]);
            (x[j + 1], y[j + 1]) = (mrec[i + 1], mpre[i + 1]);
            j += 2;
        }
        return new CurvePoints(x, y);
    }
}
