using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;

namespace DetectionEval.Eval.Reports;

/// <summary>
/// The content of a JSON report (<see cref="JsonReport"/>) as typed values: what <c>deval evaluate --json</c>
/// wrote, read back by <see cref="JsonReportReader"/>, or built from an evaluation in memory with
/// <see cref="From"/>. The gate and the comparison read reports only through this type.
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

    /// <summary>The classes, in ascending id order (from whichever family the report holds).</summary>
    public IReadOnlyList<Category> Categories =>
        Coco is not null ? [.. Coco.PerClass.Select(c => c.Category)] : Voc is not null ? [.. Voc.PerClass.Select(c => c.Category)] : [];

    /// <summary>The report of an evaluation made in this process.</summary>
    /// <param name="source">How messages name this report, e.g. "the current run".</param>
    /// <param name="header">Tool and input names.</param>
    /// <param name="result">The evaluation.</param>
    public static EvaluationReport From(string source, ReportHeader header, EvaluationResult result)
    {
        DatasetSummary s = result.Inputs;
        var inputs = new ReportInputs(
            header.GroundTruth, header.Predictions, s.Images, s.Classes, s.GroundTruthBoxes, s.Detections,
            s.DetectionsOfUnknownCategories, s.GroundTruthFingerprint ?? "");
        CocoReport? coco = result.Coco is { } c ? new CocoReport(c.MaxDetections, c.Summary, c.PerClass) : null;
        VocReport? voc = result.Voc is { } v
            ? new VocReport(v.Settings, v.MeanAp07, v.MeanApAll, v.ClassesInMean, [.. v.PerClass.Select(VocClassReport.From)])
            : null;
        return new EvaluationReport(source, header.ToolName, header.ToolVersion, inputs, coco, voc);
    }
}

/// <summary>The report's <c>inputs</c>.</summary>
/// <param name="GroundTruth">The ground-truth path as given.</param>
/// <param name="Predictions">The predictions path as given.</param>
/// <param name="Images">Images in the ground truth.</param>
/// <param name="Classes">Categories in the ground truth.</param>
/// <param name="GroundTruthBoxes">Ground-truth boxes.</param>
/// <param name="Detections">Detections read.</param>
/// <param name="DetectionsOfUnknownCategories">Detections dropped for an unknown category.</param>
/// <param name="GroundTruthFingerprint">The ground truth's content fingerprint (<see cref="Data.GroundTruthFingerprint"/>).</param>
public sealed record ReportInputs(
    string GroundTruth, string Predictions, int Images, int Classes, int GroundTruthBoxes, int Detections,
    int DetectionsOfUnknownCategories, string GroundTruthFingerprint);

/// <summary>The report's <c>coco</c> object.</summary>
/// <param name="MaxDetections">The three maxDets values.</param>
/// <param name="Summary">The twelve summary values.</param>
/// <param name="PerClass">One entry per class, in ascending id order.</param>
public sealed record CocoReport(IReadOnlyList<int> MaxDetections, CocoSummary Summary, IReadOnlyList<CocoClassResult> PerClass);

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
    double? Ap07, double? ApAll, double? MaxRecall, double? FinalPrecision)
{
    /// <summary>The reported part of a class result (everything but the curve).</summary>
    public static VocClassReport From(VocClassResult c) => new(
        c.Category, c.Positives, c.Detections, c.TruePositives, c.FalsePositives, c.Ignored, c.Ap07, c.ApAll, c.MaxRecall, c.FinalPrecision);
}
