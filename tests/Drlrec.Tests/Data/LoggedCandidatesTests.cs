using static Drlrec.Tests.Data.DatasetAssert;
using static Drlrec.Tests.Data.ParquetTestFiles;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Simulation;
using Drlrec.Testing;

namespace Drlrec.Tests.Data;

/// <summary>The long format's and the reference TSV's extension for off-policy evaluation: propensities and unshown candidates.</summary>
public sealed class LoggedCandidatesTests : IDisposable
{
    private readonly TemporaryFolder temp = new();
    private static readonly ReadOptions Defaults = new();
    private static readonly SyntheticSimulator Simulator = new(new SyntheticConfig { Seed = 7, Users = 200, Items = 1000 });

    public void Dispose() => temp.Dispose();

    private static void SameCandidates(LoggedList expected, LoggedList actual)
    {
        SameList(expected, actual);
        Assert.Equal(expected.Items.Select(i => i.Propensity), actual.Items.Select(i => i.Propensity));
        var (e, a) = (expected.Unshown.ToList(), actual.Unshown.ToList());
        Assert.Equal(e.Count, a.Count);
        for (int u = 0; u < e.Count; u++)
        {
            Assert.Equal(e[u].ItemKey, a[u].ItemKey);
            Assert.Null(a[u].Propensity);
            for (int f = 0; f < e[u].Values.Length; f++) Assert.Equal(e[u].Values[f], a[u].Values[f]);
        }
    }

    [Fact]
    public void Generated_parts_carry_propensities_and_unshown_candidates_and_read_back_as_the_simulators_lists()
    {
        string folder = temp["gen"];
        SyntheticParquetParts.Write(Simulator, 120, folder, listsPerRowGroup: 50);

        var read = DataSources.Load(folder, Defaults);
        var logged = Simulator.GenerateLogs(120);

        SameLists(logged, read);
        for (int l = 0; l < logged.Lists.Count; l++) SameCandidates(logged.Lists[l], read.Lists[l]);
        Assert.Equal(120, read.Report.ListsRead);
        Assert.Equal(1200, read.Report.ItemsRead); // unshown rows are not items
    }

    [Fact]
    public void Parts_written_without_candidates_are_the_old_format_and_read_without_them()
    {
        string folder = temp["old"];
        SyntheticParquetParts.Write(Simulator, 30, folder, candidates: false);

        var read = DataSources.Load(folder, Defaults);

        SameLists(Simulator.GenerateLogs(30), read);
        Assert.All(read.Lists, l => { Assert.False(l.HasPropensities); Assert.Empty(l.Unshown); });
    }

    [Fact]
    public void Training_reads_the_shown_items_alone_streamed_or_in_memory()
    {
        string with = temp["with"], without = temp["without"];
        SyntheticParquetParts.Write(Simulator, 200, with, listsPerRowGroup: 40);
        SyntheticParquetParts.Write(Simulator, 200, without, listsPerRowGroup: 40, candidates: false);
        var report = new DataReport();
        using var a = ParquetListReader.ParquetListFile.Open(Path.Combine(with, SyntheticParquetParts.PartName(0)));
        using var b = ParquetListReader.ParquetListFile.Open(Path.Combine(without, SyntheticParquetParts.PartName(0)));
        for (int g = 0; g < a.RowGroupCount; g++)
            Assert.Equal(b.ReadMetadata(g, 0, Defaults, report), a.ReadMetadata(g, 0, Defaults, report));
        var config = new Configuration.RunConfig { Data = new Configuration.DataConfig { Source = with } };
        var withData = DataLoader.Prepare(config);
        var withoutData = DataLoader.Prepare(config with { Data = config.Data with { Source = without } });
        Assert.Equal(withoutData.Train.Rows, withData.Train.Rows);
        Assert.Equal(withoutData.Test.Rewards, withData.Test.Rewards);
    }

    private string LongFile(string name, double?[] propensity, int?[] position, float?[] reward, string[] items) => Write(temp[name],
    [
        Strings("list_id", items.Select(_ => "a").ToArray()),
        Nullables("position", position),
        Nullables("reward", reward),
        Nullables("propensity", propensity),
        Strings("df_item", items),
    ]);

    [Fact]
    public void A_users_file_gives_unshown_candidates_as_rows_without_position_or_reward()
    {
        string file = LongFile("ok.parquet", [0.5, null, 1.0, null], [1, null, 2, null], [1, null, 0, null], ["x", "y", "z", "w"]);

        var list = ParquetListReader.Read(file, Defaults).Lists.Single();

        Assert.Equal(["x", "z"], list.Items.Select(i => i.ItemKey));
        Assert.Equal([0.5, 1.0], list.Items.Select(i => i.Propensity));
        Assert.Equal(["y", "w"], list.Unshown.Select(i => i.ItemKey));
    }

    [Fact]
    public void The_readmes_example_file_reads_as_a_list_of_two_shown_items_out_of_four_candidates()
    {
        // The README's pandas example, column by column as pyarrow writes it (nullable position, NaN rewards as nulls).
        string file = Write(temp["readme.parquet"],
        [
            Strings("list_id", "r1", "r1", "r1", "r1"),
            Nullables<int>("position", 1, 2, null, null),
            Nullables<double>("reward", 1.0, 0.0, null, null),
            Nullables<double>("propensity", 0.31, 0.22, null, null),
            Strings("user_key", "u7", "u7", "u7", "u7"),
            Strings("df_item_id", "i3", "i9", "i4", "i12"),
            Nullables<double>("df_upstream_score", 2.1, 1.7, 1.9, 0.4),
            Strings("uf_age", "a3", "a3", "a3", "a3"),
            Strings("cf_hour", "h2", "h2", "h2", "h2"),
        ]);

        var data = ParquetListReader.Read(file, Defaults);
        var slate = Drlrec.OffPolicy.LoggedSlates.From(data).Single();

        Assert.Equal([0.31, 0.22], slate.Propensities!);
        Assert.Equal([1f, 0f], slate.Rewards);
        Assert.Equal(["i3", "i9", "i4", "i12"], slate.Request.Candidates.Select(c => c["item_id"][0]));
        Assert.Equal([0, 2, 1, 3], Drlrec.OffPolicy.CandidateWindow.UpstreamOrder(slate)!); // by upstream score
        Assert.Equal([0, 2], Drlrec.OffPolicy.CandidateWindow.Of(slate, 2));
        Assert.Equal(["a3"], slate.Request.User["age"]);
        Assert.False(slate.Request.Context.ContainsKey("position"));
    }

    [Theory]
    [InlineData(1.5, "row group 0, row 0", "column 'propensity' must be a number in (0, 1], found 1.5")]
    [InlineData(0.0, "row group 0, row 0", "column 'propensity' must be a number in (0, 1], found 0")]
    [InlineData(double.NaN, "row group 0, row 0", "column 'propensity' must be a number in (0, 1], found NaN")]
    public void A_propensity_outside_zero_to_one_is_refused_naming_the_file_row_and_column(double bad, string row, string problem)
    {
        string file = LongFile("bad.parquet", [bad, 0.5], [1, 2], [1, 0], ["x", "y"]);
        Malformed(() => ParquetListReader.Read(file, Defaults), file, row, problem);
    }

    [Fact]
    public void Inconsistent_candidates_are_refused_naming_the_row()
    {
        string shownTwice = LongFile("twice.parquet", [0.5, 0.5, null], [1, 2, null], [1, 0, null], ["x", "y", "x"]);
        Malformed(() => ParquetListReader.Read(shownTwice, Defaults), shownTwice, "row group 0, row 2",
            "unshown candidate 'x' is already a candidate of the list (shown at position 1)");

        // Two shown items and no other candidate: the second was the only one left, so it cannot have a propensity of 0.3.
        string tooFew = LongFile("few.parquet", [0.7, 0.3], [1, 2], [1, 0], ["x", "y"]);
        Malformed(() => ParquetListReader.Read(tooFew, Defaults), tooFew, "row group 0, row 1",
            "last of the list's 2 candidates", "candidate set is smaller than the one the logging policy chose from");

        string partly = LongFile("partly.parquet", [0.7, null, null], [1, 2, null], [1, 0, null], ["x", "y", "z"]);
        Malformed(() => ParquetListReader.Read(partly, Defaults), partly, "row group 0, row 1", "has no propensity but 1 of its 2 shown items have one");

        string rewarded = LongFile("rewarded.parquet", [0.5, null], [1, null], [1, 1], ["x", "y"]);
        Malformed(() => ParquetListReader.Read(rewarded, Defaults), rewarded, "row group 0, row 1",
            "column 'reward' is 1 on a row whose 'position' is null");

        string noneShown = LongFile("none.parquet", [null, null], [null, null], [null, null], ["x", "y"]);
        Malformed(() => ParquetListReader.Read(noneShown, Defaults), noneShown, "row group 0, row 0", "but no shown item");
    }

    [Fact]
    public void The_reference_tsv_takes_a_propensity_key_and_an_unshown_part()
    {
        string file = temp.Write("ope.tsv",
            "sid:a\toffset:0\trec_list:uf1:u1 df1:m1 cf1:p1 reward:1 propensity:0.25|uf1:u1 df1:m2 cf1:p2 reward:0 propensity:0.5\tunshown:uf1:u1 df1:m3 cf1:p0|uf1:u1 df1:m4 cf1:p0",
            "sid:b\toffset:1\trec_list:uf1:u2 df1:m1 cf1:p1 reward:0");

        var data = ReferenceTsvReader.Read(file, Defaults);

        Assert.Equal([0.25, 0.5], data.Lists[0].Items.Select(i => i.Propensity));
        Assert.Equal(["m3", "m4"], data.Lists[0].Unshown.Select(i => i.ItemKey));
        Assert.False(data.Lists[1].HasPropensities);
        Assert.Empty(data.Lists[1].Unshown);
    }

    [Theory]
    [InlineData("reward:1 propensity:2", "item 1: key 'propensity' must be a number in (0, 1], found '2'")]
    [InlineData("reward:1 propensity:0.5\tunshown:uf1:u1 df1:m1 cf1:p0", "unshown candidate 'm1' is already a candidate of the list (shown at position 1)")]
    [InlineData("reward:1 propensity:0.5", "last of the list's 1 candidates")]
    [InlineData("reward:1\tunshown:uf1:u1 df1:m2 cf1:p0 reward:0", "unshown candidate 1: key 'reward' belongs to shown items")]
    public void The_reference_tsv_refuses_bad_candidates_naming_the_line(string rest, string problem)
    {
        string file = temp.Write("bad.tsv", "sid:z\toffset:0\trec_list:uf1:u0 df1:m0 cf1:p1 reward:0", $"sid:a\toffset:0\trec_list:uf1:u1 df1:m1 cf1:p1 {rest}");
        Malformed(() => ReferenceTsvReader.Read(file, Defaults), file, "line 2", problem);
    }

    [Fact]
    public void A_cut_lists_first_part_keeps_its_propensities_and_the_rest_becomes_unshown_candidates()
    {
        var items = Enumerable.Range(1, 5).Select(i => new LoggedItem($"i{i}", [[$"i{i}"]], i % 2) { Propensity = 0.5 }).ToArray();
        var list = new LoggedList("l", "u", 0, items) { Unshown = [new LoggedItem("x", [["x"]], 0)] };

        var parts = ListCutter.Cut([list], 3, new DataReport());

        Assert.Equal(["i1", "i2", "i3"], parts[0].Items.Select(i => i.ItemKey));
        Assert.True(parts[0].HasPropensities);
        Assert.Equal(["i4", "i5", "x"], parts[0].Unshown.Select(i => i.ItemKey));
        Assert.All(parts[0].Unshown, i => Assert.Equal((0f, (double?)null), (i.Reward, i.Propensity)));
        Assert.False(parts[1].HasPropensities);
        Assert.Empty(parts[1].Unshown);
    }
}
