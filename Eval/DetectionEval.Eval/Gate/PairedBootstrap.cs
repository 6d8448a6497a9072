using DetectionEval.Eval.Data;

namespace DetectionEval.Eval.Gate;

// The paired bootstrap over images.
//
// Inputs: two runs (baseline and current predictions) matched against the same ground truth, so image i
// is the same image in both; the metric keys; the number of replicates B, a seed and a confidence c.
// Each replicate draws n images with replacement from the pool (by default every image once), turns the
// draw into one weight per image, and computes the keys for both runs with the same weights: that is the
// pairing, and it is what makes the difference's interval narrow where a model change is small.
// Interval: the percentile interval of the replicates' values, quantiles (1 - c) / 2 and (1 + c) / 2 with
// numpy's default linear interpolation. A replicate where a key has no value in either run (a class whose
// ground truth was not drawn) does not count for that key.
// Random numbers: Xoshiro256StarStar, one stream per replicate, so results do not depend on threads.

/// <summary>How to bootstrap.</summary>
/// <param name="Replicates">Number of resamples (1000 is a common choice).</param>
/// <param name="Seed">The seed; the same seed gives the same intervals.</param>
/// <param name="Confidence">The interval's confidence level, in (0, 1); 0.95 by default.</param>
public sealed record BootstrapSettings(int Replicates, ulong Seed = 0, double Confidence = 0.95)
{
    /// <summary>Checks the settings, throwing <see cref="ArgumentException"/> for values no bootstrap accepts.</summary>
    public void Validate()
    {
        if (Replicates < 1) throw new ArgumentException("At least one replicate is needed.", nameof(Replicates));
        if (!(Confidence > 0 && Confidence < 1)) throw new ArgumentException("The confidence must lie strictly between 0 and 1.", nameof(Confidence));
    }
}

/// <summary>A confidence interval.</summary>
/// <param name="Lower">The lower bound.</param>
/// <param name="Upper">The upper bound.</param>
/// <param name="Replicates">The replicates it rests on.</param>
public readonly record struct ConfidenceInterval(double Lower, double Upper, int Replicates)
{
    /// <summary>The interval of the negated quantity.</summary>
    public ConfidenceInterval Negate() => new(-Upper, -Lower, Replicates);
}

/// <summary>How a drop is measured: in metric points, or as a fraction of the baseline value.</summary>
public enum DropMode
{
    /// <summary><c>baseline - current</c>.</summary>
    Absolute,

    /// <summary><c>(baseline - current) / baseline</c>; 0 when the baseline is 0.</summary>
    Relative,
}

/// <summary>The replicates of a paired bootstrap and the intervals they give.</summary>
public sealed class BootstrapResult
{
    private readonly double[] _baseline;
    private readonly double[] _current;

    internal BootstrapResult(BootstrapSettings settings, IReadOnlyList<MetricKey> keys, double[] baseline, double[] current)
    {
        Settings = settings;
        Keys = keys;
        _baseline = baseline;
        _current = current;
    }

    /// <summary>How the bootstrap ran.</summary>
    public BootstrapSettings Settings { get; }

    /// <summary>The keys, in the order of <see cref="Baseline"/> and <see cref="Current"/>.</summary>
    public IReadOnlyList<MetricKey> Keys { get; }

    /// <summary>The baseline's values of key <paramref name="key"/>, one per replicate (NaN where it had none).</summary>
    public IEnumerable<double> Baseline(int key) => Column(_baseline, key);

    /// <summary>The current run's values of key <paramref name="key"/>, one per replicate (NaN where it had none).</summary>
    public IEnumerable<double> Current(int key) => Column(_current, key);

    /// <summary>The index of <paramref name="key"/>, or -1.</summary>
    public int IndexOf(MetricKey key)
    {
        for (int i = 0; i < Keys.Count; i++)
        {
            if (Keys[i] == key) return i;
        }
        return -1;
    }

    /// <summary>
    /// The interval of the drop from baseline to current (positive: the current run is worse), or null
    /// when no replicate has a value in both runs.
    /// </summary>
    public ConfidenceInterval? DropInterval(MetricKey key, DropMode mode)
    {
        int index = IndexOf(key);
        if (index < 0) return null;
        var drops = new List<double>(Settings.Replicates);
        for (int r = 0; r < Settings.Replicates; r++)
        {
            double b = _baseline[r * Keys.Count + index], c = _current[r * Keys.Count + index];
            if (double.IsNaN(b) || double.IsNaN(c)) continue;
            drops.Add(RegressionGate.Drop(b, c, mode));
        }
        if (drops.Count == 0) return null;
        drops.Sort();
        double alpha = (1 - Settings.Confidence) / 2;
        return new ConfidenceInterval(Quantile(drops, alpha), Quantile(drops, 1 - alpha), drops.Count);
    }

    /// <summary>The interval of the change from baseline to current (current minus baseline), or null.</summary>
    public ConfidenceInterval? ChangeInterval(MetricKey key) => DropInterval(key, DropMode.Absolute)?.Negate();

    /// <summary>numpy's default percentile (linear interpolation between closest ranks) of sorted values.</summary>
    internal static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        double h = (sorted.Count - 1) * q;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    private IEnumerable<double> Column(double[] values, int key)
    {
        for (int r = 0; r < Settings.Replicates; r++) yield return values[r * Keys.Count + key];
    }
}

/// <summary>Runs the paired bootstrap of two runs over the same images.</summary>
public static class PairedBootstrap
{
    /// <summary>Resamples images and computes every key of both runs per replicate.</summary>
    /// <param name="baseline">The baseline run's values.</param>
    /// <param name="current">The current run's values; same keys and images as the baseline.</param>
    /// <param name="settings">Replicates, seed, confidence.</param>
    /// <param name="pool">The images to draw from, with multiplicity; empty for every image once.</param>
    /// <param name="threads">Worker threads; null for all cores. Results never depend on it.</param>
    /// <param name="cancellation">Stops the replicates soon after it is cancelled (<see cref="OperationCanceledException"/>).</param>
    /// <param name="progress">Told the replicates as they are done (<see cref="WorkStage.Resampling"/>); null for none.</param>
    public static BootstrapResult Run(
        ResampledMetrics baseline, ResampledMetrics current, BootstrapSettings settings, ReadOnlySpan<int> pool = default, int? threads = null,
        CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        settings.Validate();
        if (baseline.ImageCount != current.ImageCount || !baseline.Keys.SequenceEqual(current.Keys))
        {
            throw new ArgumentException("Both runs need the same images and keys.", nameof(current));
        }
        int[] images = pool.IsEmpty ? [.. Enumerable.Range(0, baseline.ImageCount)] : pool.ToArray();
        if (images.Length == 0) throw new ArgumentException("There are no images to resample.", nameof(pool));
        if (images.Any(i => (uint)i >= (uint)baseline.ImageCount)) throw new ArgumentException("The pool names an image that does not exist.", nameof(pool));

        int keys = baseline.Keys.Count;
        var baselineValues = new double[settings.Replicates * keys];
        var currentValues = new double[settings.Replicates * keys];
        progress?.Begin(WorkStage.Resampling, settings.Replicates);
        Parallel.For(
            0,
            settings.Replicates,
            new ParallelOptions { MaxDegreeOfParallelism = threads ?? -1, CancellationToken = cancellation },
            () => (Weights: new int[baseline.ImageCount], A: baseline.CreateWorkspace(), B: current.CreateWorkspace()),
            (r, _, scratch) =>
            {
                Resample(settings.Seed, r, images, scratch.Weights);
                baseline.Compute(scratch.Weights, baselineValues.AsSpan(r * keys, keys), scratch.A);
                current.Compute(scratch.Weights, currentValues.AsSpan(r * keys, keys), scratch.B);
                progress?.Advance(1);
                return scratch;
            },
            _ => { });
        return new BootstrapResult(settings, baseline.Keys, baselineValues, currentValues);
    }

    /// <summary>
    /// Replicate <paramref name="replicate"/>'s draw: as many images as the pool holds, uniformly with
    /// replacement, counted per image into <paramref name="weights"/>.
    /// </summary>
    public static void Resample(ulong seed, int replicate, ReadOnlySpan<int> pool, Span<int> weights)
    {
        weights.Clear();
        var random = Xoshiro256StarStar.ForReplicate(seed, replicate);
        uint n = (uint)pool.Length;
        for (int i = 0; i < pool.Length; i++) weights[pool[(int)random.NextBelow(n)]]++;
    }

    /// <summary>The keys a bootstrap of <paramref name="categories"/> can compute for metric <paramref name="metric"/>: the summary and every class.</summary>
    public static IEnumerable<MetricKey> SummaryAndClasses(GateMetric metric, IReadOnlyList<Category> categories)
    {
        yield return new MetricKey(metric);
        if (!metric.HasPerClassValue()) yield break;
        for (int k = 0; k < categories.Count; k++) yield return new MetricKey(metric, k);
    }
}
