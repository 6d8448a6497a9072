using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Matches;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Matching.Tide;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Tests;

/// <summary>The pipeline's runs of a dataset built in a test.</summary>
internal static class Evaluations
{
    /// <summary>The numbers of an in-memory run.</summary>
    public static EvaluationResult Of(Dataset dataset, EvaluationOptions? options = null, CancellationToken cancellation = default) =>
        EvaluationPipeline.Run(new EvaluationRequest(new DatasetInputs(dataset)) { Options = options ?? new EvaluationOptions() }, cancellation: cancellation).Result;

    /// <summary>An in-memory run that keeps its match records (for a bootstrap) and, when asked, adds the analysis.</summary>
    public static EvaluationRun Run(Dataset dataset, EvaluationOptions? options = null, bool keepMatches = true, AnalysisRequest? analysis = null) =>
        EvaluationPipeline.Run(new EvaluationRequest(new DatasetInputs(dataset))
        {
            Options = options ?? new EvaluationOptions(),
            Keep = keepMatches ? RunProducts.Matches : RunProducts.Results,
            Analysis = analysis,
        });

    /// <summary>The VOC match stage of a dataset under <paramref name="profile"/>, with the overlaps the analyses read.</summary>
    public static VocMatches VocRecords(Dataset dataset, VocMatchSettings? profile = null, int? threads = null) =>
        VocMatchStage.Match(dataset, new EvaluationOptions { Voc = profile ?? new VocMatchSettings(), Threads = threads }, VocOverlapsKept.CrossClassHits);

    /// <summary>TIDE's match stage of a dataset.</summary>
    public static TideMatches TideRecords(Dataset dataset, TideSettings? settings = null) =>
        TideMatchStage.Match(dataset, settings ?? new TideSettings(), new ParallelOptions());
}
