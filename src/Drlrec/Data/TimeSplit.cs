namespace Drlrec.Data;

/// <summary>
/// Splits lists by time: the latest fraction (by <see cref="LoggedList.Timestamp"/>, ties kept in source order)
/// is held out, either of the whole log (<see cref="Split(ListDataset, double)"/>) or of each user's lists
/// (<see cref="SplitByUser(ListDataset, double)"/>). Used for train/test (test = latest 20%) and, inside train, for
/// train/validation. The rules work on list indices, so lists in memory and lists streamed from files (which keep only
/// each list's time and user) are split by the same code.
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
        var later = LaterOfEachUser(Enumerable.Range(0, data.Lists.Count).ToArray(), i => data.Lists[i].Timestamp,
            i => data.Lists[i].UserKey, laterFraction).ToHashSet();
        var earlierLists = data.Lists.Where((_, i) => !later.Contains(i)).ToList();
        var laterLists = data.Lists.Where((_, i) => later.Contains(i)).ToList();
        return (data.WithLists(earlierLists), data.WithLists(laterLists));
    }

    /// <summary>The latest round(n·f) of the n lists held out (at least one when n &gt; 1, never all); both parts in time order.</summary>
    public static (ListDataset Earlier, ListDataset Later) Split(ListDataset data, double laterFraction)
    {
        var (earlier, later) = Split(Enumerable.Range(0, data.Lists.Count).ToArray(), i => data.Lists[i].Timestamp, laterFraction);
        return (data.WithLists(earlier.Select(i => data.Lists[i]).ToList()), data.WithLists(later.Select(i => data.Lists[i]).ToList()));
    }

    /// <summary><see cref="Split(ListDataset, double)"/> on list indices: ordered by (time, index), the latest
    /// round(n·f) later (at least one when n &gt; 1, never all); both parts in that order.</summary>
    public static (int[] Earlier, int[] Later) Split(int[] indices, Func<int, long> time, double laterFraction)
    {
        CheckFraction(laterFraction);
        var ordered = (int[])indices.Clone();
        Array.Sort(ordered, (a, b) => time(a) != time(b) ? time(a).CompareTo(time(b)) : a.CompareTo(b));
        int n = ordered.Length;
        int cut = n - Math.Clamp((int)Math.Round(n * laterFraction), n > 1 ? 1 : 0, Math.Max(0, n - 1));
        return (ordered[..cut], ordered[cut..]);
    }

    /// <summary><see cref="SplitByUser(ListDataset, double)"/> on list indices: each user's latest lists, in index order.</summary>
    public static int[] LaterOfEachUser<TUser>(int[] indices, Func<int, long> time, Func<int, TUser> user, double laterFraction)
        where TUser : notnull
    {
        CheckFraction(laterFraction);
        var later = new List<int>();
        foreach (var lists in indices.GroupBy(user))
        {
            var ordered = lists.OrderBy(time).ThenBy(i => i).ToList();
            int n = ordered.Count;
            int held = n < 2 ? 0 : Math.Clamp((int)Math.Round(n * laterFraction), 1, n - 1);
            later.AddRange(ordered.Skip(n - held));
        }
        later.Sort();
        return later.ToArray();
    }

    private static void CheckFraction(double laterFraction)
    {
        if (laterFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(laterFraction), "must be in (0, 1)");
    }
}
