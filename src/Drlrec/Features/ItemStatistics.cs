using System.Text.Json.Serialization;
using Drlrec.Data;

namespace Drlrec.Features;

/// <summary>
/// Each item's statistics on the training split, as two dense item fields a model learns from and ranks with:
/// <code>
///   item_impressions = log(1 + n_i)
///   item_like_rate   = (c_i + α·p̄) / (n_i + α),  α = 5, p̄ the training like-rate    (the popularity baseline's score)
/// </code>
/// with n_i the item's training impressions and c_i those with a positive reward. On the training lists themselves each
/// occurrence leaves itself out (n_i − 1, c_i − its own click), or the like-rate would carry the label it is to predict.
/// An item absent from training gets n = 0 and p̄. The table travels with the model (in its vocabulary), so a request
/// never sends these fields.
/// </summary>
public sealed class ItemStatistics
{
    public const string ImpressionsField = "item_impressions", LikeRateField = "item_like_rate";
    public const double Alpha = 5;

    [JsonConstructor]
    public ItemStatistics(double globalRate, IReadOnlyDictionary<string, int[]> items)
    {
        GlobalRate = globalRate;
        Items = items;
    }

    /// <summary>p̄: the training like-rate (positive rewards per impression).</summary>
    public double GlobalRate { get; }

    /// <summary>Item key → [impressions, liked impressions] on the training split.</summary>
    public IReadOnlyDictionary<string, int[]> Items { get; }

    /// <summary>The two fields, appended after a schema's item fields.</summary>
    public static FieldSpec[] Fields { get; } =
    [
        new(ImpressionsField, FieldGroup.Item, FieldKind.Dense, Derived: true),
        new(LikeRateField, FieldGroup.Item, FieldKind.Dense, Derived: true),
    ];

    public static ItemStatistics Fit(ListDataset train)
    {
        var items = new Dictionary<string, int[]>(StringComparer.Ordinal);
        long shown = 0, liked = 0;
        foreach (var item in train.Lists.SelectMany(l => l.Items))
        {
            if (!items.TryGetValue(item.ItemKey, out var counts)) items[item.ItemKey] = counts = new int[2];
            counts[0]++;
            if (item.Reward > 0) counts[1]++;
            shown++;
            if (item.Reward > 0) liked++;
        }
        return new ItemStatistics(shown == 0 ? 0 : (double)liked / shown, items);
    }

    /// <summary>The fields' values of an item, as value sets in <see cref="Fields"/> order.</summary>
    /// <param name="ownReward">The reward of the occurrence being described, when it is one of the training lists (left out).</param>
    public string[][] ValuesOf(string itemKey, float? ownReward = null)
    {
        int n = 0, c = 0;
        if (Items.TryGetValue(itemKey, out var counts)) (n, c) = (counts[0], counts[1]);
        if (ownReward is { } r && n > 0) (n, c) = (n - 1, c - (r > 0 ? 1 : 0));
        return [DenseValue.Set(Math.Log(1 + n)), DenseValue.Set((c + Alpha * GlobalRate) / (n + Alpha))];
    }

    /// <summary>The lists with the two fields added to every item.</summary>
    /// <param name="leaveOneOut">True for the training lists the statistics were fitted on.</param>
    public ListDataset AddTo(ListDataset data, bool leaveOneOut) =>
        data.WithFieldsAdded(Fields, (_, item) => ValuesOf(item.ItemKey, leaveOneOut ? item.Reward : null),
            (_, candidate) => ValuesOf(candidate.ItemKey)); // an unshown candidate was never counted: nothing to leave out
}
