using Drlrec.Data;
using static TorchSharp.torch;

namespace Drlrec.Distillation;

/// <summary>
/// The states exploring/filtering teaches from: for each chosen logged list, a random prefix (its first t items, t
/// uniform over 0..length−1), the list's user, and the catalog indices of the prefix items (which the pool excludes).
/// </summary>
public sealed record ExploreStates(long[] Placed, string[] Users, int[][] PrefixItems)
{
    /// <param name="lists">The keys of the batch's lists; states are taken from the first <paramref name="count"/>.</param>
    /// <param name="catalog">Where the prefix items are looked up (-1 for an item it does not hold).</param>
    /// <param name="rng">Draws one prefix length per list, in order.</param>
    public static ExploreStates Sample(IReadOnlyList<ListKeys> lists, int count, IItemCatalog catalog, Random rng)
    {
        var placed = new long[count];
        var users = new string[count];
        var prefixItems = new int[count][];
        for (int i = 0; i < count; i++)
        {
            var list = lists[i];
            placed[i] = rng.Next(list.Items.Length);
            users[i] = list.User;
            prefixItems[i] = list.Items.Take((int)placed[i]).Select(catalog.IndexOf).ToArray();
        }
        return new ExploreStates(placed, users, prefixItems);
    }

    /// <summary>[S, F, M] fields of each state's next slot (position t), from its list's rows [S, L, F, M].</summary>
    public static Tensor SlotRows(Tensor stateRows, Tensor placed) =>
        stateRows.gather(1, placed.view(-1, 1, 1, 1).expand(-1, 1, stateRows.shape[2], stateRows.shape[3])).squeeze(1);
}
