using Drlrec.Testing;
using Drlrec.Data;
using TorchSharp;
using static TorchSharp.torch;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Tests.Support;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Tests.Workflows;

public sealed class TrainWorkflowTests
{
    private static RunConfig SmallConfig(int seed = 7) => new()
    {
        Seed = seed,
        Model = new QNetworkConfig { EmbeddingDim = 8 },
        Trainer = new TrainerConfig { Epochs = 3, BatchSize = 16, Patience = 5 },
    };

    private static PreparedData Data() => PreparedData.Prepare(ToyData.Lists(240, seed: 4), null, new DataConfig(), new());

    [Fact]
    public void Same_seed_gives_the_same_losses_and_weights()
    {
        var data = Data();
        string a = Directory.CreateTempSubdirectory("drlrec-a-").FullName, b = Directory.CreateTempSubdirectory("drlrec-b-").FullName;
        try
        {
            var first = TrainWorkflow.Run(SmallConfig(), data, a);
            var second = TrainWorkflow.Run(SmallConfig(), data, b);
            Assert.Equal(first.Epochs.Select(e => e.TrainLoss), second.Epochs.Select(e => e.TrainLoss));
            Assert.Equal(first.Test.Auc, second.Test.Auc);
            using var x = ModelCheckpoint.Load(a);
            using var y = ModelCheckpoint.Load(b);
            foreach (var (p, q) in x.Online.parameters().Zip(y.Online.parameters()))
                Assert.True(p.eq(q).all().item<bool>());

            var third = TrainWorkflow.Run(SmallConfig(seed: 8), data, b);
            Assert.NotEqual(first.Epochs.Select(e => e.TrainLoss), third.Epochs.Select(e => e.TrainLoss));
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }

    [Fact]
    public void A_run_writes_config_metrics_checkpoint_and_curves_and_learns_the_toy_signal()
    {
        var data = Data();
        string dir = Directory.CreateTempSubdirectory("drlrec-run-").FullName;
        try
        {
            var config = SmallConfig() with
            {
                Model = new QNetworkConfig { EmbeddingDim = 8, Dropout = 0 },
                Dqn = new DqnConfig { LearningRate = 3e-3 },
                Trainer = new TrainerConfig { Epochs = 10, BatchSize = 16, Patience = 10 },
            };
            var result = TrainWorkflow.Run(config, data, dir);
            foreach (string file in new[] { "config.json", "metrics.jsonl", "model.ckpt", "training-curves.png", "result.json" })
                Assert.True(File.Exists(Path.Combine(dir, file)), file);
            Assert.Equal(result.Epochs.Count, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
            Assert.True(result.Test.Auc > 0.75, $"test AUC {result.Test.Auc}");

            using var model = ModelCheckpoint.Load(dir);
            Assert.Equal(result.BestEpoch, model.Header.Epoch);
            Assert.Equal(result.Parameters, model.Online.ParameterCount);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_run_whose_validation_auc_cannot_improve_stops_after_patience_stale_epochs()
    {
        string dir = Directory.CreateTempSubdirectory("drlrec-patience-").FullName;
        try
        {
            // Learning rate 0: the weights, hence the validation AUC, never change; epoch 1 improves on nothing.
            var config = SmallConfig() with
            {
                Dqn = new DqnConfig { LearningRate = 0 },
                Trainer = new TrainerConfig { Epochs = 10, BatchSize = 32, Patience = 2 },
            };
            var result = TrainWorkflow.Run(config, Data(), dir);

            Assert.Equal([1, 2, 3], result.Epochs.Select(e => e.Epoch));
            Assert.Equal([true, false, false], result.Epochs.Select(e => e.Improved));
            Assert.Single(result.Epochs.Select(e => e.ValAuc).Distinct());
            Assert.Equal(1, result.BestEpoch);
            Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);
            using var model = ModelCheckpoint.Load(dir);
            Assert.Equal(1, model.Header.Epoch);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(SelectionMetric.Auc)]
    [InlineData(SelectionMetric.Gauc)]
    public void The_selection_metric_picks_the_kept_epoch_and_an_epoch_improves_only_when_it_rises(SelectionMetric metric)
    {
        using var folder = new TemporaryFolder();
        var config = SmallConfig() with { Trainer = new TrainerConfig { Epochs = 5, BatchSize = 16, Patience = 5, SelectBy = metric } };

        var result = TrainWorkflow.Run(config, Data(), folder.Path);

        Func<EpochRecord, double> score = metric == SelectionMetric.Gauc ? e => e.ValGauc : e => e.ValAuc;
        double best = double.NegativeInfinity;
        foreach (var epoch in result.Epochs)                       // improved exactly when the chosen metric beats all before it
        {
            Assert.Equal(score(epoch) > best, epoch.Improved);
            best = Math.Max(best, score(epoch));
        }
        Assert.Equal(result.Epochs.Last(e => e.Improved).Epoch, result.BestEpoch);
        Assert.Equal(metric, Drlrec.IO.Json.ReadFile<RunConfig>(Path.Combine(folder.Path, "config.json")).Trainer.SelectBy);
    }

    [Fact]
    public void Validation_lists_without_a_click_stop_the_run_with_the_reason_instead_of_saving_no_model()
    {
        using var folder = new TemporaryFolder();
        var lists = ToyData.Lists(240, seed: 4);
        var data = PreparedData.Prepare(lists, null, new DataConfig(), new());
        var noClicks = new ListDataset(data.ValidationLists.Schema, [.. data.ValidationLists.Lists.Select(l => l with
        {
            Items = [.. l.Items.Select(i => i with { Reward = 0 })],
        })], "no-clicks");
        var broken = PreparedData.Prepare(new ListDataset(lists.Schema, [.. data.TrainLists.Lists.Concat(
            UnderlyingOf(noClicks, data)).Concat(data.TestLists.Lists)], "toy"), null, new DataConfig(), new());

        var e = Assert.Throws<InvalidDataException>(() => TrainWorkflow.Run(SmallConfig(), broken, folder.Path));
        Assert.Contains("validation AUC", e.Message);
        Assert.Contains("data.validation_fraction", e.Message);
    }

    /// <summary>The validation lists as the raw source had them (the prepared ones carry derived fields).</summary>
    private static IEnumerable<LoggedList> UnderlyingOf(ListDataset validation, PreparedData data)
    {
        int derived = data.Schema.Fields.Count(f => f.Derived), at = data.Schema.FirstItemField + data.Schema.ItemCount - derived;
        return validation.Lists.Select(l => l with
        {
            Items = [.. l.Items.Select(i => i with { Values = [.. i.Values[..at], .. i.Values[(at + derived)..]] })],
        });
    }
}
