namespace Drlrec.Data;

/// <summary>
/// Enforces <see cref="ReadOptions.MaxListLength"/> the same way in every reader: a logged list longer than the
/// maximum is cut into consecutive lists (the first keeps its id, the next ones get <c>#2</c>, <c>#3</c>, ...),
/// and lists shorter than the maximum are kept and counted (the model pads and masks them).
/// </summary>
public static class ListCutter
{
    /// <summary>Rejects options no reader can honour, before any file is opened.</summary>
    public static void Validate(ReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxListLength < 1)
            throw new ArgumentException($"the maximum list length must be at least 1 (got {options.MaxListLength})");
    }

    /// <summary>Cuts one logged list and records what happened in <paramref name="report"/>.</summary>
    public static IEnumerable<LoggedList> Cut(LoggedList list, int maxLength, DataReport report)
    {
        if (list.Items.Count > maxLength) report.ListsSplit++;
        int part = 1;
        foreach (var chunk in Chunks(list.Items, maxLength))
        {
            string id = part == 1 ? list.ListId : $"{list.ListId}#{part}";
            yield return Counted(list with { ListId = id, Items = chunk }, maxLength, report);
            part++;
        }
    }

    /// <summary>Consecutive pieces of at most <paramref name="maxLength"/> items, the last one possibly shorter.</summary>
    public static IEnumerable<IReadOnlyList<T>> Chunks<T>(IReadOnlyList<T> items, int maxLength)
    {
        for (int start = 0; start < items.Count; start += maxLength)
        {
            int length = Math.Min(maxLength, items.Count - start);
            var chunk = new T[length];
            for (int i = 0; i < length; i++) chunk[i] = items[start + i];
            yield return chunk;
        }
    }

    /// <summary>Counts a list that is about to be emitted (read counts and short lists).</summary>
    public static LoggedList Counted(LoggedList list, int maxLength, DataReport report)
    {
        report.ListsRead++;
        report.ItemsRead += list.Items.Count;
        if (list.Items.Count < maxLength) report.ShortLists++;
        return list;
    }
}
