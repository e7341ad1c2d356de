namespace Drlrec.Data;

/// <summary>
/// One item shown at one position of a logged list.
/// </summary>
/// <param name="ItemKey">Identity of the item in the catalog (e.g. the movie id); used by baselines and the retriever.</param>
/// <param name="Values">Raw values per schema field, in schema order; each a non-empty set
/// (readers substitute <see cref="LoggedItem.Missing"/> for an empty one).</param>
/// <param name="Reward">Click = 1, else 0; graded rewards allowed.</param>
public sealed record LoggedItem(string ItemKey, string[][] Values, float Reward)
{
    /// <summary>The value that stands for an empty field, so every field embeds to something learnable.</summary>
    public const string Missing = "<none>";

    /// <summary>
    /// Of a shown item: the probability that the logging policy placed this item at this position given the items
    /// before it, in (0, 1] (what off-policy evaluation weighs clicks by, <c>OffPolicy/</c>); null when the log does not
    /// say. Always null on an unshown candidate (<see cref="LoggedList.Unshown"/>).
    /// </summary>
    public double? Propensity { get; init; }
}

/// <summary>
/// A logged list (request, impression or session): items in display order, shown to one user in one context.
/// </summary>
/// <param name="ListId">Identifier from the source (session id, list id).</param>
/// <param name="UserKey">Who saw it; groups lists for GAUC.</param>
/// <param name="Timestamp">When it was shown (any monotone unit); the time split orders lists by it.</param>
/// <param name="Items">Items in display order, 1 to the configured maximum length.</param>
public sealed record LoggedList(string ListId, string UserKey, long Timestamp, IReadOnlyList<LoggedItem> Items)
{
    /// <summary>
    /// The request's candidates that were not shown (a re-ranker's alternatives: what a target policy could have placed
    /// instead), each with every schema field (user and context as the list's, <c>position</c> missing) and reward 0.
    /// Empty when the log does not carry them. Training and the offline metrics read <see cref="Items"/> only; the
    /// candidates of a list are <see cref="Items"/> followed by these. May be computed on each access (the simulator's
    /// are), so read it once where that matters.
    /// </summary>
    public IReadOnlyList<LoggedItem> Unshown { get; init; } = [];

    /// <summary>True when every shown item carries its logging propensity.</summary>
    public bool HasPropensities => Items.Count > 0 && Items.All(item => item.Propensity is not null);
}

/// <summary>Counts a reader reports about what it read, kept or skipped.</summary>
public sealed class DataReport
{
    public int ListsRead { get; set; }
    public int ItemsRead { get; set; }
    /// <summary>Malformed records skipped under <c>--skip-bad-records</c>.</summary>
    public int RecordsSkipped { get; set; }
    /// <summary>Lists shorter than the maximum length (padded and masked, never dropped).</summary>
    public int ShortLists { get; set; }
    /// <summary>Lists longer than the maximum length that were cut into consecutive lists.</summary>
    public int ListsSplit { get; set; }
    /// <summary>First few problems met while skipping, for the user to look at.</summary>
    public List<string> SkippedExamples { get; } = [];

    public void Skip(string problem)
    {
        RecordsSkipped++;
        if (SkippedExamples.Count < 10) SkippedExamples.Add(problem);
    }
}

/// <summary>Logged lists with their schema, as read from one source.</summary>
public sealed class ListDataset
{
    public ListDataset(ListSchema schema, IReadOnlyList<LoggedList> lists, string source, DataReport? report = null)
    {
        Schema = schema;
        Lists = lists;
        Source = source;
        Report = report ?? new DataReport { ListsRead = lists.Count, ItemsRead = lists.Sum(l => l.Items.Count) };
    }

    public ListSchema Schema { get; }
    public IReadOnlyList<LoggedList> Lists { get; }
    /// <summary>Where the lists came from (a path or "synthetic"), for reports.</summary>
    public string Source { get; }
    public DataReport Report { get; }

    public int ItemCount => Lists.Sum(l => l.Items.Count);
    public int MaxListLength => Lists.Count == 0 ? 0 : Lists.Max(l => l.Items.Count);

    public ListDataset WithLists(IReadOnlyList<LoggedList> lists, string? source = null) =>
        new(Schema, lists, source ?? Source, Report);

    /// <summary>
    /// These lists with <paramref name="fields"/> (all of one group) added after that group's fields, each item's new
    /// value sets from <paramref name="valuesOf"/>, in <paramref name="fields"/> order (unshown candidates too, with a
    /// reward of 0 that no statistic counted).
    /// </summary>
    /// <param name="unshownValuesOf">The new value sets of an unshown candidate; default <paramref name="valuesOf"/>.</param>
    public ListDataset WithFieldsAdded(IReadOnlyList<FieldSpec> fields, Func<LoggedList, LoggedItem, string[][]> valuesOf,
        Func<LoggedList, LoggedItem, string[][]>? unshownValuesOf = null)
    {
        var group = fields[0].Group;
        if (fields.Any(f => f.Group != group)) throw new ArgumentException("fields added together must share one group");
        int at = Schema.Fields.Count(f => f.Group <= group); // the schema keeps groups in order: the new fields land here
        static LoggedItem Added(LoggedItem item, int at, string[][] values) => item with { Values = [.. item.Values[..at], .. values, .. item.Values[at..]] };
        unshownValuesOf ??= valuesOf;
        var lists = Lists.Select(list => list with
        {
            Items = list.Items.Select(item => Added(item, at, valuesOf(list, item))).ToArray(),
            // Computed on access like the simulator's own: the candidates of a long log would outweigh its shown items.
            Unshown = list.Unshown.Count == 0 ? list.Unshown : LazyList.Map(list.Unshown, item => Added(item, at, unshownValuesOf(list, item))),
        }).ToList();
        return new ListDataset(new ListSchema([.. Schema.Fields, .. fields]), lists, Source, Report);
    }
}
