using DetectionEval.Eval.Gate;
using DetectionEval.Eval.Metrics;

using DetectionEval.Eval.Pipeline;
namespace DetectionEval.Eval.Tests.Gate;

/// <summary>The bootstrap is a function of its seed: same seed, same replicates, on any number of threads.</summary>
public sealed class PairedBootstrapTests
{
    private static readonly Lazy<(EvaluationRun A, EvaluationRun B)> Runs = new(() => (
        Evaluations.Run(GateFixture.Dataset, new EvaluationOptions()),
        Evaluations.Run(GateFixture.WithoutClass(1), new EvaluationOptions())));

    private static readonly MetricKey[] Keys = [new(GateMetric.Ap), new(GateMetric.VocApAll), new(GateMetric.Ap, 0)];

    private static BootstrapResult Run(ulong seed, int? threads) =>
        RunBootstrap.Compare(Runs.Value.A, Runs.Value.B, Keys, new BootstrapSettings(64, seed), threads);

    [Fact]
    public void The_same_seed_gives_the_same_replicates_on_any_number_of_threads()
    {
        BootstrapResult one = Run(42, threads: 1), many = Run(42, threads: 4), again = Run(42, threads: null);
        for (int k = 0; k < Keys.Length; k++)
        {
            Assert.Equal(one.Baseline(k), many.Baseline(k));
            Assert.Equal(one.Current(k), many.Current(k));
            Assert.Equal(one.Current(k), again.Current(k));
            Assert.Equal(one.DropInterval(Keys[k], DropMode.Absolute), again.DropInterval(Keys[k], DropMode.Absolute));
        }
    }

    [Fact]
    public void Another_seed_gives_other_replicates()
    {
        Assert.NotEqual(Run(1, null).Current(0), Run(2, null).Current(0));
    }

    [Fact]
    public void A_resample_draws_as_many_images_as_the_pool_holds()
    {
        int[] pool = [0, 1, 2, 2, 5];
        var weights = new int[8];
        PairedBootstrap.Resample(7, 3, pool, weights);
        Assert.Equal(5, weights.Sum());
        Assert.All(new[] { 3, 4, 6, 7 }, i => Assert.Equal(0, weights[i]));
        // The documented draw: replicate r of seed s keys the generator with s + (r + 1) * 0x9E3779B97F4A7C15
        // and draws pool.Length places without bias; the reference generator and Lemire's draw give them.
        var reference = ReferenceXoshiro.SeededBySplitMix64(unchecked(7 + (3 + 1) * 0x9E3779B97F4A7C15UL));
        var expected = new int[8];
        for (int i = 0; i < pool.Length; i++) expected[pool[reference.Below((uint)pool.Length)]]++;
        Assert.Equal(expected, weights);
    }

    [Fact]
    public void Intervals_are_numpys_linear_percentiles()
    {
        Assert.Equal(2.5, BootstrapResult.Quantile([1.0, 2.0, 3.0, 4.0], 0.5));
        Assert.Equal(1.075, BootstrapResult.Quantile([1.0, 2.0, 3.0, 4.0], 0.025), 12);
        Assert.Equal(4.0, BootstrapResult.Quantile([1.0, 2.0, 3.0, 4.0], 1.0));
    }

    [Fact]
    public void Xoshiro_matches_the_authors_reference_code()
    {
        // From the reference C code (splitmix64.c seeding xoshiro256starstar.c) compiled with gcc, key 12345.
        var random = new Xoshiro256StarStar(12345);
        ulong[] expected = [0xBE6A36374160D49BUL, 0x214AAA0637A688C6UL, 0xF69D16DE9954D388UL, 0x0C60048C4E96E033UL, 0x8E2076AEED51C648UL];
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => random.NextUInt64()));
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, Xoshiro256StarStar.SplitMix64(ref state));
    }

    [Fact]
    public void Bounded_draws_are_uniform()
    {
        var random = new Xoshiro256StarStar(9);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[random.NextBelow(7)]++;
        // Each face expects 10,000 draws; 5 standard deviations is about 475.
        Assert.All(counts, c => Assert.InRange(c, 9_525, 10_475));
    }

    [Fact]
    public void Runs_over_other_images_are_refused()
    {
        var other = Evaluations.Run(GoldenParityTests.LoadCase("cases/c02_basic"), new EvaluationOptions());
        Assert.Throws<ArgumentException>(() => RunBootstrap.Compare(Runs.Value.A, other, Keys, new BootstrapSettings(2)));
    }
}
