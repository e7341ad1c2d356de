namespace Drlrec.Data;

/// <summary>
/// Enforces <see cref="ReadOptions.MaxListLength"/> the same way in every reader: a logged list longer than the
/// maximum is cut into consecutive lists, and lists shorter than the maximum are kept and counted (the model pads and
/// masks them).
/// </summary>
/// <remarks>
/// Naming the parts: the first part keeps the list's id; the next ones are named <c>{id}#2</c>, <c>{id}#3</c>, ...,
/// skipping every name that is already taken, by a list id of the source or by a part named before, so that cutting
/// never makes two lists share an id. A file whose lists were cut once and that is read again with a smaller maximum
/// holds both <c>c</c> and <c>c#2</c>: <c>c</c>'s parts become <c>c</c>, <c>c#3</c>, <c>c#4</c> and the stored
/// <c>c#2</c> keeps its name. Without such a collision the names are the plain <c>#2</c>, <c>#3</c>, ...
/// Ids the source itself repeats are left as they are. Propensities and unshown candidates: <see cref="LoggedCandidates.CutPart"/>.
/// </remarks>
public static class ListCutter
{
    /// <summary>Rejects options no reader can honour, before any file is opened.</summary>
    public static void Validate(ReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxListLength < 1)
            throw new ArgumentException($"the maximum list length must be at least 1 (got {options.MaxListLength})");
    }

    /// <summary>
    /// Cuts every logged list of one source (in order) and records what happened in <paramref name="report"/>;
    /// the parts' ids are new names that no list of <paramref name="lists"/> has (see the remarks).
    /// </summary>
    public static List<LoggedList> Cut(IReadOnlyList<LoggedList> lists, int maxLength, DataReport report)
    {
        var sourceIds = new HashSet<string>(lists.Select(l => l.ListId), StringComparer.Ordinal);
        var partIds = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<LoggedList>(lists.Count);
        foreach (var list in lists)
        {
            if (list.Items.Count > maxLength) report.ListsSplit++;
            if (list.Items.Count <= maxLength)
            {
                result.Add(Counted(list, maxLength, report));
                continue;
            }
            int suffix = 1, start = 0;
            foreach (var chunk in Chunks(list.Items, maxLength))
            {
                string id = list.ListId;
                if (start > 0)
                    do id = $"{list.ListId}#{++suffix}";
                    while (sourceIds.Contains(id) || !partIds.Add(id));
                result.Add(Counted(LoggedCandidates.CutPart(list, chunk, start) with { ListId = id }, maxLength, report));
                start += chunk.Count;
            }
        }
        return result;
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
