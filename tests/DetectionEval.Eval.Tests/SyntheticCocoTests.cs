using System.Security.Cryptography;
using DetectionEval.Eval.Data;
using DetectionEval.Eval.Formats;
using DetectionEval.Eval.Metrics;
using DetectionEval.Eval.Synthetic;
using DetectionEval.Matching;
using DetectionEval.Eval.Pipeline;

namespace DetectionEval.Eval.Tests;

/// <summary>The synthetic COCO generator: deterministic, loadable, with the documented structure.</summary>
public sealed class SyntheticCocoTests
{
    private static (byte[] Gt, byte[] Dt, SynthSummary Summary) Generate(SynthSettings settings)
    {
        using var gt = new MemoryStream();
        using var dt = new MemoryStream();
        SynthSummary summary = SyntheticCoco.Write(settings, gt, dt);
        return (gt.ToArray(), dt.ToArray(), summary);
    }

    private static Dataset Load(byte[] gt, byte[] dt)
    {
        var builder = new DatasetBuilder();
        CocoJson.ReadGroundTruth(new MemoryStream(gt), "gt.json", builder);
        CocoJson.ReadDetections(new MemoryStream(dt), "dt.json", builder);
        return builder.Build();
    }

    [Fact]
    public void Masks_leave_the_boxes_and_their_numbers_as_they_were()
    {
        var plain = Generate(new SynthSettings(40, 5, 3));
        var masked = Generate(new SynthSettings(40, 5, 3) { Segm = true });
        Assert.Equal(plain.Summary, masked.Summary);
        Dataset withMasks = Load(masked.Gt, masked.Dt);
        Assert.All(withMasks.GroundTruth.Shapes.ToArray(), s => Assert.NotNull(s?.Mask));
        Assert.All(withMasks.Detections.Shapes.ToArray(), s => Assert.NotNull(s?.Mask));
        // Results carry boxes first, so their areas stay w*h and the box evaluation is unchanged.
        Assert.Equal(Evaluations.Of(Load(plain.Gt, plain.Dt)).Coco!.Summary, Evaluations.Of(withMasks).Coco!.Summary);
        CocoResult segm = Evaluations.Of(withMasks, new EvaluationOptions { IouTypes = [IouType.Segm] }).CocoSegm!;
        Assert.InRange(segm.Summary.Ap!.Value, 0.05, 0.95);
        Assert.Equal(masked.Dt, Generate(new SynthSettings(40, 5, 3) { Segm = true }).Dt);
    }

    [Fact]
    public void Keypoints_leave_the_boxes_and_their_numbers_as_they_were_and_follow_the_labelling_rule()
    {
        var plain = Generate(new SynthSettings(40, 5, 3));
        var withKeypoints = Generate(new SynthSettings(40, 5, 3) { Keypoints = true, Segm = true });
        Assert.Equal(plain.Summary, withKeypoints.Summary);
        Dataset dataset = Load(withKeypoints.Gt, withKeypoints.Dt);
        Assert.Equal(Evaluations.Of(Load(plain.Gt, plain.Dt)).Coco!.Summary, Evaluations.Of(dataset).Coco!.Summary);
        GroundTruthTable gt = dataset.GroundTruth;
        for (int i = 0; i < gt.Count; i++)
        {
            double[] k = gt.Shapes[i]!.Keypoints!;
            Assert.Equal(51, k.Length);
            Assert.NotNull(gt.Shapes[i]!.Mask);
            long id = gt.AnnotationIds[i].Number;
            bool crowd = (gt.Flags[i] & GroundTruthFlags.Crowd) != 0;
            for (int j = 0; j < 17; j++)
            {
                // Unlabelled when (id + k) % 10 is 0, hidden when 1, visible otherwise; a crowd region labels none.
                double expected = crowd || (id + j) % 10 == 0 ? 0 : (id + j) % 10 == 1 ? 1 : 2;
                Assert.Equal(expected, k[(j * 3) + 2]);
            }
            Assert.Equal(k.Where((_, j) => j % 3 == 2).Count(v => v > 0), gt.Shapes[i]!.LabelledKeypoints);
        }
        Assert.All(dataset.Detections.Shapes.ToArray(), s => Assert.Equal(51, s!.Keypoints!.Length));
        EvaluationResult both = Evaluations.Of(dataset, new EvaluationOptions { IouTypes = [IouType.Segm, IouType.Keypoints] });
        Assert.InRange(both.CocoKeypoints!.Summary.Ap!.Value, 0.05, 0.95);
        var masked = Generate(new SynthSettings(40, 5, 3) { Segm = true });
        Assert.Equal(Evaluations.Of(Load(masked.Gt, masked.Dt), new EvaluationOptions { IouTypes = [IouType.Segm] }).CocoSegm!.Summary, both.CocoSegm!.Summary);
    }

    [Fact]
    public void A_different_seed_gives_different_files()
    {
        Assert.NotEqual(Generate(new SynthSettings(50, 5, 1)).Dt, Generate(new SynthSettings(50, 5, 2)).Dt);
    }

    [Fact]
    public void Seed_one_of_the_benchmark_shape_has_a_fixed_fingerprint()
    {
        // Guards cross-platform determinism: this hash was computed once and must never change for seed 1,
        // or published benchmark inputs would silently differ from the ones a user regenerates.
        var (gt, dt, _) = Generate(new SynthSettings(100, 80, 1));
        Assert.Equal(SyntheticFingerprints.GroundTruth100x80Seed1, Convert.ToHexStringLower(SHA256.HashData(gt)));
        Assert.Equal(SyntheticFingerprints.Detections100x80Seed1, Convert.ToHexStringLower(SHA256.HashData(dt)));
    }

    [Fact]
    public void The_files_load_and_the_counts_match_the_summary()
    {
        var (gt, dt, summary) = Generate(new SynthSettings(300, 80, 3));
        Dataset dataset = Load(gt, dt);
        Assert.Equal(300, dataset.Images.Count);
        Assert.Equal(80, dataset.Categories.Count);
        Assert.Equal(summary.GroundTruth, dataset.GroundTruth.Count);
        Assert.Equal(summary.Detections, dataset.Detections.Count);
        Assert.Equal(0, dataset.DetectionsOfUnknownCategories);
        int crowd = 0;
        foreach (GroundTruthFlags f in dataset.GroundTruth.Flags) crowd += f == GroundTruthFlags.Crowd ? 1 : 0;
        Assert.Equal(summary.Crowd, crowd);
    }

    [Fact]
    public void Regular_mode_has_the_documented_structure()
    {
        var (gt, dt, summary) = Generate(new SynthSettings(800, 80, 11));
        Dataset dataset = Load(gt, dt);
        // About 7.3 objects and 100 detections per image, about 1 % crowd.
        Assert.InRange(summary.GroundTruth / 800.0, 6.5, 8.0);
        Assert.InRange(summary.Detections / 800.0, 95, 105);
        Assert.InRange(summary.Crowd / (double)summary.GroundTruth, 0.004, 0.016);
        // Class imbalance: the first class holds about a fifth of the objects, the last far fewer.
        int[] perClass = new int[80];
        foreach (int k in dataset.GroundTruth.Categories) perClass[k]++;
        Assert.InRange(perClass[0] / (double)summary.GroundTruth, 0.15, 0.25);
        Assert.True(perClass[79] * 20 < perClass[0]);
        // COCO's size mix by box area: small, medium and large all present in about 41/34/25 %.
        int small = 0, large = 0;
        foreach (Box b in dataset.GroundTruth.Boxes)
        {
            if (b.Area < 32 * 32) small++;
            else if (b.Area > 96 * 96) large++;
        }
        Assert.InRange(small / (double)summary.GroundTruth, 0.33, 0.48);
        Assert.InRange(large / (double)summary.GroundTruth, 0.18, 0.32);
    }

    [Fact]
    public void The_detector_finds_most_objects_but_not_all()
    {
        var (gt, dt, _) = Generate(new SynthSettings(300, 10, 5));
        EvaluationResult result = Evaluations.Of(Load(gt, dt));
        double ap50 = result.Coco!.Summary.Ap50!.Value;
        double ap = result.Coco.Summary.Ap!.Value;
        Assert.InRange(ap50, 0.4, 0.8);
        Assert.True(ap < ap50, "jittered boxes must lose precision at stricter thresholds");
    }

    [Fact]
    public void Dense_mode_has_hundreds_of_objects_and_thousands_of_detections_per_image()
    {
        var (_, _, summary) = Generate(new SynthSettings(4, 3, 1, Dense: true));
        Assert.InRange(summary.GroundTruth / 4.0, 150, 450);
        Assert.InRange(summary.Detections / 4.0, 1500, 4500);
    }

    [Fact]
    public void The_per_image_means_can_be_set()
    {
        var (_, _, summary) = Generate(new SynthSettings(10, 1, 1, Dense: true, ObjectsPerImage: 40, DetectionsPerImage: 400));
        Assert.InRange(summary.GroundTruth / 10.0, 20, 60);
        Assert.InRange(summary.Detections / 10.0, 200, 600);
    }

    [Fact]
    public void SplitMix64_reproduces_the_reference_sequence()
    {
        // First outputs of splitmix64.c with state 0 (Vigna's reference implementation).
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, Xoshiro256StarStar.SplitMix64(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, Xoshiro256StarStar.SplitMix64(ref state));
    }

    [Fact]
    public void The_reference_transcription_gives_the_published_outputs_of_state_1_2_3_4()
    {
        var reference = new ReferenceXoshiro(1, 2, 3, 4);
        Assert.Equal(ReferenceXoshiro.PublishedOutputsOfState1234, Enumerable.Range(0, 10).Select(_ => reference.Next()));
        // splitmix64.c from state 0: its published first outputs.
        ulong state = 0;
        Assert.Equal([0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL, 0xF88BB8A8724C81ECUL], Enumerable.Range(0, 4).Select(_ => ReferenceXoshiro.SplitMix64(ref state)));
    }

    [Theory]
    [InlineData(42UL, 3UL)]
    [InlineData(42UL, 4UL)]
    [InlineData(0UL, 0UL)]
    [InlineData(ulong.MaxValue, 123_456UL)]
    public void A_stream_is_the_reference_xoshiro_keyed_by_splitmix64_of_the_seed_mixed_with_the_stream(ulong seed, ulong stream)
    {
        // The documented key (Xoshiro256StarStar.cs): SplitMix64(seed) ^ stream * 0xD1B54A32D192ED03; the state
        // is then four SplitMix64 outputs of the key, and the draws are the reference xoshiro256**'s.
        ulong state = seed;
        ulong key = ReferenceXoshiro.SplitMix64(ref state) ^ unchecked(stream * 0xD1B54A32D192ED03UL);
        ReferenceXoshiro reference = ReferenceXoshiro.SeededBySplitMix64(key), forDoubles = ReferenceXoshiro.SeededBySplitMix64(key);
        var generator = new Xoshiro256StarStar(seed, stream);
        for (int i = 0; i < 100; i++) Assert.Equal(reference.Next(), generator.NextUInt64());
        // A double is the top 53 bits of the next output over 2^53: in [0, 1), never 1.
        var doubles = new Xoshiro256StarStar(seed, stream);
        for (int i = 0; i < 1000; i++) Assert.Equal((forDoubles.Next() >> 11) * (1.0 / (1UL << 53)), doubles.NextDouble());
    }

    [Fact]
    public void Neighbouring_streams_and_seeds_draw_different_numbers()
    {
        ulong[] firsts = [.. new (ulong Seed, ulong Stream)[] { (42, 3), (42, 4), (43, 3), (43, 2) }.Select(k => new Xoshiro256StarStar(k.Seed, k.Stream).NextUInt64())];
        Assert.Equal(firsts.Length, firsts.Distinct().Count());
    }
}

/// <summary>SHA-256 of the seed-1 synthetic files, recorded when the generator was written.</summary>
internal static class SyntheticFingerprints
{
    public const string GroundTruth100x80Seed1 = "43ea9b7bd329e29aaf597419e6002e2a1f5e4e00b03e8f54d196f7bdc0e29ed9";
    public const string Detections100x80Seed1 = "dd260853a9c859666cbc7f166b0957ec7e26c2a0c881b7b577286cf9e4ce231c";
}
