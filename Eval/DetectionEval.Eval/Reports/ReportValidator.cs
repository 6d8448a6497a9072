using System.Globalization;
using System.Text.RegularExpressions;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Reports;

// The rules of a report that its types do not say, checked on the records System.Text.Json read: values of
// AP, AR, precision and recall in [0, 1] or null, counts whole and non-negative, maxDets three ascending
// numbers, "ge" or "gt" for an overlap test, per-class entries in ascending id order, one per class and the
// same classes in every section, no null where an object belongs. Each error names the JSON path (STJ does
// not keep positions for values it accepted, so there is no line).

/// <summary>Checks a <see cref="ReportDocument"/> against the contract's ranges and consistency rules.</summary>
internal sealed partial class ReportValidator
{
    private const string Unit = "a number from 0 to 1, or null";
    /// <summary>What a count must be.</summary>
    internal const string Count = "a whole number of 0 or more";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private readonly string _source;

    private ReportValidator(string source) => _source = source;

    /// <summary>Throws the first rule <paramref name="report"/> breaks.</summary>
    /// <param name="report">The report as read.</param>
    /// <param name="source">How messages name it.</param>
    /// <exception cref="AnnotationFormatException">A rule is broken.</exception>
    public static void Validate(ReportDocument report, string source) => new ReportValidator(source).Document(report);

    /// <summary>A class as messages name it: <c>1 "person"</c>.</summary>
    internal static string Describe(Category c) => string.Create(Invariant, $"{c.Id} \"{c.Name}\"");

    private void Document(ReportDocument d)
    {
        if (d.Tool.Name != "deval") throw Error("$.tool.name", "\"deval\" (a report written by deval)", Text(d.Tool.Name));
        Inputs(d.Inputs);
        if (d.Coco is null && d.Voc is null && d.CocoSegm is null && d.CocoKeypoints is null)
        {
            throw Error("$", "COCO or VOC results", "a report where \"coco\" and \"voc\" are both null");
        }
        if (d.Coco is { } coco) Coco("$.coco", coco, d.Inputs.Classes);
        if (d.Voc is { } voc) Voc(voc, d.Inputs.Classes);
        IouTypes(d);
        if (d.CocoSegm is { } segm) Coco("$.cocoSegm", segm, d.Inputs.Classes);
        if (d.CocoKeypoints is { } keypoints) Keypoints(keypoints, d.Inputs.Classes);
        // Every section lists the classes of the first family, in the same order.
        Category[] classes = d.Coco is not null ? [.. d.Coco.PerClass.Select(c => c.Category)]
            : d.Voc is not null ? [.. d.Voc.PerClass.Select(c => c.Category)]
            : d.CocoSegm is not null ? [.. d.CocoSegm.PerClass.Select(c => c.Category)]
            : [.. d.CocoKeypoints!.PerClass.Select(c => new Category(c.Id, c.Name))];
        if (d.Coco is not null && d.Voc is not null) SameClasses("$.voc.perClass", "coco.perClass", classes, [.. d.Voc.PerClass.Select(c => c.Category)]);
        if (d.CocoSegm is not null) SameClasses("$.cocoSegm.perClass", "the first section's perClass", classes, [.. d.CocoSegm.PerClass.Select(c => c.Category)]);
        if (d.CocoKeypoints is not null)
        {
            SameClasses("$.cocoKeypoints.perClass", "the first section's perClass", classes, [.. d.CocoKeypoints.PerClass.Select(c => new Category(c.Id, c.Name))]);
        }
        if (d.OperatingPoint is { } points) OperatingPoint(points, classes);
        if (d.Analysis is { } analysis) Analysis(analysis, classes);
    }

    // ---- inputs ----

    private void Inputs(ReportInputs i)
    {
        Counts("$.inputs", ("images", i.Images), ("classes", i.Classes), ("groundTruthBoxes", i.GroundTruthBoxes),
            ("detections", i.Detections), ("detectionsOfUnknownCategories", i.DetectionsOfUnknownCategories));
        const string Fingerprint = "the ground truth's fingerprint, \"sha256:\" and 64 hex digits";
        if (i.GroundTruthFingerprint is not { } fingerprint)
        {
            throw Error("$.inputs.groundTruthFingerprint", Fingerprint, "null", "Write the report again with this version of deval evaluate --json.");
        }
        if (!FingerprintPattern().IsMatch(fingerprint)) throw Error("$.inputs.groundTruthFingerprint", Fingerprint, Text(fingerprint));
    }

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex FingerprintPattern();

    // ---- coco ----

    /// <summary>The boxes' <c>coco</c> or the masks' <c>cocoSegm</c>, at <paramref name="at"/>.</summary>
    private void Coco(string at, CocoSection coco, int classes)
    {
        Units(at, ("AP", coco.Ap), ("AP50", coco.Ap50), ("AP75", coco.Ap75), ("APs", coco.ApSmall), ("APm", coco.ApMedium), ("APl", coco.ApLarge),
            ("AR1", coco.Ar1), ("AR10", coco.Ar10), ("AR100", coco.Ar100), ("ARs", coco.ArSmall), ("ARm", coco.ArMedium), ("ARl", coco.ArLarge));
        MaxDets(at + ".maxDets", coco.MaxDets);
        Entries(at + ".perClass", coco.PerClass, "a class object {\"id\", \"name\", \"AP\", ...}", (path, c) =>
            Units(path, ("AP", c.Ap), ("AP50", c.Ap50), ("AP75", c.Ap75), ("APs", c.ApSmall), ("APm", c.ApMedium), ("APl", c.ApLarge), ("AR100", c.Ar100)));
        AscendingIds(at + ".perClass", coco.PerClass.Select(c => c.Id));
        OnePerClass(at + ".perClass", coco.PerClass.Count, classes);
    }

    private void MaxDets(string at, IReadOnlyList<int> maxDets)
    {
        const string Expected = "three ascending whole numbers of 1 or more, like [1, 10, 100]";
        for (int k = 0; k < Math.Min(maxDets.Count, 3); k++)
        {
            if (maxDets[k] < 1 || (k > 0 && maxDets[k] <= maxDets[k - 1])) throw Error(Index(at, k), Expected, Number(maxDets[k]));
        }
        if (maxDets.Count != 3) throw Error(at, Expected, Counting.Of(maxDets.Count, "number"));
    }

    // ---- masks and keypoints ----

    /// <summary>Rule: <c>iouTypes</c> names each of bbox, segm and keypoints at most once, and a mask or keypoint section is there exactly when it is named.</summary>
    private void IouTypes(ReportDocument d)
    {
        IReadOnlyList<string> types = d.IouTypes ?? ["bbox"];
        for (int k = 0; k < types.Count; k++)
        {
            if (types[k] is not ("bbox" or "segm" or "keypoints") || types.Take(k).Contains(types[k]))
            {
                throw Error(Index("$.iouTypes", k), "\"bbox\", \"segm\" or \"keypoints\", each at most once", Text(types[k]));
            }
        }
        foreach ((string type, string section, bool present) in new[] { ("segm", "$.cocoSegm", d.CocoSegm is not null), ("keypoints", "$.cocoKeypoints", d.CocoKeypoints is not null) })
        {
            if (types.Contains(type) != present)
            {
                throw Error(section, present ? $"no {section[2..]} (iouTypes does not name {type})" : $"the {type} results iouTypes names", present ? "one" : "none");
            }
        }
    }

    private void Keypoints(CocoKeypointSection k, int classes)
    {
        const string At = "$.cocoKeypoints";
        if (k.IouType != "keypoints") throw Error(At + ".iouType", "\"keypoints\"", Text(k.IouType));
        Units(At, ("AP", k.Ap), ("AP50", k.Ap50), ("AP75", k.Ap75), ("APm", k.ApMedium), ("APl", k.ApLarge),
            ("AR", k.Ar), ("AR50", k.Ar50), ("AR75", k.Ar75), ("ARm", k.ArMedium), ("ARl", k.ArLarge));
        if (k.MaxDets.Count != 1 || k.MaxDets[0] < 1) throw Error(At + ".maxDets", "one whole number of 1 or more, like [20]", Counting.Of(k.MaxDets.Count, "number"));
        if (k.Sigmas.Count == 0) throw Error(At + ".sigmas", "one sigma per keypoint, at least one", "none");
        for (int i = 0; i < k.Sigmas.Count; i++)
        {
            if (!(k.Sigmas[i] > 0) || !double.IsFinite(k.Sigmas[i])) throw Error(Index(At + ".sigmas", i), "a positive number", Number(k.Sigmas[i]));
        }
        Entries(At + ".perClass", k.PerClass, "a class object {\"id\", \"name\", \"AP\", ...}", (path, c) =>
            Units(path, ("AP", c.Ap), ("AP50", c.Ap50), ("AP75", c.Ap75), ("APm", c.ApMedium), ("APl", c.ApLarge), ("AR", c.Ar)));
        AscendingIds(At + ".perClass", k.PerClass.Select(c => c.Id));
        OnePerClass(At + ".perClass", k.PerClass.Count, classes);
    }

    // ---- voc ----

    private void Voc(VocSection voc, int classes)
    {
        Profile("$.voc", voc.Iou, voc.IouRule);
        Units("$.voc", ("mAP07", voc.MeanAp07), ("mAPAll", voc.MeanApAll));
        Counts("$.voc", ("classesInMean", voc.ClassesInMean));
        Entries("$.voc.perClass", voc.PerClass, "a class object {\"id\", \"name\", \"npos\", ...}", (path, c) =>
        {
            Counts(path, ("npos", c.Positives), ("detections", c.Detections), ("tp", c.TruePositives), ("fp", c.FalsePositives), ("ignored", c.Ignored));
            Units(path, ("ap07", c.Ap07), ("apAll", c.ApAll), ("maxRecall", c.MaxRecall), ("finalPrecision", c.FinalPrecision));
        });
        AscendingIds("$.voc.perClass", voc.PerClass.Select(c => c.Id));
        OnePerClass("$.voc.perClass", voc.PerClass.Count, classes);
    }

    /// <summary>A VOC profile: the IoU threshold in [0, 1] and the overlap test's name.</summary>
    private void Profile(string path, double iou, string rule)
    {
        if (!IsUnit(iou)) throw Error(path + ".iou", "the IoU threshold, a number from 0 to 1", Number(iou));
        if (JsonReport.TryIouRule(rule) is null) throw Error(path + ".iouRule", "\"ge\" or \"gt\"", Text(rule));
    }

    // ---- operating points ----

    private void OperatingPoint(OperatingPointSection points, IReadOnlyList<Category> classes)
    {
        Point("$.operatingPoint.bestF1", points.BestF1);
        Point("$.operatingPoint.atThreshold", points.AtThreshold);
        Entries("$.operatingPoint.perClass", points.PerClass, "a class object {\"id\", \"name\", \"bestF1\", \"atThreshold\"}", (path, c) =>
        {
            Point(path + ".bestF1", c.BestF1);
            Point(path + ".atThreshold", c.AtThreshold);
        });
        OnePerClass("$.operatingPoint.perClass", points.PerClass.Count, classes.Count);
        SameClasses("$.operatingPoint.perClass", "the other sections' perClass", classes, [.. points.PerClass.Select(c => c.Category)]);
    }

    private void Point(string path, PointEntry? p)
    {
        if (p is null) return;
        foreach ((string name, double value) in new[] { ("precision", p.Precision), ("recall", p.Recall), ("f1", p.F1) })
        {
            if (!IsUnit(value)) throw Error($"{path}.{name}", "a number from 0 to 1", Number(value));
        }
        foreach ((string name, double value) in new[] { ("tp", p.TruePositives), ("fp", p.FalsePositives), ("fn", p.FalseNegatives) })
        {
            if (!(value >= 0)) throw Error($"{path}.{name}", "a number of 0 or more", Number(value));
        }
    }

    // ---- analysis ----

    private void Analysis(AnalysisSection analysis, IReadOnlyList<Category> classes)
    {
        ConfusionMatrix(analysis.ConfusionMatrix, classes);
        Tide(analysis.Tide);
        for (int k = 0; k < analysis.WorstImages.Count; k++)
        {
            string path = Index("$.analysis.worstImages", k);
            WorstImageEntry w = analysis.WorstImages[k] ?? throw Error(path, "an image object {\"id\", \"fileName\", \"errors\", ...}", "null");
            Counts(path, ("errors", w.Errors), ("tp", w.TruePositives), ("fp", w.FalsePositives), ("fn", w.FalseNegatives), ("ignored", w.Ignored), ("confusions", w.Confusions));
        }
    }

    private void ConfusionMatrix(ConfusionMatrixSection m, IReadOnlyList<Category> classes)
    {
        const string Path = "$.analysis.confusionMatrix";
        Profile(Path, m.Iou, m.IouRule);
        if (m.Rows != ConfusionMatrixSection.RowsAre) throw Error(Path + ".rows", $"\"{ConfusionMatrixSection.RowsAre}\"", Text(m.Rows));
        if (m.Columns != ConfusionMatrixSection.ColumnsAre) throw Error(Path + ".columns", $"\"{ConfusionMatrixSection.ColumnsAre}\"", Text(m.Columns));
        Counts(Path, ("ignoredDetections", m.IgnoredDetections));

        int size = classes.Count + 1;
        Entries(Path + ".labels", m.Labels, "a label object {\"id\", \"name\"}", (_, _) => { });
        if (m.Labels.Count != size)
        {
            throw Error(Path + ".labels", string.Create(Invariant, $"{size} labels, one per class and background"), string.Create(Invariant, $"{m.Labels.Count} labels"));
        }
        for (int k = 0; k < classes.Count; k++)
        {
            LabelEntry label = m.Labels[k];
            if (label.Id is not long id || new Category(id, label.Name) != classes[k])
            {
                throw Error(Index(Path + ".labels", k), $"the class of perClass[{k}], {Describe(classes[k])}", label.Id is long other ? Describe(new Category(other, label.Name)) : "a label without an id");
            }
        }
        if (m.Labels[^1] is not { Id: null, Name: AnalysisSection.Background })
        {
            throw Error(Index(Path + ".labels", size - 1), "{\"id\": null, \"name\": \"background\"} last", "another label");
        }

        Entries(Path + ".counts", m.Counts, $"a row of {size} counts", (path, row) =>
        {
            if (row.Count != size) throw Error(path, $"a row of {size} counts, one per label", Counting.Of(row.Count, "number"));
            for (int j = 0; j < row.Count; j++)
            {
                if (row[j] < 0) throw Error(Index(path, j), Count, Number(row[j]));
            }
        });
        if (m.Counts.Count != size)
        {
            throw Error(Path + ".counts", string.Create(Invariant, $"{size} rows, one per label"), string.Create(Invariant, $"{m.Counts.Count} rows"));
        }
    }

    private void Tide(TideSection tide)
    {
        const string Path = "$.analysis.tide";
        if (!IsUnit(tide.ForegroundIou)) throw Error(Path + ".foregroundIou", "an IoU, a number from 0 to 1", Number(tide.ForegroundIou));
        if (!IsUnit(tide.BackgroundIou)) throw Error(Path + ".backgroundIou", "an IoU, a number from 0 to 1", Number(tide.BackgroundIou));
        Counts(Path, ("maxDetsPerImage", tide.MaxDetsPerImage));
        if (tide.Ap is double ap && !(ap >= 0 && ap <= 100 + 1e-9)) throw Error(Path + ".ap", "TIDE's AP in points, a number from 0 to 100, or null", Number(ap));
        string[] types = ["Cls", "Loc", "Both", "Dupe", "Bkg", "Miss"];
        if (tide.Errors.Count != types.Length)
        {
            throw Error(Path + ".errors", $"TIDE's {types.Length} error types ({string.Join(", ", types)})", Counting.Of(tide.Errors.Count, "entry"));
        }
        for (int k = 0; k < types.Length; k++)
        {
            string path = Index(Path + ".errors", k);
            TideErrorEntry e = tide.Errors[k] ?? throw Error(path, "an error type object {\"type\", \"count\", \"dAP\", \"bySize\"}", "null");
            if (e.Type != types[k]) throw Error(path + ".type", $"\"{types[k]}\" (TIDE's error types in the order {string.Join(", ", types)})", Text(e.Type));
            Counts(path, ("count", e.Count));
            Counts(path + ".bySize", ("small.count", e.BySize.Small.Count), ("medium.count", e.BySize.Medium.Count), ("large.count", e.BySize.Large.Count));
        }
    }

    // ---- shared rules ----

    /// <summary>A list of entries: no null entry, and the rule of each.</summary>
    private void Entries<T>(string path, IReadOnlyList<T> entries, string entry, Action<string, T> rule)
        where T : class
    {
        for (int k = 0; k < entries.Count; k++)
        {
            string at = Index(path, k);
            rule(at, entries[k] ?? throw Error(at, entry, "null"));
        }
    }

    /// <summary>One entry per class, as many as <c>inputs.classes</c> says.</summary>
    private void OnePerClass(string path, int entries, int classes)
    {
        if (entries != classes)
        {
            throw Error(path, string.Create(Invariant, $"one entry per class ({classes}, as \"inputs.classes\" says)"), Counting.Of(entries, "entry"));
        }
    }

    private void AscendingIds(string path, IEnumerable<long> ids)
    {
        long? previous = null;
        int index = 0;
        foreach (long id in ids)
        {
            if (previous is long p && id <= p)
            {
                throw Error(path, "classes in ascending id order, each once", string.Create(Invariant, $"id {id} at perClass[{index}] after id {p}"));
            }
            previous = id;
            index++;
        }
    }

    /// <summary>Another section lists the same classes as the first in order (the counts are already equal).</summary>
    private void SameClasses(string path, string reference, IReadOnlyList<Category> expected, IReadOnlyList<Category> found)
    {
        for (int k = 0; k < Math.Min(expected.Count, found.Count); k++)
        {
            if (expected[k] != found[k]) throw Error(Index(path, k), $"the class of {reference}[{k}], {Describe(expected[k])}", Describe(found[k]));
        }
    }

    private void Units(string path, params ReadOnlySpan<(string Name, double? Value)> values)
    {
        foreach ((string name, double? value) in values)
        {
            if (value is double v && !IsUnit(v)) throw Error($"{path}.{name}", Unit, Number(v));
        }
    }

    private void Counts(string path, params ReadOnlySpan<(string Name, int Value)> values)
    {
        foreach ((string name, int value) in values)
        {
            if (value < 0) throw Error($"{path}.{name}", Count, Number(value));
        }
    }

    /// <summary>In [0, 1]: VOC's 11-point AP of a perfect class adds eleven elevenths, so 1.0000000000000002 is a legitimate value.</summary>
    private static bool IsUnit(double value) => value >= 0 && value <= 1 + 1e-9;

    private static string Index(string path, int index) => string.Create(Invariant, $"{path}[{index}]");

    private static string Number(double value) => "the number " + value.ToString("R", Invariant);

    private static string Text(string value) => $"the string \"{ReportJsonErrors.Shorten(value)}\"";

    private AnnotationFormatException Error(string path, string expected, string found, string? hint = null) =>
        new(new SourceLocation(_source, Path: path), expected, found, hint);
}
