using System.Text.Json.Nodes;
using Drlrec.Cli.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Commands;

/// <summary>
/// <c>mpiexec -n 2 drlrec train --distributed mpi</c> against one process on the same global batches and seed, on a tiny
/// synthetic data set (one thread per process, no dropout of any kind, so that one process and two differ by float
/// rounding only).
/// </summary>
public sealed class DistributedTrainTests
{
    /// <summary>Relative tolerance on losses and validation metrics: the two runs sum the same gradients in a different
    /// order (float rounding), and Adam carries that into the weights; measured differences are around 1e-8.</summary>
    private const double Tolerance = 1e-4;

    private static string TinyConfig(TemporaryFolder folder)
    {
        string path = folder["tiny.json"];
        File.WriteAllText(path, """
            {"data": {"synthetic": {"users": 100, "items": 1000, "lists": 600}},
             "features": {"oov_dropout": 0},
             "model": {"embedding_dim": 4, "hint_dim": 8, "dropout": 0},
             "trainer": {"epochs": 2, "batch_size": 16}}
            """);
        return path;
    }

    private static string[] Train(string config, string output, params string[] more) =>
        ["train", "--role", "student", "--config", config, "--threads", "1", "--seed", "7", "--out", output, .. more];

    internal static JsonObject[] Metrics(string folder) =>
        File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Select(line => JsonNode.Parse(line)!.AsObject()).ToArray();

    internal static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance * Math.Abs(expected), $"{what}: one process {expected}, two ranks {actual}");

    [MpiFact]
    public async Task Two_ranks_train_what_one_process_trains_and_only_rank_0_writes()
    {
        using var folder = new TemporaryFolder();
        string config = TinyConfig(folder);
        using (var one = CliProcess.Start(Train(config, folder["one"])))
            await one.WaitAsync();
        using var two = CliProcess.StartUnder([Mpi.Mpiexec!, "-n", "2"], Train(config, folder["two"], "--distributed", "mpi"));
        await two.WaitAsync();

        var single = Metrics(folder["one"]);
        var parallel = Metrics(folder["two"]);
        Assert.Equal(2, single.Length);
        Assert.Equal(single.Length, parallel.Length); // one line per epoch: one rank appended them
        foreach (var (a, b) in single.Zip(parallel))
        {
            Assert.Equal((long)a["steps"]!, (long)b["steps"]!);
            foreach (string key in new[] { "train_loss", "val_auc", "val_gauc", "val_ndcg10" })
                Close((double)a[key]!, (double)b[key]!, $"epoch {a["epoch"]} {key}");
            Assert.Equal((bool)a["improved"]!, (bool)b["improved"]!);
            Assert.Equal(0, (double)a["allreduce_ms_per_step"]!);
            Assert.True((double)b["allreduce_ms_per_step"]! > 0, "the two-rank run measured its all-reduce time");
        }

        var resolved = JsonNode.Parse(File.ReadAllText(Path.Combine(folder["two"], "config.json")))!["trainer"]!;
        Assert.Equal(2, (int)resolved["world_size"]!);
        Assert.Equal("mpi", (string)resolved["distributed"]!);
        Assert.Equal(1, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(folder["one"], "config.json")))!["trainer"]!["world_size"]!);

        // Rank 0 alone wrote the folder and printed: one TensorBoard log (each writer makes its own file), the same files
        // as the one-process run, one report.
        Assert.Single(Directory.GetFiles(folder["two"], "events.out.tfevents.*"));
        static string[] Names(string dir) => Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!)
            .Where(n => !n.StartsWith("events.out.tfevents.", StringComparison.Ordinal)).Order().ToArray();
        Assert.Equal(Names(folder["one"]), Names(folder["two"]));
        Assert.Single(two.Lines, line => line.StartsWith("wrote ", StringComparison.Ordinal));
    }

    /// <summary>Rank 0 cannot create the run folder while rank 1 goes on to its first all-reduce: rank 0 must take the job
    /// down (MPI_Abort) rather than exit and leave rank 1 waiting for ever.</summary>
    [MpiFact]
    public async Task A_rank_that_fails_ends_the_whole_job_with_its_reason()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder["file"], "a file where the run folder's parent should be");
        using var two = CliProcess.StartUnder([Mpi.Mpiexec!, "-n", "2"],
            Train(TinyConfig(folder), Path.Combine(folder["file"], "run"), "--distributed", "mpi"));
        Assert.True(await two.EndsWithin(TimeSpan.FromMinutes(2)), "the job still ran two minutes after rank 0 failed");
        // The reason, twice: the error line and the abort line (both were once lost, or cut to a bare "error:", when the abort
        // killed the job before mpiexec had read them).
        string reason = Path.Combine(folder["file"], "run");
        Assert.Contains(two.Lines, line => line.StartsWith("error: ", StringComparison.Ordinal) && line.Contains(reason, StringComparison.Ordinal));
        Assert.Contains(two.Lines, line => line.StartsWith("rank 0 of 2 failed, aborting the job: ", StringComparison.Ordinal)
                                           && line.Contains(reason, StringComparison.Ordinal));
    }

    [MpiFact]
    public async Task Started_without_mpiexec_a_distributed_run_is_a_world_of_one()
    {
        using var folder = new TemporaryFolder();
        using var alone = CliProcess.Start(Train(TinyConfig(folder), folder["alone"], "--distributed", "mpi", "--epochs", "1"));
        await alone.WaitAsync();
        var trainer = JsonNode.Parse(File.ReadAllText(Path.Combine(folder["alone"], "config.json")))!["trainer"]!;
        Assert.Equal(1, (int)trainer["world_size"]!);
        Assert.Single(Metrics(folder["alone"]));
    }
}
