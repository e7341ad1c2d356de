using System.Diagnostics;
using System.Text.Json;
using Drlrec.Configuration;
using Drlrec.Evaluation;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Reporting;
using static TorchSharp.torch;

namespace Drlrec.Training;

/// <summary>One epoch's line in <c>metrics.jsonl</c>.</summary>
public sealed record EpochRecord(
    int Epoch, long Steps, double TrainLoss, double ValAuc, double ValGauc, double ValNdcg10,
    double ItemsPerSecond, double Seconds, bool Improved);

/// <summary>Receives progress from a trainer (the CLI draws progress bars from it).</summary>
public interface ITrainingObserver
{
    void OnStart(string name, int epochs, int stepsPerEpoch);
    void OnStep(int epoch, int step, double loss);
    void OnEpoch(EpochRecord record);
}

/// <summary>What a training run produced.</summary>
public sealed record TrainResult(
    string Name, int BestEpoch, OfflineMetrics Validation, OfflineMetrics Test, long Parameters,
    IReadOnlyList<(string Part, long Parameters)> ParameterParts, double ItemsPerSecond, string Checkpoint,
    IReadOnlyList<EpochRecord> Epochs);

/// <summary>
/// Epoch loop shared by teacher and student training: shuffled minibatches (seeded), one dispose scope per
/// step, validation AUC after each epoch, early stopping with patience, the best epoch's weights saved as the
/// checkpoint (atomically, so a killed run keeps the last good one), curves plotted at the end.
/// </summary>
public static class DqnTrainer
{
    /// <summary>Trains one network with Double DQN alone (teacher, or student without a teacher).</summary>
    public static TrainResult Train(RunConfig config, PreparedData data, RunFolder run, ITrainingObserver? observer = null,
        string? name = null)
    {
        config = config.Resolve();
        name ??= config.Role.ToString().ToLowerInvariant();
        Seed(config);
        using var online = new QNetwork(config.ResolvedModel, data.Layout.Count, data.Vocabulary.Rows, "online");
        using var target = new QNetwork(config.ResolvedModel, data.Layout.Count, data.Vocabulary.Rows, "target");
        using var learner = new DqnLearner(online, target, data.Layout, config.Dqn);
        return RunEpochs(config, data, run, observer, name, learner, (batch, _) => learner.Step(batch));
    }

    /// <summary>Seeds libtorch and sets its thread count, so that a run repeats exactly on the same CPU.</summary>
    public static void Seed(RunConfig config)
    {
        if (config.Trainer.Threads > 0) set_num_threads(config.Trainer.Threads);
        manual_seed(config.Seed);
    }

    /// <summary>
    /// The epoch loop around any per-batch update of <paramref name="learner"/>'s online network
    /// (Double DQN alone here; the distillation loss in <c>Distillation</c>).
    /// </summary>
    /// <param name="step">Runs one update on a batch (given the batch's list indices) and returns its loss.</param>
    public static TrainResult RunEpochs(RunConfig config, PreparedData data, RunFolder run, ITrainingObserver? observer,
        string name, DqnLearner learner, Func<ListBatch, int[], float> step)
    {
        var trainer = config.Trainer;
        var rng = new Random(config.Seed);
        var dropout = new FeatureDropout(data.Vocabulary, config.Features.OovDropout);
        var order = Enumerable.Range(0, data.Train.Count).ToArray();
        int stepsPerEpoch = (data.Train.Count + trainer.BatchSize - 1) / trainer.BatchSize;
        observer?.OnStart(name, trainer.Epochs, stepsPerEpoch);
        run.WriteJson("config.json", config);

        var records = new List<EpochRecord>();
        double bestAuc = double.NegativeInfinity;
        int bestEpoch = 0, stale = 0;
        OfflineMetrics? bestValidation = null;
        for (int epoch = 1; epoch <= trainer.Epochs; epoch++)
        {
            rng.Shuffle(order);
            double lossSum = 0;
            long items = 0;
            var clock = Stopwatch.StartNew();
            for (int s = 0; s < stepsPerEpoch; s++)
            {
                int start = s * trainer.BatchSize, n = Math.Min(trainer.BatchSize, order.Length - start);
                var indices = order.AsSpan(start, n).ToArray();
                using var scope = NewDisposeScope();
                var batch = dropout.Apply(data.Train.Batch(indices));
                float loss = step(batch, indices);
                lossSum += loss;
                foreach (int i in indices) items += data.Train.Lengths[i];
                observer?.OnStep(epoch, s + 1, loss);
            }
            double seconds = clock.Elapsed.TotalSeconds;

            var validation = QScorer.Evaluate(learner.Online, data.Validation, trainer.EvalBatchSize);
            bool improved = validation.Auc > bestAuc;
            var record = new EpochRecord(epoch, learner.Steps, lossSum / stepsPerEpoch, validation.Auc, validation.Gauc,
                validation.Ndcg10, items / seconds, seconds, improved);
            records.Add(record);
            run.AppendMetrics(record);
            observer?.OnEpoch(record);
            if (improved)
            {
                bestAuc = validation.Auc;
                bestEpoch = epoch;
                bestValidation = validation;
                stale = 0;
                ModelCheckpoint.Save(run.Checkpoint, Header(config, data, name, learner.Online, epoch, validation.Auc),
                    learner.Online, learner.Target);
            }
            else if (++stale >= trainer.Patience)
            {
                break;
            }
        }

        PlotCurves(run, name, records);
        using var best = ModelCheckpoint.Load(run.Checkpoint);
        var test = QScorer.Evaluate(best.Online, data.Test, trainer.EvalBatchSize);
        double throughput = records.Sum(r => r.ItemsPerSecond * r.Seconds) / records.Sum(r => r.Seconds);
        var result = new TrainResult(name, bestEpoch, bestValidation!, test, best.Online.ParameterCount,
            best.Online.ParameterCounts(), throughput, run.Checkpoint, records);
        run.WriteJson("result.json", new
        {
            result.Name, result.BestEpoch, result.Validation, result.Test, result.Parameters,
            ParameterParts = result.ParameterParts.ToDictionary(p => p.Part, p => p.Parameters),
            result.ItemsPerSecond,
        });
        return result;
    }

    public static CheckpointHeader Header(RunConfig config, PreparedData data, string name, QNetwork online, int epoch,
        double validationAuc) => new()
    {
        Name = name,
        Role = config.Role,
        Model = online.Config,
        Fields = data.Schema.Fields,
        Vocabulary = data.Vocabulary,
        Parameters = online.ParameterCount,
        Epoch = epoch,
        ValidationAuc = validationAuc,
        RunConfig = JsonSerializer.SerializeToElement(config, Json.Options),
    };

    private static void PlotCurves(RunFolder run, string name, IReadOnlyList<EpochRecord> records)
    {
        double[] epochs = records.Select(r => (double)r.Epoch).ToArray();
        Plots.Lines(run.File("training-curves.png"), $"{name}: training curves", "epoch", "train loss",
        [
            new Series("train loss", epochs, records.Select(r => r.TrainLoss).ToArray()),
            new Series("validation AUC", epochs, records.Select(r => r.ValAuc).ToArray(), RightAxis: true),
        ], rightLabel: "validation AUC");
    }
}
