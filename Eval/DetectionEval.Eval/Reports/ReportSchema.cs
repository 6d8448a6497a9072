using System.Text.Json.Serialization;
using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Tide;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Reports;

// The JSON report of `deval evaluate --json`: the contract users' scripts and the CI gate read, written
// and read back through these records alone (ReportJsonContext, System.Text.Json's source generator).
// Property order in a record is the order in the file; names follow the camel-case policy unless a
// [JsonPropertyName] says otherwise (pycocotools' "AP50", TIDE's "dAP"). A value pycocotools reports as
// -1, or a VOC AP of a class without positives, is null; every property is written, null or not, except
// "analysis", which is there only when the analysis was asked for. Doubles are written as the shortest
// text that reads back as the same double. Every property but "analysis" is required on reading (a
// constructor parameter without a default); unknown properties are skipped, so reports of later versions
// still read. Ranges and consistency are ReportValidator's.

/// <summary>A whole JSON report.</summary>
/// <param name="Tool">The tool that wrote it.</param>
/// <param name="Inputs">What was evaluated.</param>
/// <param name="Coco">COCO results; null when the run did not compute them.</param>
/// <param name="Voc">VOC results; null when the run did not compute them.</param>
/// <param name="OperatingPoint">Precision, recall and F1 at chosen confidences; null without VOC.</param>
/// <param name="Analysis">The error analysis; null (and not written) unless it was asked for.</param>
/// <param name="IouTypes">The COCO iou types evaluated, in order (<c>bbox</c>, <c>segm</c>, <c>keypoints</c>);
/// null (and not written) for boxes alone, so that a box report reads as before.</param>
/// <param name="CocoSegm">COCO's mask evaluation; null (and not written) unless segm was asked for.</param>
/// <param name="CocoKeypoints">COCO's keypoint evaluation; null (and not written) unless keypoints were asked for.</param>
public sealed record ReportDocument(
    ReportTool Tool,
    ReportInputs Inputs,
    CocoSection? Coco,
    VocSection? Voc,
    OperatingPointSection? OperatingPoint,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AnalysisSection? Analysis = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? IouTypes = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CocoSection? CocoSegm = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CocoKeypointSection? CocoKeypoints = null)
{
    /// <summary>An iou type's name in reports and on the command line.</summary>
    public static string IouTypeName(IouType type) => IouTypeNames.Name(type);

    /// <summary>The report of an evaluation.</summary>
    public static ReportDocument From(ReportHeader header, EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(result);
        DatasetSummary s = result.Inputs;
        var inputs = new ReportInputs(
            header.GroundTruth, header.Predictions, s.Images, s.Classes, s.GroundTruthBoxes, s.Detections,
            s.DetectionsOfUnknownCategories, s.GroundTruthFingerprint);
        return new ReportDocument(
            new ReportTool(header.ToolName, header.ToolVersion),
            inputs,
            result.Coco is { } coco ? CocoSection.From(coco) : null,
            result.Voc is { } voc ? VocSection.From(voc) : null,
            result.OperatingPoints is { } points ? OperatingPointSection.From(points) : null,
            result.Analysis is { } analysis ? AnalysisSection.From(analysis) : null,
            result.IouTypes is [IouType.Bbox] ? null : [.. result.IouTypes.Select(IouTypeName)],
            result.CocoSegm is { } segm ? CocoSection.From(segm) with { IouType = "segm" } : null,
            result.CocoKeypoints is { } keypoints ? CocoKeypointSection.From(keypoints) : null);
    }

    /// <summary>The part of the report the gate and the comparison read.</summary>
    /// <param name="source">How messages name the report: its file, or a description.</param>
    public EvaluationReport ToEvaluationReport(string source)
    {
        CocoReport? coco = Coco is { } c
            ? new CocoReport(c.MaxDets, c.Summary, [.. c.PerClass.Select(e => e.ToResult())])
            : null;
        VocReport? voc = Voc is { } v
            ? new VocReport(v.Settings, v.MeanAp07, v.MeanApAll, v.ClassesInMean, [.. v.PerClass.Select(e => e.ToReport())])
            : null;
        return new EvaluationReport(source, Tool.Name, Tool.Version, Inputs, coco, voc)
        {
            CocoSegm = CocoSegm is { } m ? new CocoReport(m.MaxDets, m.Summary, [.. m.PerClass.Select(e => e.ToResult())]) : null,
            CocoKeypoints = CocoKeypoints is { } k
                ? new CocoKeypointReport(k.Sigmas, k.Summary, [.. k.PerClass.Select(e => new CocoKeypointClassResult(new Category(e.Id, e.Name), e.Ap, e.Ap50, e.Ap75, e.ApMedium, e.ApLarge, e.Ar))])
                : null,
            IouTypes = IouTypes is { } types ? [.. types.Select(ParseIouType)] : [IouType.Bbox],
        };
    }

    /// <summary>An iou type from its name in a report (<see cref="IouTypeName"/>); the validator has accepted the name.</summary>
    private static IouType ParseIouType(string name) => IouTypeNames.Parse(name) ?? IouType.Bbox;
}

/// <summary>The report's <c>tool</c>: who wrote it.</summary>
/// <param name="Name">The tool's name, <c>deval</c>.</param>
/// <param name="Version">Its version.</param>
public sealed record ReportTool(string Name, string Version);

/// <summary>The report's <c>inputs</c>: what was evaluated.</summary>
/// <param name="GroundTruth">The ground-truth path as given.</param>
/// <param name="Predictions">The predictions path as given.</param>
/// <param name="Images">Images in the ground truth.</param>
/// <param name="Classes">Categories in the ground truth.</param>
/// <param name="GroundTruthBoxes">Ground-truth boxes.</param>
/// <param name="Detections">Detections read.</param>
/// <param name="DetectionsOfUnknownCategories">Detections dropped for an unknown category.</param>
/// <param name="GroundTruthFingerprint">
/// The ground truth's content fingerprint (<see cref="Data.GroundTruthFingerprint"/>); written as null when it
/// was not computed, and required on reading.
/// </param>
public sealed record ReportInputs(
    string GroundTruth, string Predictions, int Images, int Classes, int GroundTruthBoxes, int Detections,
    int DetectionsOfUnknownCategories, string? GroundTruthFingerprint);

/// <summary>The report's <c>coco</c> (boxes) and <c>cocoSegm</c> (masks): pycocotools' twelve summary values, the caps and one entry per class.</summary>
/// <param name="Ap">AP at IoU .50:.05:.95.</param>
/// <param name="Ap50">AP at IoU .50.</param>
/// <param name="Ap75">AP at IoU .75.</param>
/// <param name="ApSmall">AP of small objects.</param>
/// <param name="ApMedium">AP of medium objects.</param>
/// <param name="ApLarge">AP of large objects.</param>
/// <param name="Ar1">AR with 1 detection per image.</param>
/// <param name="Ar10">AR with 10.</param>
/// <param name="Ar100">AR with 100.</param>
/// <param name="ArSmall">AR of small objects.</param>
/// <param name="ArMedium">AR of medium objects.</param>
/// <param name="ArLarge">AR of large objects.</param>
/// <param name="MaxDets">The three maxDets values.</param>
/// <param name="PerClass">One entry per class, in ascending id order.</param>
public sealed record CocoSection(
    [property: JsonPropertyName("AP")] double? Ap,
    [property: JsonPropertyName("AP50")] double? Ap50,
    [property: JsonPropertyName("AP75")] double? Ap75,
    [property: JsonPropertyName("APs")] double? ApSmall,
    [property: JsonPropertyName("APm")] double? ApMedium,
    [property: JsonPropertyName("APl")] double? ApLarge,
    [property: JsonPropertyName("AR1")] double? Ar1,
    [property: JsonPropertyName("AR10")] double? Ar10,
    [property: JsonPropertyName("AR100")] double? Ar100,
    [property: JsonPropertyName("ARs")] double? ArSmall,
    [property: JsonPropertyName("ARm")] double? ArMedium,
    [property: JsonPropertyName("ARl")] double? ArLarge,
    IReadOnlyList<int> MaxDets,
    IReadOnlyList<CocoClassEntry> PerClass)
{
    /// <summary>
    /// The iou type, first in the section: <c>segm</c> in the report's <c>cocoSegm</c>; absent from
    /// <c>coco</c>, the boxes' section, as it always was.
    /// </summary>
    [JsonPropertyOrder(-1)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? IouType { get; init; }

    /// <summary>The twelve values as a <see cref="CocoSummary"/>.</summary>
    [JsonIgnore]
    public CocoSummary Summary => new(Ap, Ap50, Ap75, ApSmall, ApMedium, ApLarge, Ar1, Ar10, Ar100, ArSmall, ArMedium, ArLarge);

    /// <summary>The section of a COCO evaluation.</summary>
    public static CocoSection From(CocoResult coco)
    {
        ArgumentNullException.ThrowIfNull(coco);
        CocoSummary s = coco.Summary;
        return new CocoSection(
            s.Ap, s.Ap50, s.Ap75, s.ApSmall, s.ApMedium, s.ApLarge, s.Ar1, s.Ar10, s.Ar100, s.ArSmall, s.ArMedium, s.ArLarge,
            coco.MaxDetections, [.. coco.PerClass.Select(CocoClassEntry.From)]);
    }
}

/// <summary>The report's <c>cocoKeypoints</c>: the ten values of COCO's keypoint evaluation (OKS), the sigmas and one entry per class.</summary>
/// <param name="IouType">Always <c>keypoints</c>: the iou type of the section.</param>
/// <param name="Ap">AP at OKS .50:.05:.95.</param>
/// <param name="Ap50">AP at OKS .50.</param>
/// <param name="Ap75">AP at OKS .75.</param>
/// <param name="ApMedium">AP of medium objects.</param>
/// <param name="ApLarge">AP of large objects.</param>
/// <param name="Ar">AR at OKS .50:.05:.95.</param>
/// <param name="Ar50">AR at OKS .50.</param>
/// <param name="Ar75">AR at OKS .75.</param>
/// <param name="ArMedium">AR of medium objects.</param>
/// <param name="ArLarge">AR of large objects.</param>
/// <param name="MaxDets">The one maxDets value, 20.</param>
/// <param name="Sigmas">The keypoint sigmas, one per keypoint.</param>
/// <param name="PerClass">One entry per class, in ascending id order.</param>
public sealed record CocoKeypointSection(
    string IouType,
    [property: JsonPropertyName("AP")] double? Ap,
    [property: JsonPropertyName("AP50")] double? Ap50,
    [property: JsonPropertyName("AP75")] double? Ap75,
    [property: JsonPropertyName("APm")] double? ApMedium,
    [property: JsonPropertyName("APl")] double? ApLarge,
    [property: JsonPropertyName("AR")] double? Ar,
    [property: JsonPropertyName("AR50")] double? Ar50,
    [property: JsonPropertyName("AR75")] double? Ar75,
    [property: JsonPropertyName("ARm")] double? ArMedium,
    [property: JsonPropertyName("ARl")] double? ArLarge,
    IReadOnlyList<int> MaxDets,
    IReadOnlyList<double> Sigmas,
    IReadOnlyList<CocoKeypointClassEntry> PerClass)
{
    /// <summary>The ten values as a <see cref="CocoKeypointSummary"/>.</summary>
    [JsonIgnore]
    public CocoKeypointSummary Summary => new(Ap, Ap50, Ap75, ApMedium, ApLarge, Ar, Ar50, Ar75, ArMedium, ArLarge);

    /// <summary>The section of a keypoint evaluation.</summary>
    public static CocoKeypointSection From(CocoKeypointResult keypoints)
    {
        ArgumentNullException.ThrowIfNull(keypoints);
        CocoKeypointSummary s = keypoints.Summary;
        return new CocoKeypointSection(
            "keypoints", s.Ap, s.Ap50, s.Ap75, s.ApMedium, s.ApLarge, s.Ar, s.Ar50, s.Ar75, s.ArMedium, s.ArLarge,
            [.. Matching.Coco.CocoParameters.KeypointMaxDetections], keypoints.Sigmas,
            [.. keypoints.PerClass.Select(c => new CocoKeypointClassEntry(c.Category.Id, c.Category.Name, c.Ap, c.Ap50, c.Ap75, c.ApMedium, c.ApLarge, c.Ar))]);
    }
}

/// <summary>One entry of <c>cocoKeypoints.perClass</c>.</summary>
/// <param name="Id">The class id.</param>
/// <param name="Name">The class name.</param>
/// <param name="Ap">AP at OKS .50:.05:.95.</param>
/// <param name="Ap50">AP at OKS .50.</param>
/// <param name="Ap75">AP at OKS .75.</param>
/// <param name="ApMedium">AP of medium objects.</param>
/// <param name="ApLarge">AP of large objects.</param>
/// <param name="Ar">AR at OKS .50:.05:.95.</param>
public sealed record CocoKeypointClassEntry(
    long Id,
    string Name,
    [property: JsonPropertyName("AP")] double? Ap,
    [property: JsonPropertyName("AP50")] double? Ap50,
    [property: JsonPropertyName("AP75")] double? Ap75,
    [property: JsonPropertyName("APm")] double? ApMedium,
    [property: JsonPropertyName("APl")] double? ApLarge,
    [property: JsonPropertyName("AR")] double? Ar);

/// <summary>One entry of <c>coco.perClass</c>.</summary>
/// <param name="Id">The class id.</param>
/// <param name="Name">The class name.</param>
/// <param name="Ap">AP at IoU .50:.05:.95.</param>
/// <param name="Ap50">AP at IoU .50.</param>
/// <param name="Ap75">AP at IoU .75.</param>
/// <param name="ApSmall">AP of small objects.</param>
/// <param name="ApMedium">AP of medium objects.</param>
/// <param name="ApLarge">AP of large objects.</param>
/// <param name="Ar100">AR with 100 detections per image.</param>
public sealed record CocoClassEntry(
    long Id,
    string Name,
    [property: JsonPropertyName("AP")] double? Ap,
    [property: JsonPropertyName("AP50")] double? Ap50,
    [property: JsonPropertyName("AP75")] double? Ap75,
    [property: JsonPropertyName("APs")] double? ApSmall,
    [property: JsonPropertyName("APm")] double? ApMedium,
    [property: JsonPropertyName("APl")] double? ApLarge,
    [property: JsonPropertyName("AR100")] double? Ar100)
{
    /// <summary>The entry of one class's result.</summary>
    public static CocoClassEntry From(CocoClassResult c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.Category.Id, c.Category.Name, c.Ap, c.Ap50, c.Ap75, c.ApSmall, c.ApMedium, c.ApLarge, c.Ar100);
    }

    /// <summary>The class.</summary>
    [JsonIgnore]
    public Category Category => new(Id, Name);

    /// <summary>The entry as a class result.</summary>
    public CocoClassResult ToResult() => new(Category, Ap, Ap50, Ap75, ApSmall, ApMedium, ApLarge, Ar100);
}

/// <summary>The report's <c>voc</c>: the profile, the means and one entry per class.</summary>
/// <param name="Iou">The IoU threshold.</param>
/// <param name="IouRule">The overlap test: <c>ge</c> (IoU &gt;= threshold) or <c>gt</c> (IoU &gt; threshold).</param>
/// <param name="PlusOne">Whether boxes span x2 - x1 + 1 pixels.</param>
/// <param name="MeanAp07">mAP07; null without classes that have positives.</param>
/// <param name="MeanApAll">mAPAll; null without classes that have positives.</param>
/// <param name="ClassesInMean">Classes the means cover.</param>
/// <param name="PerClass">One entry per class, in ascending id order.</param>
public sealed record VocSection(
    double Iou,
    string IouRule,
    bool PlusOne,
    [property: JsonPropertyName("mAP07")] double? MeanAp07,
    [property: JsonPropertyName("mAPAll")] double? MeanApAll,
    int ClassesInMean,
    IReadOnlyList<VocClassEntry> PerClass)
{
    /// <summary>The profile; valid once the validator has accepted <see cref="IouRule"/>.</summary>
    [JsonIgnore]
    public VocMatchSettings Settings => new(
        Iou,
        JsonReport.TryIouRule(IouRule) ?? throw new InvalidOperationException($"\"{IouRule}\" is not an overlap test; the report was not validated."),
        PlusOne);

    /// <summary>The section of a VOC evaluation.</summary>
    public static VocSection From(VocResult voc)
    {
        ArgumentNullException.ThrowIfNull(voc);
        return new VocSection(
            voc.Settings.IouThreshold, JsonReport.IouRuleName(voc.Settings.Rule), voc.Settings.PlusOnePixel, voc.MeanAp07, voc.MeanApAll,
            voc.ClassesInMean, [.. voc.PerClass.Select(VocClassEntry.From)]);
    }
}

/// <summary>One entry of <c>voc.perClass</c>.</summary>
/// <param name="Id">The class id.</param>
/// <param name="Name">The class name.</param>
/// <param name="Positives">npos: ground truth that counts.</param>
/// <param name="Detections">Detections of the class.</param>
/// <param name="TruePositives">True positives.</param>
/// <param name="FalsePositives">False positives.</param>
/// <param name="Ignored">Detections on difficult ground truth.</param>
/// <param name="Ap07">11-point AP; null without positives.</param>
/// <param name="ApAll">All-point AP; null without positives.</param>
/// <param name="MaxRecall">Recall after the last detection; null without positives.</param>
/// <param name="FinalPrecision">Precision after the last detection; null without detections or positives.</param>
public sealed record VocClassEntry(
    long Id,
    string Name,
    [property: JsonPropertyName("npos")] int Positives,
    int Detections,
    [property: JsonPropertyName("tp")] int TruePositives,
    [property: JsonPropertyName("fp")] int FalsePositives,
    int Ignored,
    double? Ap07,
    double? ApAll,
    double? MaxRecall,
    double? FinalPrecision)
{
    /// <summary>The entry of one class's result (everything but the curve).</summary>
    public static VocClassEntry From(VocClassResult c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(
            c.Category.Id, c.Category.Name, c.Positives, c.Detections, c.TruePositives, c.FalsePositives, c.Ignored,
            c.Ap07, c.ApAll, c.MaxRecall, c.FinalPrecision);
    }

    /// <summary>The class.</summary>
    [JsonIgnore]
    public Category Category => new(Id, Name);

    /// <summary>The entry as the gate reads it.</summary>
    public VocClassReport ToReport() =>
        new(Category, Positives, Detections, TruePositives, FalsePositives, Ignored, Ap07, ApAll, MaxRecall, FinalPrecision);
}

/// <summary>The report's <c>operatingPoint</c>: all classes pooled, and one entry per class.</summary>
/// <param name="ScoreThreshold">The asked score threshold, or null.</param>
/// <param name="BestF1">The best-F1 point of all classes pooled; null without positives or detections.</param>
/// <param name="AtThreshold">All classes pooled at the score threshold; null when none was asked or there are no positives.</param>
/// <param name="PerClass">One entry per class, in ascending id order.</param>
public sealed record OperatingPointSection(
    double? ScoreThreshold, PointEntry? BestF1, PointEntry? AtThreshold, IReadOnlyList<ClassPointsEntry> PerClass)
{
    /// <summary>The section of an evaluation's operating points (everything but the curves).</summary>
    public static OperatingPointSection From(OperatingPoints points)
    {
        ArgumentNullException.ThrowIfNull(points);
        return new(
            points.ScoreThreshold, PointEntry.From(points.BestF1), PointEntry.From(points.AtThreshold),
            [.. points.PerClass.Select(c => new ClassPointsEntry(c.Category.Id, c.Category.Name, PointEntry.From(c.BestF1), PointEntry.From(c.AtThreshold)))]);
    }
}

/// <summary>One entry of <c>operatingPoint.perClass</c>.</summary>
/// <param name="Id">The class id.</param>
/// <param name="Name">The class name.</param>
/// <param name="BestF1">The class's best-F1 point; null without positives or without detections.</param>
/// <param name="AtThreshold">The class at the score threshold; null when none was asked or the class has no positives.</param>
public sealed record ClassPointsEntry(long Id, string Name, PointEntry? BestF1, PointEntry? AtThreshold)
{
    /// <summary>The class.</summary>
    [JsonIgnore]
    public Category Category => new(Id, Name);
}

/// <summary>Precision, recall and F1 keeping the detections with a score at or above <paramref name="Confidence"/>.</summary>
/// <param name="Confidence">The confidence threshold.</param>
/// <param name="Precision">TP / (TP + FP).</param>
/// <param name="Recall">TP / positives.</param>
/// <param name="F1">2·TP / (TP + FP + positives).</param>
/// <param name="TruePositives">Kept detections that took a ground truth.</param>
/// <param name="FalsePositives">Kept detections that did not.</param>
/// <param name="FalseNegatives">Ground truth that no kept detection found.</param>
public sealed record PointEntry(
    double Confidence,
    double Precision,
    double Recall,
    double F1,
    [property: JsonPropertyName("tp")] double TruePositives,
    [property: JsonPropertyName("fp")] double FalsePositives,
    [property: JsonPropertyName("fn")] double FalseNegatives)
{
    /// <summary>The entry of an operating point; null for none.</summary>
    public static PointEntry? From(OperatingPoint? p) =>
        p is null ? null : new(p.Confidence, p.Precision, p.Recall, p.F1, p.TruePositives, p.FalsePositives, p.FalseNegatives);
}

/// <summary>The report's <c>analysis</c> (only with <c>--analysis</c>).</summary>
/// <param name="ConfusionMatrix">The confusion matrix at the analysis confidence.</param>
/// <param name="Tide">TIDE's error types, counts and dAPs.</param>
/// <param name="WorstImages">The images with the most errors, most first.</param>
public sealed record AnalysisSection(ConfusionMatrixSection ConfusionMatrix, TideSection Tide, IReadOnlyList<WorstImageEntry> WorstImages)
{
    /// <summary>The name of the last row and column of the confusion matrix.</summary>
    public const string Background = "background";

    /// <summary>
    /// The iou type the analysis measured, first in the section: <c>segm</c> for an analysis of masks (mask
    /// IoU); absent for boxes, as it always was.
    /// </summary>
    [JsonPropertyOrder(-1)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? IouType { get; init; }

    /// <summary>The section of an error analysis.</summary>
    public static AnalysisSection From(ErrorAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return new(
            ConfusionMatrixSection.From(analysis.Confusion),
            TideSection.From(analysis.Tide),
            [.. analysis.WorstImages.Select(w => new WorstImageEntry(
                w.Image.Id, w.Image.FileName, w.Counts.Errors, w.Counts.TruePositives, w.Counts.FalsePositives, w.Counts.FalseNegatives,
                w.Counts.Ignored, w.Confusions))])
        {
            IouType = analysis.Overlap == Eval.IouType.Bbox ? null : ReportDocument.IouTypeName(analysis.Overlap),
        };
    }
}

/// <summary><c>analysis.confusionMatrix</c>: rows are ground truth, columns detections, background last.</summary>
/// <param name="Iou">The VOC profile's IoU threshold.</param>
/// <param name="IouRule">Its overlap test, <c>ge</c> or <c>gt</c>.</param>
/// <param name="PlusOne">Its pixel convention.</param>
/// <param name="ScoreThreshold">The confidence detections were kept at; null when every detection was.</param>
/// <param name="Rows">What the rows are: <c>groundTruth</c>.</param>
/// <param name="Columns">What the columns are: <c>detected</c>.</param>
/// <param name="Labels">The classes in ascending id order, then background (id null).</param>
/// <param name="Counts">The matrix, one array per row.</param>
/// <param name="IgnoredDetections">Kept detections on difficult or crowd ground truth, in no cell.</param>
public sealed record ConfusionMatrixSection(
    double Iou,
    string IouRule,
    bool PlusOne,
    double? ScoreThreshold,
    string Rows,
    string Columns,
    IReadOnlyList<LabelEntry> Labels,
    IReadOnlyList<IReadOnlyList<int>> Counts,
    int IgnoredDetections)
{
    /// <summary>The value of <see cref="Rows"/>.</summary>
    public const string RowsAre = "groundTruth";

    /// <summary>The value of <see cref="Columns"/>.</summary>
    public const string ColumnsAre = "detected";

    /// <summary>The section of a confusion matrix.</summary>
    public static ConfusionMatrixSection From(ConfusionMatrix m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new(
            m.Settings.IouThreshold, JsonReport.IouRuleName(m.Settings.Rule), m.Settings.PlusOnePixel,
            double.IsNegativeInfinity(m.ScoreThreshold) ? null : m.ScoreThreshold,
            RowsAre, ColumnsAre,
            [.. m.Categories.Select(c => new LabelEntry(c.Id, c.Name)), new LabelEntry(null, AnalysisSection.Background)],
            [.. Enumerable.Range(0, m.Size).Select(i => (IReadOnlyList<int>)[.. Enumerable.Range(0, m.Size).Select(j => m[i, j])])],
            m.IgnoredDetections);
    }
}

/// <summary>A row and column label of the confusion matrix.</summary>
/// <param name="Id">The class id; null for background.</param>
/// <param name="Name">The class name, or <c>background</c>.</param>
public sealed record LabelEntry(long? Id, string Name);

/// <summary><c>analysis.tide</c>: TIDE's settings, AP, error types and special errors.</summary>
/// <param name="ForegroundIou">A match needs at least this IoU.</param>
/// <param name="BackgroundIou">At most this IoU with every object is background.</param>
/// <param name="MaxDetsPerImage">Detections kept per image.</param>
/// <param name="Ap">TIDE's mAP in AP points (0 to 100); null without data.</param>
/// <param name="Errors">The six main error types in TIDE's order.</param>
/// <param name="Special">The special errors' dAPs.</param>
public sealed record TideSection(
    double ForegroundIou, double BackgroundIou, int MaxDetsPerImage, double? Ap, IReadOnlyList<TideErrorEntry> Errors, TideSpecialEntry Special)
{
    /// <summary>The section of TIDE's breakdown.</summary>
    public static TideSection From(TideResult tide)
    {
        ArgumentNullException.ThrowIfNull(tide);
        return new(
            tide.Settings.ForegroundIou, tide.Settings.BackgroundIou, tide.Settings.MaxDetectionsPerImage, tide.Ap,
            [.. tide.Errors.Select(TideErrorEntry.From)],
            new TideSpecialEntry(tide.FalsePositiveDeltaAp, tide.FalseNegativeDeltaAp));
    }
}

/// <summary>One of TIDE's error types.</summary>
/// <param name="Type">TIDE's short name: Cls, Loc, Both, Dupe, Bkg or Miss.</param>
/// <param name="Count">How many errors of the type.</param>
/// <param name="DeltaAp">AP points gained by fixing them; null when TIDE's AP does not exist.</param>
/// <param name="BySize">The same per object size.</param>
public sealed record TideErrorEntry(string Type, int Count, [property: JsonPropertyName("dAP")] double? DeltaAp, TideSizesEntry BySize)
{
    /// <summary>The entry of one error type.</summary>
    public static TideErrorEntry From(TideErrorSummary e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(TideResult.ShortName(e.Type), e.Count, e.DeltaAp, new TideSizesEntry(Size(e, ObjectSize.Small), Size(e, ObjectSize.Medium), Size(e, ObjectSize.Large)));
    }

    private static TideSizeEntry Size(TideErrorSummary e, ObjectSize size)
    {
        TideSizeErrors s = e.BySize.Single(s => s.Size == size);
        return new TideSizeEntry(s.Count, s.DeltaAp);
    }
}

/// <summary>An error type per object size range (small &lt;= 32², medium &lt;= 96², large above).</summary>
/// <param name="Small">Errors on small objects.</param>
/// <param name="Medium">Errors on medium objects.</param>
/// <param name="Large">Errors on large objects.</param>
public sealed record TideSizesEntry(TideSizeEntry Small, TideSizeEntry Medium, TideSizeEntry Large);

/// <summary>An error type in one size range.</summary>
/// <param name="Count">Errors of the type in the range.</param>
/// <param name="DeltaAp">AP points gained by fixing only those; null when TIDE's AP does not exist.</param>
public sealed record TideSizeEntry(int Count, [property: JsonPropertyName("dAP")] double? DeltaAp);

/// <summary>TIDE's special errors.</summary>
/// <param name="FalsePositiveDeltaAp">FalsePos dAP: perfect precision at the same recall.</param>
/// <param name="FalseNegativeDeltaAp">FalseNeg dAP: perfect recall at the same precision.</param>
public sealed record TideSpecialEntry(
    [property: JsonPropertyName("FalsePos")] double? FalsePositiveDeltaAp,
    [property: JsonPropertyName("FalseNeg")] double? FalseNegativeDeltaAp);

/// <summary>One of the images with the most errors.</summary>
/// <param name="Id">The image id.</param>
/// <param name="FileName">Its file name; null when the ground truth gives none.</param>
/// <param name="Errors">False positives plus false negatives.</param>
/// <param name="TruePositives">True positives.</param>
/// <param name="FalsePositives">False positives.</param>
/// <param name="FalseNegatives">False negatives.</param>
/// <param name="Ignored">Detections on difficult or crowd ground truth.</param>
/// <param name="Confusions">Of the false positives, those on a missed object of another class.</param>
public sealed record WorstImageEntry(
    [property: JsonConverter(typeof(RecordIdJsonConverter))] RecordId Id,
    string? FileName,
    int Errors,
    [property: JsonPropertyName("tp")] int TruePositives,
    [property: JsonPropertyName("fp")] int FalsePositives,
    [property: JsonPropertyName("fn")] int FalseNegatives,
    int Ignored,
    int Confusions);

/// <summary>
/// System.Text.Json's generated reader and writer of <see cref="ReportDocument"/>. Strict where the
/// contract is: property names are case-sensitive, each known property at most once, null only where a
/// record says <c>?</c>, numbers as numbers, no comments or trailing commas, at most 64 levels deep.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowDuplicateProperties = false,
    MaxDepth = ReportJsonContext.MaxDepth)]
[JsonSerializable(typeof(ReportDocument))]
internal sealed partial class ReportJsonContext : JsonSerializerContext
{
    /// <summary>Deepest nesting read: the report itself nests 5 deep; 64 is the loaders' limit too.</summary>
    public const int MaxDepth = 64;
}
