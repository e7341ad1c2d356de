using Drlrec.Data;
using Drlrec.Simulation;

namespace Drlrec.Distillation;

/// <summary>
/// The cheap retriever of the exploring step: a pool of N_c distinct catalog items for a state, mixing popular
/// items (drawn by training impressions), items co-occurring in training lists with the user's recent items (the
/// state's prefix, else the user's last training items), and uniform random catalog items; never an item already
/// in the prefix. The work per pool is O(N_c): alias tables and precomputed neighbour lists, no catalog scan
/// (except when the pool would take most of a small catalog, where the whole catalog is the pool).
/// </summary>
public sealed class CandidateRetriever
{
    private const int NeighboursPerItem = 20;
    private const int HistoryPerUser = 10;

    private readonly IItemCatalog catalog;
    private readonly AliasSampler? popular;
    private readonly int[] popularItems;
    private readonly Dictionary<int, int[]> neighbours = [];
    private readonly Dictionary<string, int[]> history = new(StringComparer.Ordinal);
    private readonly double popularShare;
    private readonly double cooccurringShare;

    public CandidateRetriever(IItemCatalog catalog, ListDataset train, double popularShare, double cooccurringShare)
        : this(catalog, ListKeys.InTimeOrder(train), popularShare, cooccurringShare)
    {
    }

    /// <param name="catalog">The items pools are drawn from.</param>
    /// <param name="trainInTimeOrder">Training lists (all of them, or a sample when they are streamed) in time order: their
    /// impressions, co-occurrences and each user's latest items.</param>
    public CandidateRetriever(IItemCatalog catalog, IEnumerable<ListKeys> trainInTimeOrder, double popularShare, double cooccurringShare)
    {
        this.catalog = catalog;
        this.popularShare = popularShare;
        this.cooccurringShare = cooccurringShare;
        var impressions = new Dictionary<int, int>();
        var pairs = new Dictionary<(int, int), int>();
        var recent = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var list in trainInTimeOrder)
        {
            var items = list.Items.Select(catalog.IndexOf).Where(i => i >= 0).ToArray();
            foreach (int i in items) impressions[i] = impressions.GetValueOrDefault(i) + 1;
            for (int a = 0; a < items.Length; a++)
                for (int b = 0; b < items.Length; b++)
                    if (items[a] != items[b]) pairs[(items[a], items[b])] = pairs.GetValueOrDefault((items[a], items[b])) + 1;
            if (!recent.TryGetValue(list.User, out var mine)) recent[list.User] = mine = [];
            mine.AddRange(items);
            if (mine.Count > 4 * HistoryPerUser) mine.RemoveRange(0, mine.Count - HistoryPerUser);
        }
        popularItems = impressions.Keys.Order().ToArray();
        if (popularItems.Length > 0) popular = new AliasSampler(popularItems.Select(i => (double)impressions[i]).ToArray());
        foreach (var group in pairs.GroupBy(p => p.Key.Item1))
            neighbours[group.Key] = group.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item2)
                .Take(NeighboursPerItem).Select(p => p.Key.Item2).ToArray();
        foreach (var (user, items) in recent) history[user] = items.TakeLast(HistoryPerUser).ToArray();
    }

    /// <summary>A pool of at most <paramref name="size"/> distinct items, none of them in <paramref name="prefix"/>.</summary>
    /// <param name="prefix">Catalog indices of the items already placed (-1 entries are ignored).</param>
    public int[] Pool(string userKey, ReadOnlySpan<int> prefix, Random rng, int size)
    {
        var excluded = new HashSet<int>();
        foreach (int i in prefix) if (i >= 0) excluded.Add(i);
        int available = catalog.Count - excluded.Count;
        if (size >= available * 3 / 4) // small catalog: the pool is (nearly) all of it; sampling would spin
            return Enumerable.Range(0, catalog.Count).Where(i => !excluded.Contains(i)).OrderBy(_ => rng.Next()).Take(size).ToArray();

        var pool = new List<int>(size);
        var taken = new HashSet<int>(excluded);
        void Add(int item)
        {
            if (pool.Count < size && taken.Add(item)) pool.Add(item);
        }

        int popularTarget = (int)(size * popularShare);
        for (int tries = 0; popular is not null && pool.Count < popularTarget && tries < 4 * size; tries++)
            Add(popularItems[popular.Sample(rng)]);

        int cooccurringTarget = pool.Count + (int)(size * cooccurringShare);
        var seeds = prefix.ToArray().Where(i => i >= 0).ToList();
        if (seeds.Count == 0 && history.TryGetValue(userKey, out var past)) seeds.AddRange(past);
        var lists = seeds.Select(s => neighbours.GetValueOrDefault(s)).Where(n => n is { Length: > 0 }).ToArray();
        for (int rank = 0; lists.Length > 0 && rank < NeighboursPerItem && pool.Count < cooccurringTarget; rank++)
            foreach (var n in lists)
                if (rank < n!.Length) Add(n[rank]);

        for (int tries = 0; pool.Count < size && tries < 20 * size; tries++) Add(rng.Next(catalog.Count));
        return pool.ToArray();
    }
}
