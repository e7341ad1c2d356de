namespace Drlrec.Data;

/// <summary>
/// Splits lists by time: the latest fraction (by <see cref="LoggedList.Timestamp"/>, ties kept in source order)
/// is held out. Used for train/test (test = latest 20%) and, inside train, for train/validation.
/// </summary>
public static class TimeSplit
{
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
