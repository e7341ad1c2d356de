using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Testing;
using Drlrec.Tests.Data.Loading;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Tests.Training;

/// <summary>
/// Resuming runs on streamed data: a run stopped after an epoch (an exception from the progress observer, as a crash
/// would) and resumed from its resume.ckpt ends with the uninterrupted run's weights and metrics, for training and for
/// distillation (frozen teacher: signals computed per streamed batch; exploring on). Each epoch's row-group order,
/// shuffle buffer and explorer draws come from seeds, so nothing about the stream needs saving. The kill -9 version, through
/// real processes, is in the CLI tests.
/// </summary>
public sealed class StreamedResumeTests(GeneratedPartsFixture parts) : IClassFixture<GeneratedPartsFixture>
{
    private RunConfig Config => new()
    {
        Seed = 4,
        Role = ModelRole.Student,
        Model = new QNetworkConfig { EmbeddingDim = 8, Dropout = 0.1 },
        Data = new DataConfig { Source = parts.Folder, Streaming = StreamingMode.On, ShuffleBuffer = 60, MaxEvalLists = 100 },
        Trainer = new TrainerConfig { Epochs = 3, BatchSize = 32, Patience = 5, MaxStepsPerEpoch = 6 },
    };

    [Fact]
    public void A_streamed_training_run_stopped_after_an_epoch_resumes_to_the_uninterrupted_runs_weights_and_metrics()
    {
        using var folder = new TemporaryFolder();
        var data = StreamingData.Prepare(Config);
        TrainWorkflow.Run(Config, data, folder["full"]);
        Assert.Throws<OperationCanceledException>(() => TrainWorkflow.Run(Config, data, folder["stopped"], new ResumeTests.Crash(1)));
        // A resumed process prepares the data again (here: from the cache).
        var again = StreamingData.Prepare(Config);
        Assert.True(again.Summary.Origin.FromCache);
        TrainWorkflow.Run(Config, again, folder["stopped"], resume: true);

        ResumeTests.AssertSameRun(folder["full"], folder["stopped"]);
    }

    [Fact]
    public void A_streamed_distillation_stopped_after_an_epoch_resumes_to_the_uninterrupted_runs_weights_and_metrics()
    {
        using var folder = new TemporaryFolder();
        var teacherConfig = Config with { Role = ModelRole.Teacher, Model = new QNetworkConfig { EmbeddingDim = 16 }, Trainer = Config.Trainer with { Epochs = 1 } };
        var teacherRun = TrainWorkflow.Run(teacherConfig, StreamingData.Prepare(teacherConfig), folder["teacher"]);
        using var teacher = ModelCheckpoint.Load(teacherRun.Checkpoint);
        var config = Config with { Distill = new DistillConfig { Pool = 50, K = 4, StatesPerBatch = 2 }, Teacher = teacher.Path };

        DistillWorkflow.Run(config, teacher, DistillWorkflow.PrepareData(config, teacher), folder["full"]);
        Assert.Throws<OperationCanceledException>(() =>
            DistillWorkflow.Run(config, teacher, DistillWorkflow.PrepareData(config, teacher), folder["stopped"], new ResumeTests.Crash(2)));
        DistillWorkflow.Run(config, teacher, DistillWorkflow.PrepareData(config, teacher), folder["stopped"], resume: true);

        ResumeTests.AssertSameRun(folder["full"], folder["stopped"]);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(folder["stopped"], "metrics.jsonl")).Length);
    }
}
