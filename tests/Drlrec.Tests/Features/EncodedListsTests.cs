using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Features;

namespace Drlrec.Tests.Features;

public sealed class EncodedListsTests
{
    private static readonly ListSchema Schema = new(
    [
        new FieldSpec("user", FieldGroup.User), new FieldSpec("item", FieldGroup.Item), new FieldSpec("tags", FieldGroup.Item),
        new FieldSpec("pos", FieldGroup.Context),
    ]);

    private static LoggedItem Item(string user, string item, string[] tags, int pos, float reward) =>
        new(item, [[user], [item], tags, [$"{pos}"]], reward);

    private static readonly ListDataset Data = new(Schema,
    [
        new LoggedList("l0", "b", 0, [Item("b", "i1", ["x", "y", "z"], 1, 1), Item("b", "i2", ["x"], 2, 0), Item("b", "i1", ["y"], 3, 0.5f)]),
        new LoggedList("l1", "a", 1, [Item("a", "i3", ["w"], 1, 1)]),
        new LoggedList("l2", "b", 2, [Item("b", "i2", ["z", "x"], 1, 0), Item("b", "i4", ["y"], 2, 1)]),
    ], "test");

    private static readonly FeatureVocabulary Vocabulary = FeatureVocabulary.Fit(Data, new FeatureConfig());

    /// <summary>The M = 3 value slots of a field of a position: its values' rows, then 0.</summary>
    private static int[] Cell(params (int Field, string Value)[] values)
    {
        var cell = new int[3];
        for (int v = 0; v < values.Length; v++) cell[v] = Vocabulary.Row(values[v].Field, values[v].Value);
        return cell;
    }

    [Fact]
    public void Short_lists_are_padded_with_row_zero_reward_zero_and_item_minus_one_and_sets_with_row_zero()
    {
        var lists = EncodedLists.Encode(Data, Vocabulary, maxLength: 4);

        Assert.Equal((3, 4, 4, 3), (lists.Count, lists.MaxLength, lists.FieldCount, lists.MaxValues));
        Assert.Equal([3, 1, 2], lists.Lengths);
        Assert.Equal(6, lists.ValidItems);
        Assert.Equal([1f, 0, 0.5f, 0, /**/ 1, 0, 0, 0, /**/ 0, 1, 0, 0], lists.Rewards);
        int[] Slots(int list, int position, int field) => lists.Rows.AsSpan(((list * 4 + position) * 4 + field) * 3, 3).ToArray();
        Assert.Equal(Cell((2, "x"), (2, "y"), (2, "z")), Slots(0, 0, 2)); // three values
        Assert.Equal(Cell((2, "x")), Slots(0, 1, 2));                      // one value, two padded slots
        Assert.Equal(Cell((2, "z"), (2, "x")), Slots(2, 0, 2));            // the given order is kept
        Assert.Equal(Cell((0, "b")), Slots(2, 1, 0));
        Assert.Equal(Cell((3, "3")), Slots(0, 2, 3));
        foreach (var (list, position) in new[] { (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3) })
            for (int field = 0; field < 4; field++) Assert.Equal([0, 0, 0], Slots(list, position, field));
    }

    [Fact]
    public void Users_and_items_are_interned_in_order_of_first_appearance()
    {
        var lists = EncodedLists.Encode(Data, Vocabulary, maxLength: 4);

        Assert.Equal(["b", "a"], lists.UserKeys);
        Assert.Equal([0, 1, 0], lists.Users);
        Assert.Equal(["i1", "i2", "i3", "i4"], lists.ItemKeys);
        Assert.Equal([0, 1, 0, -1, /**/ 2, -1, -1, -1, /**/ 1, 3, -1, -1], lists.Items);
    }

    [Fact]
    public void A_batch_holds_the_chosen_lists_in_the_given_order_with_the_mask_true_exactly_at_real_positions()
    {
        var lists = EncodedLists.Encode(Data, Vocabulary, maxLength: 4);
        using var scope = NewDisposeScope();

        var batch = lists.Batch([2, 0, 1]);

        Assert.Equal(new long[] { 3, 4, 4, 3 }, batch.Rows.shape);
        Assert.Equal([true, true, false, false, /**/ true, true, true, false, /**/ true, false, false, false],
            batch.Mask.contiguous().data<bool>().ToArray());
        Assert.Equal([0f, 1, 0, 0, /**/ 1, 0, 0.5f, 0, /**/ 1, 0, 0, 0], batch.Rewards.contiguous().data<float>().ToArray());
        var rows = batch.Rows.contiguous().data<long>().ToArray();
        int size = 4 * 4 * 3;
        foreach (var (row, list) in new[] { (0, 2), (1, 0), (2, 1) })
            Assert.Equal(lists.Rows.AsSpan(list * size, size).ToArray().Select(v => (long)v), rows.AsSpan(row * size, size).ToArray());
    }

    [Fact]
    public void The_length_defaults_to_the_longest_list_and_a_longer_list_is_rejected_by_name()
    {
        Assert.Equal(3, EncodedLists.Encode(Data, Vocabulary).MaxLength);

        var error = Assert.Throws<InvalidDataException>(() => EncodedLists.Encode(Data, Vocabulary, maxLength: 2));

        Assert.Contains("list 'l0' has 3 items, more than 2", error.Message);
        Assert.StartsWith("test:", error.Message);
    }
}
