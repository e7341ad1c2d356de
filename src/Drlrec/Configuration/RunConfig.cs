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
    /// This config for a student: the given embedding size d (default the student's 8) on this config's other network
    /// sizes, so that one config can train a teacher and a student (quickstart, experiments, distillation).
    /// </summary>
    public RunConfig AsStudent(int? embeddingDim = null) => this with
    {
        Role = ModelRole.Student,
        Model = (Model ?? QNetworkConfig.Student) with { EmbeddingDim = embeddingDim ?? QNetworkConfig.Student.EmbeddingDim },
    };
}
