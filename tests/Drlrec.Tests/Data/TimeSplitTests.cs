using Drlrec.Data;

namespace Drlrec.Tests.Data;

public sealed class TimeSplitTests
{
    private static readonly ListSchema Schema = new([new FieldSpec("item", FieldGroup.Item)]);

    /// <summary>Lists l0, l1, ... with the given timestamps, in that (source) order.</summary>
    private static ListDataset Lists(params long[] timestamps) => new(Schema,
        timestamps.Select((ts, i) => new LoggedList($"l{i}", "u", ts, [new LoggedItem($"i{i}", [[$"i{i}"]], 0)])).ToArray(), "test");

    private static string[] Ids(ListDataset data) => data.Lists.Select(l => l.ListId).ToArray();

    [Fact]
    public void The_later_part_holds_the_latest_lists_and_ties_keep_their_source_order()
    {
        // by time: l5(0) l1(1) l9(2) l2(3) l3(3) | l6(3) l0(5) l7(7) l8(7) l4(9): the cut falls inside the tie at 3
        var data = Lists(5, 1, 3, 3, 9, 0, 3, 7, 7, 2);

        var (earlier, later) = TimeSplit.Split(data, 0.5);

        Assert.Equal(["l5", "l1", "l9", "l2", "l3"], Ids(earlier));
        Assert.Equal(["l6", "l0", "l7", "l8", "l4"], Ids(later));
        Assert.True(later.Lists.Min(l => l.Timestamp) >= earlier.Lists.Max(l => l.Timestamp));
        Assert.Same(data.Schema, later.Schema);
    }

    [Fact]
    public void The_later_fraction_is_rounded_and_each_part_keeps_at_least_one_list()
    {
        var data = Lists(Enumerable.Range(0, 10).Select(i => (long)(i * 7 % 10)).ToArray());
        foreach (var (fraction, expected) in new[] { (0.2, 2), (0.1, 1), (0.7, 7), (0.01, 1), (0.99, 9) })
        {
            var (earlier, later) = TimeSplit.Split(data, fraction);
            Assert.Equal((10 - expected, expected), (earlier.Lists.Count, later.Lists.Count));
            Assert.True(later.Lists.Min(l => l.Timestamp) >= earlier.Lists.Max(l => l.Timestamp), $"fraction {fraction}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => TimeSplit.Split(data, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TimeSplit.Split(data, 1));
    }

    [Fact]
    public void The_user_time_split_holds_out_each_users_latest_lists_and_keeps_single_list_users_for_training()
    {
        // u1: 5 lists (times 1..5) → round(5 × 0.2) = 1 held out; u2: 2 lists → at least 1; u3: 1 list → none; u4: 10 → 2.
        var lists = new List<LoggedList>();
        void Add(string user, params long[] times)
        {
            foreach (long t in times)
                lists.Add(new LoggedList($"{user}-{t}", user, t, [new LoggedItem("i", [["i"]], 0)]));
        }
        Add("u1", 5, 1, 3, 2, 4);
        Add("u2", 7, 6);
        Add("u3", 9);
        Add("u4", 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
        var data = new ListDataset(new ListSchema([new FieldSpec("i", FieldGroup.Item)]), lists, "toy");

        var (earlier, later) = TimeSplit.SplitByUser(data, 0.2);

        Assert.Equal(["u1-5", "u2-7", "u4-18", "u4-19"], later.Lists.Select(l => l.ListId));
        Assert.Equal(lists.Count - 4, earlier.Lists.Count);
        Assert.Contains(earlier.Lists, l => l.ListId == "u3-9");
        Assert.Equal(lists.Where(l => later.Lists.All(x => x.ListId != l.ListId)).Select(l => l.ListId), earlier.Lists.Select(l => l.ListId)); // source order
        foreach (var user in later.Lists.GroupBy(l => l.UserKey))
            Assert.True(user.Min(l => l.Timestamp) > earlier.Lists.Where(l => l.UserKey == user.Key).Max(l => l.Timestamp));
    }
}
