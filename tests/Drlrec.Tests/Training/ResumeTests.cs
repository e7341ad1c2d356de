using System.Text.Json;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Distillation;
using Drlrec.IO;
using Drlrec.Testing;
using Drlrec.Tests.Support;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Tests.Training;

/// <summary>
/// A run that stops after an epoch (here: an exception thrown from the progress observer, as a crash would) and is
/// resumed from its resume.ckpt ends with the same weights and metrics as the uninterrupted run. The kill -9 version,
/// through real processes, is in the CLI tests.
/// </summary>
public sealed class ResumeTests
{
    private static readonly PreparedData Data = PreparedData.Prepare(ToyData.Lists(160, seed: 3), null, new DataConfig(), new FeatureConfig());

    // Dropout and OOV dropout on: libtorch's generator must be where the uninterrupted run had it.
    private static readonly RunConfig Config = new()
    {
        Seed = 4,
        Model = new QNetworkConfig { EmbeddingDim = 8, Dropout = 0.1 },
        Trainer = new TrainerConfig { Epochs = 3, BatchSize = 32, Patience = 5 },
    };

    /// <summary>Stops the run right after epoch <paramref name="epoch"/> was recorded.</summary>
    internal sealed class Crash(int epoch) : ITrainingObserver
    {
        public void OnStart(string name, int epochs, int stepsPerEpoch) { }
        public void OnStep(int epoch, int step, double loss) { }
        public void OnEpoch(EpochRecord record)
        {
            if (record.Epoch == epoch) throw new OperationCanceledException($"crash after epoch {epoch}");
        }
    }

    [Fact]
    public void A_training_run_stopped_after_an_epoch_resumes_to_the_uninterrupted_runs_weights_and_metrics()
    {
        using var folder = new TemporaryFolder();
        TrainWorkflow.Run(Config, Data, folder["full"]);

        Assert.Throws<OperationCanceledException>(() => TrainWorkflow.Run(Config, Data, folder["stopped"], new Crash(1)));
        Assert.True(File.Exists(ResumeCheckpoint.In(folder["stopped"])));
        Assert.Single(File.ReadAllLines(Path.Combine(folder["stopped"], "metrics.jsonl")));
        TrainWorkflow.Run(Config, Data, folder["stopped"], resume: true);

        AssertSameRun(folder["full"], folder["stopped"]);
        Assert.False(File.Exists(ResumeCheckpoint.In(folder["stopped"])), "a finished run keeps no resume.ckpt");
        var finished = Assert.Throws<FileNotFoundException>(() => TrainWorkflow.Run(Config, Data, folder["stopped"], resume: true));
        Assert.Contains("finished", finished.Message);
    }

    [Theory]
    [InlineData(DistillSchedule.Frozen)]
    [InlineData(DistillSchedule.Joint)]
    public void A_distillation_stopped_after_an_epoch_resumes_to_the_uninterrupted_runs_weights_and_metrics(DistillSchedule schedule)
    {
        using var folder = new TemporaryFolder();
        var teacherRun = TrainWorkflow.Run(Config with { Model = Config.Model! with { EmbeddingDim = 16 }, Trainer = Config.Trainer with { Epochs = 1 } },
            Data, folder["teacher"]);
        using var teacher = ModelCheckpoint.Load(teacherRun.Checkpoint);
        var catalog = DataLoader.Catalog(new DataConfig { Source = "toy" }, Data.TrainLists);
        var config = Config with { Distill = new DistillConfig { Schedule = schedule, Pool = 50, K = 4, StatesPerBatch = 2 } };

        Distiller.Run(config, Data, teacher, catalog, folder["full"], null, "student");
        Assert.Throws<OperationCanceledException>(() => Distiller.Run(config, Data, teacher, catalog, folder["stopped"], new Crash(2), "student"));
        Distiller.Run(config, Data, teacher, catalog, folder["stopped"], null, "student", resume: true);

        AssertSameRun(folder["full"], folder["stopped"]);
        // TensorBoard gets each loss term beside the loss.
        Assert.Equal(RunFiles.TensorBoardTagCount(folder["full"], "train/loss"), RunFiles.TensorBoardTagCount(folder["full"], "distill/kl"));
        Assert.True(RunFiles.TensorBoardTagCount(folder["full"], "distill/kl") >= 3);
        if (schedule == DistillSchedule.Joint)
            Assert.Equal(RunFiles.WeightHashes(Path.Combine(folder["full"], "teacher.ckpt")), RunFiles.WeightHashes(Path.Combine(folder["stopped"], "teacher.ckpt")));
    }

    [Fact]
    public void A_corrupted_resume_checkpoint_is_refused_naming_the_file()
    {
        using var folder = new TemporaryFolder();
        Assert.Throws<OperationCanceledException>(() => TrainWorkflow.Run(Config, Data, folder["run"], new Crash(1)));
        string path = ResumeCheckpoint.In(folder["run"]);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => TrainWorkflow.Run(Config, Data, folder["run"], resume: true));
        Assert.Contains(path, e.Message);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void Temp_files_of_writers_that_are_gone_are_removed_and_live_ones_kept()
    {
        using var folder = new TemporaryFolder();
        string guid = Guid.NewGuid().ToString("N");
        string dead = folder.Write($".model.{int.MaxValue - 7}.{guid}.tmp.ckpt");
        string deadNoExtension = folder.Write($".metrics.{int.MaxValue - 7}.{guid}.tmp");
        string live = folder.Write($".model.{Environment.ProcessId}.{guid}.tmp.ckpt");
        string other = folder.Write(".keep.tmp.txt");

        Assert.Equal(2, AtomicFile.RemoveStale(folder.Path));
        Assert.False(File.Exists(dead));
        Assert.False(File.Exists(deadNoExtension));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other));
    }

    /// <summary>Same weights (bit for bit) in model.ckpt, same metrics.jsonl apart from timings, same test result.</summary>
    internal static void AssertSameRun(string expected, string actual)
    {
        Assert.Equal(RunFiles.WeightHashes(expected), RunFiles.WeightHashes(actual));
        Assert.Equal(RunFiles.MetricsWithoutTimings(expected), RunFiles.MetricsWithoutTimings(actual));
        Assert.Equal(JsonDocument.Parse(File.ReadAllText(Path.Combine(expected, "result.json"))).RootElement.GetProperty("test").GetRawText(),
                     JsonDocument.Parse(File.ReadAllText(Path.Combine(actual, "result.json"))).RootElement.GetProperty("test").GetRawText());
    }
}
