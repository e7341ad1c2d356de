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

    private readonly int _dim;
    private readonly float[] _userVectors;         // Users × dim
    private readonly byte[] _userAge, _userGender, _userRegion, _userDevice;
    private readonly float[] _userPriceSensitivity;
    private readonly int[] _userPreferredCategories;      // Users × PreferredCategoriesPerUser
    private readonly float[] _userPreferredCumulative;    // matching cumulative choice probabilities
    private readonly AliasSampler _userActivity;

    private readonly string[][] _ageValues, _genderValues, _regionValues;

    /// <param name="world">The world stream; the users draw the attribute vectors from it. The users themselves come
    /// from a stream of their own.</param>
    public SimUsers(SyntheticConfig config, SimCatalog catalog, Random world)
    {
        const int AgeBuckets = SyntheticSimulator.AgeBuckets, Genders = SyntheticSimulator.Genders;
        const int Regions = SyntheticSimulator.Regions;
        _dim = config.LatentDim;
        int categories = config.Categories;
        var attributeVectors = new float[(AgeBuckets + Genders + Regions) * _dim];
        SimRandom.FillGaussian(world, attributeVectors, 1.0);

        int users = config.Users;
        var userRng = new Random(SimRandom.DeriveSeed(config.Seed, SimStreams.Users));
        _userVectors = new float[(long)users * _dim];
        _userAge = new byte[users];
        _userGender = new byte[users];
        _userRegion = new byte[users];
        _userDevice = new byte[users];
        _userPriceSensitivity = new float[users];
        int preferred = Math.Min(PreferredCategoriesPerUser, categories);
        _userPreferredCategories = new int[users * PreferredCategoriesPerUser];
        _userPreferredCumulative = new float[users * PreferredCategoriesPerUser];
        var activity = new double[users];
        var affinity = new double[categories];
        var noise = new float[_dim];
        double relevanceNorm = ClickModel.RelevanceNorm(_dim);
        for (int u = 0; u < users; u++)
        {
            int age = userRng.Next(AgeBuckets), gender = userRng.Next(Genders), region = userRng.Next(Regions);
            _userAge[u] = (byte)age;
            _userGender[u] = (byte)gender;
            _userRegion[u] = (byte)region;
            _userDevice[u] = (byte)userRng.Next(SyntheticSimulator.Devices);
            _userPriceSensitivity[u] = (float)(0.25 * (1.0 - age / (double)(AgeBuckets - 1)) + 0.05 * SimRandom.Gaussian(userRng));
            activity[u] = Math.Exp(UserActivityExponent * -Math.Log(1.0 - userRng.NextDouble()));
            SimRandom.FillGaussian(userRng, noise, 0.8);
            var vector = _userVectors.AsSpan(u * _dim, _dim);
            var ageVector = attributeVectors.AsSpan(age * _dim, _dim);
            var genderVector = attributeVectors.AsSpan((AgeBuckets + gender) * _dim, _dim);
            var regionVector = attributeVectors.AsSpan((AgeBuckets + Genders + region) * _dim, _dim);
            float attributeWeight = (float)(0.6 / Math.Sqrt(3));
            for (int d = 0; d < _dim; d++)
                vector[d] = attributeWeight * (ageVector[d] + genderVector[d] + regionVector[d]) + noise[d];

            // Preferred categories: best match of interests to category centres (the relevance of the category's
            // typical item, 0.8 m), favouring big categories.
            for (int k = 0; k < categories; k++)
                affinity[k] = relevanceNorm * 0.8 * SimVectors.Dot(vector, catalog.CategoryCentre(k)) + Math.Log(SimCatalog.CategoryWeight(k));
            FillPreferredCategories(u, affinity, preferred);
        }
        _userActivity = new AliasSampler(activity);

        _ageValues = SimNames.Sets("a", AgeBuckets);
        _genderValues = SimNames.Sets("g", Genders);
        _regionValues = SimNames.Sets("r", Regions);
    }

    public static string UserKey(int user) => SimNames.Name("u", user);

    // ---- For the other parts of the simulator, unchecked: they check indices where they take them ----------

    public ReadOnlySpan<float> Vector(int user) => _userVectors.AsSpan(user * _dim, _dim);

    /// <summary>Logit lost per price bucket above the middle one.</summary>
    public float PriceSensitivity(int user) => _userPriceSensitivity[user];

    public int PreferredDevice(int user) => _userDevice[user];

    /// <summary>A user drawn by activity: the users who make more requests are drawn more often.</summary>
    public int DrawByActivity(Random rng) => _userActivity.Sample(rng);

    /// <summary>One of the user's preferred categories, drawn by its choice probability (one uniform draw).</summary>
    public int DrawPreferredCategory(int user, Random rng)
    {
        double pick = rng.NextDouble();
        int slot = 0, first = user * PreferredCategoriesPerUser;
        while (slot < PreferredCategoriesPerUser - 1 && pick >= _userPreferredCumulative[first + slot]) slot++;
        return _userPreferredCategories[first + slot];
    }

    public string[] AgeValues(int user) => _ageValues[_userAge[user]];
    public string[] GenderValues(int user) => _genderValues[_userGender[user]];
    public string[] RegionValues(int user) => _regionValues[_userRegion[user]];

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
            _userPreferredCategories[first + s] = category;
            _userPreferredCumulative[first + s] = (float)cumulative;
        }
    }
}
