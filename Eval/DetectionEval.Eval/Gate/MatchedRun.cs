using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;

namespace DetectionEval.Eval.Gate;

/// <summary>
/// An evaluation that keeps its match stage, so that a bootstrap can re-accumulate it under resampled
/// image weights without matching again.
/// </summary>
/// <param name="Dataset">The evaluated dataset.</param>
/// <param name="Options">The options it was evaluated with.</param>
/// <param name="Result">The results, exactly as <see cref="DetectionEvaluation.Evaluate"/> gives them.</param>
/// <param name="Coco">The COCO match stage, when COCO was asked for.</param>
/// <param name="Voc">The VOC match stage, when VOC was asked for.</param>
public sealed record MatchedRun(Dataset Dataset, EvaluationOptions Options, EvaluationResult Result, CocoMatches? Coco, VocMatches? Voc)
{
    /// <summary>Matches and accumulates <paramref name="dataset"/>, keeping the matches.</summary>
    public static MatchedRun Evaluate(Dataset dataset, EvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        options.Validate();
        CocoMatches? coco = options.Metrics.HasFlag(MetricSet.Coco) ? CocoEvaluation.Match(dataset, options) : null;
        VocMatches? voc = options.Metrics.HasFlag(MetricSet.Voc) ? VocEvaluation.Match(dataset, options) : null;
        VocResult? vocResult = voc is null ? null : VocEvaluation.Accumulate(voc, options);
        // The same result DetectionEvaluation.Evaluate gives, operating points included.
        var result = new EvaluationResult(
            DatasetSummary.Of(dataset, options),
            dataset.Categories,
            coco is null ? null : CocoEvaluation.Accumulate(coco, options),
            vocResult)
        {
            OperatingPoints = vocResult is null ? null : OperatingPointAnalysis.Compute(vocResult, options.ScoreThreshold),
        };
        return new MatchedRun(dataset, options, result, coco, voc);
    }

    /// <summary>The values of <paramref name="keys"/> under any image weights.</summary>
    public ResampledMetrics Resampled(IReadOnlyList<MetricKey> keys) => new(Dataset, Coco, Voc, Options, keys);

    /// <summary>
    /// Runs the paired bootstrap of <paramref name="baseline"/> and <paramref name="current"/>, two runs
    /// over the same images (the same ground truth with two prediction sets).
    /// </summary>
    /// <param name="baseline">The baseline run.</param>
    /// <param name="current">The current run, over the same images.</param>
    /// <param name="keys">The metrics to resample.</param>
    /// <param name="settings">Replicates, seed, confidence.</param>
    /// <param name="threads">Worker threads; null for all cores. Results never depend on it.</param>
    /// <param name="cancellation">Stops the replicates soon after it is cancelled (<see cref="OperationCanceledException"/>).</param>
    /// <param name="progress">Told the replicates as they are done (<see cref="WorkStage.Resampling"/>); null for none.</param>
    /// <exception cref="ArgumentException">The runs do not share their images.</exception>
    public static BootstrapResult Bootstrap(
        MatchedRun baseline, MatchedRun current, IReadOnlyList<MetricKey> keys, BootstrapSettings settings, int? threads = null, CancellationToken cancellation = default,
        IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        if (baseline.Dataset.Images.Count != current.Dataset.Images.Count
            || !baseline.Dataset.Images.Select(i => i.Id).SequenceEqual(current.Dataset.Images.Select(i => i.Id)))
        {
            throw new ArgumentException("A paired bootstrap needs two runs over the same images in the same order.", nameof(current));
        }
        // Each run's records are sorted and cut once, the two runs at the same time.
        Task<ResampledMetrics> baselineMetrics = threads == 1 ? Task.FromResult(baseline.Resampled(keys)) : Task.Run(() => baseline.Resampled(keys));
        ResampledMetrics currentMetrics = current.Resampled(keys);
        return PairedBootstrap.Run(baselineMetrics.GetAwaiter().GetResult(), currentMetrics, settings, threads: threads, cancellation: cancellation, progress: progress);
    }
}
