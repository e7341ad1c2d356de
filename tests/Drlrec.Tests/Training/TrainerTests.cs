using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Evaluation;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tests.Support;
using Drlrec.Training;
using static TorchSharp.torch;

namespace Drlrec.Tests.Training;

public sealed class TrainerTests
{
    private static readonly PreparedData Data = PreparedData.Prepare(ToyData.Lists(160, seed: 4), null, new DataConfig(), new FeatureConfig { ItemStatistics = false });

    /// <summary>Hooks that only record what the trainer told them.</summary>
    private sealed class RecordingHooks : ITrainingHooks
    {
        public List<EpochRecord> Epochs { get; } = [];
        public List<int> Improved { get; } = [];
        public int Ends { get; private set; }
        public void OnStep(long step, double loss) { }
        public void OnEpoch(EpochRecord record, FitProgress progress) => Epochs.Add(record);
        public void OnImproved(EpochRecord record, OfflineMetrics validation) => Improved.Add(record.Epoch);
        public void OnFitEnd(IReadOnlyList<EpochRecord> records) => Ends++;
    }

    private static (FitResult Fit, RecordingHooks Hooks, Trainer Trainer) Fit(DqnConfig dqn, TrainerConfig trainer)
    {
        manual_seed(3);
        var small = new QNetworkConfig { EmbeddingDim = 8, Dropout = 0 };
        using var online = new QNetwork(small, Data.Layout, Data.Vocabulary.Rows);
        using var target = new QNetwork(small, Data.Layout, Data.Vocabulary.Rows);
        using var learner = new DqnLearner(online, target, Data.Layout, dqn);
        var hooks = new RecordingHooks();
        var fit = new Trainer(trainer, seed: 1, new FeatureDropout(Data.Vocabulary, 0))
            .Fit(Data.Train, Data.Validation, online, (batch, _) => learner.Step(batch), hooks);
        return (fit, hooks, new Trainer(trainer, 1, new FeatureDropout(Data.Vocabulary, 0)));
    }

    [Fact]
    public void Fit_tells_the_hooks_every_epoch_each_improvement_and_the_end_and_stops_after_patience_stale_epochs()
    {
        // Learning rate 0: the validation AUC never changes, so only epoch 1 improves and the fit stops at 1 + Patience.
        var (fit, hooks, _) = Fit(new DqnConfig { LearningRate = 0 }, new TrainerConfig { Epochs = 10, BatchSize = 32, Patience = 3 });
        Assert.Equal([1, 2, 3, 4], hooks.Epochs.Select(e => e.Epoch));
        Assert.Equal([1], hooks.Improved);
        Assert.Equal(1, hooks.Ends);
        Assert.Equal(1, fit.BestEpoch);
        Assert.Equal(fit.Epochs, hooks.Epochs);
        Assert.Equal(hooks.Epochs[0].ValAuc, fit.BestValidation.Auc);
    }

    [Fact]
    public void Steps_count_one_update_per_minibatch_across_epochs()
    {
        var (fit, _, _) = Fit(new DqnConfig(), new TrainerConfig { Epochs = 2, BatchSize = 50, Patience = 5 });
        int perEpoch = (Data.Train.Count + 49) / 50;
        Assert.Equal([perEpoch, 2L * perEpoch], fit.Epochs.Select(e => e.Steps));
    }
}
