using Drlrec.Data;
using Drlrec.Tensors;

namespace Drlrec.Simulation;

/// <summary>
/// A synthetic recommendation world with known click probabilities, for training re-rankers on logged lists and for
/// measuring them "online" (expected clicks of the lists they build).
/// <para><b>Users.</b> Each user has observable attributes <c>age</c> (<see cref="AgeBuckets"/> buckets),
/// <c>gender</c> and <c>region</c>, drawn uniformly, and a hidden interest vector
/// u = 0.6 (a_age + a_gender + a_region)/√3 + 0.8 ε, where each attribute value has a fixed random vector a and
/// ε ~ N(0, I): the attributes predict interests, but only partly. A user also has a preferred device, a price
/// sensitivity that falls with age, a Zipf-like activity (how often they make requests), and the three categories
/// whose centres best match their interests, big categories favoured (the candidate generator's "preferred
/// categories").</para>
/// <para><b>Items.</b> An item's category is drawn with Zipf-like skew (category k has weight 1/(k+1), so category 0
/// is the biggest); its hidden vector is v = 0.8 m_category + 0.6 ε, near its category's centre m ~ N(0, I). Its
/// popularity score e ~ Exp(1) gives a candidate sampling weight exp(0.9 e) (a Pareto tail: a few items are very
/// popular) and a click bonus.
/// Its price bucket (<see cref="PriceBuckets"/>) scatters around a per-category price level. Its 1-3 tags are the
/// tags (of <see cref="Tags"/>, each a fixed random unit direction) best aligned with v, so tags describe the hidden
/// vector. Only the hidden vectors, category, popularity and price are stored; keys and tags are computed on
/// demand, so memory is O(Items × LatentDim).</para>
/// <para><b>Requests.</b> A request is a user drawn by activity, at a time drawn from a daily activity profile over
/// <see cref="LogDays"/> days (context <c>hour</c> = four-hour bucket), on the user's preferred device 70% of the
/// time (context <c>device</c>). It offers CandidatesPerRequest distinct items, each drawn from a mixture:
/// 40% by popularity, 40% uniformly from one of the user's preferred categories, 20% uniformly from the catalog.
/// The cost does not depend on the catalog size (alias tables and per-category item lists).</para>
/// <para><b>Clicks.</b> An item at 1-based position p of a list is clicked with probability
/// examination(p) × attractiveness, with examination(p) = p^-PositionBias and attractiveness =
/// σ(BaseLogit + relevance(user, item) + popularity(item) + context(hour, device, category) − Fatigue × load).
/// relevance = 1.5 u·v/√LatentDim − sensitivity(user) × (price − middle bucket);
/// popularity = 0.3 (min(e, 6) − 1); context = hour effect + device effect + hour×category effect (small
/// fixed random values); load = Σ FatigueDecay^(p−j−1) over earlier positions j whose item shares the category.
/// Clicks at different positions are independent given the list. The order of a list therefore changes its
/// clicks twice over: through examination, and through fatigue from the items placed before.</para>
/// <para><b>Behaviour policy.</b> The logging ranker scores each candidate by a relevance estimate with a fixed
/// per-(user, item) error of standard deviation LoggingNoise, plus popularity; it ignores context, price and fatigue,
/// and adds Gumbel noise of scale LoggingExploration per request before taking its top ListLength items.</para>
/// <para>Everything is fixed by <see cref="SyntheticConfig.Seed"/>. After construction the simulator is immutable,
/// so its methods may be called from several threads, each with its own <see cref="Random"/>.</para>
/// </summary>
public sealed class SyntheticSimulator : IItemCatalog
{
    public const int AgeBuckets = 7;
    public const int Genders = 2;
    public const int Regions = 10;
    /// <summary>Hour-of-day buckets of four hours each (0 = 00:00-03:59 UTC).</summary>
    public const int HourBuckets = 6;
    public const int Devices = 3;
    public const int PriceBuckets = 5;
    /// <summary>Size of the tag vocabulary.</summary>
    public const int Tags = 64;
    public const int MaxTagsPerItem = 3;
    /// <summary>Unix time (midnight UTC, 2023-11-15) of the first day of the simulated period.</summary>
    public const long Epoch = 1_700_006_400;
    /// <summary>Length in days of the period logged lists are spread over.</summary>
    public const int LogDays = 28;

    /// <summary>Field names of <see cref="Schema"/>. Values: <c>u17</c>, <c>a3</c>, <c>g1</c>, <c>r5</c> (user);
    /// <c>i123</c>, <c>c4</c>, <c>t9</c>, <c>p2</c> (item); <c>1</c>..<c>ListLength</c>, <c>h3</c>, <c>d1</c> (context).</summary>
    public const string UserIdField = "user_id", AgeField = "age", GenderField = "gender", RegionField = "region";
    public const string ItemIdField = "item_id", CategoryField = "category", TagsField = "tags", PriceField = "price";
    public const string PositionField = "position", HourField = "hour", DeviceField = "device";

    private const int SecondsPerDay = 86_400;
    private const int SecondsPerHourBucket = 24 * 3600 / HourBuckets;
    private const double RelevanceScale = 1.5;
    private const double PopularityClickWeight = 0.3;
    private const double PopularityClickCap = 6.0;
    private const double PopularitySamplingExponent = 0.9;
    private const double UserActivityExponent = 0.4; // activity weight U^-0.4: a Pareto tail with finite variance
    private const double PopularCandidateShare = 0.4;
    private const double PreferredCandidateShare = 0.4; // the rest is uniform over the catalog
    private const int PreferredCategoriesPerUser = 3;
    private const double PreferredDeviceShare = 0.7;
    /// <summary>Relative traffic per hour bucket: quiet nights, busy evenings.</summary>
    private static readonly double[] HourActivity = [0.25, 0.5, 1.0, 1.1, 1.4, 1.6];

    // Random stream identifiers (see SimRandom.DeriveSeed).
    private const ulong WorldStream = 1, ItemStream = 2, UserStream = 3, LogStream = 4, TagHashStream = 5, ErrorHashStream = 6;

    private readonly int _dim;
    private readonly double _relevanceNorm; // RelevanceScale / √LatentDim
    private readonly ulong _tagHashSeed, _errorHashSeed; // keys of the hash-fixed values, one per use

    // World.
    private readonly float[] _tagDirections;       // Tags × dim, unit rows
    private readonly float[] _hourEffect;          // HourBuckets
    private readonly float[] _deviceEffect;        // Devices
    private readonly float[] _hourCategoryEffect;  // HourBuckets × Categories
    private readonly AliasSampler _hourSampler;

    // Items.
    private readonly float[] _itemVectors;         // Items × dim
    private readonly int[] _itemCategory;
    private readonly float[] _itemPopularity;      // e ~ Exp(1)
    private readonly byte[] _itemPrice;
    private readonly AliasSampler _popularItems;
    private readonly int[] _categoryStart;         // Categories + 1 offsets into _categoryItems
    private readonly int[] _categoryItems;         // item indices grouped by category

    // Users.
    private readonly float[] _userVectors;         // Users × dim
    private readonly byte[] _userAge, _userGender, _userRegion, _userDevice;
    private readonly float[] _userPriceSensitivity;
    private readonly int[] _userPreferredCategories;      // Users × PreferredCategoriesPerUser
    private readonly float[] _userPreferredCumulative;    // matching cumulative choice probabilities
    private readonly AliasSampler _userActivity;

    // One-value sets of the small vocabularies, made once and shared by every logged item (a fifth of the memory
    // of fresh arrays per item).
    private readonly string[][] _ageValues, _genderValues, _regionValues, _categoryValues, _priceValues,
        _positionValues, _hourValues, _deviceValues;
    private readonly string[] _tagValues;

    public SyntheticSimulator(SyntheticConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        _dim = config.LatentDim;
        _relevanceNorm = RelevanceScale / Math.Sqrt(_dim);
        _tagHashSeed = SimRandom.Mix((ulong)SimRandom.DeriveSeed(config.Seed, TagHashStream));
        _errorHashSeed = SimRandom.Mix((ulong)SimRandom.DeriveSeed(config.Seed, ErrorHashStream));
        int categories = config.Categories;

        var world = new Random(SimRandom.DeriveSeed(config.Seed, WorldStream));
        var categoryCentres = new float[categories * _dim];
        SimRandom.FillGaussian(world, categoryCentres, 1.0);
        var categoryWeights = new double[categories];
        for (int k = 0; k < categories; k++) categoryWeights[k] = 1.0 / (k + 1);
        var categoryPriceLevel = new double[categories];
        for (int k = 0; k < categories; k++) categoryPriceLevel[k] = 0.5 + 3.0 * world.NextDouble();
        _tagDirections = new float[Tags * _dim];
        SimRandom.FillGaussian(world, _tagDirections, 1.0);
        for (int t = 0; t < Tags; t++) Normalise(_tagDirections.AsSpan(t * _dim, _dim));
        _hourEffect = new float[HourBuckets];
        SimRandom.FillGaussian(world, _hourEffect, 0.15);
        _deviceEffect = new float[Devices];
        SimRandom.FillGaussian(world, _deviceEffect, 0.15);
        _hourCategoryEffect = new float[HourBuckets * categories];
        SimRandom.FillGaussian(world, _hourCategoryEffect, 0.3);
        var attributeVectors = new float[(AgeBuckets + Genders + Regions) * _dim];
        SimRandom.FillGaussian(world, attributeVectors, 1.0);
        _hourSampler = new AliasSampler(HourActivity);

        // Items.
        int items = config.Items;
        var itemRng = new SplitMixRandom(SimRandom.Mix((ulong)SimRandom.DeriveSeed(config.Seed, ItemStream)));
        var categorySampler = new AliasSampler(categoryWeights);
        _itemVectors = new float[(long)items * _dim];
        _itemCategory = new int[items];
        _itemPopularity = new float[items];
        _itemPrice = new byte[items];
        var samplingWeights = new double[items];
        var noise = new float[_dim];
        for (int i = 0; i < items; i++)
        {
            int c = categorySampler.Sample(itemRng);
            _itemCategory[i] = c;
            double popularity = -Math.Log(1.0 - itemRng.NextDouble());
            _itemPopularity[i] = (float)popularity;
            samplingWeights[i] = Math.Exp(PopularitySamplingExponent * popularity);
            double price = Math.Round(categoryPriceLevel[c] + 0.8 * SimRandom.Gaussian(itemRng));
            _itemPrice[i] = (byte)Math.Clamp(price, 0, PriceBuckets - 1);
            SimRandom.FillGaussian(itemRng, noise, 0.6);
            var vector = _itemVectors.AsSpan(i * _dim, _dim);
            var centre = categoryCentres.AsSpan(c * _dim, _dim);
            for (int d = 0; d < _dim; d++) vector[d] = 0.8f * centre[d] + noise[d];
        }
        _popularItems = new AliasSampler(samplingWeights);
        _categoryStart = new int[categories + 1];
        foreach (int c in _itemCategory) _categoryStart[c + 1]++;
        for (int k = 0; k < categories; k++) _categoryStart[k + 1] += _categoryStart[k];
        _categoryItems = new int[items];
        var fill = _categoryStart[..categories];
        for (int i = 0; i < items; i++) _categoryItems[fill[_itemCategory[i]]++] = i;

        // Users.
        int users = config.Users;
        var userRng = new Random(SimRandom.DeriveSeed(config.Seed, UserStream));
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
        for (int u = 0; u < users; u++)
        {
            int age = userRng.Next(AgeBuckets), gender = userRng.Next(Genders), region = userRng.Next(Regions);
            _userAge[u] = (byte)age;
            _userGender[u] = (byte)gender;
            _userRegion[u] = (byte)region;
            _userDevice[u] = (byte)userRng.Next(Devices);
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

            // Preferred categories: best match of interests to category centres, favouring big categories.
            for (int k = 0; k < categories; k++)
                affinity[k] = _relevanceNorm * 0.8 * Dot(vector, categoryCentres.AsSpan(k * _dim, _dim)) + Math.Log(categoryWeights[k]);
            FillPreferredCategories(u, affinity, preferred);
        }
        _userActivity = new AliasSampler(activity);

        Schema = new ListSchema([
            new FieldSpec(UserIdField, FieldGroup.User), new FieldSpec(AgeField, FieldGroup.User),
            new FieldSpec(GenderField, FieldGroup.User), new FieldSpec(RegionField, FieldGroup.User),
            new FieldSpec(ItemIdField, FieldGroup.Item), new FieldSpec(CategoryField, FieldGroup.Item),
            new FieldSpec(TagsField, FieldGroup.Item), new FieldSpec(PriceField, FieldGroup.Item),
            new FieldSpec(PositionField, FieldGroup.Context), new FieldSpec(HourField, FieldGroup.Context),
            new FieldSpec(DeviceField, FieldGroup.Context),
        ]);
        _ageValues = Sets("a", AgeBuckets);
        _genderValues = Sets("g", Genders);
        _regionValues = Sets("r", Regions);
        _categoryValues = Sets("c", categories);
        _tagValues = Names("t", Tags);
        _priceValues = Sets("p", PriceBuckets);
        _positionValues = Names("", config.ListLength + 1)[1..].Select(p => new[] { p }).ToArray(); // "1".."L"
        _hourValues = Sets("h", HourBuckets);
        _deviceValues = Sets("d", Devices);
    }

    public SyntheticConfig Config { get; }

    /// <summary>
    /// Fields of every logged item: user (user_id, age, gender, region), item (item_id, category, tags, price),
    /// context (position, hour, device). Each value is a set of one string, except tags (1-3 strings).
    /// </summary>
    public ListSchema Schema { get; }

    public int ListLength => Config.ListLength;
    public int UserCount => Config.Users;

    // ---- Catalog -------------------------------------------------------------------------------------------

    /// <summary>Catalog size, <see cref="SyntheticConfig.Items"/>.</summary>
    public int Count => _itemCategory.Length;

    public string KeyOf(int index)
    {
        CheckItem(index);
        return ItemKey(index);
    }

    /// <summary>Index of a key <c>i&lt;index&gt;</c> as <see cref="KeyOf"/> writes it (no sign, no leading zeros), else -1.</summary>
    public int IndexOf(string key)
    {
        if (key is null || key.Length < 2 || key.Length > 8 || key[0] != 'i') return -1;
        if (key[1] == '0' && key.Length > 2) return -1;
        int index = 0;
        for (int k = 1; k < key.Length; k++)
        {
            char ch = key[k];
            if (ch is < '0' or > '9') return -1;
            index = index * 10 + (ch - '0');
        }
        return index < Count ? index : -1;
    }

    /// <summary>Item fields in schema order: item_id, category, tags, price. Inner arrays may be shared: read-only.</summary>
    public string[][] ItemFieldValues(int index)
    {
        CheckItem(index);
        return [[ItemKey(index)], _categoryValues[_itemCategory[index]], TagValues(index), _priceValues[_itemPrice[index]]];
    }

    public int CategoryOf(int item)
    {
        CheckItem(item);
        return _itemCategory[item];
    }

    /// <summary>The items of one category, in increasing index order (possibly none for a rare category).</summary>
    public IReadOnlyList<int> ItemsInCategory(int category)
    {
        if ((uint)category >= (uint)Config.Categories) throw new ArgumentOutOfRangeException(nameof(category), $"categories are 0..{Config.Categories - 1}");
        var segment = new ArraySegment<int>(_categoryItems, _categoryStart[category], _categoryStart[category + 1] - _categoryStart[category]);
        return new System.Collections.ObjectModel.ReadOnlyCollection<int>(segment); // a bare segment would expose the array
    }

    public static string ItemKey(int index) => "i" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public static string UserKey(int user) => "u" + user.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // ---- Requests ------------------------------------------------------------------------------------------

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
        int user = _userActivity.Sample(rng);
        int hour = HourBucketOf(timestamp);
        int device = rng.NextDouble() < PreferredDeviceShare ? _userDevice[user] : rng.Next(Devices);
        return new SimRequest(requestId, user, hour, device, timestamp, DrawCandidates(user, rng));
    }

    public static int HourBucketOf(long timestamp)
    {
        long secondOfDay = ((timestamp % SecondsPerDay) + SecondsPerDay) % SecondsPerDay;
        return (int)(secondOfDay / SecondsPerHourBucket);
    }

    private long DrawTimestamp(Random rng)
    {
        int day = rng.Next(LogDays);
        int bucket = _hourSampler.Sample(rng);
        return Epoch + (long)day * SecondsPerDay + bucket * SecondsPerHourBucket + rng.Next(SecondsPerHourBucket);
    }

    private int[] DrawCandidates(int user, Random rng)
    {
        int n = Config.CandidatesPerRequest;
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
        if (source < PopularCandidateShare) return _popularItems.Sample(rng);
        if (source < PopularCandidateShare + PreferredCandidateShare)
        {
            double pick = rng.NextDouble();
            int slot = 0, first = user * PreferredCategoriesPerUser;
            while (slot < PreferredCategoriesPerUser - 1 && pick >= _userPreferredCumulative[first + slot]) slot++;
            int category = _userPreferredCategories[first + slot];
            int start = _categoryStart[category], size = _categoryStart[category + 1] - start;
            if (size > 0) return _categoryItems[start + rng.Next(size)];
        }
        return rng.Next(Count);
    }

    // ---- Click model ---------------------------------------------------------------------------------------

    /// <summary>Probability that a user examines position <paramref name="position"/> (1-based): p^-PositionBias.</summary>
    public double Examination(int position)
    {
        if (position < 1) throw new ArgumentOutOfRangeException(nameof(position), "positions start at 1");
        return Math.Pow(position, -Config.PositionBias);
    }

    /// <summary>True user–item relevance: 1.5 u·v/√LatentDim minus the user's price sensitivity times the price offset.</summary>
    public double Relevance(int user, int item)
    {
        CheckUser(user);
        CheckItem(item);
        return RelevanceUnchecked(user, item);
    }

    /// <summary>Popularity bonus of an item in the attractiveness logit: 0.3 (min(e, 6) − 1), e ~ Exp(1).</summary>
    public double Popularity(int item)
    {
        CheckItem(item);
        return PopularityUnchecked(item);
    }

    /// <summary>
    /// Attractiveness logit of an item in a request before fatigue: BaseLogit + relevance + popularity + context.
    /// The click probability at position p with fatigue load L is Examination(p) σ(logit − Fatigue L).
    /// </summary>
    public double AttractionLogit(SimRequest request, int item)
    {
        CheckRequest(request);
        CheckItem(item);
        return AttractionLogitUnchecked(request, item);
    }

    /// <summary>Click probability of each item of an ordered list (at most ListLength distinct items) shown for a request.</summary>
    public double[] ClickProbabilities(SimRequest request, IReadOnlyList<int> orderedItems)
    {
        CheckList(request, orderedItems);
        int n = orderedItems.Count;
        double fatigue = Config.Fatigue, decay = Config.FatigueDecay;
        var probabilities = new double[n];
        for (int p = 0; p < n; p++)
        {
            int item = orderedItems[p], category = _itemCategory[item];
            double load = 0;
            for (int j = 0; j < p; j++)
                if (_itemCategory[orderedItems[j]] == category) load += Math.Pow(decay, p - j - 1);
            probabilities[p] = Examination(p + 1) * SimRandom.Sigmoid(AttractionLogitUnchecked(request, item) - fatigue * load);
        }
        return probabilities;
    }

    /// <summary>Expected number of clicks on an ordered list: the exact sum of its click probabilities.</summary>
    public double ExpectedClicks(SimRequest request, IReadOnlyList<int> orderedItems) => ClickProbabilities(request, orderedItems).Sum();

    /// <summary>Samples the user's clicks on an ordered list: independent Bernoulli draws, 1 = click.</summary>
    public float[] Respond(SimRequest request, IReadOnlyList<int> orderedItems, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var probabilities = ClickProbabilities(request, orderedItems);
        var clicks = new float[probabilities.Length];
        for (int p = 0; p < clicks.Length; p++) clicks[p] = rng.NextDouble() < probabilities[p] ? 1f : 0f;
        return clicks;
    }

    // ---- Policies ------------------------------------------------------------------------------------------

    /// <summary>
    /// The behaviour policy that produced the logs: noisy relevance estimate plus popularity, Gumbel exploration,
    /// top ListLength candidates in score order. Blind to context, price and fatigue.
    /// </summary>
    public int[] LoggingPolicyOrder(SimRequest request, Random rng)
    {
        CheckRequest(request);
        ArgumentNullException.ThrowIfNull(rng);
        var candidates = request.Candidates;
        var negativeScores = new double[candidates.Length];
        for (int k = 0; k < candidates.Length; k++)
        {
            int item = candidates[k];
            double estimate = _relevanceNorm * Dot(UserVector(request.User), ItemVector(item))
                + Config.LoggingNoise * EstimateError(request.User, item);
            negativeScores[k] = -(estimate + PopularityUnchecked(item) + Config.LoggingExploration * SimRandom.Gumbel(rng));
        }
        return TopByKey(negativeScores, candidates);
    }

    /// <summary>ListLength candidates in uniformly random order: the floor any useful ranker must beat.</summary>
    public int[] RandomOrder(SimRequest request, Random rng)
    {
        CheckRequest(request);
        ArgumentNullException.ThrowIfNull(rng);
        var pool = (int[])request.Candidates.Clone();
        int length = ListLength;
        for (int p = 0; p < length; p++)
        {
            int pick = p + rng.Next(pool.Length - p);
            (pool[p], pool[pick]) = (pool[pick], pool[p]);
        }
        return pool[..length];
    }

    /// <summary>
    /// A ranker that knows the click model: at each position it places the remaining candidate with the highest true
    /// attractiveness given the fatigue from the items already placed. Greedy, so a strong reference, not a proven optimum.
    /// </summary>
    public int[] OracleOrder(SimRequest request)
    {
        CheckRequest(request);
        var candidates = request.Candidates;
        var logits = new double[candidates.Length];
        for (int k = 0; k < candidates.Length; k++) logits[k] = AttractionLogitUnchecked(request, candidates[k]);
        var used = new bool[candidates.Length];
        var categoryLoad = new double[Config.Categories];
        var order = new int[ListLength];
        for (int p = 0; p < order.Length; p++)
        {
            int best = -1;
            double bestValue = double.NegativeInfinity;
            for (int k = 0; k < candidates.Length; k++)
            {
                if (used[k]) continue;
                double value = logits[k] - Config.Fatigue * categoryLoad[_itemCategory[candidates[k]]];
                if (value > bestValue) { bestValue = value; best = k; }
            }
            used[best] = true;
            order[p] = candidates[best];
            // Loads one position later: every earlier item is one step further away, the placed one counts fully.
            for (int c = 0; c < categoryLoad.Length; c++) categoryLoad[c] *= Config.FatigueDecay;
            categoryLoad[_itemCategory[candidates[best]]] += 1;
        }
        return order;
    }

    // ---- Logs ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Logged lists of the behaviour policy with sampled clicks, in increasing time over <see cref="LogDays"/> days,
    /// <c>Source = "synthetic"</c>. The same seed and count give the same lists.
    /// </summary>
    /// <param name="lists">How many lists; <see cref="SyntheticConfig.Lists"/> when null.</param>
    public ListDataset GenerateLogs(int? lists = null)
    {
        int count = lists ?? Config.Lists;
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(lists), $"must not be negative (got {count})");
        var rng = new Random(SimRandom.DeriveSeed(Config.Seed, LogStream));
        var timestamps = new long[count];
        for (int k = 0; k < count; k++) timestamps[k] = DrawTimestamp(rng);
        Array.Sort(timestamps);
        var logged = new LoggedList[count];
        for (int k = 0; k < count; k++)
        {
            var request = NextRequest(rng, timestamps[k], "r" + k.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var order = LoggingPolicyOrder(request, rng);
            logged[k] = ToLoggedList(request, order, Respond(request, order, rng));
        }
        return new ListDataset(Schema, logged, "synthetic");
    }

    /// <summary>
    /// A list as the data layer holds it: the request's user, time and id, each item's fields and click.
    /// Value sets that are the same everywhere (a category, a position, this list's user) are shared arrays: read-only.
    /// </summary>
    public LoggedList ToLoggedList(SimRequest request, IReadOnlyList<int> order, float[] clicks)
    {
        CheckList(request, order);
        ArgumentNullException.ThrowIfNull(clicks);
        if (clicks.Length != order.Count)
            throw new ArgumentException($"one reward per item is needed ({order.Count} items, {clicks.Length} rewards)", nameof(clicks));
        string userKey = UserKey(request.User);
        string[] userId = [userKey];
        var items = new LoggedItem[order.Count];
        for (int p = 0; p < items.Length; p++)
            items[p] = new LoggedItem(ItemKey(order[p]), Compose(userId, request, order[p], p + 1), clicks[p]);
        return new LoggedList(request.RequestId, userKey, request.Timestamp, items);
    }

    /// <summary>
    /// Values of all schema fields, in schema order, for one item placed at a 1-based position of a request's list:
    /// what a model scores when it considers that candidate there. Inner arrays may be shared: read-only.
    /// </summary>
    public string[][] FieldValues(SimRequest request, int item, int position)
    {
        CheckRequest(request);
        CheckItem(item);
        if (position < 1 || position > ListLength)
            throw new ArgumentOutOfRangeException(nameof(position), $"positions are 1..{ListLength} (got {position})");
        return Compose([UserKey(request.User)], request, item, position);
    }

    // ---- Internals -----------------------------------------------------------------------------------------

    private string[][] Compose(string[] userId, SimRequest request, int item, int position)
    {
        int user = request.User;
        // Schema order: the four user fields, the four item fields, then position, hour, device.
        return
        [
            userId, _ageValues[_userAge[user]], _genderValues[_userGender[user]], _regionValues[_userRegion[user]],
            [ItemKey(item)], _categoryValues[_itemCategory[item]], TagValues(item), _priceValues[_itemPrice[item]],
            _positionValues[position - 1], _hourValues[request.Hour], _deviceValues[request.Device],
        ];
    }

    private string[] TagValues(int item)
    {
        int count = 1 + (int)(SimRandom.Mix(_tagHashSeed ^ (ulong)item) % MaxTagsPerItem);
        Span<int> best = stackalloc int[MaxTagsPerItem];
        Span<double> bestScore = stackalloc double[MaxTagsPerItem];
        bestScore.Fill(double.NegativeInfinity);
        var vector = ItemVector(item);
        for (int t = 0; t < Tags; t++)
        {
            double score = Dot(vector, _tagDirections.AsSpan(t * _dim, _dim));
            // Insert into the short sorted top list; ties keep the lower tag index first.
            for (int slot = 0; slot < count; slot++)
            {
                if (score <= bestScore[slot]) continue;
                for (int move = count - 1; move > slot; move--) { best[move] = best[move - 1]; bestScore[move] = bestScore[move - 1]; }
                best[slot] = t;
                bestScore[slot] = score;
                break;
            }
        }
        var values = new string[count];
        for (int k = 0; k < count; k++) values[k] = _tagValues[best[k]];
        return values;
    }

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

    private double RelevanceUnchecked(int user, int item)
    {
        double match = _relevanceNorm * Dot(UserVector(user), ItemVector(item));
        double priceOffset = _itemPrice[item] - (PriceBuckets - 1) / 2.0;
        return match - _userPriceSensitivity[user] * priceOffset;
    }

    private double PopularityUnchecked(int item) =>
        PopularityClickWeight * (Math.Min(_itemPopularity[item], PopularityClickCap) - 1.0);

    private double AttractionLogitUnchecked(SimRequest request, int item)
    {
        int category = _itemCategory[item];
        double context = _hourEffect[request.Hour] + _deviceEffect[request.Device]
            + _hourCategoryEffect[request.Hour * Config.Categories + category];
        return Config.BaseLogit + RelevanceUnchecked(request.User, item) + PopularityUnchecked(item) + context;
    }

    /// <summary>The behaviour policy's fixed error for a (user, item) pair: a standard normal value from a hash.</summary>
    private double EstimateError(int user, int item) =>
        SimRandom.HashGaussian(_errorHashSeed ^ (((ulong)(uint)user << 32) | (uint)item));

    private ReadOnlySpan<float> UserVector(int user) => _userVectors.AsSpan(user * _dim, _dim);
    private ReadOnlySpan<float> ItemVector(int item) => _itemVectors.AsSpan(item * _dim, _dim);

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int d = 0; d < a.Length; d++) sum += a[d] * b[d];
        return sum;
    }

    private static void Normalise(Span<float> vector)
    {
        double norm = Math.Sqrt(Dot(vector, vector));
        if (norm > 0) for (int d = 0; d < vector.Length; d++) vector[d] = (float)(vector[d] / norm);
    }

    /// <summary>The values at the ListLength smallest keys, in increasing key order (ties: earlier candidate first).</summary>
    private int[] TopByKey(double[] keys, int[] values)
    {
        var indices = new int[keys.Length];
        for (int k = 0; k < indices.Length; k++) indices[k] = k;
        Array.Sort(indices, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        var top = new int[ListLength];
        for (int p = 0; p < top.Length; p++) top[p] = values[indices[p]];
        return top;
    }

    private static string[][] Sets(string prefix, int count) => Names(prefix, count).Select(v => new[] { v }).ToArray();

    private static string[] Names(string prefix, int count) =>
        Enumerable.Range(0, count).Select(k => prefix + k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private void CheckItem(int item)
    {
        if ((uint)item >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(item), $"items are 0..{Count - 1} (got {item})");
    }

    private void CheckUser(int user)
    {
        if ((uint)user >= (uint)Config.Users) throw new ArgumentOutOfRangeException(nameof(user), $"users are 0..{Config.Users - 1} (got {user})");
    }

    private void CheckRequest(SimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckUser(request.User);
        if ((uint)request.Hour >= HourBuckets) throw new ArgumentException($"hour bucket must be 0..{HourBuckets - 1} (got {request.Hour})", nameof(request));
        if ((uint)request.Device >= Devices) throw new ArgumentException($"device must be 0..{Devices - 1} (got {request.Device})", nameof(request));
        ArgumentNullException.ThrowIfNull(request.Candidates);
        if (request.Candidates.Length < ListLength)
            throw new ArgumentException($"a request needs at least ListLength ({ListLength}) candidates (got {request.Candidates.Length})", nameof(request));
    }

    private void CheckList(SimRequest request, IReadOnlyList<int> order)
    {
        CheckRequest(request);
        ArgumentNullException.ThrowIfNull(order);
        if (order.Count < 1 || order.Count > ListLength)
            throw new ArgumentException($"a list holds 1..{ListLength} items (got {order.Count})", nameof(order));
        for (int p = 0; p < order.Count; p++)
        {
            CheckItem(order[p]);
            for (int j = 0; j < p; j++)
                if (order[j] == order[p]) throw new ArgumentException($"item {order[p]} appears twice in the list", nameof(order));
        }
    }
}
