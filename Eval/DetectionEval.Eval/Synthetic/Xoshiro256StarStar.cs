namespace DetectionEval.Eval.Synthetic;

// A small, fully specified pseudo-random generator, so that a synthetic dataset is the same file on every
// machine, runtime and thread count (System.Random's algorithm is an implementation detail of .NET).
//
// State: four 64-bit words, seeded by SplitMix64 as the xoshiro authors recommend.
// Reference: Blackman and Vigna, "Scrambled linear pseudorandom number generators" (xoshiro256**, and
// splitmix64 for seeding), https://prng.di.unimi.it/.
// Sentinels: none; an all-zero state cannot arise from SplitMix64 output.

/// <summary>xoshiro256** seeded through SplitMix64; deterministic across platforms.</summary>
public sealed class Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator from a seed and a stream number (e.g. an image index).</summary>
    /// <param name="seed">The user's seed.</param>
    /// <param name="stream">Selects an independent stream for the same seed.</param>
    public Xoshiro256StarStar(ulong seed, ulong stream = 0)
    {
        // Mixing the stream through SplitMix64 first keeps (seed, stream) and (seed + 1, stream - 1) apart.
        ulong x = SplitMix64(ref seed) ^ (stream * 0xD1B54A32D192ED03UL);
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>One step of SplitMix64: advances <paramref name="state"/> and returns the mixed value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A double uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A double uniform in [<paramref name="lo"/>, <paramref name="hi"/>).</summary>
    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>An integer uniform in [0, <paramref name="count"/>), by Lemire's multiply-shift (bias below 2^-32 for small counts).</summary>
    public int NextInt(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return (int)(((NextUInt64() >> 32) * (ulong)count) >> 32);
    }

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>
    /// An approximately normal value with mean 0 and standard deviation 1: the Irwin-Hall sum of four
    /// uniforms, centred and scaled. Only +, - and * are used, which IEEE 754 rounds the same everywhere,
    /// whereas <c>Math.Log</c> or <c>Math.Cos</c> may differ by an ulp between C runtimes.
    /// </summary>
    public double NextNormal() => (NextDouble() + NextDouble() + NextDouble() + NextDouble() - 2.0) * Sqrt3;

    // The variance of a sum of four uniforms is 4/12, so scaling by sqrt(3) gives variance 1.
    private const double Sqrt3 = 1.7320508075688772;
}
