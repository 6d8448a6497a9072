using CsvHelper;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Reports;

/// <summary>One class's row of the per-class table (CSV, HTML and Markdown share it); null where a value does not exist.</summary>
/// <param name="Id">Category id.</param>
/// <param name="Name">Category name.</param>
/// <param name="Ap">COCO AP (0.50:0.95).</param>
/// <param name="Ap50">COCO AP at IoU 0.50.</param>
/// <param name="Ap75">COCO AP at IoU 0.75.</param>
/// <param name="ApSmall">COCO AP of small objects.</param>
/// <param name="ApMedium">COCO AP of medium objects.</param>
/// <param name="ApLarge">COCO AP of large objects.</param>
/// <param name="Ar100">COCO AR at maxDets 100.</param>
/// <param name="Positives">VOC npos.</param>
/// <param name="Detections">VOC detections.</param>
/// <param name="TruePositives">VOC TP.</param>
/// <param name="FalsePositives">VOC FP.</param>
/// <param name="Ap07">VOC 11-point AP.</param>
/// <param name="ApAll">VOC all-point AP.</param>
/// <param name="BestF1">F1 at the best-F1 confidence.</param>
/// <param name="BestF1Confidence">The best-F1 confidence.</param>
/// <param name="BestF1Precision">Precision there.</param>
/// <param name="BestF1Recall">Recall there.</param>
/// <param name="PrecisionAtThreshold">Precision at --score-threshold.</param>
/// <param name="RecallAtThreshold">Recall at --score-threshold.</param>
/// <param name="F1AtThreshold">F1 at --score-threshold.</param>
[CsvRecord]
public sealed partial record ClassRow(
    [property: CsvColumn("id")] long Id,
    [property: CsvColumn("class")] string Name,
    [property: CsvColumn("AP")] double? Ap,
    [property: CsvColumn("AP50")] double? Ap50,
    [property: CsvColumn("AP75")] double? Ap75,
    [property: CsvColumn("APs")] double? ApSmall,
    [property: CsvColumn("APm")] double? ApMedium,
    [property: CsvColumn("APl")] double? ApLarge,
    [property: CsvColumn("AR100")] double? Ar100,
    [property: CsvColumn("npos")] int? Positives,
    [property: CsvColumn("detections")] int? Detections,
    [property: CsvColumn("tp")] int? TruePositives,
    [property: CsvColumn("fp")] int? FalsePositives,
    [property: CsvColumn("AP07")] double? Ap07,
    [property: CsvColumn("APall")] double? ApAll,
    [property: CsvColumn("bestF1")] double? BestF1,
    [property: CsvColumn("bestF1Confidence")] double? BestF1Confidence,
    [property: CsvColumn("bestF1Precision")] double? BestF1Precision,
    [property: CsvColumn("bestF1Recall")] double? BestF1Recall,
    [property: CsvColumn("precisionAtThreshold")] double? PrecisionAtThreshold,
    [property: CsvColumn("recallAtThreshold")] double? RecallAtThreshold,
    [property: CsvColumn("f1AtThreshold")] double? F1AtThreshold)
{
    /// <summary>One row per category, in ascending id order.</summary>
    public static IReadOnlyList<ClassRow> Of(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var rows = new ClassRow[result.Categories.Count];
        for (int k = 0; k < rows.Length; k++)
        {
            CocoClassResult? c = result.Coco?.PerClass[k];
            VocClassResult? v = result.Voc?.PerClass[k];
            ClassOperatingPoints? p = result.OperatingPoints?.PerClass[k];
            rows[k] = new ClassRow(
                result.Categories[k].Id, result.Categories[k].Name,
                c?.Ap, c?.Ap50, c?.Ap75, c?.ApSmall, c?.ApMedium, c?.ApLarge, c?.Ar100,
                v?.Positives, v?.Detections, v?.TruePositives, v?.FalsePositives, v?.Ap07, v?.ApAll,
                p?.BestF1?.F1, p?.BestF1?.Confidence, p?.BestF1?.Precision, p?.BestF1?.Recall,
                p?.AtThreshold?.Precision, p?.AtThreshold?.Recall, p?.AtThreshold?.F1);
        }
        return rows;
    }
}

/// <summary>One class's row of the mask table (<c>--iou-type segm</c>): COCO's per-class values with mask IoU.</summary>
/// <param name="Id">Category id.</param>
/// <param name="Name">Category name.</param>
/// <param name="Ap">AP (mask IoU 0.50:0.95).</param>
/// <param name="Ap50">AP at mask IoU 0.50.</param>
/// <param name="Ap75">AP at mask IoU 0.75.</param>
/// <param name="ApSmall">AP of small objects.</param>
/// <param name="ApMedium">AP of medium objects.</param>
/// <param name="ApLarge">AP of large objects.</param>
/// <param name="Ar100">AR at maxDets 100.</param>
[CsvRecord]
public sealed partial record SegmClassRow(
    [property: CsvColumn("id")] long Id,
    [property: CsvColumn("class")] string Name,
    [property: CsvColumn("AP")] double? Ap,
    [property: CsvColumn("AP50")] double? Ap50,
    [property: CsvColumn("AP75")] double? Ap75,
    [property: CsvColumn("APs")] double? ApSmall,
    [property: CsvColumn("APm")] double? ApMedium,
    [property: CsvColumn("APl")] double? ApLarge,
    [property: CsvColumn("AR100")] double? Ar100);

/// <summary>One class's row of the keypoint table (<c>--iou-type keypoints</c>): COCO's per-class values with OKS.</summary>
/// <param name="Id">Category id.</param>
/// <param name="Name">Category name.</param>
/// <param name="Ap">AP (OKS 0.50:0.95).</param>
/// <param name="Ap50">AP at OKS 0.50.</param>
/// <param name="Ap75">AP at OKS 0.75.</param>
/// <param name="ApMedium">AP of medium objects.</param>
/// <param name="ApLarge">AP of large objects.</param>
/// <param name="Ar">AR at maxDets 20.</param>
[CsvRecord]
public sealed partial record KeypointClassRow(
    [property: CsvColumn("id")] long Id,
    [property: CsvColumn("class")] string Name,
    [property: CsvColumn("AP")] double? Ap,
    [property: CsvColumn("AP50")] double? Ap50,
    [property: CsvColumn("AP75")] double? Ap75,
    [property: CsvColumn("APm")] double? ApMedium,
    [property: CsvColumn("APl")] double? ApLarge,
    [property: CsvColumn("AR")] double? Ar);

/// <summary>
/// The per-class table as CSV: a header and one row per class, doubles in their shortest exact form, empty
/// where a value does not exist. Boxes (COCO, VOC and the operating points) have one table; masks and
/// keypoints one each.
/// </summary>
public static class CsvReport
{
    /// <summary>Writes the box table (UTF-8, no byte order mark, LF line ends).</summary>
    public static void Write(Stream stream, EvaluationResult result)
    {
        using CsvWriter csv = CsvWriter.Create(stream, new CsvWriterOptions { NewLine = "\n" }, true);
        csv.WriteRecords(ClassRow.Of(result));
    }

    /// <summary>Writes the table of one iou type: <see cref="Write(Stream, EvaluationResult)"/> for boxes, the mask or keypoint table otherwise.</summary>
    /// <exception cref="ArgumentException">The result has no values of <paramref name="iouType"/>.</exception>
    public static void Write(Stream stream, EvaluationResult result, IouType iouType)
    {
        ArgumentNullException.ThrowIfNull(result);
        switch (iouType)
        {
            case IouType.Segm:
                CocoResult segm = result.CocoSegm ?? throw new ArgumentException("The run did not evaluate masks.", nameof(iouType));
                using (CsvWriter csv = CsvWriter.Create(stream, new CsvWriterOptions { NewLine = "\n" }, true))
                {
                    csv.WriteRecords(segm.PerClass.Select(c => new SegmClassRow(c.Category.Id, c.Category.Name, c.Ap, c.Ap50, c.Ap75, c.ApSmall, c.ApMedium, c.ApLarge, c.Ar100)));
                }
                break;
            case IouType.Keypoints:
                CocoKeypointResult keypoints = result.CocoKeypoints ?? throw new ArgumentException("The run did not evaluate keypoints.", nameof(iouType));
                using (CsvWriter csv = CsvWriter.Create(stream, new CsvWriterOptions { NewLine = "\n" }, true))
                {
                    csv.WriteRecords(keypoints.PerClass.Select(c => new KeypointClassRow(c.Category.Id, c.Category.Name, c.Ap, c.Ap50, c.Ap75, c.ApMedium, c.ApLarge, c.Ar)));
                }
                break;
            default:
                Write(stream, result);
                break;
        }
    }

    /// <summary>
    /// Where <c>--csv FILE</c> puts the table of each iou type: the first iou type asked in FILE, each other
    /// one next to it with its name before the extension (<c>classes.csv</c>, <c>classes.segm.csv</c>).
    /// </summary>
    public static IReadOnlyList<(IouType IouType, string Path)> Paths(string path, IReadOnlyList<IouType> iouTypes)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(iouTypes);
        string extension = System.IO.Path.GetExtension(path);
        string stem = path[..^extension.Length];
        return [.. iouTypes.Select((t, i) => (t, i == 0 ? path : $"{stem}.{ReportDocument.IouTypeName(t)}{extension}"))];
    }
}
