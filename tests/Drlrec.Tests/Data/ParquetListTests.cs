using static Drlrec.Tests.Data.DatasetAssert;
using static Drlrec.Tests.Data.ParquetTestFiles;
using Drlrec.Data;
using Drlrec.Testing;

namespace Drlrec.Tests.Data;

public sealed class ParquetListTests : IDisposable
{
    private readonly TemporaryFolder temp = new();
    private static readonly ReadOptions Defaults = new();

    public void Dispose() => temp.Dispose();

    private string WriteTsv() => temp.Write("source.tsv",
        "sid:a\toffset:0\trec_list:uf1:u1 uf2:x,y df1:m1 df2:g1,g2 cf1:p1 reward:1|uf1:u1 uf2:x,y df1:m2 df2: cf1:p2 reward:0",
        "sid:b\toffset:1\trec_list:uf1:u2 uf2:z df1:m3 df2:g3 cf1:p1 reward:0.25",
        "sid:c\toffset:2\trec_list:" + string.Join('|', Enumerable.Range(1, 12).Select(i => $"uf1:u3 uf2:z df1:m{i} df2:g1 cf1:p{i} reward:{i % 2}")));

    [Fact]
    public void Reads_rows_spread_over_the_file_with_integer_columns_and_defaults()
    {
        string file = Write(temp["ints.parquet"],
        [
            Values<long>("list_id", 7, 8, 7, 7),
            StringLists("cf_tags", ["a", "b"], null, ["c", "c"], ["d"]),
            Values<int>("position", 3, 1, 1, 2),
            Values<double>("reward", 1, 0, 0, 0.5),
            Values<int>("df_movie", 30, 80, 10, 20),
            Nullables<long>("uf_age", 25, 40, 25, null),
        ]);

        var data = ParquetListReader.Read(file, Defaults);

        Assert.Equal([new FieldSpec("age", FieldGroup.User), new FieldSpec("movie", FieldGroup.Item), new FieldSpec("tags", FieldGroup.Context)],
                     data.Schema.Fields);
        Assert.Equal(["7", "8"], data.Lists.Select(l => l.ListId));
        var seven = data.Lists[0];
        Assert.Equal(("25", 0L), (seven.UserKey, seven.Timestamp)); // first user field of position 1; first row index
        Assert.Equal(["10", "20", "30"], seven.Items.Select(i => i.ItemKey));
        Assert.Equal([0f, 0.5f, 1f], seven.Items.Select(i => i.Reward));
        Assert.Equal([["25"], ["10"], ["c"]], seven.Items[0].Values);
        Assert.Equal([[LoggedItem.Missing], ["20"], ["d"]], seven.Items[1].Values);
        Assert.Equal([["25"], ["30"], ["a", "b"]], seven.Items[2].Values);
        var eight = data.Lists[1];
        Assert.Equal(("40", 1L, "80"), (eight.UserKey, eight.Timestamp, eight.Items[0].ItemKey));
        Assert.Equal([LoggedItem.Missing], Field(data, eight.Items[0], "tags"));
        Assert.Equal((2, 4, 2, 0), (data.Report.ListsRead, data.Report.ItemsRead, data.Report.ShortLists, data.Report.ListsSplit));
    }

    [Fact]
    public void Uses_explicit_keys_and_timestamps_and_the_list_id_when_there_is_no_user_field()
    {
        string explicitKeys = Write(temp["keys.parquet"],
        [
            Strings("list_id", "x", "x"),
            Values<long>("position", 20, 10),
            Values<float>("reward", 1, 0),
            Strings("user_key", "alice", null),
            Values<long>("timestamp", 1234, 1234),
            Strings("item_key", "A", "B"),
            Strings("df_title", "t1", "t2"),
        ]);
        string noUser = Write(temp["nouser.parquet"],
            [Strings("list_id", "x"), Values<int>("position", 1), Values<float>("reward", 1), Int32Lists("df_codes", [3, 4])]);

        var keyed = ParquetListReader.Read(explicitKeys, Defaults).Lists.Single();
        var anonymous = ParquetListReader.Read(noUser, Defaults).Lists.Single();

        Assert.Equal(("alice", 1234L), (keyed.UserKey, keyed.Timestamp));
        Assert.Equal(["B", "A"], keyed.Items.Select(i => i.ItemKey));
        Assert.Equal(("x", "3,4"), (anonymous.UserKey, anonymous.Items[0].ItemKey));
    }

    [Fact]
    public void Reference_tsv_round_trips_through_parquet_exactly()
    {
        var original = ReferenceTsvReader.Read(WriteTsv(), Defaults);
        Assert.Equal(["a", "b", "c", "c#2"], original.Lists.Select(l => l.ListId));
        string file = temp["lists.parquet"];

        ParquetListWriter.Write(original, file, rowsPerGroup: 2); // several row groups
        var copy = ParquetListReader.Read(file, Defaults);

        SameLists(original, copy);
        Assert.Equal(["lists.parquet", "source.tsv"], temp.Entries()); // no temporary file left behind
        Assert.Equal((4, 15, 0, 3), (copy.Report.ListsRead, copy.Report.ItemsRead, copy.Report.ListsSplit, copy.Report.ShortLists));
    }

    [Fact]
    public void Reading_with_a_smaller_maximum_cuts_the_stored_lists()
    {
        var original = ReferenceTsvReader.Read(WriteTsv(), Defaults);
        string file = temp["lists.parquet"];
        ParquetListWriter.Write(original, file);

        var copy = ParquetListReader.Read(file, new ReadOptions { MaxListLength = 4 });

        // a (2 items), b (1), the stored c (10) cut into 4 + 4 + 2, the stored c#2 (2) kept; every id once
        Assert.Equal([2, 1, 4, 4, 2, 2], copy.Lists.Select(l => l.Items.Count));
        var ids = copy.Lists.Select(l => l.ListId).ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal(1, copy.Report.ListsSplit);
    }

    [Fact]
    public void Cut_parts_skip_names_the_file_already_uses_so_list_ids_stay_unique()
    {
        var original = ReferenceTsvReader.Read(WriteTsv(), Defaults); // "c" (10 items) and "c#2" (2 items)
        string file = temp["lists.parquet"];
        ParquetListWriter.Write(original, file);

        var copy = ParquetListReader.Read(file, new ReadOptions { MaxListLength = 4 });

        // "c#2" is taken by the stored list, so c's parts are c, c#3, c#4; the stored c#2 keeps its name and items.
        Assert.Equal(["a", "b", "c", "c#3", "c#4", "c#2"], copy.Lists.Select(l => l.ListId));
        Assert.Equal(["m1", "m5", "m9", "m11"], copy.Lists.Skip(2).Select(l => l.Items[0].ItemKey));
        Assert.Equal([4, 4, 2, 2], copy.Lists.Skip(2).Select(l => l.Items.Count));
    }

    [MovieLensFact]
    public void MovieLens_round_trips_through_parquet_exactly()
    {
        string folder = SharedData.MovieLens100K;
        var original = MovieLensReader.Read(folder, Defaults);
        string file = temp["ml.parquet"];

        ParquetListWriter.Write(original, file);
        var copy = ParquetListReader.Read(file, Defaults);

        SameLists(original, copy);
    }

    [Fact]
    public void A_failed_write_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        string file = temp.Write("out.parquet", "old content");
        var schema = new ListSchema([new FieldSpec("item", FieldGroup.Item)]);
        var broken = new ListDataset(schema, [new LoggedList("l", "u", 0, [new LoggedItem("i", [["i"], ["extra"]], 1)])], "test");

        var e = Assert.Throws<ArgumentException>(() => ParquetListWriter.Write(broken, file));

        Assert.Contains("2 field values but the schema has 1", e.Message);
        Assert.Equal("old content\n", File.ReadAllText(file));
        Assert.Equal(["out.parquet"], temp.Entries());
    }

    [Fact]
    public void Not_a_parquet_file_is_a_format_error()
    {
        string text = temp.Write("text.parquet", "list_id,position,reward", "a,1,1");

        Malformed(() => ParquetListReader.Read(text, Defaults), text, "file", "not a readable Parquet file");
    }

    [Fact]
    public void A_truncated_file_is_a_format_error()
    {
        string file = temp["cut.parquet"];
        ParquetListWriter.Write(ReferenceTsvReader.Read(WriteTsv(), Defaults), file);
        byte[] bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);

        Malformed(() => ParquetListReader.Read(file, Defaults), file, "file", "not a readable Parquet file");
    }

    public static TheoryData<string, string> SchemaProblems => new()
    {
        { "missing", "column 'reward' is missing" },
        { "string-reward", "column 'reward' must be float or double, found string" },
        { "list-position", "column 'position' must be int32 or int64, found list of int32" },
        { "bool-field", "column 'df_flag' must be string, int32, int64, a list of strings (categorical) or float, double (dense), found" },
        { "no-item", "no item field column (df_<name>)" },
        { "unknown", "unknown column 'score'" },
        { "same-name", "field 'a' appears twice" },
    };

    [Theory]
    [MemberData(nameof(SchemaProblems))]
    public void Schema_problems_name_the_column(string shape, string problem)
    {
        Column[] columns = shape switch
        {
            "missing" => [Strings("list_id", "a"), Values<int>("position", 1), Strings("df_m", "x")],
            "string-reward" => [Strings("list_id", "a"), Values<int>("position", 1), Strings("reward", "1"), Strings("df_m", "x")],
            "list-position" => [Strings("list_id", "a"), Int32Lists("position", [1]), Values<float>("reward", 1), Strings("df_m", "x")],
            "bool-field" => [Strings("list_id", "a"), Values<int>("position", 1), Values<float>("reward", 1), Values<bool>("df_flag", true)],
            "no-item" => [Strings("list_id", "a"), Values<int>("position", 1), Values<float>("reward", 1), Strings("uf_u", "x")],
            "unknown" => [Strings("list_id", "a"), Values<int>("position", 1), Values<float>("reward", 1), Strings("df_m", "x"),
                          Values<int>("score", 3)],
            "same-name" => [Strings("list_id", "a"), Values<int>("position", 1), Values<float>("reward", 1), Strings("df_a", "x"),
                            Strings("cf_a", "y")],
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };
        string file = Write(temp[$"{shape}.parquet"], columns);

        Malformed(() => ParquetListReader.Read(file, Defaults), file, "file", problem);
    }

    [Fact]
    public void A_duplicate_position_names_the_second_row()
    {
        string file = Write(temp["dup.parquet"],
            [Strings("list_id", "a", "b", "a"), Values<int>("position", 1, 1, 1), Values<float>("reward", 1, 0, 0), Strings("df_m", "x", "y", "z")]);

        Malformed(() => ParquetListReader.Read(file, Defaults), file, "row group 0, row 2",
                  "list 'a': column 'position' value 1 appears twice (also at row group 0, row 0)");
    }

    [Fact]
    public void Null_required_values_name_the_row_group_and_row()
    {
        Column[] Group(string?[] ids, float?[] rewards) =>
            [Strings("list_id", ids), Values<int>("position", Enumerable.Range(1, ids.Length).ToArray()), Nullables("reward", rewards),
             Strings("df_m", ids.Select(_ => "x").ToArray())];
        string nullId = Write(temp["null-id.parquet"], Group(["a", null], [1, 0]));
        string nullReward = Write(temp["null-reward.parquet"], Group(["a", "a"], [1, 0]), Group(["b"], [null]));
        string infinite = Write(temp["inf.parquet"], Group(["a", "a"], [1, float.PositiveInfinity]));

        Malformed(() => ParquetListReader.Read(nullId, Defaults), nullId, "row group 0, row 1", "column 'list_id' is null");
        Malformed(() => ParquetListReader.Read(nullReward, Defaults), nullReward, "row group 1, row 0", "column 'reward' is null");
        Malformed(() => ParquetListReader.Read(infinite, Defaults), infinite, "row group 0, row 1", "column 'reward' must be a finite float");
    }

    [Fact]
    public void A_list_has_one_user_key()
    {
        string file = Write(temp["users.parquet"],
            [Strings("list_id", "a", "a"), Values<int>("position", 1, 2), Values<float>("reward", 1, 0), Strings("user_key", "u", "v"),
             Strings("df_m", "x", "y")]);

        Malformed(() => ParquetListReader.Read(file, Defaults), file, "row group 0, row 1",
                  "list 'a': column 'user_key' is 'v' here but 'u' at row group 0, row 0");
    }

    [Fact]
    public void Skipping_bad_records_drops_bad_rows_and_lists_with_duplicate_positions()
    {
        string file = Write(temp["mixed.parquet"],
        [
            Strings("list_id", "good", "dup", "good", "dup", "good"),
            Values<int>("position", 1, 1, 2, 1, 3),
            Nullables<double>("reward", 1, 0, null, 0, 0),
            Strings("df_m", "g1", "d1", "g2", "d2", "g3"),
        ]);

        var data = ParquetListReader.Read(file, Defaults with { SkipBadRecords = true });

        Assert.Equal(["good"], data.Lists.Select(l => l.ListId));
        Assert.Equal(["g1", "g3"], data.Lists[0].Items.Select(i => i.ItemKey));
        Assert.Equal(2, data.Report.RecordsSkipped);
        Assert.Contains("row group 0, row 2", data.Report.SkippedExamples[0]);
        Assert.Contains("row group 0, row 3", data.Report.SkippedExamples[1]);
    }

    [Fact]
    public void A_missing_file_is_not_found()
    {
        Assert.Throws<FileNotFoundException>(() => ParquetListReader.Read(temp["nope.parquet"], Defaults));
    }

    [Fact]
    public void Float_and_double_field_columns_are_dense_fields_with_null_as_missing_and_round_trip()
    {
        string file = Write(temp["dense.parquet"],
        [
            Strings("list_id", "a", "a", "b"),
            Values<int>("position", 1, 2, 1),
            Values<float>("reward", 1, 0, 1),
            Strings("df_item", "x", "y", "z"),
            Nullables<double>("df_score", 0.5, null, -2),
            Values<float>("cf_load", 3, 3, 1.5f),
        ]);

        var data = ParquetListReader.Read(file, Defaults);

        Assert.Equal([FieldKind.Categorical, FieldKind.Dense, FieldKind.Dense], data.Schema.Fields.Select(f => f.Kind));
        Assert.Equal(["0.5"], Field(data, data.Lists[0].Items[0], "score"));
        Assert.Equal([LoggedItem.Missing], Field(data, data.Lists[0].Items[1], "score"));
        Assert.Equal(["1.5"], Field(data, data.Lists[1].Items[0], "load"));

        string copy = temp["dense-copy.parquet"];
        ParquetListWriter.Write(data, copy);
        var again = ParquetListReader.Read(copy, Defaults);
        Assert.Equal(data.Schema.Fields, again.Schema.Fields);
        SameLists(data, again);
    }

    [Fact]
    public void A_non_finite_number_in_a_dense_column_names_the_row_and_column()
    {
        string file = Write(temp["nan.parquet"],
        [
            Strings("list_id", "a", "a"), Values<int>("position", 1, 2), Values<float>("reward", 1, 0),
            Strings("df_item", "x", "y"), Values<double>("df_score", 1, double.NaN),
        ]);
        var e = Assert.Throws<DataFormatException>(() => ParquetListReader.Read(file, Defaults));
        Assert.Contains("df_score", e.Problem);
        Assert.Contains("finite", e.Problem);
        Assert.Contains("row 1", e.Location);
    }
}
