using Drlrec.Cli.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Commands;

/// <summary>
/// <c>drlrec train --resume</c> after a kill -9: real processes (the built CLI), killed once its first epoch's
/// resume.ckpt has landed, resumed with nothing but the folder, compared with an uninterrupted run of the same seed.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ResumeCommandTests
{
    private const string Config =
        """{ "data": { "source": "synthetic", "synthetic": { "users": 200, "items": 1000, "lists": 1500 } }, "trainer": { "epochs": 5, "patience": 10, "batch_size": 32, "threads": 1 }, "dqn": { "learning_rate": 0.003 } }""";

    [Fact]
    public async Task A_run_killed_after_its_first_epoch_resumes_to_the_weights_and_metrics_of_the_uninterrupted_run()
    {
        using var folder = new TemporaryFolder();
        string config = folder.Write("config.json", Config);
        using (var full = CliProcess.Start("train", "--config", config, "--out", folder["full"])) Assert.Equal(0, await full.WaitAsync());

        using (var killed = CliProcess.Start("train", "--config", config, "--out", folder["killed"]))
            await killed.KillOnceExists(Path.Combine(folder["killed"], "resume.ckpt"), TimeSpan.FromMinutes(3));
        Assert.False(File.Exists(Path.Combine(folder["killed"], "result.json")), "the kill came after the run finished: nothing was tested");
        Assert.True(File.Exists(Path.Combine(folder["killed"], "resume.ckpt")));

        var (code, _, errors) = CliRunner.Run("train", "--resume", folder["killed"], "--epochs", "2");
        Assert.Equal(1, code);
        Assert.Contains("drop --epochs", errors);
        using (var resumed = CliProcess.Start("train", "--resume", folder["killed"])) Assert.Equal(0, await resumed.WaitAsync());

        Assert.Equal(RunFiles.WeightHashes(folder["full"]), RunFiles.WeightHashes(folder["killed"]));
        Assert.Equal(RunFiles.MetricsWithoutTimings(folder["full"]), RunFiles.MetricsWithoutTimings(folder["killed"]));
        Assert.Empty(Directory.EnumerateFiles(folder["killed"], "*.tmp*"));
        Assert.False(File.Exists(Path.Combine(folder["killed"], "resume.ckpt")));
    }

    /// <summary>The same for a distillation streamed from Parquet part files (the frozen teacher's signals computed per batch,
    /// exploring on): killed after its first epoch, resumed with nothing but the folder.</summary>
    [Fact]
    public async Task A_streamed_distillation_killed_after_its_first_epoch_resumes_to_the_uninterrupted_run()
    {
        using var folder = new TemporaryFolder();
        StreamedTeacher.Make(folder, lists: 1200, listsPerFile: 400, users: 200);
        string[] Distill(string output) => ["distill", "--teacher", folder["teacher"], "--streaming", "on", "--epochs", "4", "--max-steps-per-epoch", "12",
            "--pool", "100", "--threads", "1", "--out", output];
        using (var full = CliProcess.Start(Distill(folder["full"]))) Assert.Equal(0, await full.WaitAsync());

        using (var killed = CliProcess.Start(Distill(folder["killed"])))
            await killed.KillOnceExists(Path.Combine(folder["killed"], "resume.ckpt"), TimeSpan.FromMinutes(3));
        Assert.False(File.Exists(Path.Combine(folder["killed"], "result.json")), "the kill came after the run finished: nothing was tested");
        Assert.True(File.Exists(Path.Combine(folder["killed"], "resume.ckpt")));
        using (var resumed = CliProcess.Start("distill", "--resume", folder["killed"]))
        {
            Assert.Equal(0, await resumed.WaitAsync());
            Assert.Contains(resumed.Lines, line => line.Contains("prepared data read from", StringComparison.Ordinal));
        }

        Assert.Equal(RunFiles.WeightHashes(folder["full"]), RunFiles.WeightHashes(folder["killed"]));
        Assert.Equal(RunFiles.MetricsWithoutTimings(folder["full"]), RunFiles.MetricsWithoutTimings(folder["killed"]));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(folder["killed"], "metrics.jsonl")).Length);
        Assert.False(File.Exists(Path.Combine(folder["killed"], "resume.ckpt")));
    }

    [Fact]
    public void Resume_names_what_is_missing()
    {
        using var folder = new TemporaryFolder();
        var (code, _, errors) = CliRunner.Run("train", "--resume", folder["nothing"]);
        Assert.Equal(1, code);
        Assert.Contains("no run folder", errors);
        Directory.CreateDirectory(folder["empty"]);
        (code, _, errors) = CliRunner.Run("distill", "--resume", folder["empty"]);
        Assert.Equal(1, code);
        Assert.Contains("no config.json", errors);
        (code, _, errors) = CliRunner.Run("train");
        Assert.Equal(1, code);
        Assert.Contains("--out is required", errors);
    }
}
