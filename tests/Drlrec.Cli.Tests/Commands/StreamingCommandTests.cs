using System.CommandLine;
using System.Text.Json;
using Drlrec.Cli.Tests.Support;
using Drlrec.Data;
using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Commands;

/// <summary><c>data generate</c>, and <c>train</c>/<c>distill</c> with <c>--streaming</c>, as real command lines.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class StreamingCommandTests : IDisposable
{
    private readonly TemporaryFolder folder = new();

    public void Dispose() => folder.Dispose();

    private string Generate(int lists = 600)
    {
        string target = folder["gen"];
        var (code, output) = CliRunner.Run("data", "generate", "--lists", $"{lists}", "--out", target, "--lists-per-file", "250",
            "--lists-per-row-group", "50", "--users", "150", "--items", "1000", "--seed", "4");
        Assert.True(code == 0, output);
        return target;
    }

    [Fact]
    public void Generate_writes_part_files_with_the_requested_counts()
    {
        string target = folder["gen"];
        var (code, output) = CliRunner.Run("data", "generate", "--lists", "600", "--out", target, "--lists-per-file", "250",
            "--lists-per-row-group", "50", "--users", "150", "--items", "1000", "--seed", "4");

        Assert.True(code == 0, output);
        Assert.Contains($"wrote 600 lists in 3 part files to {target}", output);
        Assert.Equal(["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"], Directory.GetFiles(target).Order().Select(Path.GetFileName));
        var read = DataSources.Load(target, new ReadOptions());
        Assert.Equal(600, read.Lists.Count);
        Assert.Equal(Enumerable.Range(0, 600).Select(i => $"r{i}"), read.Lists.Select(l => l.ListId).Order(NaturalStringComparer.Instance));
        using var first = ParquetListReader.ParquetListFile.Open(Path.Combine(target, "part-00000.parquet"));
        Assert.Equal(5, first.RowGroupCount);
    }

    [Fact]
    public void Generate_takes_a_world_file_and_an_exit_world_logs_the_same_lists_with_clicks_cut_after_exits()
    {
        string world = folder.Write("exit.json", """{ "seed": 4, "users": 150, "items": 1000, "exit": 1.5 }""");
        string target = folder["exit"];
        var (code, output) = CliRunner.Run("data", "generate", "--lists", "300", "--out", target, "--synthetic", world);
        Assert.True(code == 0, output);
        string plain = folder["plain"];
        (code, output) = CliRunner.Run("data", "generate", "--lists", "300", "--out", plain, "--users", "150", "--items", "1000", "--seed", "4");
        Assert.True(code == 0, output);
        var exit = DataSources.Load(target, new ReadOptions()).Lists.OrderBy(l => l.ListId, NaturalStringComparer.Instance).ToList();
        var today = DataSources.Load(plain, new ReadOptions()).Lists.OrderBy(l => l.ListId, NaturalStringComparer.Instance).ToList();
        Assert.Equal(today.Select(l => string.Join(",", l.Items.Select(i => i.ItemKey))), exit.Select(l => string.Join(",", l.Items.Select(i => i.ItemKey))));
        Assert.True(exit.Sum(l => l.Items.Sum(i => i.Reward)) < 0.9 * today.Sum(l => l.Items.Sum(i => i.Reward)));

        // A typed option overrides the file.
        (code, output) = CliRunner.Run("data", "generate", "--lists", "5", "--out", folder["typed"], "--synthetic", world, "--users", "20");
        Assert.True(code == 0, output);
        Assert.All(DataSources.Load(folder["typed"], new ReadOptions()).Lists, l => Assert.InRange(int.Parse(l.UserKey[1..]), 0, 19));
    }

    [Fact]
    public void Generate_into_a_folder_with_parquet_files_fails_with_exit_code_1_and_writes_nothing()
    {
        string target = Generate(100);
        var (code, _, errors) = CliRunner.Run("data", "generate", "--lists", "10", "--out", target);

        Assert.Equal(1, code);
        Assert.Contains("already holds Parquet files", errors);
        Assert.Single(Directory.GetFiles(target));
    }

    [Fact]
    public void Train_streams_a_generated_folder_and_records_the_streaming_settings_in_config_json()
    {
        string data = Generate();
        string run = folder["run"];

        var (code, output) = CliRunner.Run("train", "--role", "student", "--data", data, "--streaming", "on", "--epochs", "1",
            "--max-steps-per-epoch", "4", "--threads", "1", "--out", run);

        Assert.True(code == 0, output);
        Assert.Contains("(streamed: 3 files, 12 row groups", output);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        var dataConfig = config.RootElement.GetProperty("data");
        Assert.Equal("on", dataConfig.GetProperty("streaming").GetString());
        Assert.Equal(20_000, dataConfig.GetProperty("max_eval_lists").GetInt32());
        Assert.Equal(20_000, dataConfig.GetProperty("shuffle_buffer").GetInt32());
        Assert.Equal(4, config.RootElement.GetProperty("trainer").GetProperty("max_steps_per_epoch").GetInt32());
        var metrics = JsonDocument.Parse(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Single());
        Assert.Equal(4, metrics.RootElement.GetProperty("steps").GetInt64());
    }

    /// <summary>
    /// <c>data prepare</c> makes the prepared-data cache; <c>train</c> and <c>distill</c> with the same data settings read it
    /// (both passes skipped, said in the log); distill streams with the teacher's vocabulary; a touched part file makes
    /// the next run prepare again.
    /// </summary>
    [Fact]
    public void Data_prepare_makes_what_train_and_a_streamed_distill_read_and_a_touched_part_makes_it_prepare_again()
    {
        string data = Generate(300);
        var (code, output) = CliRunner.Run("data", "prepare", "--data", data);
        Assert.True(code == 0, output);
        Assert.Contains("pass 1", output);
        Assert.Contains("prepared data written to", output);
        Assert.Single(Directory.GetFiles(Path.Combine(data, ".drlrec-prepared")));

        string teacher = folder["teacher"];
        (code, output) = CliRunner.Run("train", "--data", data, "--streaming", "on", "--epochs", "1", "--max-steps-per-epoch", "2", "--threads", "1",
            "--out", teacher);
        Assert.True(code == 0, output);
        Assert.Contains("both passes skipped", output);

        string student = folder["student"];
        (code, output) = CliRunner.Run("distill", "--teacher", teacher, "--streaming", "on", "--epochs", "1", "--max-steps-per-epoch", "3",
            "--pool", "50", "--out", student);
        Assert.True(code == 0, output);
        Assert.Contains("both passes skipped", output);
        Assert.Contains("teacher on the same test split", output);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(student, "config.json"))))
            Assert.Equal("on", config.RootElement.GetProperty("data").GetProperty("streaming").GetString());
        using (var metrics = JsonDocument.Parse(File.ReadAllLines(Path.Combine(student, "metrics.jsonl")).Single()))
            Assert.Equal(3, metrics.RootElement.GetProperty("steps").GetInt64());

        string part = Directory.GetFiles(data, "*.parquet").Order().First();
        File.SetLastWriteTimeUtc(part, DateTime.UtcNow.AddMinutes(1));
        (code, output) = CliRunner.Run("data", "prepare", "--data", data);
        Assert.True(code == 0, output);
        Assert.Contains("pass 1", output);
        Assert.Contains($"{Path.GetFileName(part)} changed", output.Replace("\n", " ", StringComparison.Ordinal));
        (code, output) = CliRunner.Run("data", "prepare", "--data", data);
        Assert.Contains("both passes skipped", output);
    }

    [Fact]
    public void Data_prepare_refuses_data_it_cannot_stream_and_a_cache_turned_off()
    {
        var (code, _, errors) = CliRunner.Run("data", "prepare", "--data", "synthetic");
        Assert.Equal(1, code);
        Assert.Contains("streaming reads Parquet data", errors);
        (code, _, errors) = CliRunner.Run("data", "prepare", "--data", Generate(100), "--prepared-cache", "off");
        Assert.Equal(1, code);
        Assert.Contains("nothing to keep", errors);
    }

    [Fact]
    public void Help_documents_the_streaming_options_with_their_defaults()
    {
        var writer = new StringWriter();
        DrlrecCli.BuildRoot().Parse(["train", "--help"]).Invoke(new InvocationConfiguration { Output = writer });
        string help = writer.ToString();

        Assert.Contains("--streaming", help);
        Assert.Contains("[default: auto]", help);
        Assert.Contains("256 MiB", help);
        Assert.Contains("--max-steps-per-epoch", help);
        Assert.Contains("--prepared-cache", help);

        writer = new StringWriter();
        DrlrecCli.BuildRoot().Parse(["data", "prepare", "--help"]).Invoke(new InvocationConfiguration { Output = writer });
        Assert.Contains(".drlrec-prepared folder beside the data", writer.ToString());
    }
}
