namespace Drlrec.Simulation;

/// <summary>
/// The users' clicks: known probabilities, so a list's expected clicks are exact.
/// <para>An item at 1-based position p of a list is clicked with probability examination(p) × attractiveness, with
/// examination(p) = p^-PositionBias and attractiveness =
/// σ(BaseLogit + relevance(user, item) + popularity(item) + context(hour, device, category) − Fatigue × load).
/// relevance = 1.5 u·v/√LatentDim − sensitivity(user) × (price − middle bucket);
/// popularity = 0.3 (min(e, 6) − 1); context = hour effect + device effect + hour×category effect (small
/// fixed random values, <see cref="ContextEffects"/>); load = Σ FatigueDecay^(p−j−1) over earlier positions j whose
/// item shares the category.
/// Clicks at different positions are independent given the list. The order of a list therefore changes its
/// clicks twice over: through examination, and through fatigue from the items placed before.</para>
/// <para>Session exit (<see cref="SyntheticConfig.Exit"/> above 0): each user–item pair has a hidden satisfaction
/// s = ρ a + √(1 − ρ²) q, with a = (relevance + popularity) / 1.5 the pair's attractiveness before context (over a
/// request's candidates: standard deviation 0.98, mean 0.46, as candidates lean to what the user likes), q ~ N(0, 1)
/// the item's own quality (fixed by a hash of the item, a random stream of its own) and ρ = SatisfactionCorrelation.
/// After a click on the item the user leaves the list with probability leave = σ(ExitBias − Exit × s); the positions
/// after are shown but not clicked. The click probability above is then
/// the probability of a click given that the user is still browsing, c_p, and
/// P(click at p) = B_p c_p,  B_1 = 1,  B_(p+1) = B_p (1 − c_p leave_p),
/// so the expected clicks Σ_p B_p c_p stay exact. Nothing of s reaches a learner but the clicks: no field carries it,
/// and the upstream ranker does not see it. With Exit 0 no user leaves (B_p = 1): today's world bit for bit.</para>
/// </summary>
internal sealed class ClickModel
{
    private const double RelevanceScale = 1.5;
    private const double PopularityClickWeight = 0.3;
    private const double PopularityClickCap = 6.0;
    /// <summary>About the standard deviation of relevance + popularity over requests' candidates (0.98 × 1.5 measured): the scale of a.</summary>
    private const double AttractionSpread = 1.5;

    private readonly SyntheticConfig config;
    private readonly SimCatalog catalog;
    private readonly SimUsers users;
    private readonly ContextEffects context;
    private readonly double relevanceNorm; // RelevanceScale / √LatentDim
    private readonly ulong qualityHashSeed; // key of the hash that fixes each item's quality q

    public ClickModel(SyntheticConfig config, SimCatalog catalog, SimUsers users, ContextEffects context)
    {
        this.config = config;
        this.catalog = catalog;
        this.users = users;
        this.context = context;
        relevanceNorm = RelevanceNorm(config.LatentDim);
        qualityHashSeed = SimRandom.Mix((ulong)SimRandom.DeriveSeed(config.Seed, SimStreams.QualityHash));
    }

    /// <summary>Weight of the interest match u·v in the relevance: 1.5/√LatentDim.</summary>
    public static double RelevanceNorm(int latentDim) => RelevanceScale / Math.Sqrt(latentDim);

    /// <summary>Probability that a user examines position <paramref name="position"/> (1-based): p^-PositionBias.</summary>
    public double Examination(int position)
    {
        if (position < 1) throw new ArgumentOutOfRangeException(nameof(position), "positions start at 1");
        return Math.Pow(position, -config.PositionBias);
    }

    /// <summary>Popularity bonus of an item in the attractiveness logit: 0.3 (min(e, 6) − 1), e ~ Exp(1).</summary>
    public double Popularity(int item)
    {
        SimArguments.CheckItem(config, item);
        return PopularityUnchecked(item);
    }

    /// <summary>
    /// Attractiveness logit of an item in a request before fatigue: BaseLogit + relevance + popularity + context.
    /// The click probability at position p with fatigue load L is Examination(p) σ(logit − Fatigue L).
    /// </summary>
    public double AttractionLogit(SimRequest request, int item)
    {
        SimArguments.CheckRequest(config, request);
        SimArguments.CheckItem(config, item);
        return AttractionLogitUnchecked(request, item);
    }

    /// <summary>
    /// Probability of a click on each item of an ordered list (at most ListLength distinct items) shown for a request:
    /// B_p c_p, the probability that the user is still browsing at p times that of a click there if so (B_p = 1
    /// without exit).
    /// </summary>
    public double[] ClickProbabilities(SimRequest request, IReadOnlyList<int> orderedItems)
    {
        var (click, leave) = Browse(request, orderedItems);
        if (leave is null) return click;
        double browsing = 1;
        var probabilities = new double[click.Length];
        for (int p = 0; p < click.Length; p++)
        {
            probabilities[p] = browsing * click[p];
            browsing *= 1 - click[p] * leave[p];
        }
        return probabilities;
    }

    /// <summary>Expected number of clicks on an ordered list: the exact sum of its click probabilities.</summary>
    public double ExpectedClicks(SimRequest request, IReadOnlyList<int> orderedItems) => ClickProbabilities(request, orderedItems).Sum();

    /// <summary>
    /// Samples the user's clicks on an ordered list, 1 = click: one uniform draw u_p per position (after an exit too,
    /// so the generator advances as without exit); a click when the user is still browsing and u_p &lt; c_p, and an
    /// exit after it when u_p &lt; c_p leave_p (probability leave_p given the click). Without exit these are the
    /// independent Bernoulli(c_p) draws of today's world.
    /// </summary>
    public float[] Respond(SimRequest request, IReadOnlyList<int> orderedItems, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var (click, leave) = Browse(request, orderedItems);
        var clicks = new float[click.Length];
        bool browsing = true;
        for (int p = 0; p < clicks.Length; p++)
        {
            double u = rng.NextDouble();
            if (!browsing) continue;
            clicks[p] = u < click[p] ? 1f : 0f;
            if (leave is not null && u < click[p] * leave[p]) browsing = false;
        }
        return clicks;
    }

    /// <summary>
    /// Per position of an ordered list: c_p, the click probability if the user is still browsing there
    /// (examination × attractiveness with fatigue), and leave_p, the probability of leaving after a click there
    /// (null without exit).
    /// </summary>
    private (double[] Click, double[]? Leave) Browse(SimRequest request, IReadOnlyList<int> orderedItems)
    {
        SimArguments.CheckList(config, request, orderedItems);
        int n = orderedItems.Count;
        double fatigue = config.Fatigue, decay = config.FatigueDecay;
        var probabilities = new double[n];
        for (int p = 0; p < n; p++)
        {
            int item = orderedItems[p], category = catalog.CategoryOf(item);
            double load = 0;
            for (int j = 0; j < p; j++)
                if (catalog.CategoryOf(orderedItems[j]) == category) load += Math.Pow(decay, p - j - 1);
            probabilities[p] = Examination(p + 1) * SimRandom.Sigmoid(AttractionLogitUnchecked(request, item) - fatigue * load);
        }
        if (!HasExit) return (probabilities, null);
        var leave = new double[n];
        for (int p = 0; p < n; p++) leave[p] = LeaveAfterClickUnchecked(request.User, orderedItems[p]);
        return (probabilities, leave);
    }

    /// <summary>Whether users may leave a list after a click (<see cref="SyntheticConfig.Exit"/> above 0).</summary>
    public bool HasExit => config.Exit > 0;

    /// <summary>
    /// The hidden satisfaction s = ρ a + √(1 − ρ²) q of a user with an item (class summary); used only when exit is on.
    /// </summary>
    public double Satisfaction(int user, int item)
    {
        SimArguments.CheckUser(config, user);
        SimArguments.CheckItem(config, item);
        return SatisfactionUnchecked(user, item);
    }

    /// <summary>Probability of leaving the list after a click on the item: σ(ExitBias − Exit × s), 0 without exit.</summary>
    public double LeaveAfterClick(int user, int item)
    {
        SimArguments.CheckUser(config, user);
        SimArguments.CheckItem(config, item);
        return LeaveAfterClickUnchecked(user, item);
    }

    // ---- Terms of the logit, for callers that checked their arguments --------------------------------------

    /// <summary>The interest part of the relevance: 1.5 u·v/√LatentDim.</summary>
    public double InterestMatch(int user, int item) => relevanceNorm * SimVectors.Dot(users.Vector(user), catalog.Vector(item));

    public double PopularityUnchecked(int item) =>
        PopularityClickWeight * (Math.Min(catalog.PopularityScore(item), PopularityClickCap) - 1.0);

    public double AttractionLogitUnchecked(SimRequest request, int item)
    {
        double effects = context.Of(request.Hour, request.Device, catalog.CategoryOf(item));
        return config.BaseLogit + Relevance(request.User, item) + PopularityUnchecked(item) + effects;
    }

    public double LeaveAfterClickUnchecked(int user, int item) =>
        HasExit ? SimRandom.Sigmoid(config.ExitBias - config.Exit * SatisfactionUnchecked(user, item)) : 0;

    private double SatisfactionUnchecked(int user, int item)
    {
        double rho = config.SatisfactionCorrelation;
        double attraction = (Relevance(user, item) + PopularityUnchecked(item)) / AttractionSpread;
        double quality = SimRandom.HashGaussian(qualityHashSeed ^ (ulong)(uint)item);
        return rho * attraction + Math.Sqrt(1 - rho * rho) * quality;
    }

    /// <summary>True user–item relevance: 1.5 u·v/√LatentDim minus the user's price sensitivity times the price offset.</summary>
    private double Relevance(int user, int item)
    {
        double match = InterestMatch(user, item);
        double priceOffset = catalog.Price(item) - (SyntheticSimulator.PriceBuckets - 1) / 2.0;
        return match - users.PriceSensitivity(user) * priceOffset;
    }
}

/// <summary>
/// The fixed effects of a request's context on the attractiveness logit: an hour effect and a device effect, each
/// N(0, 0.15²), and an hour×category effect, N(0, 0.3²) (each category has its better and worse hours).
/// </summary>
internal sealed class ContextEffects
{
    private readonly int categories;
    private readonly float[] hourEffect;          // HourBuckets
    private readonly float[] deviceEffect;        // Devices
    private readonly float[] hourCategoryEffect;  // HourBuckets × Categories

    /// <param name="world">The world stream; the effects are drawn from it in the order hour, device, hour×category.</param>
    public ContextEffects(Random world, int categories)
    {
        this.categories = categories;
        hourEffect = new float[SyntheticSimulator.HourBuckets];
        SimRandom.FillGaussian(world, hourEffect, 0.15);
        deviceEffect = new float[SyntheticSimulator.Devices];
        SimRandom.FillGaussian(world, deviceEffect, 0.15);
        hourCategoryEffect = new float[SyntheticSimulator.HourBuckets * categories];
        SimRandom.FillGaussian(world, hourCategoryEffect, 0.3);
    }

    public double Of(int hour, int device, int category) =>
        hourEffect[hour] + deviceEffect[device] + hourCategoryEffect[hour * categories + category];
}
