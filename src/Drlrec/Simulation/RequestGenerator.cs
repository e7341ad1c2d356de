namespace Drlrec.Simulation;

/// <summary>
/// The requests of the synthetic world: who asks, when, on which device, and which candidates they are offered.
/// <para>A request is a user drawn by activity, at a time drawn from a daily activity profile over
/// <see cref="SyntheticSimulator.LogDays"/> days (context <c>hour</c> = four-hour bucket), on the user's preferred
/// device 70% of the time (context <c>device</c>). It offers CandidatesPerRequest distinct items, each drawn from a
/// mixture: 40% by popularity, 40% uniformly from one of the user's preferred categories, 20% uniformly from the
/// catalog. The cost does not depend on the catalog size (alias tables and per-category item lists).</para>
/// </summary>
internal sealed class RequestGenerator
{
    private const int SecondsPerDay = 86_400;
    private const int SecondsPerHourBucket = 24 * 3600 / SyntheticSimulator.HourBuckets;
    private const double PopularCandidateShare = 0.4;
    private const double PreferredCandidateShare = 0.4; // the rest is uniform over the catalog
    private const double PreferredDeviceShare = 0.7;
    /// <summary>Relative traffic per hour bucket: quiet nights, busy evenings.</summary>
    private static readonly double[] HourActivity = [0.25, 0.5, 1.0, 1.1, 1.4, 1.6];

    private readonly SyntheticConfig config;
    private readonly SimCatalog catalog;
    private readonly SimUsers users;
    private readonly AliasSampler hourSampler = new(HourActivity);

    public RequestGenerator(SyntheticConfig config, SimCatalog catalog, SimUsers users)
    {
        this.config = config;
        this.catalog = catalog;
        this.users = users;
    }

    /// <summary>A request at a random time of the simulated period, with a random identifier.</summary>
    public SimRequest NextRequest(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        long timestamp = DrawTimestamp(rng);
        string id = "q" + rng.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        return NextRequest(rng, timestamp, id);
    }

    /// <summary>A request at a given time: the user is drawn by activity, the hour bucket follows from the time.</summary>
    public SimRequest NextRequest(Random rng, long timestamp, string requestId)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        int user = users.DrawByActivity(rng);
        int hour = HourBucketOf(timestamp);
        int device = rng.NextDouble() < PreferredDeviceShare ? users.PreferredDevice(user) : rng.Next(SyntheticSimulator.Devices);
        return new SimRequest(requestId, user, hour, device, timestamp, DrawCandidates(user, rng));
    }

    /// <summary>The four-hour bucket of a Unix time, 0 = 00:00-03:59 UTC.</summary>
    public static int HourBucketOf(long timestamp)
    {
        long secondOfDay = ((timestamp % SecondsPerDay) + SecondsPerDay) % SecondsPerDay;
        return (int)(secondOfDay / SecondsPerHourBucket);
    }

    /// <summary>A time in the simulated period: a uniform day, an hour bucket by its traffic, a uniform second in it.</summary>
    public long DrawTimestamp(Random rng)
    {
        int day = rng.Next(SyntheticSimulator.LogDays);
        int bucket = hourSampler.Sample(rng);
        return SyntheticSimulator.Epoch + (long)day * SecondsPerDay + bucket * SecondsPerHourBucket + rng.Next(SecondsPerHourBucket);
    }

    private int[] DrawCandidates(int user, Random rng)
    {
        int n = config.CandidatesPerRequest;
        var candidates = new int[n];
        var taken = new HashSet<int>(n);
        int filled = 0;
        // Terminates quickly: the uniform share alone succeeds with probability ≥ 1/2 (n ≤ Items / 2).
        while (filled < n)
        {
            int item = DrawCandidate(user, rng);
            if (taken.Add(item)) candidates[filled++] = item;
        }
        return candidates;
    }

    private int DrawCandidate(int user, Random rng)
    {
        double source = rng.NextDouble();
        if (source < PopularCandidateShare) return catalog.DrawPopular(rng);
        if (source < PopularCandidateShare + PreferredCandidateShare)
        {
            var inCategory = catalog.ItemsOf(users.DrawPreferredCategory(user, rng));
            if (inCategory.Count > 0) return inCategory[rng.Next(inCategory.Count)];
        }
        return rng.Next(catalog.Count);
    }
}
