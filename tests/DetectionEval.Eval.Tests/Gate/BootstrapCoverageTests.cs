using DetectionEval.Eval.Data;
using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching;
using DetectionEval.Eval.Matches;

namespace DetectionEval.Eval.Tests.Gate;

/// <summary>
/// The paired bootstrap's intervals cover the true difference at about the stated rate. A population of
/// images with two detectors is matched once; its AP difference is the truth. Each trial draws a test set
/// from the population (weights over its images), bootstraps that test set, and checks whether the
/// interval holds the truth.
/// </summary>
public sealed class BootstrapCoverageTests
{
    private const int PopulationImages = 600;
    private const int TestSetImages = 200;
    private const int Trials = 100;
    private const int Replicates = 100;

    [Theory]
    [InlineData(GateMetric.Ap50)]
    [InlineData(GateMetric.VocApAll)]
    public void Intervals_cover_the_population_difference_at_about_the_stated_rate(GateMetric metric)
    {
        (Dataset a, Dataset b) = Population.Build(PopulationImages, seed: 7);
        var options = new EvaluationOptions();
        MetricKey[] keys = [new(metric)];
        ResampledMetrics runA = Prepare(a, options, keys), runB = Prepare(b, options, keys);

        double truth = Drop(runA, runB, [.. Enumerable.Repeat(1, PopulationImages)]);
        var random = new Xoshiro256StarStar(2024);
        int covered = 0;
        var estimates = new List<double>();
        var halfWidths = new List<double>();
        for (int trial = 0; trial < Trials; trial++)
        {
            int[] testSet = [.. Enumerable.Range(0, TestSetImages).Select(_ => (int)random.NextBelow(PopulationImages))];
            var weights = new int[PopulationImages];
            foreach (int image in testSet) weights[image]++;
            estimates.Add(Drop(runA, runB, weights));

            BootstrapResult result = PairedBootstrap.Run(runA, runB, new BootstrapSettings(Replicates, (ulong)trial, 0.95), testSet);
            ConfidenceInterval ci = result.DropInterval(keys[0], DropMode.Absolute)!.Value;
            if (ci.Lower <= truth && truth <= ci.Upper) covered++;
            halfWidths.Add((ci.Upper - ci.Lower) / 2);
        }

        double coverage = (double)covered / Trials;
        Assert.True(Math.Abs(truth) > 0.01, $"the two detectors should differ; truth {truth}");
        Assert.InRange(coverage, 0.88, 0.99);
        // The intervals are as wide as the spread of the estimates says, not merely wide.
        double spread = 1.96 * StandardDeviation(estimates);
        Assert.InRange(halfWidths.Average() / spread, 0.75, 1.33);
    }

    private static ResampledMetrics Prepare(Dataset dataset, EvaluationOptions options, MetricKey[] keys) =>
        new(dataset, CocoMatchStage.Match(dataset, options), VocMatchStage.Match(dataset, options), options, keys);

    private static double Drop(ResampledMetrics a, ResampledMetrics b, int[] weights)
    {
        var va = new double[1];
        var vb = new double[1];
        a.Compute(weights, va, a.CreateWorkspace());
        b.Compute(weights, vb, b.CreateWorkspace());
        return va[0] - vb[0];
    }

    private static double StandardDeviation(List<double> values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}

/// <summary>A population of images with ground truth and two detectors of different quality.</summary>
internal static class Population
{
    private static readonly Category[] Classes = [new(1, "car"), new(2, "person"), new(3, "dog")];

    /// <summary>Datasets with the same images and ground truth; detector A finds more objects, and more precisely, than B.</summary>
    public static (Dataset A, Dataset B) Build(int images, ulong seed)
    {
        var random = new Xoshiro256StarStar(seed);
        var truth = new List<(int Image, int Class, Box Box)>();
        for (int i = 0; i < images; i++)
        {
            for (int k = 0; k < Classes.Length; k++)
            {
                int count = (int)random.NextBelow(3);
                for (int j = 0; j < count; j++) truth.Add((i, k, RandomBox(ref random)));
            }
        }
        return (Detect(images, truth, recall: 0.8, jitter: 0.06, seed: seed + 1), Detect(images, truth, recall: 0.72, jitter: 0.1, seed: seed + 2));
    }

    private static Dataset Detect(int images, List<(int Image, int Class, Box Box)> truth, double recall, double jitter, ulong seed)
    {
        var random = new Xoshiro256StarStar(seed);
        var builder = new DatasetBuilder();
        foreach (Category c in Classes) builder.TryAddCategory(c, out _);
        for (int i = 0; i < images; i++) builder.TryAddImage(new ImageInfo(i + 1), out _);
        long id = 0;
        foreach ((int image, int k, Box box) in truth) builder.AddGroundTruth(image, k, box, box.Area, GroundTruthFlags.None, ++id);
        foreach ((int image, int k, Box box) in truth)
        {
            if (random.NextDouble() >= recall) continue;
            double dx = (random.NextDouble() - 0.5) * 2 * jitter * box.Width, dy = (random.NextDouble() - 0.5) * 2 * jitter * box.Height;
            double scale = 1 + (random.NextDouble() - 0.5) * 2 * jitter;
            builder.AddDetection(image, k, new Box(box.X + dx, box.Y + dy, box.Width * scale, box.Height * scale), 0.3 + 0.7 * random.NextDouble());
        }
        for (int i = 0; i < images; i++)
        {
            // False positives: scores overlap the true positives' so that the ranking matters.
            int count = (int)random.NextBelow(3);
            for (int j = 0; j < count; j++) builder.AddDetection(i, (int)random.NextBelow(3), RandomBox(ref random), 0.6 * random.NextDouble());
        }
        return builder.Build();
    }

    private static Box RandomBox(ref Xoshiro256StarStar random)
    {
        double w = 8 + 200 * random.NextDouble(), h = 8 + 200 * random.NextDouble();
        return new Box(600 * random.NextDouble(), 400 * random.NextDouble(), w, h);
    }
}
