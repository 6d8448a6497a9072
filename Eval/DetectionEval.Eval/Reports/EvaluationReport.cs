using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Reports;

/// <summary>
/// The part of a JSON report (<see cref="ReportDocument"/>) the gate and the comparison read: what
/// <c>deval evaluate --json</c> wrote, read back by <see cref="JsonReport.Read(string)"/>, or built from an
/// evaluation in memory with <see cref="From"/>. The gate and the comparison read reports only through this type.
/// </summary>
/// <param name="Source">Where the report came from, as messages name it: a file path, or a description.</param>
/// <param name="ToolName">The tool that wrote it.</param>
/// <param name="ToolVersion">That tool's version.</param>
/// <param name="Inputs">What was evaluated.</param>
/// <param name="Coco">COCO results; null when the run did not compute them.</param>
/// <param name="Voc">VOC results; null when the run did not compute them.</param>
public sealed record EvaluationReport(
    string Source, string ToolName, string ToolVersion, ReportInputs Inputs, CocoReport? Coco, VocReport? Voc)
{
    /// <summary>The metric families the report holds.</summary>
    public MetricSet? Families
    {
        get
        {
            MetricSet set = (Coco is null ? 0 : MetricSet.Coco) | (Voc is null ? 0 : MetricSet.Voc);
            return set == 0 ? null : set;
        }
    }

    /// <summary>COCO's mask results (the report's <c>cocoSegm</c>); null when the run did not evaluate masks.</summary>
    public CocoReport? CocoSegm { get; init; }

    /// <summary>COCO's keypoint results (the report's <c>cocoKeypoints</c>); null when the run did not evaluate keypoints.</summary>
    public CocoKeypointReport? CocoKeypoints { get; init; }

    /// <summary>The COCO iou types evaluated, in the report's order (<c>iouTypes</c>; boxes alone when absent).</summary>
    public IReadOnlyList<IouType> IouTypes { get; init; } = [IouType.Bbox];

    /// <summary>The classes, in ascending id order (from whichever family or section the report holds).</summary>
    public IReadOnlyList<Category> Categories =>
        Coco is not null ? [.. Coco.PerClass.Select(c => c.Category)]
        : Voc is not null ? [.. Voc.PerClass.Select(c => c.Category)]
        : CocoSegm is not null ? [.. CocoSegm.PerClass.Select(c => c.Category)]
        : CocoKeypoints is not null ? [.. CocoKeypoints.PerClass.Select(c => c.Category)]
        : [];

    /// <summary>The report of an evaluation made in this process: what its JSON report would read back as.</summary>
    /// <param name="source">How messages name this report, e.g. "the current run".</param>
    /// <param name="header">Tool and input names.</param>
    /// <param name="result">The evaluation.</param>
    public static EvaluationReport From(string source, ReportHeader header, EvaluationResult result) =>
        ReportDocument.From(header, result).ToEvaluationReport(source);
}

/// <summary>The report's <c>coco</c> object.</summary>
/// <param name="MaxDetections">The three maxDets values.</param>
/// <param name="Summary">The twelve summary values.</param>
/// <param name="PerClass">One entry per class, in ascending id order.</param>
public sealed record CocoReport(IReadOnlyList<int> MaxDetections, CocoSummary Summary, IReadOnlyList<CocoClassResult> PerClass);

/// <summary>The report's <c>cocoKeypoints</c> object.</summary>
/// <param name="Sigmas">The keypoint sigmas, one per keypoint.</param>
/// <param name="Summary">The ten summary values.</param>
/// <param name="PerClass">One entry per class, in ascending id order.</param>
public sealed record CocoKeypointReport(IReadOnlyList<double> Sigmas, CocoKeypointSummary Summary, IReadOnlyList<CocoKeypointClassResult> PerClass);

/// <summary>The report's <c>voc</c> object.</summary>
/// <param name="Settings">The VOC profile.</param>
/// <param name="MeanAp07">mAP07; null without classes that have positives.</param>
/// <param name="MeanApAll">mAPAll; null without classes that have positives.</param>
/// <param name="ClassesInMean">Classes the means cover.</param>
/// <param name="PerClass">One entry per class, in ascending id order.</param>
public sealed record VocReport(
    VocMatchSettings Settings, double? MeanAp07, double? MeanApAll, int ClassesInMean, IReadOnlyList<VocClassReport> PerClass);

/// <summary>One entry of the report's <c>voc.perClass</c>.</summary>
/// <param name="Category">The class.</param>
/// <param name="Positives">npos.</param>
/// <param name="Detections">Detections of the class.</param>
/// <param name="TruePositives">True positives.</param>
/// <param name="FalsePositives">False positives.</param>
/// <param name="Ignored">Detections on difficult ground truth.</param>
/// <param name="Ap07">11-point AP; null without positives.</param>
/// <param name="ApAll">All-point AP; null without positives.</param>
/// <param name="MaxRecall">Recall after the last detection; null without positives.</param>
/// <param name="FinalPrecision">Precision after the last detection; null without detections or positives.</param>
public sealed record VocClassReport(
    Category Category, int Positives, int Detections, int TruePositives, int FalsePositives, int Ignored,
    double? Ap07, double? ApAll, double? MaxRecall, double? FinalPrecision);
