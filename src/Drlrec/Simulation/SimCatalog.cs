namespace Drlrec.Simulation;

/// <summary>
/// The items of the synthetic world.
/// <para>An item's category is drawn with Zipf-like skew (category k has weight 1/(k+1), so category 0 is the
/// biggest); its hidden vector is v = 0.8 m_category + 0.6 ε, near its category's centre m ~ N(0, I). Its popularity
/// score e ~ Exp(1) gives a candidate sampling weight exp(0.9 e) (a Pareto tail: a few items are very popular) and a
/// click bonus (<see cref="ClickModel"/>).
/// Its price bucket (<see cref="SyntheticSimulator.PriceBuckets"/>) scatters around a per-category price level. Its
/// 1-3 tags are the tags (of <see cref="SyntheticSimulator.Tags"/>, each a fixed random unit direction) best aligned
/// with v, so tags describe the hidden vector. Only the hidden vectors, category, popularity and price are stored;
/// keys and tags are computed on demand, so memory is O(Items × LatentDim).</para>
/// </summary>
internal sealed class SimCatalog
{
    private const double PopularitySamplingExponent = 0.9;

    private readonly SyntheticConfig _config;
    private readonly int _dim;
    private readonly ulong _tagHashSeed;           // key of the hash that fixes each item's number of tags
    private readonly float[] _categoryCentres;     // Categories × dim
    private readonly float[] _tagDirections;       // Tags × dim, unit rows

    private readonly float[] _itemVectors;         // Items × dim
    private readonly int[] _itemCategory;
    private readonly float[] _itemPopularity;      // e ~ Exp(1)
    private readonly byte[] _itemPrice;
    private readonly AliasSampler _popularItems;
    private readonly int[] _categoryStart;         // Categories + 1 offsets into _categoryItems
    private readonly int[] _categoryItems;         // item indices grouped by category

    private readonly string[][] _categoryValues, _priceValues;
    private readonly string[] _tagValues;

    /// <param name="world">The world stream; the catalog draws the category centres, the categories' price levels and
    /// the tag directions from it, in that order. The items come from a stream of their own.</param>
    public SimCatalog(SyntheticConfig config, Random world)
    {
        _config = config;
        _dim = config.LatentDim;
        _tagHashSeed = SimRandom.Mix((ulong)SimRandom.DeriveSeed(config.Seed, SimStreams.TagHash));
        int categories = config.Categories;
        _categoryCentres = new float[categories * _dim];
        SimRandom.FillGaussian(world, _categoryCentres, 1.0);
        var categoryWeights = new double[categories];
        for (int k = 0; k < categories; k++) categoryWeights[k] = CategoryWeight(k);
        var categoryPriceLevel = new double[categories];
        for (int k = 0; k < categories; k++) categoryPriceLevel[k] = 0.5 + 3.0 * world.NextDouble();
        _tagDirections = new float[SyntheticSimulator.Tags * _dim];
        SimRandom.FillGaussian(world, _tagDirections, 1.0);
        for (int t = 0; t < SyntheticSimulator.Tags; t++) SimVectors.Normalise(_tagDirections.AsSpan(t * _dim, _dim));

        int items = config.Items;
        var itemRng = new SplitMixRandom(SimRandom.Mix((ulong)SimRandom.DeriveSeed(config.Seed, SimStreams.Items)));
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
            _itemPrice[i] = (byte)Math.Clamp(price, 0, SyntheticSimulator.PriceBuckets - 1);
            SimRandom.FillGaussian(itemRng, noise, 0.6);
            var vector = _itemVectors.AsSpan(i * _dim, _dim);
            var centre = _categoryCentres.AsSpan(c * _dim, _dim);
            for (int d = 0; d < _dim; d++) vector[d] = 0.8f * centre[d] + noise[d];
        }
        _popularItems = new AliasSampler(samplingWeights);
        _categoryStart = new int[categories + 1];
        foreach (int c in _itemCategory) _categoryStart[c + 1]++;
        for (int k = 0; k < categories; k++) _categoryStart[k + 1] += _categoryStart[k];
        _categoryItems = new int[items];
        var fill = _categoryStart[..categories];
        for (int i = 0; i < items; i++) _categoryItems[fill[_itemCategory[i]]++] = i;

        _categoryValues = SimNames.Sets("c", categories);
        _tagValues = SimNames.Names("t", SyntheticSimulator.Tags);
        _priceValues = SimNames.Sets("p", SyntheticSimulator.PriceBuckets);
    }

    /// <summary>Catalog size, <see cref="SyntheticConfig.Items"/>.</summary>
    public int Count => _itemCategory.Length;

    public string KeyOf(int index)
    {
        SimArguments.CheckItem(_config, index);
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
        SimArguments.CheckItem(_config, index);
        return [[ItemKey(index)], CategoryValues(index), TagValues(index), PriceValues(index)];
    }

    public int CategoryOf(int item)
    {
        SimArguments.CheckItem(_config, item);
        return _itemCategory[item];
    }

    /// <summary>The items of one category, in increasing index order (possibly none for a rare category).</summary>
    public IReadOnlyList<int> ItemsInCategory(int category)
    {
        if ((uint)category >= (uint)_config.Categories) throw new ArgumentOutOfRangeException(nameof(category), $"categories are 0..{_config.Categories - 1}");
        return new System.Collections.ObjectModel.ReadOnlyCollection<int>(ItemsOf(category)); // a bare segment would expose the array
    }

    public static string ItemKey(int index) => SimNames.Name("i", index);

    // ---- For the other parts of the simulator, unchecked: they check indices where they take them ----------

    /// <summary>Relative size of category k, 1/(k+1): how often items are drawn into it.</summary>
    public static double CategoryWeight(int category) => 1.0 / (category + 1);

    /// <summary>The centre m of a category's item vectors (an item's vector is 0.8 m + noise).</summary>
    public ReadOnlySpan<float> CategoryCentre(int category) => _categoryCentres.AsSpan(category * _dim, _dim);

    public ReadOnlySpan<float> Vector(int item) => _itemVectors.AsSpan(item * _dim, _dim);

    /// <summary>The popularity score e ~ Exp(1).</summary>
    public float PopularityScore(int item) => _itemPopularity[item];

    /// <summary>The price bucket, 0..PriceBuckets-1.</summary>
    public byte Price(int item) => _itemPrice[item];

    /// <summary>An item drawn with weight exp(0.9 e), e its popularity score.</summary>
    public int DrawPopular(Random rng) => _popularItems.Sample(rng);

    /// <summary>The items of one category, in increasing index order: a view of the catalog's own array, read-only.</summary>
    public ArraySegment<int> ItemsOf(int category) =>
        new(_categoryItems, _categoryStart[category], _categoryStart[category + 1] - _categoryStart[category]);

    public string[] CategoryValues(int item) => _categoryValues[_itemCategory[item]];
    public string[] PriceValues(int item) => _priceValues[_itemPrice[item]];

    /// <summary>The item's 1-3 tags (the count fixed by a hash of the item): those best aligned with its hidden vector, best first.</summary>
    public string[] TagValues(int item)
    {
        int count = 1 + (int)(SimRandom.Mix(_tagHashSeed ^ (ulong)item) % SyntheticSimulator.MaxTagsPerItem);
        Span<int> best = stackalloc int[SyntheticSimulator.MaxTagsPerItem];
        Span<double> bestScore = stackalloc double[SyntheticSimulator.MaxTagsPerItem];
        bestScore.Fill(double.NegativeInfinity);
        var vector = Vector(item);
        for (int t = 0; t < SyntheticSimulator.Tags; t++)
        {
            double score = SimVectors.Dot(vector, _tagDirections.AsSpan(t * _dim, _dim));
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
}
