using Drlrec.Features;
using static TorchSharp.torch;

namespace Drlrec.Distillation;

/// <summary>
/// The states exploring/filtering teaches from: for each chosen logged list, a random prefix (its first t items, t
/// uniform over 0..length−1), the list's user, and the catalog indices of the prefix items (which the pool excludes).
/// </summary>
public sealed record ExploreStates(long[] Placed, string[] Users, int[][] PrefixItems)
{
    /// <param name="catalogIndexOfItem">Catalog index of each of <paramref name="lists"/>' item keys.</param>
    /// <param name="rng">Draws one prefix length per list, in order.</param>
    public static ExploreStates Sample(EncodedLists lists, IReadOnlyList<int> listIndices, IReadOnlyList<int> catalogIndexOfItem, Random rng)
    {
        int s = listIndices.Count;
        var placed = new long[s];
        var users = new string[s];
        var prefixItems = new int[s][];
        for (int i = 0; i < s; i++)
        {
            int list = listIndices[i];
            placed[i] = rng.Next(lists.Lengths[list]);
            users[i] = lists.UserKeys[lists.Users[list]];
            prefixItems[i] = Enumerable.Range(0, (int)placed[i])
                .Select(t => catalogIndexOfItem[lists.Items[list * lists.MaxLength + t]]).ToArray();
        }
        return new ExploreStates(placed, users, prefixItems);
    }

    /// <summary>[S, F, M] fields of each state's next slot (position t), from its list's rows [S, L, F, M].</summary>
    public static Tensor SlotRows(Tensor stateRows, Tensor placed) =>
        stateRows.gather(1, placed.view(-1, 1, 1, 1).expand(-1, 1, stateRows.shape[2], stateRows.shape[3])).squeeze(1);
}
