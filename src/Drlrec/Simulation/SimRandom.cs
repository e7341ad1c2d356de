namespace Drlrec.Simulation;

/// <summary>Random helpers of the simulator: Gaussian draws, and hash-based values fixed by (seed, indices).</summary>
internal static class SimRandom
{
    /// <summary>One standard normal draw (Box-Muller; one of the pair is discarded to keep callers stateless).</summary>
    public static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(); // (0, 1]: the logarithm stays finite
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fills <paramref name="destination"/> with standard normal draws times <paramref name="scale"/>, using both of each pair.</summary>
    public static void FillGaussian(Random rng, Span<float> destination, double scale)
    {
        for (int i = 0; i < destination.Length; i += 2)
        {
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - rng.NextDouble())) * scale;
            double angle = 2.0 * Math.PI * rng.NextDouble();
            destination[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < destination.Length) destination[i + 1] = (float)(radius * Math.Sin(angle));
        }
    }

    /// <summary>A standard Gumbel draw: adding these to scores and taking the top k samples Plackett-Luce without replacement.</summary>
    public static double Gumbel(Random rng)
    {
        double u = rng.NextDouble();
        u = Math.Clamp(u, 1e-300, 1 - 1e-16);
        return -Math.Log(-Math.Log(u));
    }

    /// <summary>SplitMix64's finaliser: a bijective, well-mixed 64-bit hash.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>Seed of an independent random stream, so that changing one part of the world does not shift the others.</summary>
    public static int DeriveSeed(int seed, ulong stream) => (int)(Mix(Mix((ulong)(uint)seed) ^ stream) >> 33);

    /// <summary>A standard normal value fixed by a 64-bit key (Box-Muller on the key's two 32-bit halves).</summary>
    public static double HashGaussian(ulong key)
    {
        ulong h = Mix(key);
        double u1 = ((h >> 32) + 0.5) / 4294967296.0;           // (0, 1)
        double u2 = (h & 0xFFFFFFFFUL) / 4294967296.0;
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));
}

/// <summary>
/// Identifiers of the simulator's independent random streams (<see cref="SimRandom.DeriveSeed"/>), one per use and
/// listed together so that no two uses share one. Changing one changes every world and log of a seed.
/// </summary>
internal static class SimStreams
{
    /// <summary>The world's fixed parameters: category centres, price levels, tag directions, context effects, attribute vectors.</summary>
    public const ulong World = 1;
    public const ulong Items = 2;
    public const ulong Users = 3;
    /// <summary>Everything <see cref="SyntheticSimulator.GenerateLogs"/> draws: times, requests, policy noise, clicks.</summary>
    public const ulong Logs = 4;
    /// <summary>Key of the hash that fixes each item's number of tags.</summary>
    public const ulong TagHash = 5;
    /// <summary>Key of the hash that fixes the behaviour policy's error per (user, item).</summary>
    public const ulong ErrorHash = 6;
    /// <summary>Key of the hash that fixes each item's hidden quality (session exit, <see cref="ClickModel"/>).</summary>
    public const ulong QualityHash = 7;
    /// <summary>The validation requests on which online evaluation tunes the diversity re-rank, apart from the reported ones.</summary>
    public const ulong ValidationRequests = 8;
}

/// <summary>
/// A fast seeded generator (SplitMix64) for building large catalogs: the seeded <see cref="Random"/> keeps the
/// legacy subtractive algorithm for compatibility and costs several times more per draw. Deterministic for a seed
/// on every platform. Overrides every draw the simulator uses.
/// </summary>
internal sealed class SplitMixRandom(ulong seed) : Random
{
    private ulong state = seed;

    private ulong NextUInt64()
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong x = state;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
    protected override double Sample() => NextDouble();
    public override int Next() => (int)(NextUInt64() >> 33);
    public override long NextInt64() => (long)(NextUInt64() >> 1);

    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)((NextUInt64() >> 32) * (ulong)maxValue >> 32); // Lemire's multiply-shift: bias below 2^-32 × maxValue
    }

    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return minValue + (int)((NextUInt64() >> 32) * (ulong)(uint)(maxValue - minValue) >> 32);
    }

    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());

    public override void NextBytes(Span<byte> buffer)
    {
        for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)(NextUInt64() >> 56);
    }
}
