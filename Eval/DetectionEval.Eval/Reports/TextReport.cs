using System.Globalization;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Reports;

/// <summary>The human-readable summary: COCO's familiar 12 lines, the VOC means and a per-class table.</summary>
public static class TextReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes the summary.</summary>
    public static void Write(TextWriter output, EvaluationResult result)
    {
        output.WriteLine(DescribeInputs(result));
        if (result.Coco is { } coco)
        {
            output.WriteLine();
            output.WriteLine("COCO bbox:");
            WriteCocoSummary(output, coco);
        }
        if (result.Voc is { } voc)
        {
            output.WriteLine();
            output.WriteLine($"VOC ({DescribeProfile(voc.Settings)}), over {Counting.Of(voc.ClassesInMean, "class")} with positives:");
            output.WriteLine($" mAP (11-point)  = {Fixed(voc.MeanAp07, 4)}");
            output.WriteLine($" mAP (all-point) = {Fixed(voc.MeanApAll, 4)}");
        }
        if (result.OperatingPoints is { } points)
        {
            output.WriteLine();
            output.WriteLine("Operating point (VOC matches, all classes pooled):");
            WriteOperatingPoints(output, points);
        }
        output.WriteLine();
        WritePerClassTable(output, result);
        if (result.Analysis is { } analysis) AnalysisReport.WriteText(output, analysis);
    }

    /// <summary>
    /// What was evaluated in one line: images, classes, ground-truth boxes and the detections evaluated, and
    /// when some were dropped (classes not in the ground truth) or COCO left some out (beyond its last maxDets
    /// value per image and class), how many, e.g. <c>730 detections (4 more of classes not in the ground truth dropped)</c>.
    /// </summary>
    public static string DescribeInputs(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        DatasetSummary inputs = result.Inputs;
        string line = $"{Counting.Of(inputs.Images, "image")}, {Counting.Of(inputs.Classes, "class")}, "
            + $"{Counting.Of(inputs.GroundTruthBoxes, "ground-truth box")}, {Counting.Of(inputs.DetectionsEvaluated, "detection")}";
        var dropped = new List<string>();
        if (inputs.DetectionsOfUnknownCategories > 0) dropped.Add($"{Counting.Number(inputs.DetectionsOfUnknownCategories)} more of classes not in the ground truth dropped");
        if (inputs.DetectionsOverMaxDets > 0 && result.Coco is { } coco)
        {
            dropped.Add($"{Counting.Number(inputs.DetectionsOverMaxDets)} over maxDets {Counting.Number(coco.MaxDetections[^1])} per image and class not counted by COCO");
        }
        return dropped.Count == 0 ? line : $"{line} ({string.Join("; ", dropped)})";
    }

    /// <summary>The twelve lines exactly as pycocotools' <c>summarize()</c> prints them.</summary>
    public static void WriteCocoSummary(TextWriter output, CocoResult coco)
    {
        IReadOnlyList<double> thresholds = CocoParameters.IouThresholds;
        string allThresholds = string.Create(Invariant, $"{thresholds[0]:0.00}:{thresholds[^1]:0.00}");
        IReadOnlyList<int> m = coco.MaxDetections;
        CocoSummary s = coco.Summary;
        (bool Ap, string Iou, string Area, int MaxDets, double? Value)[] lines =
        [
            (true, allThresholds, "all", m[2], s.Ap),
            (true, "0.50", "all", m[2], s.Ap50),
            (true, "0.75", "all", m[2], s.Ap75),
            (true, allThresholds, "small", m[2], s.ApSmall),
            (true, allThresholds, "medium", m[2], s.ApMedium),
            (true, allThresholds, "large", m[2], s.ApLarge),
            (false, allThresholds, "all", m[0], s.Ar1),
            (false, allThresholds, "all", m[1], s.Ar10),
            (false, allThresholds, "all", m[2], s.Ar100),
            (false, allThresholds, "small", m[2], s.ArSmall),
            (false, allThresholds, "medium", m[2], s.ArMedium),
            (false, allThresholds, "large", m[2], s.ArLarge),
        ];
        foreach (var line in lines)
        {
            // ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
            string title = line.Ap ? "Average Precision" : "Average Recall";
            string type = line.Ap ? "(AP)" : "(AR)";
            string value = (line.Value ?? -1.0).ToString("0.000", Invariant);
            output.WriteLine(string.Create(Invariant,
                $" {title,-18} {type} @[ IoU={line.Iou,-9} | area={line.Area,6} | maxDets={line.MaxDets,3} ] = {value}"));
        }
    }

    /// <summary>The pooled best-F1 point and, when asked, the point at the score threshold.</summary>
    public static void WriteOperatingPoints(TextWriter output, OperatingPoints points)
    {
        output.WriteLine(points.BestF1 is { } best
            ? $" best F1 = {Fixed(best.F1, 4)} at confidence >= {Confidence(best.Confidence)}: {Counts(best)}"
            : " best F1 = - (no detections)");
        if (points.ScoreThreshold is double threshold)
        {
            output.WriteLine(points.AtThreshold is { } at
                ? $" F1      = {Fixed(at.F1, 4)} at --score-threshold {Confidence(threshold)}: {Counts(at)}"
                : $" F1      = - at --score-threshold {Confidence(threshold)} (no positives)");
        }
    }

    /// <summary>A confidence as the reports print it: up to 6 decimals, shortest form.</summary>
    public static string Confidence(double value) => value.ToString("0.######", Invariant);

    private static string Counts(OperatingPoint p) =>
        $"precision {Fixed(p.Precision, 4)}, recall {Fixed(p.Recall, 4)} (tp {Counting.Number(p.TruePositives)}, fp {Counting.Number(p.FalsePositives)}, fn {Counting.Number(p.FalseNegatives)})";

    private static void WritePerClassTable(TextWriter output, EvaluationResult result)
    {
        int nameWidth = Math.Clamp(result.Categories.Max(c => (int?)c.Name.Length) ?? 4, 4, 30);
        var header = new List<string> { "id".PadLeft(6), "class".PadRight(nameWidth) };
        if (result.Coco is not null) header.AddRange(new[] { "AP", "AP50", "AP75", "APs", "APm", "APl", "AR100" }.Select(h => h.PadLeft(6)));
        if (result.Voc is not null) header.AddRange(new[] { "npos", "tp", "fp" }.Select(h => h.PadLeft(6)).Concat(new[] { "AP07", "APall" }.Select(h => h.PadLeft(7))));
        OperatingPoints? points = result.OperatingPoints;
        if (points is not null) header.AddRange(new[] { "bestF1", "@conf" }.Select(h => h.PadLeft(7)));
        if (points?.ScoreThreshold is not null) header.AddRange(new[] { "P@thr", "R@thr", "F1@thr" }.Select(h => h.PadLeft(7)));
        output.WriteLine("Per class:");
        output.WriteLine(string.Join("  ", header));
        for (int k = 0; k < result.Categories.Count; k++)
        {
            var row = new List<string>
            {
                result.Categories[k].Id.ToString(Invariant).PadLeft(6),
                Shorten(result.Categories[k].Name, nameWidth).PadRight(nameWidth),
            };
            if (result.Coco is { } coco)
            {
                CocoClassResult c = coco.PerClass[k];
                row.AddRange(new[] { c.Ap, c.Ap50, c.Ap75, c.ApSmall, c.ApMedium, c.ApLarge, c.Ar100 }.Select(v => Fixed(v, 3).PadLeft(6)));
            }
            if (result.Voc is { } voc)
            {
                VocClassResult v = voc.PerClass[k];
                row.AddRange(new[] { v.Positives, v.TruePositives, v.FalsePositives }.Select(n => Counting.Number(n).PadLeft(6)));
                row.Add(Fixed(v.Ap07, 4).PadLeft(7));
                row.Add(Fixed(v.ApAll, 4).PadLeft(7));
            }
            if (points is not null)
            {
                ClassOperatingPoints p = points.PerClass[k];
                row.Add(Fixed(p.BestF1?.F1, 4).PadLeft(7));
                row.Add((p.BestF1 is { } best ? best.Confidence.ToString("0.0000", Invariant) : "-").PadLeft(7));
                if (points.ScoreThreshold is not null)
                {
                    row.Add(Fixed(p.AtThreshold?.Precision, 4).PadLeft(7));
                    row.Add(Fixed(p.AtThreshold?.Recall, 4).PadLeft(7));
                    row.Add(Fixed(p.AtThreshold?.F1, 4).PadLeft(7));
                }
            }
            output.WriteLine(string.Join("  ", row));
        }
    }

    /// <summary>A profile in words, e.g. "IoU >= 0.50, continuous coordinates".</summary>
    public static string DescribeProfile(VocMatchSettings settings) => string.Create(Invariant,
        $"IoU {(settings.Rule == VocIouRule.Greater ? ">" : ">=")} {settings.IouThreshold:0.00###}, {(settings.PlusOnePixel ? "+1 pixel convention" : "continuous coordinates")}");

    private static string Fixed(double? value, int decimals) =>
        value is double v ? v.ToString("F" + decimals.ToString(Invariant), Invariant) : "-";

    private static string Shorten(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "~";
}
