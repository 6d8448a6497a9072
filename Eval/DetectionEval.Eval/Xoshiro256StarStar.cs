namespace DetectionEval.Eval;

// deval's random numbers: the bootstrap's resamples, the synthetic datasets, the fuzzer's inputs. Fixed
// here rather than taken from System.Random, whose algorithm is an implementation detail of .NET: a seed
// must give the same resamples and the same files on every machine, runtime and thread count.
//
// Generator: xoshiro256** 1.0 (Blackman and Vigna, "Scrambled linear pseudorandom number generators",
// https://prng.di.unimi.it/xoshiro256starstar.c), its 256-bit state filled from a 64-bit key by SplitMix64
// (https://prng.di.unimi.it/splitmix64.c), as the authors recommend; an all-zero state cannot arise.
// Keys: a bootstrap replicate r of seed s uses s + (r + 1) * 0x9E3779B97F4A7C15 (SplitMix64's increment);
// a synthetic stream (seed s, stream i, e.g. an image index) uses SplitMix64(s) ^ i * 0xD1B54A32D192ED03,
// which keeps (s, i) and (s + 1, i - 1) apart. Either way every replicate or image has its own stream and
// can be drawn on any thread in any order.

/// <summary>The xoshiro256** generator, seeded through SplitMix64; deterministic across platforms.</summary>
public sealed class Xoshiro256StarStar
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator whose state SplitMix64 draws from <paramref name="key"/>.</summary>
    public Xoshiro256StarStar(ulong key)
    {
        ulong x = key;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Stream <paramref name="stream"/> of <paramref name="seed"/> (the synthetic datasets' generators).</summary>
    /// <param name="seed">The user's seed.</param>
    /// <param name="stream">Selects an independent stream for the same seed.</param>
    public Xoshiro256StarStar(ulong seed, ulong stream)
        : this(SplitMix64(ref seed) ^ (stream * 0xD1B54A32D192ED03UL))
    {
    }

    /// <summary>The generator of bootstrap replicate <paramref name="replicate"/> under <paramref name="seed"/>.</summary>
    public static Xoshiro256StarStar ForReplicate(ulong seed, int replicate) =>
        new(unchecked(seed + ((ulong)replicate + 1) * Golden));

    /// <summary>One step of SplitMix64: advances <paramref name="state"/> and returns the mixed value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += Golden;
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

    /// <summary>
    /// A uniform integer in [0, <paramref name="bound"/>), without bias: Lemire's multiply-and-reject method
    /// on the upper 32 bits of each output ("Fast Random Integer Generation in an Interval", 2019).
    /// </summary>
    public uint NextBelow(uint bound)
    {
        if (bound == 0) throw new ArgumentOutOfRangeException(nameof(bound), "The bound must be at least 1.");
        ulong product = (NextUInt64() >> 32) * bound;
        uint low = (uint)product;
        if (low < bound)
        {
            // 2^32 mod bound: the low products below it belong to an incomplete row and are drawn again.
            uint threshold = (0u - bound) % bound;
            while (low < threshold)
            {
                product = (NextUInt64() >> 32) * bound;
                low = (uint)product;
            }
        }
        return (uint)(product >> 32);
    }

    /// <summary>
    /// An integer uniform in [0, <paramref name="count"/>) by Lemire's multiply-shift without the rejection
    /// step (bias below 2^-32 for small counts): one output per call, which the synthetic datasets' byte-for-byte
    /// reproducibility depends on; <see cref="NextBelow"/> is the exact one.
    /// </summary>
    public int NextInt(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return (int)(((NextUInt64() >> 32) * (ulong)count) >> 32);
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A double uniform in [<paramref name="lo"/>, <paramref name="hi"/>).</summary>
    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

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
