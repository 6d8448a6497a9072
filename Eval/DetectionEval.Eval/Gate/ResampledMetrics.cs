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
    private readonly VocReplicates? _voc;

    /// <summary>Prepares the values of <paramref name="keys"/>.</summary>
    /// <param name="dataset">The matched dataset.</param>
    /// <param name="coco">The COCO match stage; needed when a key is a COCO metric.</param>
    /// <param name="voc">The VOC match stage; needed when a key is a VOC metric.</param>
    /// <param name="options">The options the matches were made with (maxDets).</param>
    /// <param name="keys">The values to compute, in the order <see cref="Compute(ReadOnlySpan{int}, Span{double}, Workspace)"/> writes them.</param>
    public ResampledMetrics(Dataset dataset, CocoMatches? coco, VocMatches? voc, EvaluationOptions options, IReadOnlyList<MetricKey> keys)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Keys = keys;
        Categories = dataset.Categories;
        ImageCount = dataset.Images.Count;
        MetricKey[] cocoKeys = [.. keys.Where(k => k.Metric.Family() == MetricSet.Coco)];
        if (cocoKeys.Length > 0)
        {
            if (coco is null || coco.Dataset != dataset) throw new ArgumentException("COCO keys need the COCO matches of this dataset.", nameof(coco));
            _coco = new CocoReplicates(coco, options, cocoKeys);
        }
        if (keys.Any(k => k.Metric.Family() == MetricSet.Voc))
        {
            if (voc is null || voc.Dataset != dataset) throw new ArgumentException("VOC keys need the VOC matches of this dataset.", nameof(voc));
            _voc = new VocReplicates(voc);
        }
        foreach (MetricKey key in keys)
        {
            if (key.ClassIndex is int k && ((uint)k >= (uint)Categories.Count || !key.Metric.HasPerClassValue()))
            {
                throw new ArgumentException($"{key.Metric.SummaryName()} has no value for class index {k}.", nameof(keys));
            }
        }
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

        internal readonly CocoReplicates.Workspace? Coco;
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
        if (_coco is not null) _coco.Accumulate(weights, workspace.Coco!);
        if (_voc is not null) AccumulateVoc(weights, workspace);
        for (int i = 0; i < Keys.Count; i++)
        {
            MetricKey key = Keys[i];
            values[i] = key.Metric.Family() == MetricSet.Coco ? _coco!.Value(key, workspace.Coco!) : VocValue(key, workspace);
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
