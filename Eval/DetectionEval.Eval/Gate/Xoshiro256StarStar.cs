namespace DetectionEval.Eval.Gate;

// The bootstrap's random numbers, fixed here rather than taken from System.Random, whose algorithm is not
// promised to stay the same across .NET versions: a seed must give the same resamples everywhere, forever.
//
// Generator: xoshiro256** 1.0 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro256starstar.c), its
// 256-bit state filled from a 64-bit key by SplitMix64 (https://prng.di.unimi.it/splitmix64.c), as the
// authors recommend. Bounded integers: Lemire's multiply-and-reject method on the upper 32 bits of each
// output ("Fast Random Integer Generation in an Interval", 2019), which is exactly uniform.
// Replicate r of seed s uses the key s + (r + 1) * 0x9E3779B97F4A7C15 (SplitMix64's increment), so every
// replicate has its own stream and replicates can be drawn on any thread in any order.

/// <summary>The xoshiro256** generator, seeded through SplitMix64.</summary>
public struct Xoshiro256StarStar
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

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without bias.</summary>
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

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
