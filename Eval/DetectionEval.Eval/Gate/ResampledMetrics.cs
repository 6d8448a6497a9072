using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Gate;

/// <summary>
/// Chosen metric values of one run for any image weights (how often a resample drew each image), from
/// its match stage, without matching again. With every weight 1 the values are exactly the evaluation's.
/// </summary>
public sealed class ResampledMetrics
{
    private readonly CocoReplicates? _coco;
    private readonly CocoReplicates? _segm;
    private readonly CocoReplicates? _keypoints;
    private readonly VocReplicates? _voc;

    /// <summary>Prepares the values of <paramref name="keys"/>.</summary>
    /// <param name="dataset">The matched dataset.</param>
    /// <param name="coco">The COCO match stage; needed when a key is a COCO metric.</param>
    /// <param name="voc">The VOC match stage; needed when a key is a VOC metric.</param>
    /// <param name="options">The options the matches were made with (maxDets).</param>
    /// <param name="keys">The values to compute, in the order <see cref="Compute(ReadOnlySpan{int}, Span{double}, Workspace)"/> writes them.</param>
    /// <param name="segm">The COCO mask match stage; needed when a key is a mask metric (<c>segm.AP</c>, ...).</param>
    /// <param name="keypoints">The COCO keypoint match stage; needed when a key is a keypoint metric.</param>
    public ResampledMetrics(
        Dataset dataset, CocoMatches? coco, VocMatches? voc, EvaluationOptions options, IReadOnlyList<MetricKey> keys,
        CocoMatches? segm = null, CocoMatches? keypoints = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(keys);
        Keys = keys;
        Categories = dataset.Categories;
        ImageCount = dataset.Images.Count;
        _coco = Replicates(dataset, coco, options, keys, IouType.Bbox, "COCO keys need the COCO matches of this dataset.", nameof(coco));
        _segm = Replicates(dataset, segm, options, keys, IouType.Segm, "Mask keys need the COCO segm matches of this dataset.", nameof(segm));
        _keypoints = Replicates(dataset, keypoints, options, keys, IouType.Keypoints, "Keypoint keys need the COCO keypoint matches of this dataset.", nameof(keypoints));
        if (keys.Any(k => k.Metric.Family() == MetricSet.Voc))
        {
            if (voc is null || voc.Dataset != dataset) throw new ArgumentException("VOC keys need the VOC matches of this dataset.", nameof(voc));
            _voc = new VocReplicates(voc);
        }
        RequireClassKeys(keys, Categories);
    }

    /// <summary>Prepares the values of <paramref name="keys"/> from replicates made elsewhere (of a run's shards), each present where a key needs it.</summary>
    internal ResampledMetrics(
        IReadOnlyList<Category> categories, int imageCount, IReadOnlyList<MetricKey> keys,
        CocoReplicates? coco, VocReplicates? voc, CocoReplicates? segm, CocoReplicates? keypoints)
    {
        Keys = keys;
        Categories = categories;
        ImageCount = imageCount;
        (_coco, _voc, _segm, _keypoints) = (coco, voc, segm, keypoints);
        RequireClassKeys(keys, categories);
    }

    private static void RequireClassKeys(IReadOnlyList<MetricKey> keys, IReadOnlyList<Category> categories)
    {
        foreach (MetricKey key in keys)
        {
            if (key.ClassIndex is int k && ((uint)k >= (uint)categories.Count || !key.Metric.HasPerClassValue()))
            {
                throw new ArgumentException($"{key.Metric.SummaryName()} has no value for class index {k}.", nameof(keys));
            }
        }
    }

    /// <summary>The replicates of the COCO keys of one iou type; null when there are none.</summary>
    private static CocoReplicates? Replicates(
        Dataset dataset, CocoMatches? matches, EvaluationOptions options, IReadOnlyList<MetricKey> keys, IouType iouType, string missing, string parameter)
    {
        MetricKey[] own = [.. keys.Where(k => k.Metric.Family() == MetricSet.Coco && k.Metric.IouType() == iouType)];
        if (own.Length == 0) return null;
        if (matches is null || matches.Dataset != dataset) throw new ArgumentException(missing, parameter);
        return new CocoReplicates(matches, options, own);
    }

    /// <summary>The values <see cref="Compute(ReadOnlySpan{int}, Span{double}, Workspace)"/> writes, in order.</summary>
    public IReadOnlyList<MetricKey> Keys { get; }

    /// <summary>The classes, in ascending id order.</summary>
    public IReadOnlyList<Category> Categories { get; }

    /// <summary>Images of the dataset: the length of a weight vector.</summary>
    public int ImageCount { get; }

    /// <summary>Scratch buffers for one thread; reuse it for every call on that thread.</summary>
    public sealed class Workspace
    {
        internal Workspace(ResampledMetrics owner)
        {
            Coco = owner._coco?.CreateWorkspace();
            Segm = owner._segm?.CreateWorkspace();
            Keypoints = owner._keypoints?.CreateWorkspace();
            int events = Math.Max(owner._voc?.MostTruePositives ?? 0, 1);
            Recall = new double[events];
            Precision = new double[events];
            ApScratch = new double[3 * events + 5];
            int classes = owner._voc?.Classes ?? 0;
            Ap07 = new double[classes];
            ApAll = new double[classes];
            Means = new double[classes];
            Weights = new int[owner.ImageCount];
        }

        internal readonly CocoReplicates.Workspace? Coco, Segm, Keypoints;
        internal readonly double[] Recall, Precision, ApScratch, Ap07, ApAll, Means;
        internal readonly int[] Weights;
    }

    /// <summary>A workspace for one thread.</summary>
    public Workspace CreateWorkspace() => new(this);

    /// <summary>Writes the value of every key for <paramref name="weights"/>; NaN where a report would say null.</summary>
    /// <param name="weights">One weight per image (indexed like the dataset's images).</param>
    /// <param name="values">Receives one value per key.</param>
    /// <param name="workspace">This thread's workspace.</param>
    public void Compute(ReadOnlySpan<int> weights, Span<double> values, Workspace workspace)
    {
        if (weights.Length != ImageCount) throw new ArgumentException("One weight per image is needed.", nameof(weights));
        weights.CopyTo(workspace.Weights);
        Compute(workspace.Weights, values, workspace);
    }

    /// <summary>As the public overload, with the weights in an array (the bootstrap's own, which needs no copy).</summary>
    internal void Compute(int[] weights, Span<double> values, Workspace workspace)
    {
        if (weights.Length != ImageCount) throw new ArgumentException("One weight per image is needed.", nameof(weights));
        if (values.Length < Keys.Count) throw new ArgumentException("One value per key is needed.", nameof(values));
        _coco?.Accumulate(weights, workspace.Coco!);
        _segm?.Accumulate(weights, workspace.Segm!);
        _keypoints?.Accumulate(weights, workspace.Keypoints!);
        if (_voc is not null) AccumulateVoc(weights, workspace);
        for (int i = 0; i < Keys.Count; i++)
        {
            MetricKey key = Keys[i];
            values[i] = key.Metric.Family() == MetricSet.Voc ? VocValue(key, workspace) : key.Metric.IouType() switch
            {
                IouType.Segm => _segm!.Value(key, workspace.Segm!),
                IouType.Keypoints => _keypoints!.Value(key, workspace.Keypoints!),
                _ => _coco!.Value(key, workspace.Coco!),
            };
        }
    }

    private void AccumulateVoc(int[] weights, Workspace ws)
    {
        for (int k = 0; k < _voc!.Classes; k++) (ws.Ap07[k], ws.ApAll[k]) = _voc.ClassAp(k, weights, ws.Recall, ws.Precision, ws.ApScratch);
    }

    /// <summary>Rule: the means are numpy means over the classes with positives, in ascending class id.</summary>
    private static double VocValue(MetricKey key, Workspace ws)
    {
        double[] perClass = key.Metric == GateMetric.VocAp07 ? ws.Ap07 : ws.ApAll;
        if (key.ClassIndex is int k) return perClass[k];
        int n = 0;
        foreach (double ap in perClass)
        {
            if (!double.IsNaN(ap)) ws.Means[n++] = ap;
        }
        return n == 0 ? double.NaN : NumpySum.Mean(ws.Means.AsSpan(0, n));
    }
}
