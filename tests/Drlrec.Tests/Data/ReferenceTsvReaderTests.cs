using static Drlrec.Tests.Data.DatasetAssert;
using Drlrec.Data;
using Drlrec.Testing;

namespace Drlrec.Tests.Data;

public sealed class ReferenceTsvReaderTests : IDisposable
{
    private readonly TemporaryFolder folder = new();
    private static readonly ReadOptions Defaults = new();

    public void Dispose() => folder.Dispose();

    private static string Line(string sid, params string[] items) => $"sid:{sid}\toffset:0\trec_list:{string.Join('|', items)}";

    [Fact]
    public void Reads_lists_fields_and_rewards_exactly()
    {
        string file = folder.Write("lists.tsv",
            "offset:7\trec_list:uf10:x uf2:u1 df1:m1 df3:a,b cf1:p1 reward:1 return:1.4 idx:0|" +
            "uf10:x uf2:u1 df1:m2 df3: cf1:p2 reward:0 return:0.4 idx:1\tsid:s1",
            "",
            Line("s2", "uf2:u2,u3 uf10:y df3:c,c,d df1:m3 cf1:p1 reward:0.5 return:0.5"));

        var data = ReferenceTsvReader.Read(file, Defaults);

        Assert.Equal(
            [new FieldSpec("uf2", FieldGroup.User), new FieldSpec("uf10", FieldGroup.User), new FieldSpec("df1", FieldGroup.Item),
             new FieldSpec("df3", FieldGroup.Item), new FieldSpec("cf1", FieldGroup.Context)],
            data.Schema.Fields);
        Assert.Equal(2, data.Lists.Count);

        var first = data.Lists[0];
        Assert.Equal(("s1", "u1", 1L), (first.ListId, first.UserKey, first.Timestamp));
        Assert.Equal(["m1", "m2"], first.Items.Select(i => i.ItemKey));
        Assert.Equal([1f, 0f], first.Items.Select(i => i.Reward));
        Assert.Equal(["a", "b"], Field(data, first.Items[0], "df3"));
        Assert.Equal([LoggedItem.Missing], Field(data, first.Items[1], "df3"));
        Assert.Equal(["x"], Field(data, first.Items[1], "uf10"));
        Assert.Equal(["p2"], Field(data, first.Items[1], "cf1"));

        var second = data.Lists[1];
        Assert.Equal(("s2", "u2,u3", 3L), (second.ListId, second.UserKey, second.Timestamp)); // line 3: blank line 2 is skipped
        Assert.Equal(["c", "d"], Field(data, second.Items[0], "df3")); // a set: the repeated value collapses
        Assert.Equal(0.5f, second.Items[0].Reward);

        Assert.Equal((2, 3, 2, 0, 0), (data.Report.ListsRead, data.Report.ItemsRead, data.Report.ShortLists,
                                       data.Report.ListsSplit, data.Report.RecordsSkipped));
        Assert.Equal(file, data.Source);
    }

    [Fact]
    public void Orders_keys_by_family_then_in_natural_order()
    {
        string file = folder.Write("keys.tsv",
            Line("s", "cf2:a cf10:b cf1:c df10:d df9:e uf3:f uf1:g uf21:h reward:0"));

        var data = ReferenceTsvReader.Read(file, Defaults);

        Assert.Equal(["uf1", "uf3", "uf21", "df9", "df10", "cf1", "cf2", "cf10"], data.Schema.Fields.Select(f => f.Name));
        Assert.Equal("g", data.Lists[0].UserKey);
        Assert.Equal("e", data.Lists[0].Items[0].ItemKey);
    }

    [Fact]
    public void Without_user_fields_the_session_id_is_the_user()
    {
        string file = folder.Write("nouser.txt", Line("session-9", "df1:a reward:1", "df1:b reward:0"));

        var data = ReferenceTsvReader.Read(file, Defaults);

        Assert.Equal(0, data.Schema.UserCount);
        Assert.Equal("session-9", data.Lists[0].UserKey);
    }

    [Fact]
    public void Cuts_long_lists_into_consecutive_lists_and_keeps_short_ones()
    {
        string[] items = Enumerable.Range(1, 5).Select(i => $"uf1:u df1:i{i} cf1:c reward:{i % 2}").ToArray();
        string file = folder.Write("long.tsv", Line("long", items), Line("short", items[..1]), Line("exact", items[..2]));

        var data = ReferenceTsvReader.Read(file, new ReadOptions { MaxListLength = 2 });

        Assert.Equal(["long", "long#2", "long#3", "short", "exact"], data.Lists.Select(l => l.ListId));
        Assert.Equal([2, 2, 1, 1, 2], data.Lists.Select(l => l.Items.Count));
        Assert.Equal(["i5"], data.Lists[2].Items.Select(i => i.ItemKey));
        Assert.All(data.Lists.Take(3), l => Assert.Equal(1L, l.Timestamp));
        Assert.Equal((5, 8, 1, 2), (data.Report.ListsRead, data.Report.ItemsRead, data.Report.ListsSplit, data.Report.ShortLists));
    }

    [Fact]
    public void A_cut_part_never_takes_the_id_of_a_later_line()
    {
        string[] items = Enumerable.Range(1, 5).Select(i => $"uf1:u df1:i{i} cf1:c reward:0").ToArray();
        string file = folder.Write("taken.tsv", Line("c", items), Line("c#2", items[..1]));

        var data = ReferenceTsvReader.Read(file, new ReadOptions { MaxListLength = 2 });

        Assert.Equal(["c", "c#3", "c#4", "c#2"], data.Lists.Select(l => l.ListId));
        Assert.Equal([2, 2, 1, 1], data.Lists.Select(l => l.Items.Count));
    }

    [Theory]
    [InlineData("sid:s\trec_list:df1:a reward:1", "expected 3 tab-separated parts")]
    [InlineData("sid:s\toffset:0\tsid:t", "part 'sid' appears twice")]
    [InlineData("sid:s\toffset:0\tlist:df1:a reward:1", "part 'list:df1:a reward:1' is not one of")]
    [InlineData("sid:s\toffset:x\trec_list:df1:a reward:1", "part 'offset' must be an integer")]
    [InlineData("sid:s\toffset:0\trec_list:", "part 'rec_list' is empty")]
    [InlineData("sid:s\toffset:0\trec_list:df1:a reward:1|", "item 2 of rec_list is empty")]
    [InlineData("sid:s\toffset:0\trec_list:df1:a reward", "item 1: token 'reward' is not key:value")]
    [InlineData("sid:s\toffset:0\trec_list:df1:a score:1 reward:1", "item 1: unknown key 'score'")]
    [InlineData("sid:s\toffset:0\trec_list:df1:a reward:yes", "item 1: key 'reward' must be a finite number, found 'yes'")]
    [InlineData("sid:s\toffset:0\trec_list:df1:a reward:NaN", "item 1: key 'reward' must be a finite number, found 'NaN'")]
    [InlineData("sid:s\toffset:0\trec_list:df1:a reward:1 return:Infinity", "item 1: key 'return' must be a finite number")]
    [InlineData("sid:s\toffset:0\trec_list:df1:a return:1", "item 1: key 'reward' is missing")]
    [InlineData("sid:s\toffset:0\trec_list:df1:a df1:b reward:1", "item 1: key 'df1' appears twice")]
    public void Malformed_lines_name_the_file_line_and_problem(string badLine, string problem)
    {
        string file = folder.Write("bad.tsv", Line("ok", "df1:a reward:1"), badLine);

        Malformed(() => ReferenceTsvReader.Read(file, Defaults), file, "line 2", problem);
    }

    [Fact]
    public void Items_must_carry_the_keys_of_the_first_valid_line()
    {
        string missing = folder.Write("missing.tsv", Line("a", "uf1:u df1:a df2:b reward:1"), Line("b", "uf1:u df1:a reward:1"));
        string extra = folder.Write("extra.tsv", Line("a", "uf1:u df1:a reward:1"), Line("b", "uf1:u df1:a reward:1", "uf1:u df1:b cf1:z reward:0"));
        string withinLine = folder.Write("within.tsv", Line("a", "df1:a reward:1", "df2:b reward:1"));

        Malformed(() => ReferenceTsvReader.Read(missing, Defaults), missing, "line 2", "item 1: field key 'df2' is missing");
        Malformed(() => ReferenceTsvReader.Read(extra, Defaults), extra, "line 2", "item 2: field key 'cf1' is unexpected");
        Malformed(() => ReferenceTsvReader.Read(withinLine, Defaults), withinLine, "line 1", "item 2: field key 'df1' is missing");
    }

    [Fact]
    public void The_first_line_must_have_an_item_field()
    {
        string file = folder.Write("users-only.tsv", Line("s", "uf1:a cf1:b reward:1"));

        Malformed(() => ReferenceTsvReader.Read(file, Defaults), file, "line 1", "no item field (a key containing df)");
    }

    [Fact]
    public void An_empty_file_is_an_error()
    {
        string file = folder.Write("empty.tsv", "", "  ");

        Malformed(() => ReferenceTsvReader.Read(file, Defaults), file, "file", "empty");
    }

    [Fact]
    public void Skipping_bad_records_counts_them_and_keeps_the_good_ones()
    {
        string file = folder.Write("mixed.tsv",
            "sid:broken\toffset:0",
            Line("good1", "uf1:u df1:a reward:1"),
            Line("nan", "uf1:u df1:a reward:NaN"),
            Line("good2", "uf1:v df1:b reward:0", "uf1:v df1:c reward:1"),
            Line("keys", "uf1:u df2:a reward:1"));

        var data = ReferenceTsvReader.Read(file, new ReadOptions { SkipBadRecords = true });

        Assert.Equal(["good1", "good2"], data.Lists.Select(l => l.ListId));
        Assert.Equal(3, data.Report.RecordsSkipped);
        Assert.Equal(3, data.Report.SkippedExamples.Count);
        Assert.Contains("line 1", data.Report.SkippedExamples[0]);
        Assert.Contains("line 3", data.Report.SkippedExamples[1]);
        Assert.Contains("line 5", data.Report.SkippedExamples[2]);
        Assert.Equal((2, 3), (data.Report.ListsRead, data.Report.ItemsRead));
        Assert.Equal(2L, data.Lists[0].Timestamp);
    }

    [Fact]
    public void Skipping_everything_still_fails_and_says_why()
    {
        string file = folder.Write("allbad.tsv", "garbage", "more garbage");

        var e = Malformed(() => ReferenceTsvReader.Read(file, new ReadOptions { SkipBadRecords = true }), file, "file", "no valid line (2 skipped)");
        Assert.Contains("line 1", e.Problem);
    }

    [Fact]
    public void A_missing_file_or_bad_options_fail_before_reading()
    {
        Assert.Throws<FileNotFoundException>(() => ReferenceTsvReader.Read(folder["nope.tsv"], Defaults));
        string file = folder.Write("ok.tsv", Line("s", "df1:a reward:1"));
        Assert.Throws<ArgumentException>(() => ReferenceTsvReader.Read(file, new ReadOptions { MaxListLength = 0 }));
    }

    [Fact]
    public void Natural_order_compares_digit_runs_by_value()
    {
        string[] keys = ["uf10", "uf2", "uf1", "df", "uf02", "uf1a", "a100b2", "a100b10", "a99"];

        Assert.Equal(["a99", "a100b2", "a100b10", "df", "uf1", "uf1a", "uf02", "uf2", "uf10"],
                     keys.Order(NaturalStringComparer.Instance));
    }

    [Fact]
    public void Keys_starting_with_num_are_dense_fields_whose_empty_value_is_missing()
    {
        string file = folder.Write("dense.tsv",
            Line("s1", "uf1:u1 df1:m1 num_df2:0.25 cf1:p1 reward:1", "uf1:u1 df1:m2 num_df2: cf1:p2 reward:0"),
            Line("s2", "uf1:u2 df1:m3 num_df2:-3e2 cf1:p1 reward:0"));

        var data = ReferenceTsvReader.Read(file, Defaults);

        Assert.Equal(new FieldSpec("num_df2", FieldGroup.Item, FieldKind.Dense), data.Schema.Fields[data.Schema.IndexOf("num_df2")]);
        Assert.Equal(["0.25"], Field(data, data.Lists[0].Items[0], "num_df2"));
        Assert.Equal([LoggedItem.Missing], Field(data, data.Lists[0].Items[1], "num_df2"));
        Assert.Equal(["-300"], Field(data, data.Lists[1].Items[0], "num_df2"));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1,2")]
    public void A_dense_value_that_is_not_one_finite_number_names_the_line_item_and_key(string value)
    {
        string file = folder.Write("bad-dense.tsv",
            Line("s1", "uf1:u1 df1:m1 num_df2:1 cf1:p1 reward:1"),
            Line("s2", $"uf1:u2 df1:m3 num_df2:{value} cf1:p1 reward:0"));
        Malformed(() => ReferenceTsvReader.Read(file, Defaults), file, "line 2", "item 1", "'num_df2'", "finite number");
    }
}
