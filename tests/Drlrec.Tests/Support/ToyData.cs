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
