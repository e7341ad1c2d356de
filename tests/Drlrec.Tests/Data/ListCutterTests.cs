using Drlrec.Data;

namespace Drlrec.Tests.Data;

public sealed class ListCutterTests
{
    private static LoggedList List(string id, int items) =>
        new(id, "u", 0, Enumerable.Range(1, items).Select(i => new LoggedItem($"{id}/{i}", [[$"{i}"]], 0)).ToArray());

    [Fact]
    public void Parts_are_named_hash_two_three_when_no_name_collides_and_every_list_is_counted()
    {
        var report = new DataReport();
        var cut = ListCutter.Cut([List("long", 5), List("short", 1), List("exact", 2)], maxLength: 2, report);

        Assert.Equal(["long", "long#2", "long#3", "short", "exact"], cut.Select(l => l.ListId));
        Assert.Equal([2, 2, 1, 1, 2], cut.Select(l => l.Items.Count));
        Assert.Equal(["long/1", "long/3", "long/5"], cut.Take(3).Select(l => l.Items[0].ItemKey));
        Assert.Equal((5, 8, 1, 2), (report.ListsRead, report.ItemsRead, report.ListsSplit, report.ShortLists));
    }

    [Fact]
    public void Part_names_skip_ids_of_the_source_and_of_earlier_parts()
    {
        // x#3 is a list of the source (after x); x#2 (also in the source) is itself cut and its part takes x#2#2;
        // y's parts must not reuse a name given to x's parts.
        var source = new[] { List("x", 7), List("x#3", 1), List("x#2", 3), List("y", 1) };
        var cut = ListCutter.Cut(source, maxLength: 2, new DataReport());

        Assert.Equal(["x", "x#4", "x#5", "x#6", "x#3", "x#2", "x#2#2", "y"], cut.Select(l => l.ListId));
        Assert.Equal(["x/1", "x/3", "x/5", "x/7", "x#3/1", "x#2/1", "x#2/3", "y/1"], cut.Select(l => l.Items[0].ItemKey));
    }
}
