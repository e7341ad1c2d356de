using Drlrec.Data;

namespace Drlrec.Tests.Support;

/// <summary>Small deterministic data sets for unit tests (no files).</summary>
public static class ToyData
{
    public static ListSchema Schema { get; } = new(
    [
        new FieldSpec("user", FieldGroup.User), new FieldSpec("age", FieldGroup.User),
        new FieldSpec("item", FieldGroup.Item), new FieldSpec("tags", FieldGroup.Item),
        new FieldSpec("position", FieldGroup.Context),
    ]);

    /// <summary>The toy schema with a dense item field <c>quality</c> and a dense context field <c>load</c>.</summary>
    public static ListSchema DenseSchema { get; } = new(
    [
        new FieldSpec("user", FieldGroup.User), new FieldSpec("age", FieldGroup.User),
        new FieldSpec("item", FieldGroup.Item), new FieldSpec("tags", FieldGroup.Item),
        new FieldSpec("quality", FieldGroup.Item, FieldKind.Dense),
        new FieldSpec("position", FieldGroup.Context), new FieldSpec("load", FieldGroup.Context, FieldKind.Dense),
    ]);

    /// <summary>
    /// <see cref="Lists"/> with the dense fields: an item's quality is higher for clicked-more (even) items, one in eight
    /// is missing, and a few are far outliers; the load is a number per list.
    /// </summary>
    public static ListDataset DenseLists(int count, int seed = 1)
    {
        var rng = new Random(seed + 1000);
        var lists = Lists(count, seed: seed).Lists.Select(list =>
        {
            double load = Math.Round(rng.NextDouble() * 10, 3);
            var items = list.Items.Select(item =>
            {
                int id = int.Parse(item.ItemKey[1..], System.Globalization.CultureInfo.InvariantCulture);
                double? quality = rng.Next(8) == 0 ? null : (id % 2 == 0 ? 1.0 : -1.0) + rng.NextDouble() + (rng.Next(50) == 0 ? 1000 : 0);
                var v = item.Values;
                return item with { Values = [v[0], v[1], v[2], v[3], DenseValue.Set(quality), v[4], DenseValue.Set(load)] };
            }).ToList();
            return list with { Items = items };
        }).ToList();
        return new ListDataset(DenseSchema, lists, "toy-dense");
    }

    /// <summary>
    /// Lists of random lengths (some shorter than <paramref name="length"/>); even item ids are clicked 80% of
    /// the time and odd ones 10%, so the reward is learnable from the item field.
    /// </summary>
    public static ListDataset Lists(int count, int length = 6, int users = 12, int items = 40, int seed = 1)
    {
        var rng = new Random(seed);
        var lists = new List<LoggedList>();
        for (int i = 0; i < count; i++)
        {
            int user = rng.Next(users);
            int n = rng.Next(3) == 0 ? rng.Next(2, length) : length;
            var shown = new List<LoggedItem>();
            for (int t = 0; t < n; t++)
            {
                int item = rng.Next(items);
                string[] tags = item % 3 == 0 ? ["t0", "t1"] : [$"t{item % 5}"];
                float reward = rng.NextDouble() < (item % 2 == 0 ? 0.8 : 0.1) ? 1 : 0;
                shown.Add(new LoggedItem($"i{item}", [[$"u{user}"], [$"a{user % 3}"], [$"i{item}"], tags, [$"{t + 1}"]], reward));
            }
            lists.Add(new LoggedList($"l{i}", $"u{user}", i, shown));
        }
        return new ListDataset(Schema, lists, "toy");
    }
}
