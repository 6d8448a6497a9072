namespace DetectionEval.Matching.Keypoints;

// Object keypoint similarity (OKS), as pycocotools' COCOeval.computeOks computes it.
//
// Inputs: a ground truth's keypoints as flat (x, y, v) triples, its box [x, y, w, h] and its `area` field;
// a detection's keypoints as flat (x, y, ·) triples (the third value is not read); one sigma per keypoint.
// e_i = (((dx² + dy²) / κ_i) / (area + ε)) / 2 with κ_i = (2σ_i)², evaluated in that order; OKS = the
// mean of exp(−e_i) over the labelled keypoints (v > 0), or, for a ground truth without any, over all
// keypoints measured against its box enlarged to three times its size about itself.
// Reference: cocodataset/cocoapi PythonAPI/pycocotools/cocoeval.py (computeOks); the sum is numpy's
// (pairwise with eight accumulators from eight terms on), so the last bit follows the reference's order.

/// <summary>pycocotools' OKS between a detection's and a ground truth's keypoints.</summary>
public static class OksRules
{
    /// <summary>pycocotools' <c>np.spacing(1)</c>, added to the area.</summary>
    private const double Epsilon = 2.220446049250313e-16;

    /// <summary>
    /// The 17 COCO person keypoint sigmas as pycocotools makes them (<c>np.array([.26, .25, ...]) / 10.0</c>):
    /// nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles.
    /// </summary>
    public static IReadOnlyList<double> CocoPersonSigmas { get; } =
    [
        .26 / 10.0, .25 / 10.0, .25 / 10.0, .35 / 10.0, .35 / 10.0, .79 / 10.0, .79 / 10.0, .72 / 10.0, .72 / 10.0,
        .62 / 10.0, .62 / 10.0, 1.07 / 10.0, 1.07 / 10.0, .87 / 10.0, .87 / 10.0, .89 / 10.0, .89 / 10.0,
    ];

    /// <summary>The OKS of one (detection, ground truth) pair.</summary>
    /// <param name="detection">The detection's (x, y, score) triples, one per sigma.</param>
    /// <param name="groundTruth">The ground truth's (x, y, visibility) triples, one per sigma.</param>
    /// <param name="groundTruthBox">The ground truth's box (read only when no keypoint is labelled).</param>
    /// <param name="groundTruthArea">The ground truth's <c>area</c> field.</param>
    /// <param name="sigmas">One sigma per keypoint.</param>
    /// <param name="terms">Scratch of at least <c>sigmas.Length</c> doubles.</param>
    public static double Oks(
        ReadOnlySpan<double> detection, ReadOnlySpan<double> groundTruth, Box groundTruthBox, double groundTruthArea,
        ReadOnlySpan<double> sigmas, Span<double> terms)
    {
        int k = sigmas.Length;
        if (detection.Length != 3 * k || groundTruth.Length != 3 * k)
        {
            throw new ArgumentException($"Keypoints must hold 3 values for each of the {k} sigmas.", nameof(detection));
        }
        int labelled = 0;
        for (int i = 0; i < k; i++) labelled += groundTruth[(3 * i) + 2] > 0 ? 1 : 0;
        // The box enlarged to three times its size: [x - w, x + 2w] by [y - h, y + 2h].
        double x0 = groundTruthBox.X - groundTruthBox.Width, x1 = groundTruthBox.X + (groundTruthBox.Width * 2);
        double y0 = groundTruthBox.Y - groundTruthBox.Height, y1 = groundTruthBox.Y + (groundTruthBox.Height * 2);
        double area = groundTruthArea + Epsilon;
        int n = 0;
        for (int i = 0; i < k; i++)
        {
            double xd = detection[3 * i], yd = detection[(3 * i) + 1];
            double dx, dy;
            if (labelled > 0)
            {
                // Rule: only the labelled keypoints count.
                if (!(groundTruth[(3 * i) + 2] > 0)) continue;
                dx = xd - groundTruth[3 * i];
                dy = yd - groundTruth[(3 * i) + 1];
            }
            else
            {
                dx = Math.Max(0, x0 - xd) + Math.Max(0, xd - x1);
                dy = Math.Max(0, y0 - yd) + Math.Max(0, yd - y1);
            }
            double kappa = (sigmas[i] * 2) * (sigmas[i] * 2);
            double e = (((dx * dx) + (dy * dy)) / kappa / area) / 2;
            terms[n++] = Math.Exp(-e);
        }
        return NumpyOrderSum(terms[..n]) / n;
    }

    /// <summary>numpy's sum of a short contiguous array: left to right below 8, else eight accumulators (n ≤ 128).</summary>
    internal static double NumpyOrderSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double s = 0;
            foreach (double v in a) s += v;
            return s;
        }
        if (n > 128)
        {
            int m = n / 2;
            m -= m % 8;
            return NumpyOrderSum(a[..m]) + NumpyOrderSum(a[m..]);
        }
        Span<double> r = stackalloc double[8];
        a[..8].CopyTo(r);
        int i = 8;
        for (; i < n - (n % 8); i += 8)
        {
            for (int j = 0; j < 8; j++) r[j] += a[i + j];
        }
        double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) sum += a[i];
        return sum;
    }
}
