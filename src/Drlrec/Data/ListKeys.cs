namespace Drlrec.Data;

/// <summary>
/// Who a logged list was shown to and which items it showed, in display order: what the explorer needs of a list
/// besides its encoded rows (the user's recent items, the items already placed), small enough to keep for a sample of
/// lists or to carry with every streamed list.
/// </summary>
/// <param name="User">The list's <see cref="LoggedList.UserKey"/>.</param>
/// <param name="Items">Its items' <see cref="LoggedItem.ItemKey"/>s, in display order.</param>
public sealed record ListKeys(string User, string[] Items)
{
    /// <summary>The request's candidates that were not shown (<see cref="LoggedList.Unshown"/>), with their fields: what the
    /// explorer teaches on under <c>distill.explore_from candidates</c>. Empty when the log does not carry them, and in
    /// the keys kept for the retriever (<see cref="Of"/>).</summary>
    public IReadOnlyList<LoggedItem> Unshown { get; init; } = [];

    public static ListKeys Of(LoggedList list) => new(list.UserKey, list.Items.Select(i => i.ItemKey).ToArray());

    /// <summary>The keys of <paramref name="data"/>'s lists ordered by time (ties in their order there).</summary>
    public static IReadOnlyList<ListKeys> InTimeOrder(ListDataset data) => data.Lists.OrderBy(l => l.Timestamp).Select(Of).ToList();
}
