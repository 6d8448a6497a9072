using System.Globalization;
using DetectionEval.Eval;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Plots;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Cli.Visuals;

/// <summary>A chart with the file name (without extension) it is saved under.</summary>
/// <param name="FileStem">File name without extension, e.g. "pr_1_person".</param>
/// <param name="Model">What to draw.</param>
/// <param name="ClassName">The class it belongs to, or null for a chart of the whole evaluation.</param>
public sealed record NamedChart(string FileStem, ChartModel Model, string? ClassName)
{
    /// <summary>The COCO iou type a chart of masks or keypoints belongs to (its section of the report); null for the box charts.</summary>
    public IouType? IouType { get; init; }
}

/// <summary>
/// Turns Eval's typed results into Plots' plain chart data: labels, recall[], precision[], confidence[].
/// Every number comes from the results; this layer only picks and labels them.
/// </summary>
public static class PlotMapping
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Every chart of an evaluation: whole-evaluation charts first, then per class.</summary>
    public static IReadOnlyList<NamedChart> ChartsOf(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        // Each class's envelope is drawn twice (its own chart and the all-classes chart): computed once.
        CurvePoints[] envelopes = [];
        if (result.Voc is { } v)
        {
            envelopes = new CurvePoints[v.PerClass.Count];
            Parallel.For(0, envelopes.Length, k => envelopes[k] = PrecisionEnvelope.Of(v.PerClass[k].Curve.Recall, v.PerClass[k].Curve.Precision));
        }
        // Every chart is independent of the others: built in parallel (thinning their lines is most of the
        // work), kept in report order: whole-evaluation charts first, then each class's.
        var builders = new List<Func<NamedChart[]>>
        {
            () => ApPerClass(result) is { } bars ? [bars] : [],
            () => result.Voc is { } voc ? [new NamedChart("pr_all_classes", AllClasses(voc, envelopes), null)] : [],
            () => result.Coco is { } coco && CocoPrecisionRecall(coco) is { } cocoChart ? [new NamedChart("pr_coco", cocoChart, null)] : [],
            () => result.OperatingPoints is { } points && points.Curve.Confidence.Count > 0
                ? [new NamedChart("confidence_all_classes", Confidence("All classes pooled: F1, precision, recall vs confidence", points.Curve, points.BestF1), null)]
                : [],
            () => [.. IouTypeCharts(result)],
            () => result.Analysis is { } analysis ? [.. AnalysisCharts.ChartsOf(analysis)] : [],
        };
        if (result.Voc is { } vocResult)
        {
            for (int k = 0; k < vocResult.PerClass.Count; k++)
            {
                int klass = k;
                builders.Add(() => ClassCharts(vocResult, klass, envelopes[klass], result.OperatingPoints?.PerClass[klass]));
            }
        }
        var built = new NamedChart[builders.Count][];
        Parallel.For(0, builders.Count, i => built[i] = builders[i]());
        return [.. built.SelectMany(charts => charts)];
    }

    /// <summary>A class's PR chart and confidence chart; none for a class without positives (no recall, so no PR curve and no operating point).</summary>
    private static NamedChart[] ClassCharts(VocResult voc, int k, CurvePoints envelope, ClassOperatingPoints? points)
    {
        VocClassResult c = voc.PerClass[k];
        if (c.Positives == 0) return [];
        string stem = $"{c.Category.Id.ToString(Invariant)}_{SafeName(c.Category.Name)}";
        var pr = new NamedChart($"pr_{stem}", ClassPrecisionRecall(c, voc, envelope), c.Category.Name);
        if (points is not { Curve.Confidence.Count: > 0 }) return [pr];
        return [pr, new NamedChart($"confidence_{stem}", Confidence($"{c.Category.Name}: F1, precision, recall vs confidence", points.Curve, points.BestF1), c.Category.Name)];
    }

    /// <summary>One class: its raw VOC curve and the envelope whose area is its all-point AP (<see cref="PrecisionEnvelope.Of"/> of the class's curve).</summary>
    public static ChartModel ClassPrecisionRecall(VocClassResult c, VocResult voc, CurvePoints envelope)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(voc);
        ArgumentNullException.ThrowIfNull(envelope);
        return Charts.ClassPrecisionRecall(
            $"{c.Category.Name}: precision / recall (VOC, {TextReport.DescribeProfile(voc.Settings)})",
            new PrSeries($"raw ({Counting.Of(c.Detections, "detection")}, {Counting.Of(c.Positives, "positive")})", c.Curve.Recall, c.Curve.Precision, c.Curve.Scores),
            new PrSeries($"interpolated envelope, AP {F(c.ApAll)}", envelope.Recall, envelope.Precision, []));
    }

    /// <summary>All classes' envelopes on one chart, highest AP first.</summary>
    /// <param name="voc">The VOC result.</param>
    /// <param name="envelopes">Each class's envelope (<see cref="PrecisionEnvelope.Of"/>), in the result's class order.</param>
    public static ChartModel AllClasses(VocResult voc, IReadOnlyList<CurvePoints> envelopes)
    {
        ArgumentNullException.ThrowIfNull(voc);
        ArgumentNullException.ThrowIfNull(envelopes);
        var ranked = new List<ClassEnvelope>();
        for (int k = 0; k < voc.PerClass.Count; k++)
        {
            if (voc.PerClass[k].ApAll is not null) ranked.Add(new ClassEnvelope(voc.PerClass[k], envelopes[k]));
        }
        ranked.Sort((a, b) => ByApThenId(a.Class.ApAll!.Value, a.Class.Category.Id, b.Class.ApAll!.Value, b.Class.Category.Id));
        var curves = ranked.ConvertAll(e => new PrSeries($"{e.Class.Category.Name} ({F(e.Class.ApAll)})", e.Envelope.Recall, e.Envelope.Precision, []));
        return Charts.ManyPrecisionRecall($"All classes: interpolated PR (VOC mAP {F(voc.MeanApAll)})", curves);
    }

    /// <summary>A class with its envelope, for ranking.</summary>
    private sealed record ClassEnvelope(VocClassResult Class, CurvePoints Envelope);

    /// <summary>
    /// Highest AP first, then ascending class id: the order of the AP charts. (A comparison over reference
    /// types rather than LINQ's OrderByDescending(...).ThenBy(...) with number keys: generic code over number
    /// keys is compiled at run time even in the precompiled tool, once per run, for two lists of 80 items.)
    /// </summary>
    private static int ByApThenId(double apA, long idA, double apB, long idB) =>
        apA != apB ? apB.CompareTo(apA) : idA.CompareTo(idB);

    /// <summary>COCO's mean PR curves at IoU 0.50, 0.75 and over 0.50:0.95, labelled with AP50, AP75 and AP.</summary>
    public static ChartModel? CocoPrecisionRecall(CocoResult coco) => CocoPrecisionRecall(coco, "COCO", "IoU");

    /// <summary>
    /// The mask and keypoint charts, one set per iou type asked: the mean PR curves (<c>pr_coco_segm</c>,
    /// <c>pr_coco_keypoints</c>) and AP per class as bars (<c>ap_per_class_segm</c>, ...).
    /// </summary>
    public static IReadOnlyList<NamedChart> IouTypeCharts(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var charts = new List<NamedChart>();
        foreach (IouType iouType in result.IouTypes)
        {
            (ChartModel? pr, IEnumerable<(string Name, long Id, double? Ap)> perClass, double? ap, string what) = iouType switch
            {
                IouType.Segm when result.CocoSegm is { } segm =>
                    (CocoPrecisionRecall(segm, "COCO segm", "mask IoU"), segm.PerClass.Select(c => (c.Category.Name, c.Category.Id, c.Ap)), segm.Summary.Ap, "COCO segm, mask IoU 0.50:0.95"),
                IouType.Keypoints when result.CocoKeypoints is { } keypoints =>
                    (KeypointPrecisionRecall(keypoints), keypoints.PerClass.Select(c => (c.Category.Name, c.Category.Id, c.Ap)), keypoints.Summary.Ap, "COCO keypoints, OKS 0.50:0.95"),
                _ => (null, [], null, ""),
            };
            string name = ReportDocument.IouTypeName(iouType);
            BarItem[] bars = [.. perClass.Where(c => c.Ap is not null).OrderByDescending(c => c.Ap!.Value).ThenBy(c => c.Id).Select(c => new BarItem(c.Name, c.Ap!.Value))];
            if (bars.Length > 0) charts.Add(new NamedChart($"ap_per_class_{name}", Charts.Bars($"AP per class ({what}; AP {F(ap)})", "AP", bars), null) { IouType = iouType });
            if (pr is not null) charts.Add(new NamedChart($"pr_coco_{name}", pr, null) { IouType = iouType });
        }
        return charts;
    }

    private static ChartModel? CocoPrecisionRecall(CocoResult coco, string title, string overlap)
    {
        ArgumentNullException.ThrowIfNull(coco);
        var curves = new List<PrSeries>();
        void Add(int? threshold, string label, double? ap)
        {
            if (CocoCurves.MeanPrecision(coco, threshold) is { } points) curves.Add(new PrSeries($"{label} ({F(ap)})", points.Recall, points.Precision, []));
        }
        Add(CocoCurves.Iou50, $"{overlap} 0.50, AP50", coco.Summary.Ap50);
        Add(CocoCurves.Iou75, $"{overlap} 0.75, AP75", coco.Summary.Ap75);
        Add(null, $"{overlap} 0.50:0.95, AP", coco.Summary.Ap);
        return curves.Count == 0 ? null : Charts.ManyPrecisionRecall($"{title}: mean precision over classes (area all, maxDets " + coco.MaxDetections[^1].ToString(Invariant) + ")", curves);
    }

    /// <summary>COCO's keypoint PR curves at OKS 0.50, 0.75 and over 0.50:0.95, labelled with the keypoint AP50, AP75 and AP.</summary>
    public static ChartModel? KeypointPrecisionRecall(CocoKeypointResult keypoints)
    {
        ArgumentNullException.ThrowIfNull(keypoints);
        var curves = new List<PrSeries>();
        void Add(int? threshold, string label, double? ap)
        {
            if (CocoCurves.MeanPrecision(keypoints, threshold) is { } points) curves.Add(new PrSeries($"{label} ({F(ap)})", points.Recall, points.Precision, []));
        }
        Add(CocoCurves.Iou50, "OKS 0.50, AP50", keypoints.Summary.Ap50);
        Add(CocoCurves.Iou75, "OKS 0.75, AP75", keypoints.Summary.Ap75);
        Add(null, "OKS 0.50:0.95, AP", keypoints.Summary.Ap);
        return curves.Count == 0 ? null : Charts.ManyPrecisionRecall("COCO keypoints: mean precision over classes (area all, maxDets 20)", curves);
    }

    /// <summary>F1, precision and recall against confidence, with the best-F1 point marked.</summary>
    public static ChartModel Confidence(string title, ConfidenceCurve curve, OperatingPoint? best)
    {
        ArgumentNullException.ThrowIfNull(curve);
        return Charts.Confidence(title, new ConfidenceSeries(
            curve.Confidence, curve.Precision, curve.Recall, curve.F1,
            best is null ? null : (best.Confidence, best.F1),
            best is null ? "" : $"best F1 {F(best.F1)} at {TextReport.Confidence(best.Confidence)}"));
    }

    /// <summary>AP per class as bars, highest first: VOC all-point AP when VOC ran, else COCO AP.</summary>
    public static NamedChart? ApPerClass(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        List<BarItem> bars;
        string title;
        if (result.Voc is { } voc)
        {
            var ranked = voc.PerClass.Where(c => c.ApAll is not null).ToList();
            ranked.Sort((a, b) => ByApThenId(a.ApAll!.Value, a.Category.Id, b.ApAll!.Value, b.Category.Id));
            bars = ranked.ConvertAll(c => new BarItem(c.Category.Name, c.ApAll!.Value));
            title = $"AP per class (VOC all-point, {TextReport.DescribeProfile(voc.Settings)}; mAP {F(voc.MeanApAll)})";
        }
        else if (result.Coco is { } coco)
        {
            var ranked = coco.PerClass.Where(c => c.Ap is not null).ToList();
            ranked.Sort((a, b) => ByApThenId(a.Ap!.Value, a.Category.Id, b.Ap!.Value, b.Category.Id));
            bars = ranked.ConvertAll(c => new BarItem(c.Category.Name, c.Ap!.Value));
            title = $"AP per class (COCO, IoU 0.50:0.95; AP {F(coco.Summary.Ap)})";
        }
        else
        {
            return null;
        }
        return bars.Count == 0 ? null : new NamedChart("ap_per_class", Charts.Bars(title, "AP", bars), null);
    }

    /// <summary>A class or image name made safe as part of a file name: letters, digits, '-' and '_' only.</summary>
    public static string SafeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_')]);
        if (text.Length > 60) text = text[..60];
        return text.Length == 0 ? "_" : text;
    }

    private static string F(double? value) => value is double v ? v.ToString("0.000", Invariant) : "-";
}
