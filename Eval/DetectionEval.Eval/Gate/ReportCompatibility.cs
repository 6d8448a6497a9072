using System.Globalization;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;
using DetectionEval.Eval.IO;

namespace DetectionEval.Eval.Gate;

/// <summary>
/// Decides whether two reports can be compared: same metric families, same evaluation settings (COCO's
/// maxDets, the VOC profile), same classes, same images and the same ground truth (by content
/// fingerprint). A mismatch is an input error that names the baseline file, the JSON path, what the
/// current run has and what the baseline has.
/// </summary>
public static class ReportCompatibility
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// The families to gate: <paramref name="requested"/>, or when null the families the baseline holds.
    /// </summary>
    /// <remarks>A report of masks or keypoints alone has no box family: nothing of boxes is gated then.</remarks>
    public static MetricSet FamiliesToGate(MetricSet? requested, EvaluationReport baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        return requested ?? baseline.Families ?? (GateMetrics.SectionsOf(baseline).Count > 0 ? 0 : MetricSet.All);
    }

    /// <summary>
    /// Throws unless <paramref name="baseline"/> and <paramref name="current"/> can be compared on <paramref name="families"/>
    /// and on the mask and keypoint <paramref name="sections"/> (null: every one the baseline holds).
    /// </summary>
    /// <exception cref="IncomparableRunsException">They cannot; the message names the baseline (or the report that lacks a family or section).</exception>
    public static void Require(EvaluationReport baseline, EvaluationReport current, MetricSet families, IReadOnlyCollection<IouType>? sections = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        sections ??= GateMetrics.SectionsOf(baseline);
        RequireFamilies(baseline, current, families);
        RequireSections(baseline, sections);
        RequireSections(current, sections);
        RequireSameSettings(baseline, current, families);
        RequireSameSectionSettings(baseline, current, sections);
        RequireSameClasses(baseline, current, families, sections);
        if (baseline.Inputs.Images != current.Inputs.Images)
        {
            throw Mismatch(baseline, "$.inputs.images", $"{Counting.Of(current.Inputs.Images, "image")} as in {GroundTruthOf(current)}", $"{Counting.Of(baseline.Inputs.Images, "image")} from {GroundTruthOf(baseline)}");
        }
        if (baseline.Inputs.GroundTruthFingerprint != current.Inputs.GroundTruthFingerprint)
        {
            throw Mismatch(baseline, "$.inputs.groundTruthFingerprint",
                $"the ground truth of {current.Source} ({Short(current.Inputs.GroundTruthFingerprint)})",
                $"other ground truth ({Short(baseline.Inputs.GroundTruthFingerprint)}, from \"{baseline.Inputs.GroundTruth}\")");
        }
    }

    /// <summary>
    /// Throws unless <paramref name="reproduced"/> (an evaluation of the baseline's predictions made now)
    /// has exactly the values of <paramref name="baseline"/> in <paramref name="families"/>: the check that
    /// the baseline predictions given for a bootstrap are the ones the baseline report was made from.
    /// </summary>
    /// <exception cref="IncomparableRunsException">A value differs; the message names the baseline file and path.</exception>
    public static void RequireSameValues(EvaluationReport baseline, EvaluationReport reproduced, MetricSet families, IReadOnlyCollection<IouType>? sections = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        sections ??= GateMetrics.SectionsOf(baseline);
        Require(baseline, reproduced, families, sections);
        foreach (GateMetric metric in GateMetrics.All.Where(m => m.IsIn(families, sections)))
        {
            bool box = metric.IouType() == IouType.Bbox;
            RequireSameValue(baseline, reproduced, $"{metric.ReportPath()}.{(box ? metric.SummaryName() : metric.NameInSection())}",
                GateMetrics.SummaryValue(baseline, metric), GateMetrics.SummaryValue(reproduced, metric));
            if (!metric.HasPerClassValue()) continue;
            for (int k = 0; k < baseline.Categories.Count; k++)
            {
                RequireSameValue(baseline, reproduced, string.Create(Invariant, $"{metric.ReportPath()}.perClass[{k}].{metric.NameInSection()}"),
                    GateMetrics.ClassValue(baseline, metric, k), GateMetrics.ClassValue(reproduced, metric, k));
            }
        }
    }

    /// <summary>Throws unless <paramref name="report"/> holds the mask and keypoint sections of <paramref name="sections"/>.</summary>
    /// <exception cref="IncomparableRunsException">A section is missing; the message names the report and the section.</exception>
    public static void RequireSections(EvaluationReport report, IReadOnlyCollection<IouType> sections)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(sections);
        foreach (IouType section in sections)
        {
            if (GateMetrics.SectionsOf(report).Contains(section)) continue;
            string name = GateMetrics.SectionName(section);
            throw Mismatch(report, GateMetrics.PrimaryOf(section).ReportPath(),
                $"COCO {name} results (the baseline has them)", "null", $"Evaluate with --iou-type including {name}.");
        }
    }

    private static void RequireSameSectionSettings(EvaluationReport baseline, EvaluationReport current, IReadOnlyCollection<IouType> sections)
    {
        if (sections.Contains(IouType.Segm) && !baseline.CocoSegm!.MaxDetections.SequenceEqual(current.CocoSegm!.MaxDetections))
        {
            throw Mismatch(baseline, "$.cocoSegm.maxDets", $"{List(current.CocoSegm.MaxDetections)} as in {current.Source}", List(baseline.CocoSegm.MaxDetections));
        }
        if (sections.Contains(IouType.Keypoints) && !baseline.CocoKeypoints!.Sigmas.SequenceEqual(current.CocoKeypoints!.Sigmas))
        {
            throw Mismatch(baseline, "$.cocoKeypoints.sigmas", $"{Doubles(current.CocoKeypoints.Sigmas)} as in {current.Source}", Doubles(baseline.CocoKeypoints.Sigmas));
        }
    }

    private static void RequireSameValue(EvaluationReport baseline, EvaluationReport reproduced, string path, double? expected, double? found)
    {
        if (Nullable.Equals(expected, found)) return;
        throw Mismatch(baseline, path, $"{Text(found)}, the value of {reproduced.Source}", Text(expected),
            "The baseline predictions must be the ones the baseline report was written from.");
    }

    private static void RequireFamilies(EvaluationReport baseline, EvaluationReport current, MetricSet families)
    {
        RequireFamilies(baseline, families);
        RequireFamilies(current, families);
    }

    /// <summary>Throws unless <paramref name="report"/> holds every family of <paramref name="families"/>.</summary>
    /// <exception cref="IncomparableRunsException">A family is missing; the message names the report and the family.</exception>
    public static void RequireFamilies(EvaluationReport report, MetricSet families)
    {
        foreach (MetricSet family in GateMetrics.FamiliesOf(families))
        {
            string name = family == MetricSet.Coco ? "coco" : "voc";
            bool present = family == MetricSet.Coco ? report.Coco is not null : report.Voc is not null;
            if (!present)
            {
                throw Mismatch(report, "$." + name,
                    $"{name.ToUpperInvariant()} results (the metric set compared is {GateMetrics.Describe(families)})", "null",
                    $"Evaluate with --metric {(families == MetricSet.All ? "all" : name)}, or choose another --metric-set.");
            }
        }
    }

    private static void RequireSameSettings(EvaluationReport baseline, EvaluationReport current, MetricSet families)
    {
        if (families.HasFlag(MetricSet.Coco) && !baseline.Coco!.MaxDetections.SequenceEqual(current.Coco!.MaxDetections))
        {
            throw Mismatch(baseline, "$.coco.maxDets", $"{List(current.Coco.MaxDetections)} as in {current.Source}", List(baseline.Coco.MaxDetections));
        }
        if (families.HasFlag(MetricSet.Voc) && baseline.Voc!.Settings != current.Voc!.Settings)
        {
            throw Mismatch(baseline, "$.voc",
                $"the VOC profile of {current.Source} ({TextReport.DescribeProfile(current.Voc.Settings)})",
                $"another profile ({TextReport.DescribeProfile(baseline.Voc.Settings)})");
        }
    }

    private static void RequireSameClasses(EvaluationReport baseline, EvaluationReport current, MetricSet families, IReadOnlyCollection<IouType> sections)
    {
        string family = families.HasFlag(MetricSet.Coco) ? "coco" : families.HasFlag(MetricSet.Voc) || sections.Count == 0 ? "voc"
            : GateMetrics.PrimaryOf(sections.First()).ReportPath()[2..];
        IReadOnlyList<Category> expected = current.Categories, found = baseline.Categories;
        for (int k = 0; k < Math.Max(expected.Count, found.Count); k++)
        {
            if (k < expected.Count && k < found.Count && expected[k] == found[k]) continue;
            string path = string.Create(Invariant, $"$.{family}.perClass[{k}]");
            // Classes come from the ground truth, so the message names the ground-truth file of each side.
            string want = k < expected.Count ? $"class {ReportValidator.Describe(expected[k])} as in {GroundTruthOf(current)}" : $"{Counting.Of(expected.Count, "class")} as in {GroundTruthOf(current)}";
            string got = k < found.Count ? $"class {ReportValidator.Describe(found[k])} from {GroundTruthOf(baseline)}" : $"{Counting.Of(found.Count, "class")} from {GroundTruthOf(baseline)}";
            throw Mismatch(baseline, path, want, got);
        }
    }

    /// <summary>"gt.json (the ground truth of dt.json)": the file a report's images and classes came from.</summary>
    private static string GroundTruthOf(EvaluationReport report) => $"{report.Inputs.GroundTruth} (the ground truth of {report.Source})";

    private static IncomparableRunsException Mismatch(EvaluationReport report, string path, string expected, string found, string? hint = null) =>
        new(new SourceLocation(report.Source, Path: path), expected, found, hint);

    private static string Short(string? fingerprint) =>
        fingerprint is null ? "none" : fingerprint.Length > GroundTruthFingerprint.Prefix.Length + 12 ? fingerprint[..(GroundTruthFingerprint.Prefix.Length + 12)] + "..." : fingerprint;

    private static string List(IReadOnlyList<int> values) => "[" + string.Join(", ", values.Select(v => v.ToString(Invariant))) + "]";

    private static string Doubles(IReadOnlyList<double> values) => "[" + string.Join(", ", values.Select(v => v.ToString("R", Invariant))) + "]";

    private static string Text(double? value) => value is double v ? v.ToString("R", Invariant) : "null";
}
