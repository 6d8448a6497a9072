using DetectionEval.Eval.Analysis;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests.Analysis;

public sealed class ConfusionMatrixTests
{
    private const int Person = 0, Dog = 1, Cat = 2, Background = 3;

    private static DatasetBuilder NewBuilder()
    {
        var builder = new DatasetBuilder();
        builder.TryAddCategory(new Category(1, "person"), out _);
        builder.TryAddCategory(new Category(2, "dog"), out _);
        builder.TryAddCategory(new Category(3, "cat"), out _);
        return builder;
    }

    [Fact]
    public void Each_kept_detection_and_each_object_lands_in_one_cell()
    {
        DatasetBuilder b = NewBuilder();
        b.TryAddImage(new ImageInfo(1), out int image);
        long id = 1;
        void Gt(int c, double x, GroundTruthFlags flags = GroundTruthFlags.None) => b.AddGroundTruth(image, c, new Box(x, 0, 10, 10), 100, flags, id++);
        Gt(Person, 0);     // found
        Gt(Dog, 100);      // detected as cat
        Gt(Dog, 200);      // missed
        Gt(Cat, 300, GroundTruthFlags.Difficult);
        b.AddDetection(image, Person, new Box(0, 0, 10, 10), 0.9);     // TP
        b.AddDetection(image, Person, new Box(1, 0, 10, 10), 0.8);     // duplicate: background row
        b.AddDetection(image, Cat, new Box(101, 0, 10, 10), 0.7);      // on the dog: a confusion
        b.AddDetection(image, Cat, new Box(102, 0, 10, 10), 0.65);     // the dog is taken by the first cat: background row
        b.AddDetection(image, Cat, new Box(300, 0, 10, 10), 0.6);      // on the difficult cat: ignored
        b.AddDetection(image, Dog, new Box(500, 0, 10, 10), 0.4);      // below the threshold: dropped

        ConfusionMatrix m = ConfusionMatrixBuilder.Build(Evaluations.VocRecords(b.Build(), new VocMatchSettings()), 0.5);

        int[,] expected =
        {
            // person dog cat background (detected)
            { 1, 0, 0, 0 },   // person
            { 0, 0, 1, 1 },   // dog
            { 0, 0, 0, 0 },   // cat (only a difficult one)
            { 1, 0, 1, 0 },   // background
        };
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++) Assert.True(expected[i, j] == m[i, j], $"cell [{i}, {j}]: expected {expected[i, j]}, got {m[i, j]}");
        }
        Assert.Equal(1, m.IgnoredDetections);
        Assert.Equal(1, m.Confusions);
        Assert.Equal([(Dog, Cat, 1)], m.TopConfusions(5));
    }

    [Fact]
    public void A_wrong_class_detection_below_the_iou_threshold_is_background_and_the_object_missed()
    {
        DatasetBuilder b = NewBuilder();
        b.TryAddImage(new ImageInfo(1), out int image);
        b.AddGroundTruth(image, Dog, new Box(0, 0, 10, 10), 100, GroundTruthFlags.None, 1);
        b.AddDetection(image, Cat, new Box(5, 0, 10, 10), 0.9);   // IoU 1/3

        ConfusionMatrix m = ConfusionMatrixBuilder.Build(Evaluations.VocRecords(b.Build(), new VocMatchSettings()), double.NegativeInfinity);

        Assert.Equal(1, m[Background, Cat]);
        Assert.Equal(1, m[Dog, Background]);
        Assert.Equal(0, m[Dog, Cat]);
    }

    /// <summary>
    /// Property, on 300 seeded random datasets (System.Random with fixed seeds, not FsCheck), each at three
    /// confidences under one of five VOC profiles: the matrix reconciles with the evaluation's own counts at
    /// the same confidence. Per class with positives: diagonal = TP, column total = TP + FP, row total = npos,
    /// row total - diagonal = FN; pooled over all classes: TP, FP and FN are the evaluation's; background to
    /// background is 0; and per image the FPs and FNs are those of ImageErrors.
    /// </summary>
    [Fact]
    public void Row_and_column_sums_reconcile_with_the_evaluations_tp_fp_and_fn_at_the_same_threshold()
    {
        VocMatchSettings[] profiles =
        [
            new(), new(0.5, VocIouRule.Greater), new(0.5, PlusOnePixel: true), new(0.3), new(0.75),
        ];
        int confusions = 0, ignored = 0;
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            Dataset dataset = RandomDataset(random);
            VocMatchSettings profile = profiles[seed % profiles.Length];
            foreach (double threshold in new[] { -1.0, random.NextDouble(), 0.5 })
            {
                var options = new EvaluationOptions { Metrics = MetricSet.Voc, Voc = profile, ScoreThreshold = threshold, Threads = 1 };
                EvaluationResult evaluation = Evaluations.Of(dataset, options);
                ConfusionMatrix m = ConfusionMatrixBuilder.Build(Evaluations.VocRecords(dataset, profile), threshold, threads: 2);
                string where = $"seed {seed}, threshold {threshold}";

                int tp = 0, fp = 0, fn = 0;
                for (int k = 0; k < dataset.Categories.Count; k++)
                {
                    VocClassResult voc = evaluation.Voc!.PerClass[k];
                    Assert.True(voc.Positives == m.RowTotal(k), $"{where}: class {k} row total {m.RowTotal(k)}, npos {voc.Positives}");
                    if (evaluation.OperatingPoints!.PerClass[k].AtThreshold is { } at)
                    {
                        Assert.True(at.TruePositives == m.TruePositives(k), $"{where}: class {k} TP");
                        Assert.True(at.TruePositives + at.FalsePositives == m.ColumnTotal(k), $"{where}: class {k} column total");
                        Assert.True(at.FalseNegatives == m.FalseNegatives(k), $"{where}: class {k} FN");
                    }
                    tp += m.TruePositives(k);
                    fp += m.FalsePositives(k);
                    fn += m.FalseNegatives(k);
                }
                OperatingPoint? pooled = evaluation.OperatingPoints!.AtThreshold;
                if (pooled is not null)
                {
                    Assert.True(pooled.TruePositives == tp && pooled.FalsePositives == fp && pooled.FalseNegatives == fn, $"{where}: pooled counts");
                }
                Assert.Equal(0, m[m.Background, m.Background]);
                confusions += m.Confusions;
                ignored += m.IgnoredDetections;

                ImageErrorCounts[] images = ImageErrors.CountAll(Evaluations.VocRecords(dataset, profile), threshold, threads: 1);
                Assert.True(images.Sum(i => i.FalsePositives) == fp && images.Sum(i => i.FalseNegatives) == fn, $"{where}: image counts");
            }
        }
        // The generator makes confusions and hits on difficult objects, so the property covers them.
        Assert.True(confusions > 100, $"only {confusions} confusions");
        Assert.True(ignored > 50, $"only {ignored} ignored detections");
    }

    /// <summary>A few images, three classes, boxes on a small grid so that overlaps of every kind happen, some flagged.</summary>
    private static Dataset RandomDataset(Random random)
    {
        DatasetBuilder b = NewBuilder();
        int images = random.Next(1, 5);
        long id = 1;
        for (int i = 0; i < images; i++)
        {
            b.TryAddImage(new ImageInfo(i + 1), out int image);
            var objects = new List<Box>();
            for (int g = random.Next(0, 7); g > 0; g--)
            {
                var box = new Box(random.Next(0, 6) * 5, random.Next(0, 3) * 5, random.Next(1, 4) * 5, random.Next(1, 4) * 5);
                objects.Add(box);
                GroundTruthFlags flags = random.Next(10) switch { 0 => GroundTruthFlags.Crowd, 1 => GroundTruthFlags.Difficult, 2 => GroundTruthFlags.Ignore, _ => GroundTruthFlags.None };
                b.AddGroundTruth(image, random.Next(3), box, box.Area, flags, id++);
            }
            for (int d = random.Next(0, 10); d > 0; d--)
            {
                // Near an object (jittered) or anywhere; scores on a coarse grid so that ties happen.
                Box box = objects.Count > 0 && random.Next(3) > 0
                    ? objects[random.Next(objects.Count)] with { X = objects[0].X + random.Next(-2, 3) }
                    : new Box(random.Next(0, 6) * 5, random.Next(0, 3) * 5, random.Next(1, 4) * 5, random.Next(1, 4) * 5);
                b.AddDetection(image, random.Next(3), box, random.Next(0, 11) / 10.0);
            }
        }
        return b.Build();
    }
}
