using System.Text.Json;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Matches;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Eval.Tests.Gate;

/// <summary>
/// The gate, the comparison and the bootstrap on COCO's segm and keypoint sections: values read from the
/// report's <c>cocoSegm</c> and <c>cocoKeypoints</c> (checked against pycocotools' numbers), drops measured
/// there, and resampled values equal to the weighted accumulation bit for bit.
/// </summary>
public sealed class MaskAndKeypointGateTests
{
    private const string Segm = "protocols/coco_val2014_100_segm";
    private const string Keypoints = "protocols/fce_keypoints";

    private static EvaluationReport Report(string source, Dataset dataset, params IouType[] iouTypes) =>
        EvaluationReport.From(source, new ReportHeader("deval", "0.1.0", "gt.json", source), Evaluations.Of(dataset, new EvaluationOptions { IouTypes = iouTypes }));

    /// <summary>The segm case without its detections of class 18 (dog): the gate sample's <c>segm_regressed_results.json</c>.</summary>
    private static Dataset WithoutDogs()
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(ReferenceData.Case(Path.Combine(Segm, "gt.json")), builder);
        CocoJson.ReadDetections(Path.Combine(ReferenceData.RepositoryRoot, "samples", "coco-val2014-100", "gate", "segm_regressed_results.json"), builder);
        return builder.Build();
    }

    [Fact]
    public void Mask_metric_names_carry_their_iou_type_and_read_the_mask_section()
    {
        Assert.True(GateMetrics.TryParse("segm.AP50", out GateMetric segm));
        Assert.Equal(GateMetric.SegmAp50, segm);
        Assert.Equal(IouType.Segm, segm.IouType());
        Assert.True(GateMetrics.TryParse("KEYPOINTS.ar", out GateMetric keypoints));
        Assert.Equal(GateMetric.KeypointsAr, keypoints);
        Assert.True(keypoints.HasPerClassValue());
        Assert.False(GateMetric.KeypointsAr50.HasPerClassValue());
        Assert.False(GateMetric.SegmAr1.HasPerClassValue());
        // Box names stay what they were.
        Assert.True(GateMetrics.TryParse("AP50", out GateMetric box));
        Assert.Equal(GateMetric.Ap50, box);
        Assert.False(GateMetrics.TryParse("segm.mAPAll", out _));
    }

    [Fact]
    public void Segm_values_of_a_report_are_pycocotools_values()
    {
        using JsonDocument expected = GoldenParityTests.LoadExpected(Segm);
        JsonElement reference = expected.RootElement.GetProperty("coco_segm");
        EvaluationReport report = Report("dt.json", GoldenParityTests.LoadCase(Segm), IouType.Segm);
        Assert.Null(report.Coco);
        Assert.Equal("segm", GateMetrics.Describe(ReportCompatibility.FamiliesToGate(null, report), GateMetrics.SectionsOf(report)));
        JsonElement stats = reference.GetProperty("stats_list");
        for (int i = 0; i < 12; i++)
        {
            GoldenParityTests.AssertCocoValue(stats[i], GateMetrics.SummaryValue(report, GateMetric.SegmAp + i), GateMetric.SegmAp + i + "");
        }
        JsonElement dog = reference.GetProperty("per_category").EnumerateArray().Single(c => c.GetProperty("category_id").GetInt64() == 18);
        int dogIndex = report.Categories.ToList().FindIndex(c => c.Id == 18);
        GoldenParityTests.AssertCocoValue(dog.GetProperty("AP"), GateMetrics.ClassValue(report, GateMetric.SegmAp, dogIndex), "dog segm.AP");
        GoldenParityTests.AssertCocoValue(dog.GetProperty("APs"), GateMetrics.ClassValue(report, GateMetric.SegmApSmall, dogIndex), "dog segm.APs");
    }

    [Fact]
    public void Removing_the_dogs_drops_segm_AP_by_the_dogs_AP_over_the_70_classes_with_ground_truth()
    {
        using JsonDocument expected = GoldenParityTests.LoadExpected(Segm);
        JsonElement reference = expected.RootElement.GetProperty("coco_segm");
        double dogAp = reference.GetProperty("per_category").EnumerateArray().Single(c => c.GetProperty("category_id").GetInt64() == 18).GetProperty("AP").GetDouble();
        EvaluationReport baseline = Report("base.json", GoldenParityTests.LoadCase(Segm), IouType.Segm);
        EvaluationReport current = Report("current.json", WithoutDogs(), IouType.Segm);
        MetricSet families = ReportCompatibility.FamiliesToGate(null, baseline);
        Assert.Equal((MetricSet)0, families);
        ReportCompatibility.Require(baseline, current, families);

        var rules = new GateRules([], [new DropLimit(GateMetric.SegmAp, 0.002)], [new DropLimit(null, 0.02)]);
        GateVerdict verdict = RegressionGate.Check(baseline, current, rules, families);

        // The dog class goes from pycocotools' 0.2 to 0 (ground truth, no detections); every other class keeps its AP.
        GateCheck summary = verdict.Checks.Single(c => c.Kind == GateCheckKind.Drop);
        Assert.Equal(dogAp / 70, summary.Drop!.Value, 1e-12);
        Assert.Equal(reference.GetProperty("stats_list")[0].GetDouble(), summary.Baseline!.Value, 1e-12);
        GateCheck failed = Assert.Single(verdict.Failures, c => c.Kind == GateCheckKind.ClassDrop);
        Assert.Equal("segm.AP of class 18 \"dog\": baseline 0.2000, current 0.0000, drop 0.2000 > allowed 0.0200", failed.Describe());
        Assert.Equal(GateOutcome.Fail, summary.Outcome);
        Assert.Equal(80, verdict.Checks.Count(c => c.Kind == GateCheckKind.ClassDrop));
    }

    [Fact]
    public void A_current_run_without_the_baselines_mask_section_cannot_be_gated()
    {
        EvaluationReport baseline = Report("base.json", GoldenParityTests.LoadCase(Segm), IouType.Bbox, IouType.Segm);
        EvaluationReport boxesOnly = Report("current.json", GoldenParityTests.LoadCase(Segm), IouType.Bbox);
        var error = Assert.Throws<IncomparableRunsException>(() => ReportCompatibility.Require(baseline, boxesOnly, MetricSet.All));
        Assert.Equal("current.json: $.cocoSegm: Expected COCO segm results (the baseline has them), but got null. Evaluate with --iou-type including segm.", error.Message);
    }

    [Fact]
    public void Comparison_of_bbox_and_segm_reports_lists_both_sections_and_their_per_class_AP()
    {
        EvaluationReport a = Report("a.json", GoldenParityTests.LoadCase(Segm), IouType.Bbox, IouType.Segm);
        EvaluationReport b = Report("b.json", WithoutDogs(), IouType.Bbox, IouType.Segm);
        Comparison comparison = Comparison.Of(a, b, MetricSet.Coco);
        Assert.Equal([IouType.Segm], comparison.Sections);
        Assert.Equal(24, comparison.Summary.Count);
        Assert.Equal([GateMetric.Ap, GateMetric.SegmAp], comparison.PerClass.Select(p => p.Metric));
        // Largest drop first: the dogs, in both sections.
        foreach ((GateMetric _, IReadOnlyList<ComparisonRow> rows) in comparison.PerClass) Assert.Equal(18, b.Categories[rows[0].Key.ClassIndex!.Value].Id);
        Assert.Equal(-0.2, comparison.PerClass[1].Rows[0].Change!.Value, 1e-12);
    }

    [Fact]
    public void Resampled_mask_and_keypoint_values_equal_the_weighted_accumulation_bit_for_bit()
    {
        foreach ((string caseName, IouType iouType) in new[] { (Segm, IouType.Segm), (Keypoints, IouType.Keypoints) })
        {
            Dataset dataset = GoldenParityTests.LoadCase(caseName);
            var options = new EvaluationOptions { IouTypes = [iouType] };
            EvaluationRun run = Evaluations.Run(dataset, options);
            CocoMatches matches = (iouType == IouType.Segm ? run.Matches!.CocoSegm : run.Matches!.CocoKeypoints)!;
            MetricKey[] keys = [.. GateMetrics.All.Where(m => m.IouType() == iouType).SelectMany(m => PairedBootstrap.SummaryAndClasses(m, dataset.Categories))];
            ResampledMetrics resampled = RunBootstrap.Resampled(run, keys);
            ResampledMetrics.Workspace workspace = resampled.CreateWorkspace();
            var values = new double[keys.Length];
            var random = new Xoshiro256StarStar(5);
            for (int trial = 0; trial < 3; trial++)
            {
                int[] weights = [.. Enumerable.Range(0, dataset.Images.Count).Select(_ => trial == 0 ? 1 : (int)random.NextBelow(4))];
                resampled.Compute(weights, values, workspace);
                CocoTables tables = CocoAccumulation.AccumulateTables(matches, options, weights);
                for (int i = 0; i < keys.Length; i++)
                {
                    double? reference = Expected(keys[i], tables, dataset.Categories, iouType);
                    string where = $"{caseName} trial {trial} {keys[i].Describe(dataset.Categories)}";
                    if (reference is null) Assert.True(double.IsNaN(values[i]), $"{where}: expected no value, got {values[i]:R}");
                    else Assert.True(reference.Value.Equals(values[i]), $"{where}: expected {reference.Value:R}, got {values[i]:R}");
                }
                if (trial == 0)
                {
                    // With every weight 1, the values are the run's own.
                    double? first = iouType == IouType.Segm ? run.Result.CocoSegm!.Summary.Ap : run.Result.CocoKeypoints!.Summary.Ap;
                    Assert.Equal(first!.Value, values[0]);
                }
            }
        }
    }

    private static double? Expected(MetricKey key, CocoTables tables, IReadOnlyList<Category> categories, IouType iouType)
    {
        if (iouType == IouType.Keypoints)
        {
            CocoKeypointSummary s = CocoAccumulation.SummarizeKeypoints(tables);
            if (key.ClassIndex is not int k) return s.Stats[key.Metric - GateMetric.KeypointsAp];
            CocoKeypointClassResult c = CocoAccumulation.PerClassKeypoints(categories, tables)[k];
            return key.Metric switch
            {
                GateMetric.KeypointsAp => c.Ap,
                GateMetric.KeypointsAp50 => c.Ap50,
                GateMetric.KeypointsAp75 => c.Ap75,
                GateMetric.KeypointsApMedium => c.ApMedium,
                GateMetric.KeypointsApLarge => c.ApLarge,
                _ => c.Ar,
            };
        }
        if (key.ClassIndex is not int j) return CocoAccumulation.Summarize(tables).Stats[key.Metric - GateMetric.SegmAp];
        CocoClassResult r = CocoAccumulation.PerClass(categories, tables)[j];
        return (key.Metric - GateMetric.SegmAp) switch
        {
            0 => r.Ap,
            1 => r.Ap50,
            2 => r.Ap75,
            3 => r.ApSmall,
            4 => r.ApMedium,
            5 => r.ApLarge,
            _ => r.Ar100,
        };
    }
}
