namespace DetectionEval.Eval.Metrics;

/// <summary>The two VOC AP calculators (<c>voc_ap</c> with <c>use_07_metric</c> true and false).</summary>
public static class VocAp
{
    /// <summary>
    /// The 11 recall thresholds as the doubles <c>np.arange(0, 1.1, 0.1)</c> gives; three are not the
    /// decimal literal (0.30000000000000004, 0.6000000000000001, 0.7000000000000001), so a recall of
    /// exactly 3/10 does not reach the fourth threshold.
    /// </summary>
    public static IReadOnlyList<double> ElevenPointThresholds { get; } =
        [0.0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9, 1.0];

    /// <summary>
    /// VOC2007 11-point AP: for each threshold in order, the largest precision at a recall at or above it
    /// (0 if none), divided by 11 and then added: <c>ap = ap + p / 11.0</c>.
    /// </summary>
    /// <param name="recall">Recall after each detection (non-decreasing).</param>
    /// <param name="precision">Precision after each detection.</param>
    public static double ElevenPoint(ReadOnlySpan<double> recall, ReadOnlySpan<double> precision) =>
        ElevenPoint(recall, precision, new double[precision.Length]);

    /// <summary><see cref="ElevenPoint(ReadOnlySpan{double}, ReadOnlySpan{double})"/> with caller-owned scratch of at least <c>precision.Length</c> entries.</summary>
    internal static double ElevenPoint(ReadOnlySpan<double> recall, ReadOnlySpan<double> precision, Span<double> suffixMax)
    {
        // Recall never decreases, so "precision at recall >= threshold" is a suffix: keep suffix maxima.
        double running = double.NegativeInfinity;
        for (int i = precision.Length - 1; i >= 0; i--)
        {
            running = Math.Max(running, precision[i]);
            suffixMax[i] = running;
        }
        double ap = 0.0;
        int first = 0;
        foreach (double threshold in ElevenPointThresholds)
        {
            while (first < recall.Length && !(recall[first] >= threshold)) first++;
            double p = first < recall.Length ? suffixMax[first] : 0.0;
            ap += p / 11.0;
        }
        return ap;
    }

    /// <summary>
    /// VOC2010+ all-point AP: the area under the precision envelope,
    /// <c>sum((mrec[i+1] - mrec[i]) * mpre[i+1])</c> over the points where recall changes, summed the
    /// way numpy sums.
    /// </summary>
    /// <param name="recall">Recall after each detection (non-decreasing).</param>
    /// <param name="precision">Precision after each detection.</param>
    public static double AllPoint(ReadOnlySpan<double> recall, ReadOnlySpan<double> precision) =>
        AllPoint(recall, precision, new double[recall.Length + 2], new double[recall.Length + 2], new double[recall.Length + 1]);

    /// <summary>
    /// <see cref="AllPoint(ReadOnlySpan{double}, ReadOnlySpan{double})"/> with caller-owned scratch: <paramref name="mrec"/>
    /// and <paramref name="mpre"/> of at least <c>recall.Length + 2</c> entries, <paramref name="terms"/> of at least <c>recall.Length + 1</c>.
    /// </summary>
    internal static double AllPoint(ReadOnlySpan<double> recall, ReadOnlySpan<double> precision, Span<double> mrec, Span<double> mpre, Span<double> terms)
    {
        int n = recall.Length + 2;
        mrec[0] = 0.0;
        mpre[0] = 0.0;
        recall.CopyTo(mrec[1..]);
        precision.CopyTo(mpre[1..]);
        mrec[n - 1] = 1.0;
        mpre[n - 1] = 0.0;
        for (int i = n - 1; i > 0; i--) mpre[i - 1] = Math.Max(mpre[i - 1], mpre[i]);

        int count = 0;
        for (int i = 0; i < n - 1; i++)
        {
            if (mrec[i + 1] != mrec[i]) terms[count++] = (mrec[i + 1] - mrec[i]) * mpre[i + 1];
        }
        return NumpySum.Sum(terms[..count]);
    }
}
