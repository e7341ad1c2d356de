using Drlrec.Data;
using Drlrec.Testing;

namespace Drlrec.Tests.Data;

public sealed class DataSourcesTests : IDisposable
{
    private readonly TemporaryFolder temp = new();
    private static readonly ReadOptions Defaults = new();

    public void Dispose() => temp.Dispose();

    private const string TsvLine = "sid:s\toffset:0\trec_list:uf1:u df1:a cf1:c reward:1|uf1:u df1:b cf1:c reward:0";

    [Fact]
    public void Picks_the_reader_from_what_the_path_is()
    {
        string tsv = temp.Write("lists.tsv", TsvLine);
        string txt = temp.Write("lists.txt", TsvLine);
        string parquet = temp["lists.parquet"];
        ParquetListWriter.Write(ReferenceTsvReader.Read(tsv, Defaults), parquet);
        string movieLens = MovieLensSample.Write(temp["ml"]);
        string downloaded = MovieLensSample.Write(Path.Combine(temp["data"], "ml-100k"));

        Assert.Equal(["uf1", "df1", "cf1"], DataSources.Load(tsv, Defaults).Schema.Fields.Select(f => f.Name));
        Assert.Equal(2, DataSources.Load(txt, Defaults).ItemCount);
        Assert.Equal(parquet, DataSources.Load(parquet, Defaults).Source);
        Assert.Equal(movieLens, DataSources.Load(movieLens, Defaults).Source);
        Assert.Equal(downloaded, DataSources.Load(temp["data"], Defaults).Source); // the folder download fills
        Assert.Equal(3, DataSources.Load(movieLens, new ReadOptions { MaxListLength = 2 }).Lists.Count);
    }

    [Fact]
    public void A_missing_source_lists_the_accepted_forms()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DataSources.Load(temp["nothing.tsv"], Defaults));

        Assert.Contains("nothing.tsv", e.Message);
        Assert.Contains("MovieLens-100K folder", e.Message);
        Assert.Contains("*.parquet", e.Message);
        Assert.Contains("synthetic", e.Message);
    }

    [Fact]
    public void A_folder_without_movielens_files_or_an_unknown_extension_is_refused()
    {
        Directory.CreateDirectory(temp["empty"]);
        string csv = temp.Write("lists.csv", "a,b");

        Assert.Contains("holds no MovieLens u.data", Assert.Throws<FileNotFoundException>(() => DataSources.Load(temp["empty"], Defaults)).Message);
        Assert.Contains("extension '.csv'", Assert.Throws<ArgumentException>(() => DataSources.Load(csv, Defaults)).Message);
    }

    [Fact]
    public void Describe_summarises_schema_sizes_and_report()
    {
        string tsv = temp.Write("lists.tsv", TsvLine, "garbage");
        var data = DataSources.Load(tsv, new ReadOptions { SkipBadRecords = true });

        string[] lines = DataSources.Describe(data).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains(lines, l => l.StartsWith("source") && l.EndsWith(tsv));
        Assert.Contains(lines, l => l.StartsWith("user fields") && l.EndsWith("uf1"));
        Assert.Contains(lines, l => l.StartsWith("item fields") && l.EndsWith("df1"));
        Assert.Contains(lines, l => l.StartsWith("context fields") && l.EndsWith("cf1"));
        Assert.Contains(lines, l => l.StartsWith("lists") && l.EndsWith(" 1"));
        Assert.Contains(lines, l => l.StartsWith("items") && l.EndsWith(" 2"));
        Assert.Contains(lines, l => l.StartsWith("positive rate") && l.EndsWith("0.5000"));
        Assert.Contains(lines, l => l.StartsWith("users") && l.EndsWith(" 1"));
        Assert.Contains(lines, l => l.StartsWith("distinct items") && l.EndsWith(" 2"));
        Assert.Contains(lines, l => l.StartsWith("short lists") && l.EndsWith(" 1"));
        Assert.Contains(lines, l => l.StartsWith("records skipped") && l.EndsWith(" 1"));
        Assert.Contains(lines, l => l.StartsWith("skipped") && l.Contains("line 2"));
    }
}
