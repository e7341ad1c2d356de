using System.Text.Json;
using System.Text.Json.Nodes;
using Drlrec.Cli.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Commands;

/// <summary>
/// <c>mpiexec -n 2 drlrec distill --distributed mpi</c>: on lists in memory against one process on the same global batches
/// (exploring off, no dropout of any kind: the two differ by float rounding only); and streamed from part files whose row
/// groups divide unevenly between the ranks, where the ranks must take every collective together to the end. The tolerance is
/// <see cref="DistributedTrainTests"/>'s.
/// </summary>
public sealed class DistributedDistillTests
{
    private static string[] Distill(string teacher, string output, params string[] more) =>
        ["distill", "--teacher", teacher, "--threads", "1", "--seed", "7", "--out", output, .. more];

    [MpiFact]
    public async Task Two_ranks_distil_lists_in_memory_as_one_process_does()
    {
        using var folder = new TemporaryFolder();
        string config = folder.Write("tiny.json", """
            {"data": {"synthetic": {"users": 100, "items": 1000, "lists": 600}},
             "features": {"oov_dropout": 0},
             "model": {"embedding_dim": 4, "hint_dim": 8, "dropout": 0},
             "trainer": {"epochs": 2, "batch_size": 16}}
            """);
        Assert.Equal(0, CliRunner.Run("train", "--config", config, "--epochs", "1", "--threads", "1", "--out", folder["teacher"]).Code);
        // The student's network is the student's default (dropout 0.1), not the teacher's: its dropout is set to 0 here.
        string student = folder.Write("student.json", """{"features": {"oov_dropout": 0}, "model": {"dropout": 0}}""");
        string[] more = ["--config", student, "--no-explore-filter", "--epochs", "2"];
        using (var one = CliProcess.Start(Distill(folder["teacher"], folder["one"], more))) await one.WaitAsync();
        using var two = CliProcess.StartUnder([Mpi.Mpiexec!, "-n", "2"], Distill(folder["teacher"], folder["two"], [.. more, "--distributed", "mpi"]));
        await two.WaitAsync();

        var single = DistributedTrainTests.Metrics(folder["one"]);
        var parallel = DistributedTrainTests.Metrics(folder["two"]);
        Assert.Equal(2, single.Length);
        Assert.Equal(single.Length, parallel.Length);
        foreach (var (a, b) in single.Zip(parallel))
        {
            Assert.Equal((long)a["steps"]!, (long)b["steps"]!);
            foreach (string key in new[] { "train_loss", "val_auc", "val_gauc", "val_ndcg10" })
                DistributedTrainTests.Close((double)a[key]!, (double)b[key]!, $"epoch {a["epoch"]} {key}");
        }
        Assert.Single(two.Lines, line => line.StartsWith("wrote ", StringComparison.Ordinal));
    }

    [MpiFact]
    public async Task Bench_scale_times_distillation_steps_in_one_process_and_on_two_ranks()
    {
        using var folder = new TemporaryFolder();
        string config = folder.Write("tiny.json", """{"data": {"synthetic": {"users": 100, "items": 1000, "lists": 300}}}""");
        string json = folder["scale.json"];
        using (var scale = CliProcess.Start("bench", "scale", "--role", "distill", "--config", config, "--steps", "2", "--warmup-steps", "1",
                   "--batch-size", "8", "--json", json))
            await scale.WaitAsync(); // as its own program: bench scale starts itself again under mpiexec
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("distill", report.RootElement.GetProperty("role").GetString());
        var points = report.RootElement.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal([1, 2], points.Select(p => p.GetProperty("ranks").GetInt32()));
        Assert.All(points, p => Assert.True(p.GetProperty("list_items_per_second").GetDouble() > 0));
        Assert.Equal(2, points[1].GetProperty("peak_rss_mb_per_rank").GetArrayLength());
    }

    /// <summary>13 row groups over 2 ranks: rank 0 streams 7, rank 1 six, and a short last global batch; every step's
    /// collectives (the confidence normaliser, the explored states' offsets, the loss weights, the gradients) must still be
    /// taken by both ranks. Rank 0 alone prepares the data into the cache (the other waits and reads it) and writes the run.</summary>
    [MpiFact]
    public async Task Two_ranks_distil_streamed_row_groups_that_divide_unevenly_to_the_end()
    {
        using var folder = new TemporaryFolder();
        StreamedTeacher.Make(folder, lists: 650, listsPerFile: 300, users: 150);
        string data = folder["data"];
        Directory.Delete(Path.Combine(data, ".drlrec-prepared"), recursive: true);

        using var two = CliProcess.StartUnder([Mpi.Mpiexec!, "-n", "2"],
            Distill(folder["teacher"], folder["two"], "--streaming", "on", "--epochs", "2", "--pool", "100", "--distributed", "mpi"));
        Assert.True(await two.EndsWithin(TimeSpan.FromMinutes(4)), "the two ranks did not finish within four minutes:\n" + string.Join('\n', two.Lines));
        await two.WaitAsync();

        var metrics = DistributedTrainTests.Metrics(folder["two"]);
        Assert.Equal(2, metrics.Length);
        Assert.All(metrics, m => Assert.True((double)m["val_auc"]! > 0.55, $"validation AUC {m["val_auc"]}"));
        Assert.Equal(2, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(folder["two"], "config.json")))!["trainer"]!["world_size"]!);
        Assert.Single(Directory.GetFiles(Path.Combine(data, ".drlrec-prepared")));
        Assert.Single(two.Lines, line => line.StartsWith("prepared data written to", StringComparison.Ordinal));
        Assert.Single(two.Lines, line => line.StartsWith("wrote ", StringComparison.Ordinal));
    }
}
