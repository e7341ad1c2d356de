using Drlrec.Data;

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

    private readonly SyntheticConfig config;
    private readonly int dim;
    private readonly ulong tagHashSeed;           // key of the hash that fixes each item's number of tags
    private readonly float[] categoryCentres;     // Categories × dim
    private readonly float[] tagDirections;       // Tags × dim, unit rows

    private readonly float[] itemVectors;         // Items × dim
    private readonly int[] itemCategory;
    private readonly float[] itemPopularity;      // e ~ Exp(1)
    private readonly byte[] itemPrice;
    private readonly AliasSampler popularItems;
    private readonly int[] categoryStart;         // Categories + 1 offsets into categoryItems
    private readonly int[] categoryItems;         // item indices grouped by category

    private readonly string[][] categoryValues, priceValues;
    private readonly string[] tagValues;

    /// <param name="world">The world stream; the catalog draws the category centres, the categories' price levels and
    /// the tag directions from it, in that order. The items come from a stream of their own.</param>
    public SimCatalog(SyntheticConfig config, Random world)
    {
        this.config = config;
        dim = config.LatentDim;
        tagHashSeed = SimRandom.Mix((ulong)SimRandom.DeriveSeed(config.Seed, SimStreams.TagHash));
        int categories = config.Categories;
        categoryCentres = new float[categories * dim];
        SimRandom.FillGaussian(world, categoryCentres, 1.0);
        var categoryWeights = new double[categories];
        for (int k = 0; k < categories; k++) categoryWeights[k] = CategoryWeight(k);
        var categoryPriceLevel = new double[categories];
        for (int k = 0; k < categories; k++) categoryPriceLevel[k] = 0.5 + 3.0 * world.NextDouble();
        tagDirections = new float[SyntheticSimulator.Tags * dim];
        SimRandom.FillGaussian(world, tagDirections, 1.0);
        for (int t = 0; t < SyntheticSimulator.Tags; t++) SimVectors.Normalise(tagDirections.AsSpan(t * dim, dim));

        int items = config.Items;
        var itemRng = new SplitMixRandom(SimRandom.Mix((ulong)SimRandom.DeriveSeed(config.Seed, SimStreams.Items)));
        var categorySampler = new AliasSampler(categoryWeights);
        itemVectors = new float[(long)items * dim];
        itemCategory = new int[items];
        itemPopularity = new float[items];
        itemPrice = new byte[items];
        var samplingWeights = new double[items];
        var noise = new float[dim];
        for (int i = 0; i < items; i++)
        {
            int c = categorySampler.Sample(itemRng);
            itemCategory[i] = c;
            double popularity = -Math.Log(1.0 - itemRng.NextDouble());
            itemPopularity[i] = (float)popularity;
            samplingWeights[i] = Math.Exp(PopularitySamplingExponent * popularity);
            double price = Math.Round(categoryPriceLevel[c] + 0.8 * SimRandom.Gaussian(itemRng));
            itemPrice[i] = (byte)Math.Clamp(price, 0, SyntheticSimulator.PriceBuckets - 1);
            SimRandom.FillGaussian(itemRng, noise, 0.6);
            var vector = itemVectors.AsSpan(i * dim, dim);
            var centre = categoryCentres.AsSpan(c * dim, dim);
            for (int d = 0; d < dim; d++) vector[d] = 0.8f * centre[d] + noise[d];
        }
        popularItems = new AliasSampler(samplingWeights);
        categoryStart = new int[categories + 1];
        foreach (int c in itemCategory) categoryStart[c + 1]++;
        for (int k = 0; k < categories; k++) categoryStart[k + 1] += categoryStart[k];
        categoryItems = new int[items];
        var fill = categoryStart[..categories];
        for (int i = 0; i < items; i++) categoryItems[fill[itemCategory[i]]++] = i;

        categoryValues = SimNames.Sets("c", categories);
        tagValues = SimNames.Names("t", SyntheticSimulator.Tags);
        priceValues = SimNames.Sets("p", SyntheticSimulator.PriceBuckets);
    }

    /// <summary>Catalog size, <see cref="SyntheticConfig.Items"/>.</summary>
    public int Count => itemCategory.Length;

    public string KeyOf(int index)
    {
        SimArguments.CheckItem(config, index);
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

    /// <summary>Item fields in schema order: item_id, category, tags, price, and the upstream score and rank, which
    /// exist only for a request's candidates and are missing for a catalog item as such. Inner arrays may be shared:
    /// read-only.</summary>
    public string[][] ItemFieldValues(int index)
    {
        SimArguments.CheckItem(config, index);
        return [[ItemKey(index)], CategoryValues(index), TagValues(index), PriceValues(index), MissingValue, MissingValue];
    }

    private static readonly string[] MissingValue = [LoggedItem.Missing];

    public int CategoryOf(int item)
    {
        SimArguments.CheckItem(config, item);
        return itemCategory[item];
    }

    /// <summary>The items of one category, in increasing index order (possibly none for a rare category).</summary>
    public IReadOnlyList<int> ItemsInCategory(int category)
    {
        if ((uint)category >= (uint)config.Categories) throw new ArgumentOutOfRangeException(nameof(category), $"categories are 0..{config.Categories - 1}");
        return new System.Collections.ObjectModel.ReadOnlyCollection<int>(ItemsOf(category)); // a bare segment would expose the array
    }

    public static string ItemKey(int index) => SimNames.Name("i", index);

    // ---- For the other parts of the simulator, unchecked: they check indices where they take them ----------

    /// <summary>Relative size of category k, 1/(k+1): how often items are drawn into it.</summary>
    public static double CategoryWeight(int category) => 1.0 / (category + 1);

    /// <summary>The centre m of a category's item vectors (an item's vector is 0.8 m + noise).</summary>
    public ReadOnlySpan<float> CategoryCentre(int category) => categoryCentres.AsSpan(category * dim, dim);

    public ReadOnlySpan<float> Vector(int item) => itemVectors.AsSpan(item * dim, dim);

    /// <summary>The popularity score e ~ Exp(1).</summary>
    public float PopularityScore(int item) => itemPopularity[item];

    /// <summary>The price bucket, 0..PriceBuckets-1.</summary>
    public byte Price(int item) => itemPrice[item];

    /// <summary>An item drawn with weight exp(0.9 e), e its popularity score.</summary>
    public int DrawPopular(Random rng) => popularItems.Sample(rng);

    /// <summary>The items of one category, in increasing index order: a view of the catalog's own array, read-only.</summary>
    public ArraySegment<int> ItemsOf(int category) =>
        new(categoryItems, categoryStart[category], categoryStart[category + 1] - categoryStart[category]);

    public string[] CategoryValues(int item) => categoryValues[itemCategory[item]];
    public string[] PriceValues(int item) => priceValues[itemPrice[item]];

    /// <summary>The item's 1-3 tags (the count fixed by a hash of the item): those best aligned with its hidden vector, best first.</summary>
    public string[] TagValues(int item)
    {
        int count = 1 + (int)(SimRandom.Mix(tagHashSeed ^ (ulong)item) % SyntheticSimulator.MaxTagsPerItem);
        Span<int> best = stackalloc int[SyntheticSimulator.MaxTagsPerItem];
        Span<double> bestScore = stackalloc double[SyntheticSimulator.MaxTagsPerItem];
        bestScore.Fill(double.NegativeInfinity);
        var vector = Vector(item);
        for (int t = 0; t < SyntheticSimulator.Tags; t++)
        {
            double score = SimVectors.Dot(vector, tagDirections.AsSpan(t * dim, dim));
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
        for (int k = 0; k < count; k++) values[k] = tagValues[best[k]];
        return values;
    }
}
