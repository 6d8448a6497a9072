using System.Globalization;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Reports;

/// <summary>
/// A short Markdown summary for a CI step summary or a pull-request comment: the headline numbers, the
/// operating point, the weakest classes, and the full per-class table folded away.
/// </summary>
public static class MarkdownReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>How many of the lowest-AP classes the summary lists.</summary>
    public const int WeakestClasses = 5;

    /// <summary>Writes the summary.</summary>
    public static void Write(TextWriter output, EvaluationResult result, ReportHeader header)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(header);
        output.WriteLine($"### Detection evaluation: `{Code(Path.GetFileName(header.Predictions))}`");
        output.WriteLine();
        output.WriteLine($"{Cell(TextReport.DescribeInputs(result))} · {Cell(header.ToolName)} {Cell(header.ToolVersion)}");
        output.WriteLine();
        output.WriteLine("| metric | value | |");
        output.WriteLine("|---|---:|---|");
        if (result.Coco is { } coco)
        {
            output.WriteLine($"| COCO AP | {F(coco.Summary.Ap)} | IoU 0.50:0.95 |");
            output.WriteLine($"| COCO AP50 | {F(coco.Summary.Ap50)} | IoU 0.50 |");
            output.WriteLine($"| COCO AP75 | {F(coco.Summary.Ap75)} | IoU 0.75 |");
            output.WriteLine($"| COCO AR100 | {F(coco.Summary.Ar100)} | |");
        }
        if (result.Voc is { } voc)
        {
            output.WriteLine($"| VOC mAP | {F(voc.MeanApAll)} | all-point, {Cell(TextReport.DescribeProfile(voc.Settings))} |");
            output.WriteLine($"| VOC mAP (11-point) | {F(voc.MeanAp07)} | {Counting.Of(voc.ClassesInMean, "class")} with positives |");
        }
        if (result.OperatingPoints is { } points)
        {
            if (points.BestF1 is { } best)
            {
                output.WriteLine($"| best F1 | {F(best.F1)} | confidence >= {TextReport.Confidence(best.Confidence)}: precision {F(best.Precision)}, recall {F(best.Recall)} (all classes pooled) |");
            }
            if (points.ScoreThreshold is double t && points.AtThreshold is { } at)
            {
                output.WriteLine($"| F1 at {TextReport.Confidence(t)} | {F(at.F1)} | precision {F(at.Precision)}, recall {F(at.Recall)} |");
            }
        }
        output.WriteLine();
        WriteWeakest(output, result);
        if (result.Analysis is { } analysis) AnalysisReport.WriteMarkdown(output, analysis);
        WriteTable(output, result);
    }

    private static void WriteWeakest(TextWriter output, EvaluationResult result)
    {
        // The VOC all-point AP when there is one (it exists for every class with positives), else COCO AP.
        var ranked = ClassRow.Of(result)
            .Select(r => (Row: r, Ap: r.ApAll ?? r.Ap))
            .Where(x => x.Ap is not null)
            .OrderBy(x => x.Ap!.Value)
            .ThenBy(x => x.Row.Id)
            .Take(WeakestClasses)
            .ToList();
        if (ranked.Count == 0) return;
        string which = result.Voc is not null ? "VOC AP" : "COCO AP";
        output.WriteLine($"Lowest {which}: " + string.Join(", ", ranked.Select(x => $"{Cell(x.Row.Name)} {F(x.Ap)}")));
        output.WriteLine();
    }

    private static void WriteTable(TextWriter output, EvaluationResult result)
    {
        bool coco = result.Coco is not null, voc = result.Voc is not null;
        bool threshold = result.OperatingPoints?.ScoreThreshold is not null;
        var headings = new List<string> { "id", "class" };
        if (coco) headings.AddRange(["AP", "AP50", "AP75"]);
        if (voc) headings.AddRange(["npos", "tp", "fp", "APall", "best F1", "@conf"]);
        if (threshold) headings.AddRange(["P@thr", "R@thr", "F1@thr"]);

        output.WriteLine($"<details><summary>Per class ({Counting.Number(result.Categories.Count)})</summary>");
        output.WriteLine();
        output.WriteLine("| " + string.Join(" | ", headings) + " |");
        output.WriteLine("|" + string.Join("|", headings.Select((_, i) => i == 1 ? "---" : "---:")) + "|");
        foreach (ClassRow r in ClassRow.Of(result))
        {
            var cells = new List<string> { r.Id.ToString(Invariant), Cell(r.Name) };
            if (coco) cells.AddRange([F(r.Ap), F(r.Ap50), F(r.Ap75)]);
            if (voc)
            {
                cells.AddRange([N(r.Positives), N(r.TruePositives), N(r.FalsePositives), F(r.ApAll), F(r.BestF1)]);
                cells.Add(r.BestF1Confidence is double c ? TextReport.Confidence(c) : "–");
            }
            if (threshold) cells.AddRange([F(r.PrecisionAtThreshold), F(r.RecallAtThreshold), F(r.F1AtThreshold)]);
            output.WriteLine("| " + string.Join(" | ", cells) + " |");
        }
        output.WriteLine();
        output.WriteLine("</details>");
    }

    private static string F(double? value) => value is double v ? v.ToString("0.000", Invariant) : "–";

    private static string N(int? value) => value is int v ? Counting.Number(v) : "–";

    private static string Cell(string text) => MarkdownText.Escape(text);

    private static string Code(string text) => text.Replace("`", "'", StringComparison.Ordinal);
}
