using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Testing;
using Drlrec.Tests.Support;
using static Drlrec.Tests.Data.ParquetTestFiles;

namespace Drlrec.Tests.Data;

public sealed class ParquetPartsTests : IDisposable
{
    private readonly TemporaryFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>The lists written as parts of 7 lists in row groups of 3, named so that natural and ordinal order differ.</summary>
    private string WriteParts(ListDataset data, string name = "parts")
    {
        string dir = folder[name];
        Directory.CreateDirectory(dir);
        var chunks = data.Lists.Chunk(7).ToList();
        for (int p = 0; p < chunks.Count; p++)
            ParquetListWriter.WriteRowGroups(data.Schema, chunks[p].Chunk(3), Path.Combine(dir, $"part-{p}.parquet"));
        return dir;
    }

    [Fact]
    public void A_folder_of_parts_and_a_pattern_read_as_the_single_file_with_the_same_rows()
    {
        var lists = ToyData.DenseLists(40);
        string single = folder["all.parquet"];
        ParquetListWriter.Write(lists, single);
        string parts = WriteParts(lists); // part-0 .. part-5: part-10 would sort before part-2 by ordinal order

        var expected = DataSources.Load(single, new ReadOptions());
        DatasetAssert.SameLists(expected, DataSources.Load(parts, new ReadOptions()));
        DatasetAssert.SameLists(expected, DataSources.Load(Path.Combine(parts, "part-*.parquet"), new ReadOptions()));
        Assert.Equal(parts, DataSources.Load(parts, new ReadOptions()).Source);
    }

    [Fact]
    public void Parts_are_read_in_natural_order_of_their_names()
    {
        string dir = folder["natural"];
        Directory.CreateDirectory(dir);
        foreach (string name in new[] { "part-10.parquet", "part-2.parquet", "part-1.parquet", "notes.txt" })
            File.WriteAllText(Path.Combine(dir, name), "");

        Assert.Equal(["part-1.parquet", "part-2.parquet", "part-10.parquet"], ParquetParts.Files(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_folder_without_parquet_files_and_a_pattern_that_matches_none_are_clear_errors()
    {
        string empty = folder["empty"];
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "");

        var fromFolder = Assert.Throws<FileNotFoundException>(() => DataSources.Load(empty, new ReadOptions()));
        Assert.Contains($"folder '{empty}'", fromFolder.Message);
        Assert.Contains("no Parquet part file (*.parquet)", fromFolder.Message);
        var fromPattern = Assert.Throws<FileNotFoundException>(() => DataSources.Load(Path.Combine(empty, "part-*.parquet"), new ReadOptions()));
        Assert.Contains("matches no Parquet file", fromPattern.Message);
    }

    [Fact]
    public void Parts_with_different_columns_are_refused_naming_the_part_that_differs()
    {
        string dir = folder["mixed"];
        Directory.CreateDirectory(dir);
        Write(Path.Combine(dir, "part-0.parquet"),
            [Strings("list_id", "a", "a"), Values("position", 1, 2), Values("reward", 1f, 0f), Strings("df_item", "x", "y")]);
        string second = Write(Path.Combine(dir, "part-1.parquet"),
            [Strings("list_id", "b"), Values("position", 1), Values("reward", 1f), Strings("df_item", "x"), Strings("uf_user", "u")]);

        var e = DatasetAssert.Malformed(() => DataSources.Load(dir, new ReadOptions()), second, "file",
            "differ from those of the first part", "uf_user");
        Assert.Contains("part-0.parquet", e.Problem);
    }

    [Fact]
    public void Streaming_refuses_a_list_whose_rows_span_two_row_groups_naming_the_file_and_row_group()
    {
        string file = Write(folder["split.parquet"],
            [Strings("list_id", "a", "b"), Values("position", 1, 1), Values("reward", 1f, 0f), Strings("df_item", "x", "y")],
            [Strings("list_id", "a", "c"), Values("position", 2, 1), Values("reward", 0f, 1f), Strings("df_item", "z", "x")]);
        var config = new Drlrec.Configuration.RunConfig { Data = new() { Source = file, Streaming = Drlrec.Configuration.StreamingMode.On } };

        DatasetAssert.Malformed(() => StreamingData.Prepare(config), file, "row group 1",
            "list 'a' has rows in an earlier row group", "one row group");
    }
}
