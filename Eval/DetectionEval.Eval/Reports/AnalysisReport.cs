using System.Globalization;
using System.Net;
using System.Text;
using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Tide;

namespace DetectionEval.Eval.Reports;

/// <summary>
/// The error analysis in the text outputs: the text summary, the confusion matrix as CSV, and the Markdown
/// and HTML sections (the JSON report's "analysis" section is <see cref="AnalysisSection"/>).
/// </summary>
public static class AnalysisReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>How many of the largest confusions the summaries name.</summary>
    public const int TopConfusions = 8;

    /// <summary>The confidence the analysis kept detections at, in words.</summary>
    public static string DescribeThreshold(double threshold) =>
        double.IsNegativeInfinity(threshold) ? "every confidence" : "confidence >= " + TextReport.Confidence(threshold);

    /// <summary>How the confusion matrix matched: <c>VOC, IoU &gt;= 0.50, continuous coordinates</c>, or on masks <c>VOC rules on mask IoU &gt;= 0.50</c>.</summary>
    private static string DescribeMatching(ErrorAnalysis analysis)
    {
        string profile = TextReport.DescribeProfile(analysis.Confusion.Settings);
        if (analysis.Overlap != IouType.Segm) return "VOC, " + profile;
        // The pixel convention of boxes means nothing for pixel counts: only the threshold and its test are said.
        int comma = profile.IndexOf(',', StringComparison.Ordinal);
        return "VOC rules on mask " + (comma < 0 ? profile : profile[..comma]);
    }

    private static string OnMasks(ErrorAnalysis analysis) => analysis.Overlap == IouType.Segm ? " on masks" : "";

    // ---- text ----

    /// <summary>Writes the analysis after the evaluation's text summary.</summary>
    public static void WriteText(TextWriter output, ErrorAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(analysis);
        ConfusionMatrix m = analysis.Confusion;
        output.WriteLine();
        output.WriteLine($"Error analysis at {DescribeThreshold(m.ScoreThreshold)} ({DescribeMatching(analysis)}):");
        output.WriteLine($" confusion matrix: {ConfusionSummary(m)}");
        if (m.TopConfusions(TopConfusions) is { Count: > 0 } top) output.WriteLine($" most confused (ground truth as detected): {DescribeConfusions(m, top)}");

        TideResult tide = analysis.Tide;
        output.WriteLine();
        output.WriteLine($"TIDE errors{OnMasks(analysis)} ({DescribeTide(tide.Settings)}), TIDE AP{Percent(tide.Settings.ForegroundIou)} = {Points(tide.Ap)}:");
        output.WriteLine(" type   count     dAP    small     dAP   medium     dAP    large     dAP");
        foreach (TideErrorSummary e in tide.Errors)
        {
            var line = new StringBuilder(string.Create(Invariant, $" {TideResult.ShortName(e.Type),-4} {N(e.Count),7} {Points(e.DeltaAp),7}"));
            foreach (TideSizeErrors s in e.BySize) line.Append(string.Create(Invariant, $" {N(s.Count),8} {Points(s.DeltaAp),7}"));
            output.WriteLine(line.ToString());
        }
        output.WriteLine($" special: FalsePos dAP {Points(tide.FalsePositiveDeltaAp)}, FalseNeg dAP {Points(tide.FalseNegativeDeltaAp)}");

        if (analysis.WorstImages.Count == 0) return;
        output.WriteLine();
        output.WriteLine($"Images with the most errors at {DescribeThreshold(m.ScoreThreshold)} (false positives + false negatives):");
        output.WriteLine(" errors    fp    fn    tp  confused  image");
        foreach (WorstImage w in analysis.WorstImages)
        {
            ImageErrorCounts n = w.Counts;
            output.WriteLine(string.Create(Invariant,
                $" {N(n.Errors),6} {N(n.FalsePositives),5} {N(n.FalseNegatives),5} {N(n.TruePositives),5} {N(w.Confusions),9}  {ImageName(w)}"));
        }
    }

    /// <summary>The matrix in one line: correct, confused, background, missed and ignored counts.</summary>
    public static string ConfusionSummary(ConfusionMatrix m)
    {
        ArgumentNullException.ThrowIfNull(m);
        int correct = 0;
        for (int k = 0; k < m.Background; k++) correct += m[k, k];
        return string.Create(Invariant,
            $"{N(correct)} correct, {N(m.Confusions)} confused between classes, {Counting.Of(m.RowTotal(m.Background), "detection")} on background, {Counting.Of(m.ColumnTotal(m.Background), "object")} missed, {N(m.IgnoredDetections)} ignored");
    }

    private static string DescribeConfusions(ConfusionMatrix m, IReadOnlyList<(int GroundTruth, int Detected, int Count)> top) =>
        string.Join(", ", top.Select(c => string.Create(Invariant, $"{m.Categories[c.GroundTruth].Name} as {m.Categories[c.Detected].Name} {N(c.Count)}")));

    /// <summary>TIDE's settings in words.</summary>
    public static string DescribeTide(TideSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return string.Create(Invariant,
            $"foreground IoU {settings.ForegroundIou:0.0##}, background IoU {settings.BackgroundIou:0.0##}, every detection up to {N(settings.MaxDetectionsPerImage)} per image");
    }

    private static string ImageName(WorstImage w) => w.Image.FileName ?? w.Image.Id.ToString();

    private static string Percent(double iou) => (iou * 100).ToString("0", Invariant);

    private static string Points(double? value) => value is double v ? v.ToString("0.00", Invariant) : "-";

    // ---- CSV ----

    /// <summary>
    /// The confusion matrix as CSV (UTF-8, no byte order mark, LF line ends): a header of the detected
    /// classes and background, then one row per ground-truth class and background.
    /// </summary>
    public static void WriteConfusionCsv(Stream stream, ConfusionMatrix m)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(m);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        string[] labels = [.. m.Categories.Select(c => c.Name), "background"];
        writer.WriteLine(string.Join(",", new[] { "ground truth \\ detected" }.Concat(labels).Select(CsvField)));
        for (int i = 0; i < m.Size; i++)
        {
            writer.WriteLine(string.Join(",", new[] { CsvField(labels[i]) }.Concat(Enumerable.Range(0, m.Size).Select(j => m[i, j].ToString(Invariant)))));
        }
    }

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.</summary>
    private static string CsvField(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;

    // ---- Markdown ----

    /// <summary>Writes the Markdown section: the matrix in a line, TIDE's table, the worst images folded away.</summary>
    public static void WriteMarkdown(TextWriter output, ErrorAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(analysis);
        ConfusionMatrix m = analysis.Confusion;
        TideResult tide = analysis.Tide;
        output.WriteLine($"#### Error analysis at {Md(DescribeThreshold(m.ScoreThreshold))}");
        output.WriteLine();
        output.WriteLine($"Confusion matrix ({Md(DescribeMatching(analysis))}): {ConfusionSummary(m)}.");
        if (m.TopConfusions(TopConfusions) is { Count: > 0 } top) output.WriteLine($"Most confused (ground truth as detected): {Md(DescribeConfusions(m, top))}.");
        output.WriteLine();
        output.WriteLine($"TIDE errors{OnMasks(analysis)} ({Md(DescribeTide(tide.Settings))}); TIDE AP{Percent(tide.Settings.ForegroundIou)} {Points(tide.Ap)}; dAP is the AP points gained if that type were fixed:");
        output.WriteLine();
        output.WriteLine("| type | count | dAP | small | medium | large |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (TideErrorSummary e in tide.Errors)
        {
            string sizes = string.Join(" | ", e.BySize.Select(s => string.Create(Invariant, $"{N(s.Count)} ({Points(s.DeltaAp)})")));
            output.WriteLine(string.Create(Invariant, $"| {TideResult.ShortName(e.Type)} | {N(e.Count)} | {Points(e.DeltaAp)} | {sizes} |"));
        }
        output.WriteLine();
        output.WriteLine($"Special: FalsePos dAP {Points(tide.FalsePositiveDeltaAp)}, FalseNeg dAP {Points(tide.FalseNegativeDeltaAp)}. Sizes show count (dAP).");
        output.WriteLine();
        if (analysis.WorstImages.Count == 0) return;
        output.WriteLine($"<details><summary>Images with the most errors ({N(analysis.WorstImages.Count)})</summary>");
        output.WriteLine();
        output.WriteLine("| image | errors | fp | fn | tp | confused |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (WorstImage w in analysis.WorstImages)
        {
            ImageErrorCounts n = w.Counts;
            output.WriteLine(string.Create(Invariant, $"| {Md(ImageName(w))} | {N(n.Errors)} | {N(n.FalsePositives)} | {N(n.FalseNegatives)} | {N(n.TruePositives)} | {N(w.Confusions)} |"));
        }
        output.WriteLine();
        output.WriteLine("</details>");
        output.WriteLine();
    }

    private static string Md(string text) => MarkdownText.Escape(text);

    // ---- HTML ----

    /// <summary>Writes the HTML section: summary lines, the analysis charts, TIDE's table and the worst images table.</summary>
    /// <param name="output">The report being written.</param>
    /// <param name="analysis">The analysis.</param>
    /// <param name="figures">The analysis charts as inline SVG, already made fit for HTML.</param>
    public static void WriteHtml(TextWriter output, ErrorAnalysis analysis, IReadOnlyList<string> figures)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(figures);
        ConfusionMatrix m = analysis.Confusion;
        TideResult tide = analysis.Tide;
        output.WriteLine($"<section id=\"analysis\"><h2>Error analysis</h2>");
        output.WriteLine($"<p>Confusion matrix at {H(DescribeThreshold(m.ScoreThreshold))} ({H(DescribeMatching(analysis))}; rows ground truth, columns detected): {H(ConfusionSummary(m))}.</p>");
        if (m.TopConfusions(TopConfusions) is { Count: > 0 } top) output.WriteLine($"<p>Most confused (ground truth as detected): {H(DescribeConfusions(m, top))}.</p>");
        if (figures.Count > 0)
        {
            // One chart a row, wide: the confusion matrix needs the room for its labels.
            output.WriteLine("<div style=\"display: grid; gap: 14px; max-width: 1100px\">");
            foreach (string svg in figures) output.WriteLine(svg);
            output.WriteLine("</div>");
        }
        output.WriteLine($"<p>TIDE errors{OnMasks(analysis)} ({H(DescribeTide(tide.Settings))}); TIDE AP{Percent(tide.Settings.ForegroundIou)} {Points(tide.Ap)}. dAP: the AP points gained if the errors of that type were fixed.</p>");
        output.WriteLine("<table class=\"plain\"><thead><tr><th>type</th><th>count</th><th>dAP</th><th>small</th><th>dAP</th><th>medium</th><th>dAP</th><th>large</th><th>dAP</th></tr></thead><tbody>");
        foreach (TideErrorSummary e in tide.Errors)
        {
            string sizes = string.Concat(e.BySize.Select(s => string.Create(Invariant, $"<td>{N(s.Count)}</td><td>{Points(s.DeltaAp)}</td>")));
            output.WriteLine(string.Create(Invariant, $"<tr><td>{TideResult.ShortName(e.Type)}</td><td>{N(e.Count)}</td><td>{Points(e.DeltaAp)}</td>{sizes}</tr>"));
        }
        output.WriteLine("</tbody></table>");
        output.WriteLine($"<p class=\"note\">Special: FalsePos dAP {Points(tide.FalsePositiveDeltaAp)}, FalseNeg dAP {Points(tide.FalseNegativeDeltaAp)}.</p>");
        if (analysis.WorstImages.Count > 0)
        {
            output.WriteLine($"<p>Images with the most errors at {H(DescribeThreshold(m.ScoreThreshold))} (false positives + false negatives):</p>");
            output.WriteLine("<table class=\"plain\"><thead><tr><th>image</th><th>errors</th><th>fp</th><th>fn</th><th>tp</th><th>confused</th></tr></thead><tbody>");
            foreach (WorstImage w in analysis.WorstImages)
            {
                ImageErrorCounts n = w.Counts;
                output.WriteLine(string.Create(Invariant,
                    $"<tr><td>{H(ImageName(w))}</td><td>{N(n.Errors)}</td><td>{N(n.FalsePositives)}</td><td>{N(n.FalseNegatives)}</td><td>{N(n.TruePositives)}</td><td>{N(w.Confusions)}</td></tr>"));
            }
            output.WriteLine("</tbody></table>");
        }
        output.WriteLine("</section>");
    }

    private static string H(string text) => WebUtility.HtmlEncode(text);

    private static string N(long count) => Counting.Number(count);
}
