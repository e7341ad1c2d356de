namespace Drlrec.Data;

/// <summary>
/// Splits lists by time: the latest fraction (by <see cref="LoggedList.Timestamp"/>, ties kept in source order)
/// is held out, either of the whole log (<see cref="Split"/>) or of each user's lists (<see cref="SplitByUser"/>).
/// Used for train/test (test = latest 20%) and, inside train, for train/validation.
/// </summary>
public static class TimeSplit
{
    /// <summary>
    /// Each user's latest lists held out: of a user's n lists (by time, ties in source order) the latest
    /// round(n·f) go to the later part, at least one when n ≥ 2 and never all of them, so every user with two lists
    /// or more is in both parts. Both parts keep the source order of their lists.
    /// </summary>
    public static (ListDataset Earlier, ListDataset Later) SplitByUser(ListDataset data, double laterFraction)
    {
        if (laterFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(laterFraction), "must be in (0, 1)");
        var later = new HashSet<int>();
        foreach (var user in Enumerable.Range(0, data.Lists.Count).GroupBy(i => data.Lists[i].UserKey, StringComparer.Ordinal))
        {
            var ordered = user.OrderBy(i => data.Lists[i].Timestamp).ThenBy(i => i).ToList();
            int n = ordered.Count;
            int held = n < 2 ? 0 : Math.Clamp((int)Math.Round(n * laterFraction), 1, n - 1);
            foreach (int i in ordered.Skip(n - held)) later.Add(i);
        }
        var earlierLists = data.Lists.Where((_, i) => !later.Contains(i)).ToList();
        var laterLists = data.Lists.Where((_, i) => later.Contains(i)).ToList();
        return (data.WithLists(earlierLists), data.WithLists(laterLists));
    }

    public static (ListDataset Earlier, ListDataset Later) Split(ListDataset data, double laterFraction)
    {
        if (laterFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(laterFraction), "must be in (0, 1)");
        var ordered = data.Lists.Select((list, i) => (list, i)).OrderBy(p => p.list.Timestamp).ThenBy(p => p.i)
            .Select(p => p.list).ToList();
        int later = (int)Math.Round(ordered.Count * laterFraction);
        later = Math.Clamp(later, ordered.Count > 1 ? 1 : 0, Math.Max(0, ordered.Count - 1));
        int cut = ordered.Count - later;
        return (data.WithLists(ordered[..cut]), data.WithLists(ordered[cut..]));
    }
}
