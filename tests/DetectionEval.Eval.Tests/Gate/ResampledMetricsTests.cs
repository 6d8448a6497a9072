using DetectionEval.Eval.Data;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Pipeline;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Tests.Gate;

/// <summary>The bootstrap's fast accumulation against the library's weighted accumulation, bit for bit.</summary>
public sealed class ResampledMetricsTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string c in ReferenceData.CocoJsonCases()) data.Add(c);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_key_equals_the_weighted_accumulation_bit_for_bit(string caseName)
    {
        Dataset dataset = GoldenParityTests.LoadCase(caseName);
        foreach (EvaluationOptions options in new[]
        {
            new EvaluationOptions(),
            new EvaluationOptions { MaxDetections = [1, 2, 3], Voc = new VocMatchSettings(0.5, VocIouRule.Greater, PlusOnePixel: true) },
        })
        {
            CocoMatches coco = CocoMatchStage.Match(dataset, options);
            VocMatches voc = VocMatchStage.Match(dataset, options);
            MetricKey[] keys = [.. GateMetrics.All.Where(m => m.IouType() == IouType.Bbox).SelectMany(m => PairedBootstrap.SummaryAndClasses(m, dataset.Categories))];
            var resampled = new ResampledMetrics(dataset, coco, voc, options, keys);
            ResampledMetrics.Workspace workspace = resampled.CreateWorkspace();
            var values = new double[keys.Length];

            var random = new Xoshiro256StarStar(17);
            for (int trial = 0; trial < 4; trial++)
            {
                // Ones, then draws with zeros and repeats, like a bootstrap's.
                int[] weights = [.. Enumerable.Range(0, dataset.Images.Count).Select(_ => trial == 0 ? 1 : (int)random.NextBelow(4))];
                resampled.Compute(weights, values, workspace);

                CocoResult expectedCoco = CocoAccumulation.Accumulate(coco, options, weights);
                VocResult expectedVoc = VocAccumulation.Accumulate(voc, options, weights);
                for (int i = 0; i < keys.Length; i++)
                {
                    double? expected = Expected(keys[i], expectedCoco, expectedVoc);
                    string where = $"{caseName} trial {trial} {keys[i].Describe(dataset.Categories)}";
                    if (expected is null) Assert.True(double.IsNaN(values[i]), $"{where}: expected no value, got {values[i]:R}");
                    else Assert.True(expected.Value.Equals(values[i]), $"{where}: expected {expected.Value:R}, got {values[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void Only_the_prepared_keys_are_computed_and_in_their_order()
    {
        Dataset dataset = GoldenParityTests.LoadCase("peer/coco_val2014_100");
        var options = new EvaluationOptions();
        MetricKey[] keys = [new(GateMetric.VocApAll, 0), new(GateMetric.Ap50), new(GateMetric.Ap, 0)];
        var resampled = new ResampledMetrics(dataset, CocoMatchStage.Match(dataset, options), VocMatchStage.Match(dataset, options), options, keys);
        var values = new double[3];
        resampled.Compute(Enumerable.Repeat(1, dataset.Images.Count).ToArray(), values, resampled.CreateWorkspace());

        EvaluationResult full = Evaluations.Of(dataset, options);
        Assert.Equal(full.Voc!.PerClass[0].ApAll!.Value, values[0]);
        Assert.Equal(full.Coco!.Summary.Ap50!.Value, values[1]);
        Assert.Equal(full.Coco.PerClass[0].Ap!.Value, values[2]);
    }

    [Fact]
    public void A_metric_of_one_threshold_alone_gives_the_same_value()
    {
        Dataset dataset = GoldenParityTests.LoadCase("peer/coco_val2014_100");
        var options = new EvaluationOptions();
        MetricKey[] keys = [new(GateMetric.Ap75), new(GateMetric.Ap75, 0), new(GateMetric.Ar1)];
        var resampled = new ResampledMetrics(dataset, CocoMatchStage.Match(dataset, options), null, options, keys);
        var values = new double[3];
        resampled.Compute(Enumerable.Repeat(1, dataset.Images.Count).ToArray(), values, resampled.CreateWorkspace());

        CocoResult full = CocoAccumulation.Evaluate(dataset, options);
        Assert.Equal(full.Summary.Ap75!.Value, values[0]);
        Assert.Equal(full.PerClass[0].Ap75!.Value, values[1]);
        Assert.Equal(full.Summary.Ar1!.Value, values[2]);
    }

    private static double? Expected(MetricKey key, CocoResult coco, VocResult voc)
    {
        if (key.Metric == GateMetric.VocAp07) return key.ClassIndex is int k ? voc.PerClass[k].Ap07 : voc.MeanAp07;
        if (key.Metric == GateMetric.VocApAll) return key.ClassIndex is int k2 ? voc.PerClass[k2].ApAll : voc.MeanApAll;
        if (key.ClassIndex is not int c) return coco.Summary.Stats[(int)key.Metric];
        CocoClassResult r = coco.PerClass[c];
        return key.Metric switch
        {
            GateMetric.Ap => r.Ap,
            GateMetric.Ap50 => r.Ap50,
            GateMetric.Ap75 => r.Ap75,
            GateMetric.ApSmall => r.ApSmall,
            GateMetric.ApMedium => r.ApMedium,
            GateMetric.ApLarge => r.ApLarge,
            _ => r.Ar100,
        };
    }
}
