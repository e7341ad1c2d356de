using Drlrec.Distillation;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Simulation;

namespace Drlrec.Training;

/// <summary>Which of the two networks a run trains.</summary>
public enum ModelRole
{
    /// <summary>The large network (default d = 16) trained alone with Double DQN.</summary>
    Teacher,
    /// <summary>The small network (default d = 8); trained alone by <c>train</c>, from a teacher by <c>distill</c>.</summary>
    Student,
}

/// <summary>Where the lists come from and how they are split.</summary>
public sealed record DataConfig
{
    /// <summary>A MovieLens-100K folder, a reference .tsv, a .parquet, or "synthetic". Default "synthetic".</summary>
    public string Source { get; init; } = "synthetic";

    /// <summary>Optional separate test file; when null the latest <see cref="TestFraction"/> of lists is the test set. Default null.</summary>
    public string? Test { get; init; }

    /// <summary>L: longest list; longer logged lists are cut into consecutive lists. Default 10.</summary>
    public int MaxListLength { get; init; } = 10;

    /// <summary>Latest fraction of lists (by time) held out for testing. Default 0.2.</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>Latest fraction of the remaining lists used for early stopping and tuning. Default 0.1.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Skip malformed records (and report counts) instead of failing. Default false.</summary>
    public bool SkipBadRecords { get; init; }

    /// <summary>The simulator's settings when <see cref="Source"/> is "synthetic" (its own seed: the logged data
    /// stay the same when only the run seed changes).</summary>
    public SyntheticConfig Synthetic { get; init; } = new();
}

/// <summary>Epochs, batches and early stopping.</summary>
public sealed record TrainerConfig
{
    /// <summary>Maximum passes over the training lists. Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Lists per minibatch. Default 32: on MovieLens-100K (7.5k training lists) larger batches left too few
    /// updates per epoch (validation AUC 0.691 at 128 after 12 epochs vs 0.701 at 32 after 7).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Stop after this many epochs without a better validation AUC; the best epoch's weights are kept. Default 3.</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Lists per batch when scoring for evaluation. Default 512.</summary>
    public int EvalBatchSize { get; init; } = 512;

    /// <summary>CPU threads for tensor operations; 0 keeps libtorch's default (all cores). Default 0.</summary>
    public int Threads { get; init; }
}

/// <summary>
/// Everything a training run depends on. A run writes this, fully resolved, as <c>config.json</c> in its folder;
/// <c>--config FILE.json</c> reads the same shape (snake_case keys, any subset).
/// </summary>
public sealed record RunConfig
{
    /// <summary>Seed of every random choice (weights, shuffling, dropout, simulator). Default 42.</summary>
    public int Seed { get; init; } = 42;

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
}
