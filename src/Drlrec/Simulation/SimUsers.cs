namespace Drlrec.Simulation;

/// <summary>
/// The users of the synthetic world.
/// <para>Each user has observable attributes <c>age</c> (<see cref="SyntheticSimulator.AgeBuckets"/> buckets),
/// <c>gender</c> and <c>region</c>, drawn uniformly, and a hidden interest vector
/// u = 0.6 (a_age + a_gender + a_region)/√3 + 0.8 ε, where each attribute value has a fixed random vector a and
/// ε ~ N(0, I): the attributes predict interests, but only partly. A user also has a preferred device, a price
/// sensitivity that falls with age, a Zipf-like activity (how often they make requests), and the three categories
/// whose centres best match their interests, big categories favoured (the candidate generator's "preferred
/// categories", <see cref="RequestGenerator"/>).</para>
/// </summary>
internal sealed class SimUsers
{
    private const double UserActivityExponent = 0.4; // activity weight U^-0.4: a Pareto tail with finite variance
    private const int PreferredCategoriesPerUser = 3;

    private readonly int dim;
    private readonly float[] userVectors;         // Users × dim
    private readonly byte[] userAge, userGender, userRegion, userDevice;
    private readonly float[] userPriceSensitivity;
    private readonly int[] userPreferredCategories;      // Users × PreferredCategoriesPerUser
    private readonly float[] userPreferredCumulative;    // matching cumulative choice probabilities
    private readonly AliasSampler userActivity;

    private readonly string[][] ageValues, genderValues, regionValues;

    /// <param name="world">The world stream; the users draw the attribute vectors from it. The users themselves come
    /// from a stream of their own.</param>
    public SimUsers(SyntheticConfig config, SimCatalog catalog, Random world)
    {
        const int AgeBuckets = SyntheticSimulator.AgeBuckets, Genders = SyntheticSimulator.Genders;
        const int Regions = SyntheticSimulator.Regions;
        dim = config.LatentDim;
        int categories = config.Categories;
        var attributeVectors = new float[(AgeBuckets + Genders + Regions) * dim];
        SimRandom.FillGaussian(world, attributeVectors, 1.0);

        int users = config.Users;
        var userRng = new Random(SimRandom.DeriveSeed(config.Seed, SimStreams.Users));
        userVectors = new float[(long)users * dim];
        userAge = new byte[users];
        userGender = new byte[users];
        userRegion = new byte[users];
        userDevice = new byte[users];
        userPriceSensitivity = new float[users];
        int preferred = Math.Min(PreferredCategoriesPerUser, categories);
        userPreferredCategories = new int[users * PreferredCategoriesPerUser];
        userPreferredCumulative = new float[users * PreferredCategoriesPerUser];
        var activity = new double[users];
        var affinity = new double[categories];
        var noise = new float[dim];
        double relevanceNorm = ClickModel.RelevanceNorm(dim);
        for (int u = 0; u < users; u++)
        {
            int age = userRng.Next(AgeBuckets), gender = userRng.Next(Genders), region = userRng.Next(Regions);
            userAge[u] = (byte)age;
            userGender[u] = (byte)gender;
            userRegion[u] = (byte)region;
            userDevice[u] = (byte)userRng.Next(SyntheticSimulator.Devices);
            userPriceSensitivity[u] = (float)(0.25 * (1.0 - age / (double)(AgeBuckets - 1)) + 0.05 * SimRandom.Gaussian(userRng));
            activity[u] = Math.Exp(UserActivityExponent * -Math.Log(1.0 - userRng.NextDouble()));
            SimRandom.FillGaussian(userRng, noise, 0.8);
            var vector = userVectors.AsSpan(u * dim, dim);
            var ageVector = attributeVectors.AsSpan(age * dim, dim);
            var genderVector = attributeVectors.AsSpan((AgeBuckets + gender) * dim, dim);
            var regionVector = attributeVectors.AsSpan((AgeBuckets + Genders + region) * dim, dim);
            float attributeWeight = (float)(0.6 / Math.Sqrt(3));
            for (int d = 0; d < dim; d++)
                vector[d] = attributeWeight * (ageVector[d] + genderVector[d] + regionVector[d]) + noise[d];

            // Preferred categories: best match of interests to category centres (the relevance of the category's
            // typical item, 0.8 m), favouring big categories.
            for (int k = 0; k < categories; k++)
                affinity[k] = relevanceNorm * 0.8 * SimVectors.Dot(vector, catalog.CategoryCentre(k)) + Math.Log(SimCatalog.CategoryWeight(k));
            FillPreferredCategories(u, affinity, preferred);
        }
        userActivity = new AliasSampler(activity);

        ageValues = SimNames.Sets("a", AgeBuckets);
        genderValues = SimNames.Sets("g", Genders);
        regionValues = SimNames.Sets("r", Regions);
    }

    public static string UserKey(int user) => SimNames.Name("u", user);

    // ---- For the other parts of the simulator, unchecked: they check indices where they take them ----------

    public ReadOnlySpan<float> Vector(int user) => userVectors.AsSpan(user * dim, dim);

    /// <summary>Logit lost per price bucket above the middle one.</summary>
    public float PriceSensitivity(int user) => userPriceSensitivity[user];

    public int PreferredDevice(int user) => userDevice[user];

    /// <summary>A user drawn by activity: the users who make more requests are drawn more often.</summary>
    public int DrawByActivity(Random rng) => userActivity.Sample(rng);

    /// <summary>One of the user's preferred categories, drawn by its choice probability (one uniform draw).</summary>
    public int DrawPreferredCategory(int user, Random rng)
    {
        double pick = rng.NextDouble();
        int slot = 0, first = user * PreferredCategoriesPerUser;
        while (slot < PreferredCategoriesPerUser - 1 && pick >= userPreferredCumulative[first + slot]) slot++;
        return userPreferredCategories[first + slot];
    }

    public string[] AgeValues(int user) => ageValues[userAge[user]];
    public string[] GenderValues(int user) => genderValues[userGender[user]];
    public string[] RegionValues(int user) => regionValues[userRegion[user]];

    private void FillPreferredCategories(int user, double[] affinity, int preferred)
    {
        int first = user * PreferredCategoriesPerUser;
        Span<int> top = stackalloc int[PreferredCategoriesPerUser];
        int filled = 0;
        for (int k = 0; k < affinity.Length; k++)
        {
            if (filled == preferred && affinity[k] <= affinity[top[preferred - 1]]) continue;
            int slot = filled < preferred ? filled++ : preferred - 1; // append, or replace the weakest
            while (slot > 0 && affinity[top[slot - 1]] < affinity[k]) { top[slot] = top[slot - 1]; slot--; }
            top[slot] = k;
        }
        // Choice probabilities: softmax of the affinities of the chosen few. Unused slots (fewer than three
        // categories) repeat the last one with zero probability mass.
        double max = affinity[top[0]], sum = 0;
        for (int s = 0; s < preferred; s++) sum += Math.Exp(affinity[top[s]] - max);
        double cumulative = 0;
        for (int s = 0; s < PreferredCategoriesPerUser; s++)
        {
            int category = top[Math.Min(s, preferred - 1)];
            if (s < preferred) cumulative += Math.Exp(affinity[category] - max) / sum;
            userPreferredCategories[first + s] = category;
            userPreferredCumulative[first + s] = (float)cumulative;
        }
    }
}
