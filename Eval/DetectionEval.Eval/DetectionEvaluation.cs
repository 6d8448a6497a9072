using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;

namespace DetectionEval.Eval;

/// <summary>Evaluates a whole dataset at once.</summary>
public static class DetectionEvaluation
{
    /// <summary>Computes the metric families <paramref name="options"/> asks for.</summary>
    public static EvaluationResult Evaluate(Dataset dataset, EvaluationOptions? options = null)
    {
        options ??= new EvaluationOptions();
        options.Validate();
        CocoResult? coco = options.Metrics.HasFlag(MetricSet.Coco) ? CocoEvaluation.Evaluate(dataset, options) : null;
        VocResult? voc = options.Metrics.HasFlag(MetricSet.Voc) ? VocEvaluation.Evaluate(dataset, options) : null;
        return Combine(dataset, options, coco, voc);
    }

    /// <summary>
    /// The result of families evaluated one stage at a time (<see cref="CocoEvaluation.Match"/> and
    /// <see cref="CocoEvaluation.Accumulate"/>, the same for VOC), as <see cref="Evaluate"/> returns it.
    /// </summary>
    public static EvaluationResult Combine(Dataset dataset, EvaluationOptions options, CocoResult? coco, VocResult? voc) =>
        new(DatasetSummary.Of(dataset, options), dataset.Categories, coco, voc)
        {
            OperatingPoints = voc is null ? null : OperatingPointAnalysis.Compute(voc, options.ScoreThreshold, options.ConfidenceCurves),
        };
}
