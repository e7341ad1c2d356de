using System.Globalization;

namespace Drlrec.Data;

/// <summary>
/// What off-policy evaluation reads of a logged list besides its items and clicks, checked the same way by every reader:
/// each shown item's logging propensity (<see cref="LoggedItem.Propensity"/>) and the request's unshown candidates
/// (<see cref="LoggedList.Unshown"/>). The candidates of a list are its shown items and its unshown ones, each item once.
/// </summary>
public static class LoggedCandidates
{
    /// <summary>How far from 1 the propensity of a list's last remaining candidate may be (rounding in files).</summary>
    public const double Tolerance = 1e-6;

    /// <summary>Why a propensity cannot be one (it must be a finite number in (0, 1]), or null when it can.</summary>
    public static string? PropensityProblem(double propensity) =>
        double.IsFinite(propensity) && propensity > 0 && propensity <= 1 ? null
            : $"must be a number in (0, 1], found {propensity.ToString("R", CultureInfo.InvariantCulture)}";

    /// <summary>A list's problem and where it is: the index of the shown item (or -1) and of the unshown candidate (or -1).</summary>
    public sealed record Problem(string Message, int Shown, int Unshown);

    /// <summary>
    /// The first problem of a list's propensities and candidates, or null: a propensity out of range; some shown items
    /// with a propensity and others without; an item that is a candidate twice (shown and unshown, or unshown twice, by
    /// item key); a shown item that was the last candidate left yet has a propensity below 1 (the logging policy had
    /// no other choice there, so the list's candidate set is smaller than the one it chose from).
    /// </summary>
    public static Problem? Check(LoggedList list)
    {
        var items = list.Items;
        var unshown = list.Unshown.ToList();
        int withPropensity = items.Count(item => item.Propensity is not null);
        for (int k = 0; k < items.Count; k++)
        {
            if (items[k].Propensity is { } p && PropensityProblem(p) is { } bad)
                return new Problem($"propensity {bad}", k, -1);
            if (withPropensity > 0 && items[k].Propensity is null)
                return new Problem($"list '{list.ListId}': the item at position {k + 1} has no propensity but {withPropensity} of its " +
                                   $"{items.Count} shown items have one; give every shown item of a list a propensity, or none", k, -1);
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < items.Count; k++) seen.TryAdd(items[k].ItemKey, k);
        for (int u = 0; u < unshown.Count; u++)
        {
            if (seen.TryGetValue(unshown[u].ItemKey, out int first))
                return new Problem($"list '{list.ListId}': unshown candidate '{unshown[u].ItemKey}' is already a candidate of the list " +
                                   (first < items.Count ? $"(shown at position {first + 1})" : $"(unshown candidate {first - items.Count + 1})") +
                                   "; each item is a candidate once", -1, u);
            seen[unshown[u].ItemKey] = items.Count + u;
        }
        if (withPropensity == 0) return null;
        int candidates = items.Count + unshown.Count;
        for (int k = 0; k < items.Count; k++)
            if (candidates - k == 1 && Math.Abs(items[k].Propensity!.Value - 1) > Tolerance)
                return new Problem($"list '{list.ListId}': the item at position {k + 1} was the last of the list's {candidates} candidates, " +
                                   $"so the logging policy had no other choice, yet its propensity is {items[k].Propensity!.Value.ToString("R", CultureInfo.InvariantCulture)}: " +
                                   "the list's candidate set is smaller than the one the logging policy chose from (give the unshown candidates too)", k, -1);
        return null;
    }

    /// <summary>
    /// A part of a list cut by <see cref="ListCutter"/> (<paramref name="part"/>, from item <paramref name="start"/> on). The
    /// first part keeps the list's meaning: a logging policy's first items are a sample of the same candidates, so their propensities hold, and the items cut off
    /// become unshown candidates (reward and propensity dropped). A later part has neither: its items' propensities were
    /// conditioned on items it no longer holds.
    /// </summary>
    public static LoggedList CutPart(LoggedList list, IReadOnlyList<LoggedItem> part, int start)
    {
        if (start > 0)
            return list with { Items = part.Select(item => item with { Propensity = null }).ToArray(), Unshown = [] };
        var rest = list.Items.Skip(part.Count).Select(item => item with { Reward = 0, Propensity = null });
        return list with { Items = part, Unshown = list.Unshown.Count == 0 && list.Items.Count == part.Count ? list.Unshown : [.. rest, .. list.Unshown] };
    }
}
