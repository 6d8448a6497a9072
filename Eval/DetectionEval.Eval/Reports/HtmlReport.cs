using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Analysis;

namespace DetectionEval.Eval.Reports;

/// <summary>
/// The HTML report: one self-contained file (inline CSS, inline SVG charts, overlays embedded as data,
/// one small inline script that sorts the table) that opens offline and fetches nothing.
/// </summary>
public static partial class HtmlReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes the report as UTF-8.</summary>
    public static void Write(TextWriter output, EvaluationResult result, ReportContent content)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(content);
        output.WriteLine("<!DOCTYPE html>");
        output.WriteLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        output.WriteLine("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        output.WriteLine($"<title>{E(content.Header.ToolName)} report: {E(Path.GetFileName(content.Header.Predictions))}</title>");
        output.WriteLine($"<style>{Css}</style></head><body>");
        output.WriteLine($"<header><h1>Detection evaluation: {E(Path.GetFileName(content.Header.Predictions))}</h1>");
        output.WriteLine($"<p class=\"sub\">{E(Inputs(result))} &middot; {E(content.Header.ToolName)} {E(content.Header.ToolVersion)}</p></header>");
        output.WriteLine("<main>");
        WriteSummary(output, result);
        WriteIouTypeSections(output, result, content.Figures);
        WriteFigures(output, content.Figures.Where(f => f.ClassName is null && !f.IsAnalysis && f.IouType is null).ToList(), "Charts", "charts");
        if (result.Coco is not null || result.Voc is not null) WriteClassTable(output, result);
        if (result.Analysis is { } analysis)
        {
            ReportFigure[] figures = [.. content.Figures.Where(f => f.IsAnalysis)];
            AnalysisReport.WriteHtml(output, analysis, [.. figures.Select((f, i) => $"<figure role=\"img\" aria-label=\"{E(f.Title)}\">{InlineSvg(f.Svg, $"analysis{i}_")}</figure>")]);
        }
        WriteWorst(output, content);
        WritePerClassFigures(output, content.Figures.Where(f => f.ClassName is not null).ToList());
        WriteProvenance(output, result, content);
        output.WriteLine("</main>");
        output.WriteLine($"<script>{Script}</script>");
        output.WriteLine("</body></html>");
    }

    private static string Inputs(EvaluationResult result) => TextReport.DescribeInputs(result);

    private static void WriteSummary(TextWriter output, EvaluationResult result)
    {
        output.WriteLine("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
        if (result.Coco is { } coco)
        {
            Card(output, "COCO AP", coco.Summary.Ap, "IoU 0.50:0.95");
            Card(output, "COCO AP50", coco.Summary.Ap50, "IoU 0.50");
            Card(output, "COCO AP75", coco.Summary.Ap75, "IoU 0.75");
            Card(output, "COCO AR100", coco.Summary.Ar100, "maxDets " + coco.MaxDetections[^1].ToString(Invariant));
        }
        if (result.Voc is { } voc)
        {
            Card(output, "VOC mAP", voc.MeanApAll, $"all-point, {TextReport.DescribeProfile(voc.Settings)}");
            Card(output, "VOC mAP 11-point", voc.MeanAp07, $"{Counting.Of(voc.ClassesInMean, "class")} with positives");
        }
        if (result.OperatingPoints is { } points)
        {
            if (points.BestF1 is { } best)
            {
                Card(output, "Best F1", best.F1, $"at confidence &ge; {E(TextReport.Confidence(best.Confidence))}: precision {F(best.Precision)}, recall {F(best.Recall)}", raw: true);
            }
            if (points.ScoreThreshold is double t && points.AtThreshold is { } at)
            {
                Card(output, $"F1 at {TextReport.Confidence(t)}", at.F1, $"precision {F(at.Precision)}, recall {F(at.Recall)}");
            }
        }
        output.WriteLine("</div>");
        if (result.Coco is { } c)
        {
            var text = new StringWriter { NewLine = "\n" };
            TextReport.WriteCocoSummary(text, c);
            output.WriteLine($"<details><summary>COCO summary (pycocotools layout)</summary><pre>{E(text.ToString())}</pre></details>");
        }
        if (result.OperatingPoints is { } op)
        {
            var text = new StringWriter { NewLine = "\n" };
            TextReport.WriteOperatingPoints(text, op);
            output.WriteLine($"<p class=\"note\">Operating point (VOC matches, all classes pooled):</p><pre>{E(text.ToString())}</pre>");
        }
        output.WriteLine("</section>");
    }

    /// <summary>One section per COCO iou type besides boxes: its cards, pycocotools' summary lines and a sortable per-class table.</summary>
    private static void WriteIouTypeSections(TextWriter output, EvaluationResult result, IReadOnlyList<ReportFigure> figures)
    {
        IReadOnlyList<ReportFigure> Of(IouType iouType) => [.. figures.Where(f => f.IouType == iouType)];
        if (result.CocoSegm is { } segm)
        {
            var text = new StringWriter { NewLine = "\n" };
            TextReport.WriteCocoSummary(text, segm);
            WriteIouTypeSection(output, "segm", "COCO segm (instance masks)",
                [("AP", segm.Summary.Ap, "mask IoU 0.50:0.95"), ("AP50", segm.Summary.Ap50, "mask IoU 0.50"), ("AP75", segm.Summary.Ap75, "mask IoU 0.75"),
                    ("AR100", segm.Summary.Ar100, "maxDets " + segm.MaxDetections[^1].ToString(Invariant))],
                text.ToString(),
                ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR100"],
                segm.PerClass.Select(c => (c.Category, new[] { c.Ap, c.Ap50, c.Ap75, c.ApSmall, c.ApMedium, c.ApLarge, c.Ar100 })),
                Of(IouType.Segm));
        }
        if (result.CocoKeypoints is { } keypoints)
        {
            var text = new StringWriter { NewLine = "\n" };
            TextReport.WriteKeypointSummary(text, keypoints);
            WriteIouTypeSection(output, "keypoints", "COCO keypoints (OKS)",
                [("AP", keypoints.Summary.Ap, "OKS 0.50:0.95"), ("AP50", keypoints.Summary.Ap50, "OKS 0.50"), ("AP75", keypoints.Summary.Ap75, "OKS 0.75"),
                    ("AR", keypoints.Summary.Ar, "maxDets 20")],
                text.ToString(),
                ["AP", "AP50", "AP75", "APm", "APl", "AR"],
                keypoints.PerClass.Select(c => (c.Category, new[] { c.Ap, c.Ap50, c.Ap75, c.ApMedium, c.ApLarge, c.Ar })),
                Of(IouType.Keypoints));
        }
    }

    private static void WriteIouTypeSection(
        TextWriter output, string id, string heading, (string Name, double? Value, string Detail)[] cards, string summary,
        string[] columns, IEnumerable<(Data.Category Category, double?[] Values)> rows, IReadOnlyList<ReportFigure> figures)
    {
        output.WriteLine($"<section id=\"{id}\"><h2>{E(heading)}</h2><div class=\"cards\">");
        foreach (var card in cards) Card(output, $"COCO {id} {card.Name}", card.Value, card.Detail);
        output.WriteLine("</div>");
        if (figures.Count > 0)
        {
            output.WriteLine("<div class=\"figures\">");
            for (int i = 0; i < figures.Count; i++) WriteFigure(output, figures[i], $"{id}{i}_");
            output.WriteLine("</div>");
        }
        output.WriteLine($"<details><summary>{E(heading)} summary (pycocotools layout)</summary><pre>{E(summary)}</pre></details>");
        var list = rows.ToList();
        output.WriteLine($"<details><summary>Per class ({Counting.Number(list.Count)}); click a column heading to sort</summary>");
        output.WriteLine("<div class=\"scroll\"><table class=\"sortable\"><thead><tr>");
        output.WriteLine("<th title=\"category id\">id</th>");
        output.WriteLine("<th title=\"category name\">class</th>");
        foreach (string column in columns) output.WriteLine($"<th>{E(column)}</th>");
        output.WriteLine("</tr></thead><tbody>");
        foreach ((Data.Category category, double?[] values) in list)
        {
            output.Write("<tr>");
            output.Write(Cell(category.Id));
            output.Write(Cell(category.Name));
            foreach (double? value in values) output.Write(Cell(value));
            output.WriteLine("</tr>");
        }
        output.WriteLine("</tbody></table></div></details></section>");
    }

    private static void Card(TextWriter output, string name, double? value, string detail, bool raw = false) =>
        output.WriteLine($"<div class=\"card\"><div class=\"name\">{E(name)}</div><div class=\"value\">{(value is double v ? F(v) : "&ndash;")}</div><div class=\"detail\">{(raw ? detail : E(detail))}</div></div>");

    private static void WriteFigures(TextWriter output, IReadOnlyList<ReportFigure> figures, string heading, string id)
    {
        if (figures.Count == 0) return;
        output.WriteLine($"<section id=\"{id}\"><h2>{E(heading)}</h2><div class=\"figures\">");
        for (int i = 0; i < figures.Count; i++) WriteFigure(output, figures[i], $"{id}{i}");
        output.WriteLine("</div></section>");
    }

    // The chart draws its own title; the figure's accessible name repeats it for screen readers.
    private static void WriteFigure(TextWriter output, ReportFigure figure, string idPrefix) =>
        output.WriteLine($"<figure role=\"img\" aria-label=\"{E(figure.Title)}\">{(figure.IsHtmlReady ? figure.Svg : InlineSvg(figure.Svg, idPrefix))}</figure>");

    private static void WritePerClassFigures(TextWriter output, IReadOnlyList<ReportFigure> figures)
    {
        if (figures.Count == 0) return;
        output.WriteLine("<section id=\"classes\"><h2>Per-class charts</h2>");
        int i = 0;
        foreach (IGrouping<string?, ReportFigure> group in figures.GroupBy(f => f.ClassName))
        {
            output.WriteLine($"<details><summary>{E(group.Key!)}</summary><div class=\"figures\">");
            foreach (ReportFigure figure in group) WriteFigure(output, figure, $"class{i++}_");
            output.WriteLine("</div></details>");
        }
        output.WriteLine("</section>");
    }

    private static void WriteClassTable(TextWriter output, EvaluationResult result)
    {
        IReadOnlyList<ClassRow> rows = ClassRow.Of(result);
        bool coco = result.Coco is not null, voc = result.Voc is not null;
        bool threshold = result.OperatingPoints?.ScoreThreshold is not null;
        var columns = new List<(string Name, string Title, Func<ClassRow, object?> Value)>
        {
            ("id", "category id", r => r.Id),
            ("class", "category name", r => r.Name),
        };
        if (coco)
        {
            columns.Add(("AP", "COCO AP, IoU 0.50:0.95", r => r.Ap));
            columns.Add(("AP50", "COCO AP, IoU 0.50", r => r.Ap50));
            columns.Add(("AP75", "COCO AP, IoU 0.75", r => r.Ap75));
            columns.Add(("APs", "COCO AP, small objects", r => r.ApSmall));
            columns.Add(("APm", "COCO AP, medium objects", r => r.ApMedium));
            columns.Add(("APl", "COCO AP, large objects", r => r.ApLarge));
            columns.Add(("AR100", "COCO AR, maxDets 100", r => r.Ar100));
        }
        if (voc)
        {
            columns.Add(("npos", "VOC positives (ground truth that is not difficult)", r => r.Positives));
            columns.Add(("dets", "detections", r => r.Detections));
            columns.Add(("tp", "VOC true positives", r => r.TruePositives));
            columns.Add(("fp", "VOC false positives", r => r.FalsePositives));
            columns.Add(("AP07", "VOC 11-point AP", r => r.Ap07));
            columns.Add(("APall", "VOC all-point AP", r => r.ApAll));
            columns.Add(("best F1", "F1 at the best-F1 confidence", r => r.BestF1));
            columns.Add(("@conf", "the best-F1 confidence", r => r.BestF1Confidence));
            columns.Add(("P", "precision at the best-F1 confidence", r => r.BestF1Precision));
            columns.Add(("R", "recall at the best-F1 confidence", r => r.BestF1Recall));
        }
        if (threshold)
        {
            columns.Add(("P@thr", "precision at --score-threshold", r => r.PrecisionAtThreshold));
            columns.Add(("R@thr", "recall at --score-threshold", r => r.RecallAtThreshold));
            columns.Add(("F1@thr", "F1 at --score-threshold", r => r.F1AtThreshold));
        }
        output.WriteLine("<section id=\"table\"><h2>Per class</h2><p class=\"note\">Click a column heading to sort; click again to reverse.</p>");
        output.WriteLine("<div class=\"scroll\"><table class=\"sortable\"><thead><tr>");
        foreach (var column in columns) output.WriteLine($"<th title=\"{E(column.Title)}\">{E(column.Name)}</th>");
        output.WriteLine("</tr></thead><tbody>");
        foreach (ClassRow row in rows)
        {
            output.Write("<tr>");
            foreach (var column in columns) output.Write(Cell(column.Value(row)));
            output.WriteLine("</tr>");
        }
        output.WriteLine("</tbody></table></div></section>");
    }

    private static string Cell(object? value) => value switch
    {
        null => "<td data-v=\"\" class=\"na\">&ndash;</td>",
        double d => $"<td data-v=\"{d.ToString("R", Invariant)}\">{F(d)}</td>",
        int i => $"<td data-v=\"{i.ToString(Invariant)}\">{Counting.Number(i)}</td>",
        long l => $"<td data-v=\"{l.ToString(Invariant)}\">{Counting.Number(l)}</td>",
        _ => $"<td>{E(Convert.ToString(value, Invariant) ?? "")}</td>",
    };

    private static void WriteWorst(TextWriter output, ReportContent content)
    {
        if (content.Worst.Count == 0) return;
        string at = content.OverlayConfidence is double c ? $" at confidence &ge; {E(TextReport.Confidence(c))}" : "";
        output.WriteLine($"<section id=\"worst\"><h2>Worst images</h2><p class=\"note\">The {Counting.Of(content.Worst.Count, "image")} with the most errors (false positives + false negatives){at}. "
            + "<span class=\"tp\">TP green</span>, <span class=\"fp\">FP red</span>, <span class=\"fn\">FN blue</span>, <span class=\"ig\">ignored grey</span>. Click an image for the full-size file.</p><div class=\"worst\">");
        foreach (ReportOverlay overlay in content.Worst)
        {
            ImageErrorCounts n = overlay.Counts;
            string caption = $"{overlay.ImageName}: {Counting.Of(n.Errors, "error")} (FP {Counting.Number(n.FalsePositives)}, FN {Counting.Number(n.FalseNegatives)}, TP {Counting.Number(n.TruePositives)})";
            output.WriteLine($"<figure><a href=\"{E(overlay.Link)}\"><img alt=\"{E(overlay.ImageName)}\" src=\"data:image/jpeg;base64,{Convert.ToBase64String(overlay.Jpeg)}\"></a><figcaption>{E(caption)}</figcaption></figure>");
        }
        output.WriteLine("</div></section>");
    }

    private static void WriteProvenance(TextWriter output, EvaluationResult result, ReportContent content)
    {
        output.WriteLine("<section id=\"provenance\"><h2>How this report was made</h2>");
        output.WriteLine($"<p>Command line:</p><pre>{E(content.CommandLine)}</pre>");
        output.WriteLine("<table class=\"plain\"><thead><tr><th>input</th><th>path</th><th>bytes</th><th>SHA-256</th></tr></thead><tbody>");
        foreach (ReportInput input in content.Inputs)
        {
            output.WriteLine($"<tr><td>{E(input.Role)}</td><td>{E(input.Path)}</td><td>{Counting.Number(input.Bytes)}</td><td><code>{E(input.Sha256)}</code></td></tr>");
        }
        output.WriteLine("</tbody></table>");
        string voc = result.Voc is { } v ? $"; VOC {TextReport.DescribeProfile(v.Settings)}" : "";
        output.WriteLine($"<p>Tool: {E(content.Header.ToolName)} {E(content.Header.ToolVersion)}. COCO follows pycocotools COCOeval (bbox){E(voc)}. Dropped detections of unknown categories: {Counting.Number(result.Inputs.DetectionsOfUnknownCategories)}.</p>");
        output.WriteLine("</section>");
    }

    /// <summary>
    /// An SVG document made fit to sit inside HTML: no XML declaration, no namespace declarations (the HTML
    /// parser puts &lt;svg&gt; in the SVG namespace itself), element ids prefixed so that several charts'
    /// clip paths do not collide, and scaled to its container.
    /// </summary>
    public static string InlineSvg(string svg, string idPrefix)
    {
        ArgumentNullException.ThrowIfNull(svg);
        string body = XmlDeclaration().Replace(svg, "");
        body = NamespaceDeclaration().Replace(body, "");
        body = IdAttribute().Replace(body, m => $"id=\"{idPrefix}{m.Groups[1].Value}\"");
        body = UrlReference().Replace(body, m => $"url(#{idPrefix}{m.Groups[1].Value})");
        body = HrefReference().Replace(body, m => $"href=\"#{idPrefix}{m.Groups[1].Value}\"");
        body = SvgSize().Replace(body, m => $"<svg viewBox=\"0 0 {m.Groups[1].Value} {m.Groups[2].Value}\" preserveAspectRatio=\"xMidYMid meet\"", 1);
        return body.Trim();
    }

    [GeneratedRegex(@"<\?xml[^>]*\?>")]
    private static partial Regex XmlDeclaration();

    [GeneratedRegex(@"\s+xmlns(:\w+)?=""[^""]*""")]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"\bid=""([^""]*)""")]
    private static partial Regex IdAttribute();

    [GeneratedRegex(@"url\(#([^)]*)\)")]
    private static partial Regex UrlReference();

    [GeneratedRegex(@"href=""#([^""]*)""")]
    private static partial Regex HrefReference();

    [GeneratedRegex(@"<svg\s+width=""([\d.]+)""\s+height=""([\d.]+)""")]
    private static partial Regex SvgSize();

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(double value) => value.ToString("0.000", Invariant);

    private const string Css = """
        :root { --ink: #1d2430; --muted: #5b6576; --line: #d8dde6; --band: #f4f6fa; --accent: #1f77b4; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #fff; }
        header { padding: 18px 28px 10px; border-bottom: 1px solid var(--line); background: var(--band); }
        h1 { margin: 0; font-size: 22px; } h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
        .sub, .note { color: var(--muted); margin: 4px 0; }
        main { padding: 0 28px 40px; max-width: 1400px; }
        .cards { display: flex; flex-wrap: wrap; gap: 12px; }
        .card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 150px; background: #fff; }
        .card .name { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
        .card .value { font-size: 26px; font-weight: bold; }
        .card .detail { color: var(--muted); font-size: 12px; max-width: 260px; }
        pre { background: var(--band); padding: 8px 12px; overflow-x: auto; font-size: 12px; }
        .figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
        figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 6px; background: #fff; }
        figure svg, figure img { width: 100%; height: auto; display: block; }
        figure svg text { font-family: "DejaVu Sans", Verdana, "Segoe UI", Arial, sans-serif; }
        figcaption { color: var(--muted); font-size: 12px; padding: 4px 2px 0; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
        th:nth-child(2), td:nth-child(2) { text-align: left; }
        table.sortable th { cursor: pointer; background: var(--band); position: sticky; top: 0; user-select: none; }
        th.asc::after { content: " \25B2"; } th.desc::after { content: " \25BC"; }
        tbody tr:nth-child(even) { background: #fafbfd; } td.na { color: #a0a7b4; }
        table.plain td, table.plain th { text-align: left; }
        .worst { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 14px; }
        details { margin: 6px 0; } summary { cursor: pointer; font-weight: bold; padding: 4px 0; }
        .tp { color: #28aa28; } .fp { color: #dc2828; } .fn { color: #146ede; } .ig { color: #969696; }
        """;

    private const string Script = """
        document.querySelectorAll('table.sortable').forEach(function (table) {
          table.querySelectorAll('th').forEach(function (th, col) {
            th.addEventListener('click', function () {
              var asc = !th.classList.contains('asc');
              table.querySelectorAll('th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
              th.classList.add(asc ? 'asc' : 'desc');
              var body = table.tBodies[0];
              var rows = Array.prototype.slice.call(body.rows);
              rows.sort(function (a, b) {
                var x = a.cells[col], y = b.cells[col];
                var xv = x.getAttribute('data-v'), yv = y.getAttribute('data-v');
                if (xv !== null && yv !== null) {
                  if (xv === '' || yv === '') return xv === yv ? 0 : (xv === '' ? 1 : -1);
                  return asc ? xv - yv : yv - xv;
                }
                return asc ? x.textContent.localeCompare(y.textContent) : y.textContent.localeCompare(x.textContent);
              });
              rows.forEach(function (r) { body.appendChild(r); });
            });
          });
        });
        """;
}
