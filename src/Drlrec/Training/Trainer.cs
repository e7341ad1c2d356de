using System.Diagnostics;
using Drlrec.Configuration;
using Drlrec.Distributed;
using Drlrec.Evaluation;
using Drlrec.Features;
using Drlrec.Model;
using static TorchSharp.torch;

namespace Drlrec.Training;

/// <summary>
/// The epoch loop every Q-network is trained with (teacher, student alone, distilled student), in the roles of
/// tianshou's trainer and RecBole's <c>Trainer.fit</c>: <c>TrainEpoch</c> (seeded shuffled minibatches from memory or
/// streamed from files, see <see cref="ITrainingBatches"/>,
/// out-of-vocabulary dropout, one dispose scope per step), <see cref="Validate"/> (AUC, GAUC, NDCG on the validation
/// lists) and <c>Fit</c> (epochs with early stopping on validation AUC, from the start or from a resumed run's
/// progress). The per-batch update is the learner's (Double DQN alone, or the distillation loss); what is written where
/// is the hooks'. Each epoch's minibatch order and libtorch generator (dropout) are seeded from (run seed, epoch), so an
/// epoch does not depend on how the process got there. Data-parallel, every rank draws the same order and trains on its
/// share of each global minibatch (<see cref="DataParallel.ShareOf(ReadOnlySpan{int})"/>, cut by the batch source); validation is scored in shares and gathered, so
/// every rank reaches the same early-stopping decisions.
/// </summary>
public sealed class Trainer
{
    private readonly TrainerConfig config;
    private readonly FeatureDropout dropout;
    private readonly int seed;
    private readonly DataParallel world;
    private long steps;

    /// <param name="seed">Seed of the minibatch order (the run's seed).</param>
    /// <param name="dropout">Applied to every training batch before the update.</param>
    /// <param name="world">The processes training together (the learner's); default one.</param>
    public Trainer(TrainerConfig config, int seed, FeatureDropout dropout, DataParallel? world = null)
    {
        this.config = config;
        this.dropout = dropout;
        this.seed = seed;
        this.world = world ?? DataParallel.Single;
    }

    /// <summary>The trainer of a run: its trainer settings, its seed, its out-of-vocabulary dropout, its processes.</summary>
    public static Trainer For(RunConfig config, FeatureVocabulary vocabulary, DataParallel? world = null) =>
        new(config.Trainer, config.Seed, new FeatureDropout(vocabulary, config.Features.OovDropout), world);

    /// <summary>Updates made so far (one per minibatch).</summary>
    public long Steps => steps;

    /// <summary>
    /// Trains until <see cref="TrainerConfig.Epochs"/> or until <see cref="TrainerConfig.Patience"/> epochs in a row
    /// bring no better validation score. The hooks see every epoch (with the progress so far) and every improvement.
    /// </summary>
    /// <param name="online">The network being trained (validated after each epoch).</param>
    /// <param name="step">One update on a minibatch (as trained on, and where it came from: its list indices, keys and the
    /// batch as read); returns the loss.</param>
    /// <param name="from">A resumed run's progress (its learner already restored); null starts at epoch 1.</param>
    public FitResult Fit(EncodedLists train, EncodedLists validationLists, QNetwork online, Func<ListBatch, TrainingBatch, float> step,
        ITrainingHooks hooks, ITrainingObserver? observer = null, string name = "model", FitProgress? from = null) =>
        Fit(InMemory(train), validationLists, online, step, hooks, observer, name, from);

    /// <inheritdoc cref="Fit(EncodedLists, EncodedLists, QNetwork, Func{ListBatch, TrainingBatch, float}, ITrainingHooks, ITrainingObserver?, string, FitProgress?)"/>
    /// <param name="train">The epochs' minibatches (in memory or streamed; a streamed batch has no list indices).</param>
    public FitResult Fit(ITrainingBatches train, EncodedLists validationLists, QNetwork online, Func<ListBatch, TrainingBatch, float> step,
        ITrainingHooks hooks, ITrainingObserver? observer = null, string name = "model", FitProgress? from = null)
    {
        observer?.OnStart(name, config.Epochs, train.StepsPerEpoch);
        var records = (from ?? FitProgress.Start).Epochs.ToList();
        var bestValidation = from?.BestValidation;
        double bestScore = double.NegativeInfinity;
        int bestEpoch = 0, stale = 0;
        foreach (var r in records)
            if (r.Improved) (bestScore, bestEpoch, stale) = (Score(r.ValAuc, r.ValGauc, r.Epoch), r.Epoch, 0);
            else stale++;
        steps = records.Count > 0 ? records[^1].Steps : 0;
        for (int epoch = records.Count + 1; epoch <= config.Epochs && stale < config.Patience; epoch++)
        {
            var communicated = world.CommunicationTime;
            var (loss, itemsPerSecond, seconds) = TrainEpoch(train, step, epoch, observer, hooks);
            double allreduceMs = (world.CommunicationTime - communicated).TotalMilliseconds / Math.Max(1, train.StepsPerEpoch);
            var validation = Validate(online, validationLists);
            double score = Score(validation.Auc, validation.Gauc, epoch);
            if (double.IsNaN(score))
                throw new InvalidDataException(
                    $"the validation lists have only one kind of label (no click, or nothing but clicks{(config.SelectBy == SelectionMetric.Gauc ? ", within every user" : "")}), " +
                    $"so validation {(config.SelectBy == SelectionMetric.Gauc ? "GAUC" : "AUC")}, which picks the epoch to keep, is undefined; " +
                    "give more data or a larger data.validation_fraction");
            bool improved = score > bestScore;
            var record = new EpochRecord(epoch, steps, loss, validation.Auc, validation.Gauc, validation.Ndcg10,
                itemsPerSecond, seconds, improved, allreduceMs);
            records.Add(record);
            // The checkpoint lands before the metrics line that says the epoch improved, so a run killed between the two
            // never has metrics.jsonl claim a checkpoint that is not there.
            if (improved)
            {
                (bestScore, bestEpoch, bestValidation, stale) = (score, epoch, validation, 0);
                hooks.OnImproved(record, validation);
            }
            else stale++;
            hooks.OnEpoch(record, new FitProgress(records.ToList(), bestValidation));
            observer?.OnEpoch(record);
        }
        if (bestValidation is null) throw new InvalidOperationException("the fit finished no epoch (trainer.epochs must be at least 1)");
        hooks.OnFitEnd(records);
        return new FitResult(bestEpoch, bestValidation, records);
    }

    /// <summary>The validation score that picks the epoch to keep (<see cref="TrainerConfig.SelectBy"/>).</summary>
    private double Score(double auc, double gauc, int epoch) => config.SelectBy switch
    {
        SelectionMetric.Gauc => gauc,
        SelectionMetric.Last => epoch,
        _ => auc,
    };

    /// <summary>One pass over the training lists in an order shuffled for this epoch, libtorch's generator seeded for it
    /// (and for the rank: with several processes, dropout draws differ from one process's).</summary>
    /// <returns>The mean loss over the epoch's steps, its list items per second (of the global batches) and its duration.</returns>
    public (double MeanLoss, double ItemsPerSecond, double Seconds) TrainEpoch(EncodedLists train,
        Func<ListBatch, TrainingBatch, float> step, int epoch, ITrainingObserver? observer = null, ITrainingHooks? hooks = null) =>
        TrainEpoch(InMemory(train), step, epoch, observer, hooks);

    /// <summary>One epoch of <paramref name="train"/> (its order drawn from the run seed and the epoch), libtorch's generator seeded for it.</summary>
    public (double MeanLoss, double ItemsPerSecond, double Seconds) TrainEpoch(ITrainingBatches train,
        Func<ListBatch, TrainingBatch, float> step, int epoch, ITrainingObserver? observer = null, ITrainingHooks? hooks = null)
    {
        int shuffleSeed = SeedStreams.Derive(seed, SeedStreams.Shuffle, epoch);
        int torchSeed = SeedStreams.Derive(seed, SeedStreams.Torch, epoch);
        manual_seed(world.Size == 1 ? torchSeed : SeedStreams.Derive(torchSeed, SeedStreams.Torch, world.Rank));
        double lossSum = 0;
        long items = 0;
        int s = 0;
        var clock = Stopwatch.StartNew();
        foreach (var lists in train.Epoch(epoch, shuffleSeed))
        {
            using var scope = NewDisposeScope();
            var batch = dropout.Apply(lists.Tensors());
            float loss = step(batch, lists);
            steps++;
            s++;
            lossSum += loss;
            hooks?.OnStep(steps, loss);
            items += lists.Items;
            observer?.OnStep(epoch, s, loss);
        }
        if (s == 0) throw new InvalidDataException($"epoch {epoch} has no training batch (no training list reached this trainer)");
        double seconds = clock.Elapsed.TotalSeconds;
        if (world.Size > 1)
        {
            // Throughput of the global batches: every rank's items.
            var total = new double[] { items };
            world.AllReduceSum(total);
            items = (long)total[0];
        }
        return (lossSum / s, items / seconds, seconds);
    }

    /// <summary>AUC, GAUC and NDCG of the network's Q-values on the validation lists (eval mode, no gradients); with
    /// several ranks each scores its share and the scores are gathered.</summary>
    public OfflineMetrics Validate(QNetwork online, EncodedLists validation) =>
        QScorer.Evaluate(online, validation, world, config.EvalBatchSize);

    /// <summary>Lists in memory as this trainer batches them (<see cref="TrainerConfig.BatchSize"/>, <see cref="TrainerConfig.MaxStepsPerEpoch"/>).</summary>
    public InMemoryBatches InMemory(EncodedLists train) => new(train, config.BatchSize, config.MaxStepsPerEpoch, world);
}
