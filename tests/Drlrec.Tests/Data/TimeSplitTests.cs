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
}
