using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Analysis;

namespace DetectionEval.Eval.Reports;

/// <summary>One input file, as the report names it.</summary>
/// <param name="Role">What it is, e.g. "ground truth".</param>
/// <param name="Path">The path as given.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Sha256">Its SHA-256, lower-case hex.</param>
public sealed record ReportInput(string Role, string Path, long Bytes, string Sha256);

/// <summary>A picture for the report, already drawn as SVG.</summary>
/// <param name="Title">Caption.</param>
/// <param name="Svg">The SVG document.</param>
/// <param name="ClassName">The class it belongs to, or null for a chart of the whole evaluation.</param>
public sealed record ReportFigure(string Title, string Svg, string? ClassName = null)
{
    /// <summary>True for a chart of the error analysis, shown in its section.</summary>
    public bool IsAnalysis { get; init; }

    /// <summary>The COCO iou type of a mask or keypoint chart, shown in that iou type's section; null for the box charts.</summary>
    public IouType? IouType { get; init; }

    /// <summary>True when <see cref="Svg"/> is already an element fit for HTML (no XML declaration or
    /// namespace, ids unique in the report, a view box); otherwise the report adapts it.</summary>
    public bool IsHtmlReady { get; init; }
}

/// <summary>One of the worst images, drawn as an overlay file.</summary>
/// <param name="ImageName">The image's file name in the annotations.</param>
/// <param name="Link">The overlay's path relative to the report.</param>
/// <param name="Jpeg">The overlay itself, embedded so the report stands alone.</param>
/// <param name="Counts">Its error counts.</param>
public sealed record ReportOverlay(string ImageName, string Link, byte[] Jpeg, ImageErrorCounts Counts);

/// <summary>Everything a report shows besides the results: provenance, pictures and worst images.</summary>
/// <param name="Header">Tool and input names.</param>
/// <param name="CommandLine">The exact command line.</param>
/// <param name="Inputs">The input files with size and hash.</param>
/// <param name="Figures">Charts, whole-evaluation ones first.</param>
/// <param name="Worst">The worst images, most errors first.</param>
/// <param name="OverlayConfidence">The confidence the overlays keep detections at, or null without overlays.</param>
public sealed record ReportContent(
    ReportHeader Header,
    string CommandLine,
    IReadOnlyList<ReportInput> Inputs,
    IReadOnlyList<ReportFigure> Figures,
    IReadOnlyList<ReportOverlay> Worst,
    double? OverlayConfidence);
