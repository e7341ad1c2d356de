using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Testing;
using Drlrec.Tests.Support;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Tests.Training;

/// <summary>A run's TensorBoard event file holds the loss per 10 steps and the validation metrics per epoch.</summary>
public sealed class TensorBoardLogTests
{
    private static readonly PreparedData Data = PreparedData.Prepare(ToyData.Lists(96, seed: 5), null, new DataConfig(), new FeatureConfig());

    private static readonly RunConfig Config = new()
    {
        Seed = 2,
        Model = new QNetworkConfig { EmbeddingDim = 8 },
        Trainer = new TrainerConfig { Epochs = 2, BatchSize = 32, Patience = 5 },
    };

    [Fact]
    public void Every_step_and_epoch_is_logged_and_the_option_switches_it_off()
    {
        using var folder = new TemporaryFolder();
        var result = TrainWorkflow.Run(Config, Data, folder["on"]);

        Assert.Single(Directory.GetFiles(folder["on"], "events.out.tfevents.*"));
        // One point per 10 steps, and one for each epoch's remaining steps.
        long perEpoch = result.Epochs[0].Steps;
        Assert.Equal(2 * (perEpoch / TensorBoardLog.Every + (perEpoch % TensorBoardLog.Every > 0 ? 1 : 0)),
            RunFiles.TensorBoardTagCount(folder["on"], "train/loss"));
        Assert.Equal(2, RunFiles.TensorBoardTagCount(folder["on"], "validation/auc"));
        Assert.Equal(2, RunFiles.TensorBoardTagCount(folder["on"], "validation/gauc"));

        TrainWorkflow.Run(Config with { Trainer = Config.Trainer with { Tensorboard = false } }, Data, folder["off"]);
        Assert.Empty(Directory.GetFiles(folder["off"], "events.out.tfevents.*"));
    }
}
