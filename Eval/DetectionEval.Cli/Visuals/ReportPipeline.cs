using System.Globalization;
using System.Text;
using DetectionEval.Cli.Runs;
using DetectionEval.Cli.Options;
using DetectionEval.Cli.Commands;
using DetectionEval.Eval;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;
using DetectionEval.Plots;
using DetectionEval.Eval.IO;
using DetectionEval.Eval.Analysis;

namespace DetectionEval.Cli.Visuals;

/// <summary>One file to write: its path, the option that asked for it, and its bytes.</summary>
/// <param name="Path">Where it goes.</param>
/// <param name="Option">The option that asked for it, for error messages.</param>
/// <param name="Content">Its bytes.</param>
public sealed record PreparedFile(string Path, string Option, byte[] Content);

/// <summary>Charts, reports and overlays, drawn and formatted in memory, ready to be written.</summary>
/// <param name="Directories">Folders to create first, with the option that asked for each.</param>
/// <param name="Files">Files to write, each atomically.</param>
public sealed record PreparedOutputs(IReadOnlyList<(string Path, string Option)> Directories, IReadOnlyList<PreparedFile> Files)
{
    /// <summary>Nothing to write.</summary>
    public static PreparedOutputs None { get; } = new([], []);

    /// <summary>Creates the folders and writes every file (temporary file and rename, one by one).</summary>
    public void WriteAll()
    {
        foreach ((string path, string option) in Directories)
        {
            try
            {
                Directory.CreateDirectory(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"{path}: Expected a folder that can be created for {option}, but got an error ({e.Message}).");
            }
        }
        foreach (PreparedFile file in Files)
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(file.Path)) ?? ".";
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"{file.Path}: Expected a folder that can be created for {file.Option}, but got an error ({e.Message}).");
            }
            OutputFiles.Write(file.Path, file.Option, stream => stream.Write(file.Content));
        }
    }
}

/// <summary>
/// Makes the charts (--plots), the HTML report (--report), the Markdown summary (--markdown), the CSV table
/// (--csv) and the overlays (--overlays) of an evaluation. Everything is prepared before anything is
/// written, so an error leaves no partial output.
/// </summary>
public static class ReportPipeline
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Fails fast, before the evaluation, on output options that cannot work.</summary>
    /// <exception cref="UsageException">An option combination or output path that cannot work.</exception>
    public static void CheckOutputs(EvaluateSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.LowMemory == true && settings.OutputsNeedingEverything.Count > 0)
        {
            throw new UsageException($"--low-memory cannot be combined with {string.Join(", ", settings.OutputsNeedingEverything)}, which need every box or curve at once.");
        }
        ReportSettings r = settings.Reports;
        string[] inputs = [settings.GroundTruth, .. settings.AllPredictions];
        IEnumerable<string> moreCsv = r.CsvPath is { } csvPath ? CsvReport.Paths(csvPath, settings.IouTypes).Skip(1).Select(p => p.Path) : [];
        foreach ((string? path, string option) in new[] { (r.HtmlPath, "--report"), (r.MarkdownPath, "--markdown"), (r.CsvPath, "--csv"), (settings.RecordsPath, "--records") }
            .Concat(moreCsv.Select(p => ((string?)p, "--csv"))))
        {
            if (path is null) continue;
            OutputFiles.RefuseToOverwriteInputs(path, option, inputs);
            if (Directory.Exists(path)) throw new UsageException($"{path}: Expected a file for {option}, but got a folder.");
            RequireCreatableFolder(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", path, option);
        }
        foreach ((string? path, string option) in new[] { (r.PlotsDirectory, "--plots"), (r.OverlaysDirectory, "--overlays") })
        {
            if (path is null) continue;
            if (File.Exists(path)) throw new UsageException($"{path}: Expected a folder for {option}, but got a file.");
            RequireCreatableFolder(Path.GetFullPath(path), path, option);
        }
        if (settings.Analysis.ConfusionCsvPath is { } confusionCsv)
        {
            OutputFiles.RefuseToOverwriteInputs(confusionCsv, "--confusion-csv", inputs);
            if (Directory.Exists(confusionCsv)) throw new UsageException($"{confusionCsv}: Expected a file for --confusion-csv, but got a folder.");
            RequireCreatableFolder(Path.GetDirectoryName(Path.GetFullPath(confusionCsv)) ?? ".", confusionCsv, "--confusion-csv");
        }
        if (settings.Analysis.Enabled && !settings.IouTypes.Contains(IouType.Bbox) && !settings.IouTypes.Contains(IouType.Segm))
        {
            throw new UsageException($"--analysis: Expected bbox or segm among --iou-type (it reads the box or mask matches), but got --iou-type {string.Join(',', settings.IouTypes.Select(ReportDocument.IouTypeName))}.");
        }
        RequireVocForAnalysis(settings);
        if (r.OverlaysDirectory is not null)
        {
            if (r.ImagesDirectory is null) throw new UsageException("--overlays: Expected --images DIR naming the folder of the images, but got none.");
            if (!settings.Metrics.HasFlag(MetricSet.Voc)) throw new UsageException("--overlays: Expected the VOC matches (--metric voc or all), but got --metric coco.");
        }
        if (r.ImagesDirectory is { } images && !Directory.Exists(images)) throw new UsageException($"{images}: Expected a folder of images for --images, but got {(File.Exists(images) ? "a file" : "no such folder")}.");
        // Before the evaluation, which may take minutes, rather than when the first overlay is drawn.
        if (r.OverlaysDirectory is not null) OpenCvRequirement.Require("--overlays");
        if (r.PlotsDirectory is not null || r.HtmlPath is not null) NativeParts.RequireChartLibraries(r.PlotsDirectory is not null ? "--plots" : "--report");
    }

    /// <summary>Rule: the error analysis reads the VOC matches.</summary>
    public static void RequireVocForAnalysis(EvaluateSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Analysis.Enabled && !settings.Metrics.HasFlag(MetricSet.Voc))
        {
            throw new UsageException("--analysis: Expected the VOC matches (--metric voc or all), but got --metric coco.");
        }
    }

    /// <summary>A missing folder is created when the files are written; only a file standing in its way is an error.</summary>
    private static void RequireCreatableFolder(string folder, string path, string option)
    {
        for (string? at = folder; !string.IsNullOrEmpty(at); at = Path.GetDirectoryName(at))
        {
            if (Directory.Exists(at)) return;
            if (File.Exists(at)) throw new UsageException($"{path}: Expected a path whose folders can be created for {option}, but got a file in the way ({at}).");
        }
    }

    /// <summary>Draws and formats everything the settings ask for.</summary>
    /// <param name="settings">What to write.</param>
    /// <param name="run">The evaluation.</param>
    /// <param name="header">The reports' header.</param>
    /// <param name="error">Where warnings go.</param>
    /// <param name="digestOf">Each input's size and SHA-256 for the HTML report; null to hash the files (a merge gives those its workers hashed).</param>
    public static PreparedOutputs Prepare(EvaluateSettings settings, EvaluationRun run, ReportHeader header, TextWriter error, Func<string, InputDigest>? digestOf = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(run);
        EvaluationResult result = run.Result;
        ReportSettings r = settings.Reports;
        string? confusionCsv = settings.Analysis.ConfusionCsvPath;
        if (!r.AnyOutput && confusionCsv is null && settings.RecordsPath is null) return PreparedOutputs.None;

        var directories = new List<(string, string)>();
        var files = new List<PreparedFile>();
        if (settings.RecordsPath is { } records) files.Add(new PreparedFile(records, "--records", Bytes(stream => DetectionRecords.Write(stream, run))));
        if (confusionCsv is not null && result.Analysis is { } analysis)
        {
            files.Add(new PreparedFile(confusionCsv, "--confusion-csv", Bytes(stream => AnalysisReport.WriteConfusionCsv(stream, analysis.Confusion))));
        }
        if (r.CsvPath is { } csv)
        {
            foreach ((IouType iouType, string path) in CsvReport.Paths(csv, result.IouTypes))
            {
                files.Add(new PreparedFile(path, "--csv", Bytes(stream => CsvReport.Write(stream, result, iouType))));
            }
        }
        if (r.MarkdownPath is { } markdown) files.Add(new PreparedFile(markdown, "--markdown", Text(writer => MarkdownReport.Write(writer, result, header))));

        // The report's provenance hashes both inputs; that reading overlaps the drawing.
        Task<ReportInput[]>? describedInputs = r.HtmlPath is null
            ? null
            : Task.Run(() => new[] { Describe("ground truth", settings.GroundTruth, digestOf) }
                .Concat(settings.AllPredictions.Select((part, i) => Describe(settings.MorePredictions.Count == 0 ? "predictions" : $"predictions, part {(i + 1).ToString(Invariant)}", part, digestOf)))
                .ToArray());
        IReadOnlyList<NamedChart> charts = r.PlotsDirectory is not null || r.HtmlPath is not null ? PlotMapping.ChartsOf(result) : [];
        RenderedChart[] rendered = Render(charts, files: r.PlotsDirectory is not null, report: r.HtmlPath is not null, settings.Threads);
        if (r.PlotsDirectory is { } plots)
        {
            directories.Add((plots, "--plots"));
            foreach (RenderedChart chart in rendered)
            {
                files.Add(new PreparedFile(Path.Combine(plots, chart.Chart.FileStem + ".png"), "--plots", chart.Png!));
                files.Add(new PreparedFile(Path.Combine(plots, chart.Chart.FileStem + ".svg"), "--plots", Encoding.UTF8.GetBytes(chart.Svg!)));
            }
        }

        IReadOnlyList<DrawnOverlay> overlays = [];
        double? overlayConfidence = null;
        if (r.OverlaysDirectory is { } overlayDirectory)
        {
            overlayConfidence = r.ScoreThreshold ?? run.ReviewConfidence ?? double.NegativeInfinity;
            overlays = DrawOverlays(settings, run, overlayConfidence.Value, error);
            directories.Add((overlayDirectory, "--overlays"));
            files.AddRange(overlays.Select(o => new PreparedFile(o.Path, "--overlays", o.Jpeg)));
        }

        if (r.HtmlPath is { } html)
        {
            string reportFolder = Path.GetDirectoryName(Path.GetFullPath(html)) ?? ".";
            var content = new ReportContent(
                header,
                r.CommandLine,
                describedInputs!.Result,
                FiguresOf(rendered),
                [.. overlays.Select(o => new ReportOverlay(o.ImageName, Link(reportFolder, o.Path), o.Jpeg, o.Counts))],
                double.IsFinite(overlayConfidence ?? double.NaN) ? overlayConfidence : null);
            files.Add(new PreparedFile(html, "--report", Text(writer => HtmlReport.Write(writer, result, content))));
        }
        return new PreparedOutputs(directories, files);
    }

    /// <summary>The report's figures: each chart's inline SVG, its class, and whether it belongs to the error analysis.</summary>
    private static ReportFigure[] FiguresOf(RenderedChart[] rendered) =>
    [
        .. rendered.Select(c => new ReportFigure(c.Chart.Model.Title, c.InlineSvg!, c.Chart.ClassName)
        {
            IsAnalysis = AnalysisCharts.FileStems.Contains(c.Chart.FileStem),
            IouType = c.Chart.IouType,
            IsHtmlReady = c.Chart.Model.Heatmap is null,
        }),
    ];

    /// <param name="Chart">The chart.</param>
    /// <param name="Png">ScottPlot's PNG, for --plots.</param>
    /// <param name="Svg">ScottPlot's SVG, for --plots.</param>
    /// <param name="InlineSvg">The SVG the HTML report inlines.</param>
    private sealed record RenderedChart(NamedChart Chart, byte[]? Png, string? Svg, string? InlineSvg);

    /// <summary>Draws every chart, in parallel (each chart is independent): PNG and SVG files with ScottPlot for --plots, the report's inline SVG for --report.</summary>
    private static RenderedChart[] Render(IReadOnlyList<NamedChart> charts, bool files, bool report, int? threads)
    {
        var rendered = new RenderedChart[charts.Count];
        Parallel.For(0, charts.Count, new ParallelOptions { MaxDegreeOfParallelism = threads ?? -1 }, i =>
        {
            ChartModel model = charts[i].Model;
            rendered[i] = new RenderedChart(
                charts[i],
                files ? ChartRenderer.RenderPng(model) : null,
                files ? ChartRenderer.RenderSvg(model) : null,
                report ? ReportSvg(model, "chart" + i.ToString(Invariant)) : null);
        });
        return rendered;
    }

    /// <summary>
    /// The report draws its line and bar charts with the light SVG writer, several times cheaper than
    /// ScottPlot's SVG canvas on a report with a chart per class (docs/benchmarks.md, "One chart path?");
    /// a heatmap, one or two per report, comes from ScottPlot.
    /// </summary>
    private static string ReportSvg(ChartModel model, string id) =>
        model.Heatmap is null ? SvgChartWriter.Write(model, id, forHtml: true) : ChartRenderer.RenderSvg(model);

    private sealed record DrawnOverlay(string Path, string ImageName, byte[] Jpeg, ImageErrorCounts Counts);

    /// <summary>The worst images at <paramref name="confidence"/>, drawn; images that cannot be found or read are skipped with a warning.</summary>
    private static IReadOnlyList<DrawnOverlay> DrawOverlays(EvaluateSettings settings, EvaluationRun run, double confidence, TextWriter error)
    {
        ReportSettings r = settings.Reports;
        var images = new ImageFiles(r.ImagesDirectory!);
        // The run kept its VOC match records for the overlays (RunProducts.Matches): the worst images are read from them.
        Dataset dataset = run.Dataset;
        IReadOnlyList<ImageReview> worst = run.WorstImages(confidence, r.Worst);
        var drawn = new List<DrawnOverlay>();
        foreach (ImageReview review in worst)
        {
            int index = review.Counts.Image;
            ImageInfo info = dataset.Images[index];
            if (info.FileName is not { } fileName)
            {
                error.WriteLine($"{DevalApp.ToolName}: warning: {settings.GroundTruth}: image {info.Id.Describe()} has no file_name; no overlay drawn.");
                continue;
            }
            var location = new SourceLocation(settings.GroundTruth, Path: $"$.images[{index.ToString(Invariant)}].file_name");
            string? path = images.Find(fileName, location);
            if (path is null)
            {
                error.WriteLine($"{DevalApp.ToolName}: warning: {r.ImagesDirectory}: no image file '{fileName}' (from {location}); no overlay drawn.");
                continue;
            }
            byte[] jpeg;
            try
            {
                jpeg = OverlayRenderer.Draw(File.ReadAllBytes(path), [.. review.Boxes.Select(b => ToOverlay(b, dataset, settings.IouTypes))], Title(fileName, review.Counts));
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"{DevalApp.ToolName}: warning: {path}: Expected an image file, but got one that cannot be read ({e.Message}); no overlay drawn.");
                continue;
            }
            string name = $"{(drawn.Count + 1).ToString("00", Invariant)}_{PlotMapping.SafeName(Path.GetFileNameWithoutExtension(fileName))}.jpg";
            drawn.Add(new DrawnOverlay(Path.Combine(r.OverlaysDirectory!, name), fileName, jpeg, review.Counts));
        }
        return drawn;
    }

    private static OverlayBox ToOverlay(ReviewedBox box, Dataset dataset, IReadOnlyList<IouType> iouTypes)
    {
        string name = dataset.Categories[box.Category].Name;
        string caption = box.Score is double s ? $"{name} {s.ToString("0.00", Invariant)}" : name;
        OverlayKind kind = box.Verdict switch
        {
            BoxVerdict.TruePositive => OverlayKind.TruePositive,
            BoxVerdict.FalsePositive => OverlayKind.FalsePositive,
            BoxVerdict.FalseNegative => OverlayKind.FalseNegative,
            _ => OverlayKind.Ignored,
        };
        var overlay = new OverlayBox(box.Box.X, box.Box.Y, box.Box.Width, box.Box.Height, kind, caption);
        ReadOnlySpan<ObjectShape?> shapes = box.Score is null ? dataset.GroundTruth.Shapes : dataset.Detections.Shapes;
        return shapes.IsEmpty ? overlay : ShapeOverlays.WithShape(overlay, shapes[box.Row], dataset.Categories[box.Category], dataset, iouTypes);
    }

    private static string Title(string fileName, ImageErrorCounts n) =>
        $"{fileName}: FP {Counting.Number(n.FalsePositives)}, FN {Counting.Number(n.FalseNegatives)}, TP {Counting.Number(n.TruePositives)}";

    /// <summary>The overlay's path relative to the report, as a URL path.</summary>
    private static string Link(string reportFolder, string file)
    {
        string relative = Path.GetRelativePath(reportFolder, Path.GetFullPath(file));
        return string.Join('/', relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Select(Uri.EscapeDataString));
    }

    /// <summary>An input's size and SHA-256 (<see cref="InputDigest"/>); a folder's role says so.</summary>
    private static ReportInput Describe(string role, string path, Func<string, InputDigest>? digestOf)
    {
        InputDigest digest = digestOf is null ? InputDigest.Of(path) : digestOf(path);
        return new ReportInput(digest.IsFolder ? role + " (folder)" : role, path, digest.Bytes, digest.Sha256);
    }

    internal static byte[] Bytes(Action<Stream> write)
    {
        using var buffer = new MemoryStream();
        write(buffer);
        return buffer.ToArray();
    }

    internal static byte[] Text(Action<TextWriter> write) => Bytes(stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        write(writer);
    });
}
