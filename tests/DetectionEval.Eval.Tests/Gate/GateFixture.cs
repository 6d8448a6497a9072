using DetectionEval.Eval.Data;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Reports;

namespace DetectionEval.Eval.Tests.Gate;

/// <summary>Reports of the 100-image COCO sample for gate tests: the real predictions, and variants of them.</summary>
internal static class GateFixture
{
    private static readonly Lazy<Dataset> SampleDataset = new(() => GoldenParityTests.LoadCase("peer/coco_val2014_100"));

    public static Dataset Dataset => SampleDataset.Value;

    public static readonly Lazy<EvaluationReport> Baseline = new(() => Report("base.json", Dataset));

    public static EvaluationReport Report(string source, Dataset dataset) =>
        EvaluationReport.From(source, new ReportHeader("deval", "0.1.0", "gt.json", source), Evaluations.Of(dataset));

    /// <summary>The sample's predictions without those of one class (by id).</summary>
    public static Dataset WithoutClass(long categoryId) => Rebuild(Dataset, (category, _) => Dataset.Categories[category].Id != categoryId);

    /// <summary>The sample with only the detections <paramref name="keep"/> accepts (category index, detection row).</summary>
    public static Dataset Rebuild(Dataset dataset, Func<int, int, bool> keep)
    {
        var builder = new DatasetBuilder();
        foreach (ImageInfo image in dataset.Images) builder.TryAddImage(image, out _);
        foreach (Category c in dataset.Categories) builder.TryAddCategory(c, out _);
        GroundTruthTable gt = dataset.GroundTruth;
        for (int row = 0; row < gt.Count; row++) builder.AddGroundTruth(gt.Images[row], gt.Categories[row], gt.Boxes[row], gt.Areas[row], gt.Flags[row], gt.AnnotationIds[row]);
        DetectionTable dt = dataset.Detections;
        foreach (int row in Enumerable.Range(0, dt.Count).OrderBy(r => dt.InputPositions[r]))
        {
            if (keep(dt.Categories[row], row)) builder.AddDetection(dt.Images[row], dt.Categories[row], dt.Boxes[row], dt.Scores[row]);
        }
        return builder.Build();
    }

    public static GateRules Drops(params DropLimit[] drops) => new([], drops, []);
}
