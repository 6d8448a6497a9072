using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Gate;

/// <summary>The paired bootstrap of two evaluation runs, from the match records they kept.</summary>
public static class RunBootstrap
{
    /// <summary>
    /// Runs the paired bootstrap of <paramref name="baseline"/> and <paramref name="current"/>, two runs over
    /// the same images (the same ground truth with two prediction sets) that kept their match records
    /// (<see cref="RunProducts.Matches"/>): resampled images re-accumulate the records, nothing is matched again.
    /// </summary>
    /// <param name="baseline">The baseline run.</param>
    /// <param name="current">The current run, over the same images.</param>
    /// <param name="keys">The metrics to resample.</param>
    /// <param name="settings">Replicates, seed, confidence.</param>
    /// <param name="threads">Worker threads; null for all cores. Results never depend on it.</param>
    /// <param name="cancellation">Stops the replicates soon after it is cancelled (<see cref="OperationCanceledException"/>).</param>
    /// <param name="progress">Told the replicates as they are done (<see cref="WorkStage.Resampling"/>); null for none.</param>
    /// <exception cref="ArgumentException">The runs do not share their images, or did not keep their matches.</exception>
    public static BootstrapResult Compare(
        EvaluationRun baseline, EvaluationRun current, IReadOnlyList<MetricKey> keys, BootstrapSettings settings, int? threads = null, CancellationToken cancellation = default,
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
        Task<ResampledMetrics> baselineMetrics = threads == 1 ? Task.FromResult(Resampled(baseline, keys)) : Task.Run(() => Resampled(baseline, keys));
        ResampledMetrics currentMetrics = Resampled(current, keys);
        return PairedBootstrap.Run(baselineMetrics.GetAwaiter().GetResult(), currentMetrics, settings, threads: threads, cancellation: cancellation, progress: progress);
    }

    /// <summary>
    /// Runs the paired bootstrap of two runs given as partial results: every shard of a file run
    /// (<see cref="EvaluationPipeline.RunShard"/>) of each, both over the same ground truth. The result is the
    /// one <see cref="Compare(EvaluationRun, EvaluationRun, IReadOnlyList{MetricKey}, BootstrapSettings, int?, CancellationToken, IProgressSink?)"/>
    /// gives for the single runs, bit for bit, however many shards each run was split into.
    /// </summary>
    /// <exception cref="ArgumentException">The partials are not every shard of a file run, or the two runs' ground truths differ.</exception>
    public static BootstrapResult Compare(
        IReadOnlyList<PartialResult> baseline, IReadOnlyList<PartialResult> current, IReadOnlyList<MetricKey> keys, BootstrapSettings settings, int? threads = null,
        CancellationToken cancellation = default, IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        if (baseline.Concat(current).Select(p => p.GroundTruthFingerprint).Distinct().Count() != 1)
        {
            throw new ArgumentException("A paired bootstrap needs two runs over the same ground truth.", nameof(current));
        }
        Task<ResampledMetrics> baselineMetrics = threads == 1 ? Task.FromResult(ShardReplicates.Resampled(baseline, keys)) : Task.Run(() => ShardReplicates.Resampled(baseline, keys));
        ResampledMetrics currentMetrics = ShardReplicates.Resampled(current, keys);
        return PairedBootstrap.Run(baselineMetrics.GetAwaiter().GetResult(), currentMetrics, settings, threads: threads, cancellation: cancellation, progress: progress);
    }

    /// <summary>The values of <paramref name="keys"/> of a run under any image weights.</summary>
    /// <exception cref="ArgumentException">The run did not keep its match records.</exception>
    public static ResampledMetrics Resampled(EvaluationRun run, IReadOnlyList<MetricKey> keys)
    {
        ArgumentNullException.ThrowIfNull(run);
        MatchRecords matches = run.Matches ?? throw new ArgumentException("Resampling needs a run that kept its match records (RunProducts.Matches).", nameof(run));
        return new ResampledMetrics(run.Dataset, matches.Coco, matches.Voc, run.Options, keys, matches.CocoSegm, matches.CocoKeypoints);
    }
}
