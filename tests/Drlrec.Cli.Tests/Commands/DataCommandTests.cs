using System.CommandLine;
using Spectre.Console;
using Drlrec.Cli.Commands;
using Drlrec.Cli.Output;
using Drlrec.Cli.Tests.Support;
using Drlrec.Data;
using Drlrec.Testing;


namespace Drlrec.Cli.Tests.Commands;

/// <summary>Tests that swap the process-wide <see cref="AnsiConsole.Console"/> run alone, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "process-wide console";
}

[Collection(ConsoleCollection.Name)]
public sealed class DataCommandTests : IDisposable
{
    private readonly TemporaryFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static CliResult Run(params string[] args) => CliRunner.Run(args);


    private string WriteTsv(string name = "lists.tsv", params string[] extraLines)
    {
        string Items(string user, int count, int first) => string.Join('|',
            Enumerable.Range(first, count).Select(i => $"uf1:{user} df1:m{i} df2:g{i % 3},g{i % 2} cf1:p reward:{i % 2}"));
        return folder.Write(name, [$"sid:long\toffset:0\trec_list:{Items("u1", 12, 1)}", $"sid:short\toffset:1\trec_list:{Items("u2", 2, 20)}", .. extraLines]);
    }

    [Fact]
    public void Convert_writes_a_parquet_file_that_reads_back_the_same_lists()
    {
        string source = WriteTsv();
        string target = Path.Combine(folder["out"], "lists.parquet");

        var (code, output) = Run("data", "convert", source, "--out", target, "--max-list-length", "5");

        Assert.Equal(0, code);
        Assert.Contains($"wrote 4 lists, 14 items to {target}", output);
        Assert.Contains("short lists 2, lists split 1, records skipped 0", output);
        var expected = ReferenceTsvReader.Read(source, new ReadOptions { MaxListLength = 5 });
        var written = ParquetListReader.Read(target, new ReadOptions { MaxListLength = 5 });
        Assert.Equal(["long", "long#2", "long#3", "short"], written.Lists.Select(l => l.ListId));
        Assert.Equal(expected.Lists.SelectMany(l => l.Items).Select(i => (i.ItemKey, i.Reward, string.Join(';', i.Values.Select(v => string.Join(',', v))))),
                     written.Lists.SelectMany(l => l.Items).Select(i => (i.ItemKey, i.Reward, string.Join(';', i.Values.Select(v => string.Join(',', v))))));
        Assert.Equal(["lists.parquet"], Directory.GetFileSystemEntries(folder["out"]).Select(Path.GetFileName));
    }

    [Fact]
    public void Convert_of_bad_input_fails_with_the_place_and_writes_nothing()
    {
        string source = WriteTsv("bad.tsv", "sid:x\toffset:2\trec_list:uf1:u df1:m reward:NaN");
        string target = folder["lists.parquet"];

        var (code, output, errors) = Run("data", "convert", source, "--out", target);

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: ", errors);
        Assert.Contains($"{source}: line 3: item 1: key 'reward' must be a finite number, found 'NaN'", errors);
        Assert.False(File.Exists(target));
        Assert.Equal(["bad.tsv"], folder.Entries());
    }

    [Fact]
    public void Convert_can_skip_bad_records_and_says_so()
    {
        string source = WriteTsv("bad.tsv", "sid:x\toffset:2\trec_list:uf1:u df1:m reward:NaN");
        string target = folder["lists.parquet"];

        var (code, output) = Run("data", "convert", source, "--out", target, "--skip-bad-records");

        Assert.Equal(0, code);
        Assert.Contains("wrote 3 lists, 14 items", output);
        Assert.Contains("records skipped 1", output);
        Assert.Contains("skipped: ", output);
        Assert.Contains("line 3", output);
        Assert.Equal(3, ParquetListReader.Read(target, new ReadOptions()).Lists.Count);
    }

    [Fact]
    public void Convert_needs_a_parquet_target()
    {
        string source = WriteTsv();

        var (code, _, errors) = Run("data", "convert", source, "--out", folder["lists.csv"]);
        var missing = Run("data", "convert", source);

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Contains("--out must name a .parquet file", errors);
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("--out", missing.Errors);
        Assert.Equal(["lists.tsv"], folder.Entries());
    }

    [Fact]
    public void A_list_length_below_one_is_refused_by_the_parser()
    {
        var (code, _, error) = Run("data", "inspect", WriteTsv(), "--max-list-length", "0");

        Assert.NotEqual(0, code);
        Assert.Contains("--max-list-length must be at least 1", error);
    }

    [Fact]
    public void Inspect_prints_the_summary()
    {
        var (code, output) = Run("data", "inspect", WriteTsv(), "--max-list-length", "5");

        Assert.Equal(0, code);
        string[] rows = output.Split('\n');
        Assert.Contains(rows, r => r.Contains("user fields") && r.Contains("uf1"));
        Assert.Contains(rows, r => r.Contains("item fields") && r.Contains("df1, df2"));
        Assert.Contains(rows, r => r.Contains("lists ") && r.Contains(" 4 "));
        Assert.Contains(rows, r => r.Contains("items ") && r.Contains(" 14 "));
        Assert.Contains(rows, r => r.Contains("positive rate") && r.Contains("0.5000"));
        Assert.Contains(rows, r => r.Contains("lists split") && r.Contains(" 1 "));
    }

    [MovieLensFact]
    public void Inspect_reads_the_shared_movielens_copy()
    {
        string movieLens = SharedData.MovieLens100K;

        var (code, output) = Run("data", "inspect", movieLens);

        Assert.Equal(0, code);
        Assert.Contains(output.Split('\n'), r => r.Contains("items ") && r.Contains("100,000"));
        Assert.Contains(output.Split('\n'), r => r.Contains("users ") && r.Contains("943"));
        Assert.Contains(output.Split('\n'), r => r.Contains("context fields") && r.Contains("position, weekday, hour"));
    }

    [Fact]
    public void Inspect_of_a_missing_source_lists_the_accepted_forms()
    {
        var (code, _, errors) = Run("data", "inspect", folder["missing.parquet"]);

        Assert.Equal(CliErrors.BadInput, code);
        Assert.StartsWith("error: ", errors);
        Assert.Contains("not found", errors);
        Assert.Contains("synthetic", errors);
    }

    [Fact]
    public void A_custom_loader_can_answer_sources_before_the_files_are_looked_at()
    {
        var schema = new ListSchema([new FieldSpec("item", FieldGroup.Item)]);
        var synthetic = new ListDataset(schema, [new LoggedList("l", "u", 0, [new LoggedItem("i", [["i"]], 1)])], "synthetic");
        var root = new RootCommand();
        root.Subcommands.Add(DataCommand.Create((spec, options) => spec == "synthetic" ? synthetic : DataSources.Load(spec, options)));
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No });
        try
        {
            Assert.Equal(0, root.Parse(["data", "inspect", "synthetic"]).Invoke());
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
        Assert.Contains("synthetic", writer.ToString());
        Assert.Contains("1.0000", writer.ToString());
    }

    [Fact]
    public void Help_shows_every_default()
    {
        var convert = Run("data", "convert", "--help");
        var inspect = Run("data", "inspect", "--help");
        var download = Run("data", "download", "--help");

        Assert.Equal(0, convert.Code);
        Assert.Contains("--max-list-length", convert.Output);
        Assert.Contains("[default: 10]", convert.Output);
        Assert.Contains("--skip-bad-records", convert.Output);
        Assert.Contains("--out <out> (REQUIRED)", convert.Output);
        Assert.Contains("[default: 10]", inspect.Output);
        Assert.Contains("[default: ./data]", download.Output);
        Assert.Contains("[default: https://files.grouplens.org/datasets/movielens/ml-100k.zip]", download.Output);
    }

    [MovieLensFact]
    public void Download_installs_a_verified_copy_from_the_given_url()
    {
        string movieLens = SharedData.MovieLens100K;
        using var server = new LoopbackHttpServer(new() { ["/ml-100k.zip"] = MovieLensArchive.Zip(movieLens) });
        string target = folder["data"];

        var (code, output) = Run("data", "download", "movielens-100k", "--out", target, "--url", server.UrlOf("ml-100k.zip").ToString());

        Assert.Equal(0, code);
        Assert.Contains($"MovieLens-100K verified and installed in {Path.Combine(target, "ml-100k")}", output);
        Assert.Equal(100_000, DataSources.Load(target, new ReadOptions()).ItemCount);
    }

    [Fact]
    public void Download_failures_exit_with_the_reason_and_leave_nothing()
    {
        using var server = new LoopbackHttpServer([]);
        string target = folder["data"];

        var (code, _, errors) = Run("data", "download", "movielens-100k", "--out", target, "--url", server.UrlOf("ml-100k.zip").ToString());
        var unknown = Run("data", "download", "movielens-1m");
        var badUrl = Run("data", "download", "movielens-100k", "--url", "ftp://example.org/x.zip");

        Assert.Equal(CliErrors.BadInput, code);
        Assert.StartsWith("error: ", errors);
        Assert.Contains("HTTP 404", errors);
        Assert.False(Directory.Exists(target));
        Assert.NotEqual(0, unknown.Code);
        Assert.Contains("movielens-100k", unknown.Errors);
        Assert.NotEqual(0, badUrl.Code);
        Assert.Contains("--url must be an absolute http or https address", badUrl.Errors);
    }
}
