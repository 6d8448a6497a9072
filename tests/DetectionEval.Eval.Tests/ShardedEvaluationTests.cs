using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Matching;
using DetectionEval.Matching.Coco;
using DetectionEval.Matching.Masks;
using DetectionEval.Matching.Voc;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests;

/// <summary>The spill and the shard-by-shard evaluation give the whole-dataset results and clean up after themselves.</summary>
public sealed class ShardedEvaluationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deval-spill-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [MemberData(nameof(GoldenParityTests.Cases), MemberType = typeof(GoldenParityTests))]
    public void Shards_of_two_images_give_every_value_of_the_whole_dataset_run(string caseName)
    {
        var options = new EvaluationOptions { ScoreThreshold = 0.5 };
        EvaluationResult whole = Evaluations.Of(Load(caseName, spill: null).Builder.Build(), options);

        LoadedAnnotations loaded = Load(caseName, new SpillSettings(ImagesPerShard: 2, Folder: _folder));
        using DetectionSpill spill = loaded.Builder.Spill!;
        Assert.Equal(whole.Inputs.Detections - whole.Inputs.DetectionsOfUnknownCategories, spill.Count);
        Dataset groundTruth = loaded.Builder.Build();
        Assert.Equal(0, groundTruth.Detections.Count);
        ShardedMatches matches = ShardedEvaluation.Match(loaded.Builder, groundTruth, options);
        EvaluationResult sharded = ShardedEvaluation.Accumulate(matches, options);
        Assert.Throws<InvalidOperationException>(() => ShardedEvaluation.Accumulate(matches, options));

        Assert.Equal(whole.Inputs, sharded.Inputs);
        Assert.Equal(whole.Coco!.Summary, sharded.Coco!.Summary);
        Assert.Equal(whole.Coco.PerClass, sharded.Coco.PerClass);
        Assert.Equal(whole.Voc!.MeanAp07, sharded.Voc!.MeanAp07);
        Assert.Equal(whole.Voc.MeanApAll, sharded.Voc.MeanApAll);
        Assert.Equal(whole.Voc.PerClass.Select(c => c with { Curve = sharded.Voc.PerClass[0].Curve }), sharded.Voc.PerClass);
        Assert.All(sharded.Voc.PerClass, c => Assert.Empty(c.Curve.Scores));
        OperatingPoints a = whole.OperatingPoints!, b = sharded.OperatingPoints!;
        Assert.Equal((a.BestF1, a.AtThreshold), (b.BestF1, b.AtThreshold));
        Assert.Equal(a.PerClass.Select(c => (c.Category, c.BestF1, c.AtThreshold)), b.PerClass.Select(c => (c.Category, c.BestF1, c.AtThreshold)));
    }

    [Fact]
    public void A_spill_reads_a_shard_back_in_input_order_with_global_positions_and_deletes_its_folder()
    {
        string folder;
        using (var spill = new DetectionSpill(imageCount: 5, imagesPerShard: 2, parentFolder: _folder))
        {
            folder = spill.Folder;
            Assert.Equal(3, spill.ShardCount);
            SpillPart first = spill.OpenPart(), dropped = spill.OpenPart(), second = spill.OpenPart();
            first.Append(4, 0, new Box(0, 0, 1, 1), 0.1);
            first.Append(0, 1, new Box(0, 0, 2, 2), 0.2);
            first.Append(1, 0, new Box(0, 0, 3, 3), 0.3);
            dropped.Append(0, 0, new Box(9, 9, 9, 9), 0.9);
            second.Append(1, 2, new Box(0, 0, 4, 4), 0.4);
            spill.Commit(first);
            DetectionSpill.Discard(dropped);
            spill.Commit(second);

            Assert.Equal(4, spill.Count);
            Assert.Equal([(0, 1, 1, 0.2), (1, 0, 2, 0.3), (1, 2, 3, 0.4)], spill.ReadShard(0).Detections.Select(d => (d.Image, d.Category, d.Position, d.Score)));
            Assert.Empty(spill.ReadShard(1).Detections);
            Assert.Equal([(4, 0, 0, 0.1)], spill.ReadShard(2).Detections.Select(d => (d.Image, d.Category, d.Position, d.Score)));
            Assert.Equal((4, 1), spill.ImagesOf(2));
            Assert.Equal(3, Directory.GetFiles(folder).Length);
        }
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_spill_that_keeps_shapes_gives_back_each_mask_keypoints_and_area_and_one_that_does_not_keeps_the_areas()
    {
        // A 4 x 3 mask: runs of 2 background, 5 foreground, 5 background pixels.
        var mask = new RunLengthMask(4, 3, [2, 5, 5]);
        double[] keypoints = [1.5, 2.5, 2, 10, 20, 0];
        foreach (bool keepShapes in new[] { true, false })
        {
            using var spill = new DetectionSpill(imageCount: 2, imagesPerShard: 1, parentFolder: _folder, keepShapes);
            SpillPart part = spill.OpenPart();
            part.Append(1, 0, new Box(0, 0, 1, 1), 0.1);
            part.Append(1, 0, new Box(0, 0, 2, 2), 0.2, new ObjectShape(mask, keypoints), area: 5);
            part.Append(0, 0, new Box(0, 0, 3, 3), 0.3, new ObjectShape(null, keypoints), area: double.NaN);
            part.Append(1, 1, new Box(0, 0, 4, 4), 0.4, shape: null, area: 7.25);
            spill.Commit(part);

            SpilledShard one = spill.ReadShard(1), zero = spill.ReadShard(0);
            Assert.Equal([0, 1, 3], one.Detections.Select(d => d.Position));
            Assert.True(double.IsNaN(one.Areas![0]));
            Assert.Equal([5.0, 7.25], one.Areas[1..]);
            if (keepShapes)
            {
                Assert.Null(one.Shapes![0]);
                Assert.Equal(mask.Counts.ToArray(), one.Shapes[1]!.Mask!.Counts.ToArray());
                Assert.Equal((4, 3), (one.Shapes[1]!.Mask!.Height, one.Shapes[1]!.Mask!.Width));
                Assert.Equal(keypoints, one.Shapes[1]!.Keypoints);
                Assert.Null(one.Shapes[2]);
                Assert.Null(zero.Shapes![0]!.Mask);
                Assert.Equal(keypoints, zero.Shapes[0]!.Keypoints);
            }
            else
            {
                Assert.Null(one.Shapes);
                Assert.Null(zero.Shapes);
            }
            Assert.Null(zero.Areas);
        }
    }

    [Fact]
    public void A_stored_match_keeps_every_coco_bit_and_the_voc_outcome()
    {
        ulong tp = 0, ignored = 0;
        for (int a = 0; a < CocoOutcome.MaxAreaRanges; a++)
        {
            tp |= CocoOutcome.Bit(a, 0) | CocoOutcome.Bit(a, 9) | CocoOutcome.Bit(a, a + 2);
            ignored |= CocoOutcome.Bit(a, 1) | CocoOutcome.Bit(a, 8) | CocoOutcome.Bit(a, 7 - a);
        }
        var coco = new CocoOutcome(tp, ignored);
        var stored = new StoredMatch(-0.0, 7, 11, 3, coco, VocOutcome.Ignored);
        Assert.Equal(coco, stored.Coco);
        Assert.Equal(VocOutcome.Ignored, stored.Voc);
        Assert.Equal((7, 11, 3), (stored.ImageRank, stored.InputPosition, stored.RankInUnit));
        Assert.True(double.IsNegative(stored.Score));
        Assert.Equal(32, System.Runtime.InteropServices.Marshal.SizeOf<StoredMatch>());
    }

    [Fact]
    public void A_cancelled_load_deletes_the_spill_it_made()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        string caseFolder = ReferenceData.Case("cases/c02_basic");
        Assert.ThrowsAny<OperationCanceledException>(() => AnnotationLoader.Load(
            new AnnotationInput(Path.Combine(caseFolder, "gt.json")),
            new AnnotationInput(Path.Combine(caseFolder, "dt.json")),
            new LoadOptions { Spill = new SpillSettings(ImagesPerShard: 1, Folder: _folder), Cancellation = cancelled.Token }));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void Matching_and_accumulating_the_shards_stop_when_cancelled()
    {
        LoadedAnnotations loaded = Load("cases/c02_basic", new SpillSettings(ImagesPerShard: 1, Folder: _folder));
        using DetectionSpill spill = loaded.Builder.Spill!;
        Dataset groundTruth = loaded.Builder.Build();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var stop = new EvaluationOptions { Cancellation = cancelled.Token };
        Assert.ThrowsAny<OperationCanceledException>(() => ShardedEvaluation.Match(loaded.Builder, groundTruth, stop));
        ShardedMatches matches = ShardedEvaluation.Match(loaded.Builder, groundTruth, new EvaluationOptions());
        Assert.ThrowsAny<OperationCanceledException>(() => ShardedEvaluation.Accumulate(matches, stop));
    }

    private static LoadedAnnotations Load(string caseName, SpillSettings? spill) =>
        AnnotationLoader.Load(
            new AnnotationInput(ReferenceData.Case(Path.Combine(caseName, "gt.json"))),
            new AnnotationInput(ReferenceData.Case(Path.Combine(caseName, "dt.json"))),
            new LoadOptions { Spill = spill });
}
