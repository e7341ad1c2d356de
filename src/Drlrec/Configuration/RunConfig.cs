namespace Drlrec.Configuration;

/// <summary>Which of the two networks a run trains.</summary>
public enum ModelRole
{
    /// <summary>The large network (default d = 16) trained alone with Double DQN.</summary>
    Teacher,
    /// <summary>The small network (default d = 8); trained alone by <c>train</c>, from a teacher by <c>distill</c>.</summary>
    Student,
}

/// <summary>
/// Everything a training run depends on. A run writes this, fully resolved, as <c>config.json</c> in its folder;
/// <c>--config FILE.json</c> reads the same shape (snake_case keys, any subset).
/// </summary>
public sealed record RunConfig
{
    /// <summary>The one default seed of every command and config (runs, evaluation baselines, benchmarks, load tests).</summary>
    public const int DefaultSeed = 42;

    /// <summary>Seed of every random choice of a run (weights, shuffling, dropout, exploration); the simulator's logged
    /// data keep their own <c>data.synthetic.seed</c>. Default 42.</summary>
    public int Seed { get; init; } = DefaultSeed;

    /// <summary>teacher or student. Default teacher.</summary>
    public ModelRole Role { get; init; } = ModelRole.Teacher;

    public DataConfig Data { get; init; } = new();
    public FeatureConfig Features { get; init; } = new();

    /// <summary>Network sizes; null means the role's default (teacher d = 16, student d = 8).</summary>
    public QNetworkConfig? Model { get; init; }

    public DqnConfig Dqn { get; init; } = new();
    public TrainerConfig Trainer { get; init; } = new();

    /// <summary>Distillation settings (only for <c>distill</c> runs; null otherwise).</summary>
    public DistillConfig? Distill { get; init; }

    /// <summary>The teacher's model file (only for <c>distill</c> runs).</summary>
    public string? Teacher { get; init; }

    /// <summary>This config with every default made explicit.</summary>
    public RunConfig Resolve() => this with
    {
        Model = Model ?? (Role == ModelRole.Teacher ? QNetworkConfig.Teacher : QNetworkConfig.Student),
        Distill = Distill?.Resolve(),
    };

    public QNetworkConfig ResolvedModel => Resolve().Model!;

    /// <summary>
    /// Refuses settings no run can use, naming the config key (as in <c>config.json</c>) and what it must be, before any
    /// data are read or files written. Network sizes that depend on the data's fields are checked when the network is built.
    /// </summary>
    /// <exception cref="ArgumentException">The first setting out of range.</exception>
    public void Validate()
    {
        static void Check(bool ok, string key, double value, string expected)
        {
            if (!ok) throw new ArgumentException($"config {key} = {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}: must be {expected}");
        }
        static bool Finite(double x) => double.IsFinite(x);

        Check(Trainer.Epochs >= 1, "trainer.epochs", Trainer.Epochs, "at least 1");
        Check(Trainer.BatchSize >= 1, "trainer.batch_size", Trainer.BatchSize, "at least 1");
        Check(Trainer.Patience >= 1, "trainer.patience", Trainer.Patience, "at least 1");
        Check(Trainer.EvalBatchSize >= 1, "trainer.eval_batch_size", Trainer.EvalBatchSize, "at least 1");
        Check(Trainer.Threads >= 0, "trainer.threads", Trainer.Threads, "0 (all cores) or more");
        Check(Finite(Dqn.Gamma) && Dqn.Gamma >= 0 && Dqn.Gamma <= 1, "dqn.gamma", Dqn.Gamma, "between 0 and 1");
        Check(Finite(Dqn.LearningRate) && Dqn.LearningRate >= 0 && Dqn.LearningRate <= 1, "dqn.learning_rate", Dqn.LearningRate, "between 0 (frozen weights) and 1");
        Check(Finite(Dqn.WeightDecay) && Dqn.WeightDecay >= 0, "dqn.weight_decay", Dqn.WeightDecay, "a finite number of at least 0");
        Check(Finite(Dqn.GradClip) && Dqn.GradClip > 0, "dqn.grad_clip", Dqn.GradClip, "a finite number above 0");
        Check(Finite(Dqn.Tau) && Dqn.Tau > 0 && Dqn.Tau <= 1, "dqn.tau", Dqn.Tau, "above 0 and at most 1");
        Check(Dqn.SyncEvery >= 1, "dqn.sync_every", Dqn.SyncEvery, "at least 1");
        Check(Data.MaxListLength >= 1, "data.max_list_length", Data.MaxListLength, "at least 1");
        Check(Finite(Data.TestFraction) && Data.TestFraction > 0 && Data.TestFraction < 1, "data.test_fraction", Data.TestFraction, "between 0 and 1 (exclusive)");
        Check(Finite(Data.ValidationFraction) && Data.ValidationFraction > 0 && Data.ValidationFraction < 1, "data.validation_fraction", Data.ValidationFraction, "between 0 and 1 (exclusive)");
        Check(Data.MaxEvalLists >= 0, "data.max_eval_lists", Data.MaxEvalLists, "0 (no cap) or more");
        Check(Data.ShuffleBuffer >= 1, "data.shuffle_buffer", Data.ShuffleBuffer, "at least 1");
        Check(Data.ExplorerLists >= 0, "data.explorer_lists", Data.ExplorerLists, "0 (all training lists) or more");
        Check(Trainer.MaxStepsPerEpoch >= 0, "trainer.max_steps_per_epoch", Trainer.MaxStepsPerEpoch, "0 (whole passes) or more");
        Check(Features.MinCount >= 1, "features.min_count", Features.MinCount, "at least 1");
        Check(Features.HashBuckets >= 0, "features.hash_buckets", Features.HashBuckets, "0 (off) or more");
        Check(Finite(Features.OovDropout) && Features.OovDropout >= 0 && Features.OovDropout < 1, "features.oov_dropout", Features.OovDropout, "at least 0 and below 1");
        if (Model is { } model)
        {
            Check(model.EmbeddingDim >= 1, "model.embedding_dim", model.EmbeddingDim, "at least 1");
            Check(model.HintDim >= 1, "model.hint_dim", model.HintDim, "at least 1");
            Check(model.StateDim >= 0, "model.state_dim", model.StateDim, "0 (F·d, no projection) or more");
            Check(model.MlpWidth is 0 or >= 2, "model.mlp_width", model.MlpWidth, "0 (half the state width) or at least 2");
            Check(model.FieldHeads >= 1 && model.EmbeddingDim % model.FieldHeads == 0, "model.field_heads", model.FieldHeads,
                $"at least 1 and divide model.embedding_dim ({model.EmbeddingDim})");
            Check(model.SequenceHeads >= 1, "model.sequence_heads", model.SequenceHeads, "at least 1 (and divide the state width)");
            if (model.StateDim > 0)
                Check(model.StateDim % model.SequenceHeads == 0, "model.state_dim", model.StateDim, $"divisible by model.sequence_heads ({model.SequenceHeads})");
            Check(Finite(model.Dropout) && model.Dropout >= 0 && model.Dropout < 1, "model.dropout", model.Dropout, "at least 0 and below 1");
        }
        Distill?.Validate();
        // The simulator's settings matter (and are checked) only when it is the source; it lists L items per list.
        if (string.Equals(Data.Source, "synthetic", StringComparison.OrdinalIgnoreCase))
            (Data.Synthetic with { ListLength = Data.MaxListLength }).Validate();
    }

    /// <summary>
    /// This config for a student: the given embedding size d (default the student's 8) on this config's other network
    /// sizes, so that one config can train a teacher and a student (quickstart, experiments, distillation).
    /// </summary>
    public RunConfig AsStudent(int? embeddingDim = null) => this with
    {
        Role = ModelRole.Student,
        Model = (Model ?? QNetworkConfig.Student) with { EmbeddingDim = embeddingDim ?? QNetworkConfig.Student.EmbeddingDim },
    };
}
