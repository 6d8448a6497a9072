namespace DetectionEval.Eval.Metrics;

/// <summary>
/// pycocotools' <c>eval['precision']</c> and <c>eval['recall']</c> arrays, with typed accessors.
/// </summary>
/// <remarks>
/// Layout: precision is row-major [threshold t][recall point r][class k][area range a][maxDets m];
/// recall is [t][k][a][m]. -1 marks a (k, a, m) without ground truth that counts, as in pycocotools.
/// </remarks>
internal sealed class CocoTables
{
    internal CocoTables(int thresholds, int classes, int areaRanges, int maxDetectionSettings)
    {
        Thresholds = thresholds;
        Classes = classes;
        AreaRanges = areaRanges;
        MaxDetectionSettings = maxDetectionSettings;
        PrecisionValues = new double[thresholds * RecallPoints * classes * areaRanges * maxDetectionSettings];
        RecallValues = new double[thresholds * classes * areaRanges * maxDetectionSettings];
        Array.Fill(PrecisionValues, -1.0);
        Array.Fill(RecallValues, -1.0);
    }

    /// <summary>
    /// The 101 recall points as the doubles <c>np.linspace(0, 1, 101)</c> gives: <c>r * 0.01</c>, and 1.0
    /// at the end. Ten of them are one ulp above r/100 (0.35000000000000003 at r = 35, for example), so a
    /// recall of exactly 35/100 does not reach point 35.
    /// </summary>
    public static IReadOnlyList<double> RecallThresholds { get; } = MakeRecallThresholds();

    private static double[] MakeRecallThresholds()
    {
        var thresholds = new double[101];
        for (int r = 0; r < 100; r++) thresholds[r] = r * 0.01;
        thresholds[100] = 1.0;
        return thresholds;
    }

    /// <summary>Number of recall points (101).</summary>
    public static int RecallPoints => 101;

    /// <summary>Number of IoU thresholds.</summary>
    public int Thresholds { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Number of area ranges.</summary>
    public int AreaRanges { get; }

    /// <summary>Number of maxDets settings.</summary>
    public int MaxDetectionSettings { get; }

    internal double[] PrecisionValues { get; }

    internal double[] RecallValues { get; }

    internal int PrecisionIndex(int t, int r, int k, int a, int m) =>
        (((t * RecallPoints + r) * Classes + k) * AreaRanges + a) * MaxDetectionSettings + m;

    internal int RecallIndex(int t, int k, int a, int m) => ((t * Classes + k) * AreaRanges + a) * MaxDetectionSettings + m;

    /// <summary>Interpolated precision at recall point <paramref name="r"/>, or -1 without ground truth.</summary>
    public double Precision(int t, int r, int k, int a, int m) => PrecisionValues[PrecisionIndex(t, r, k, a, m)];

    /// <summary>Final recall, or -1 without ground truth.</summary>
    public double Recall(int t, int k, int a, int m) => RecallValues[RecallIndex(t, k, a, m)];
}
