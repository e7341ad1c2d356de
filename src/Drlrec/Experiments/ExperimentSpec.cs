using System.Text.Json;
using Drlrec.Configuration;
using Drlrec.Simulation;

namespace Drlrec.Experiments;

/// <summary>What a variant trains.</summary>
public enum VariantKind
{
    /// <summary>A teacher (Double DQN alone, teacher sizes). The first teacher variant is trained first and is the one the
    /// distill variants learn from unless they name another (<see cref="ExperimentVariant.Teacher"/>); other teacher
    /// variants (e.g. a gamma = 0 teacher) are compared with it.</summary>
    Teacher,
    /// <summary>The student trained alone (Double DQN, student sizes).</summary>
    Student,
    /// <summary>A student distilled from that seed's teacher with <see cref="ExperimentVariant.Distill"/>.</summary>
    Distill,
}

/// <summary>One row group of an experiment: a model to train and compare.</summary>
public sealed record ExperimentVariant
{
    public required string Name { get; init; }
    public VariantKind Kind { get; init; } = VariantKind.Distill;
    /// <summary>Distillation settings of a distill variant (method and switches); default DRL-Rec.</summary>
    public DistillConfig? Distill { get; init; }
    /// <summary>The student's embedding size; default 8.</summary>
    public int? StudentDim { get; init; }

    /// <summary>
    /// Of a distill variant: the name of the teacher variant it learns from (the same seed's model of that variant), which
    /// must be listed before it. Default: the first teacher variant.
    /// </summary>
    public string? Teacher { get; init; }

    /// <summary>Run-config overrides of this variant only, layered over the experiment's (e.g. <c>{"dqn": {"gamma": 0}}</c>
    /// for a myopic teacher).</summary>
    public JsonElement? Config { get; init; }
}

/// <summary>A data set of an experiment.</summary>
public sealed record ExperimentDataset
{
    public required string Name { get; init; }
    /// <summary>As <c>--data</c>: a MovieLens folder, .tsv, .parquet or "synthetic" (paths relative to the working folder).</summary>
    public required string Source { get; init; }
    /// <summary>Simulator settings when the source is "synthetic".</summary>
    public SyntheticConfig? Synthetic { get; init; }

    /// <summary>How its lists are split (default: the experiment's base config, time).</summary>
    public SplitMode? Split { get; init; }

    /// <summary>Run-config overrides for this data set's runs, layered over the experiment's base (before each variant's).</summary>
    public JsonElement? Config { get; init; }
}

/// <summary>A parameter swept over for every distill variant (the variant is run once per value).</summary>
public sealed record ExperimentSweep
{
    /// <summary>"student_dim" or "k".</summary>
    public required string Parameter { get; init; }
    public required IReadOnlyList<int> Values { get; init; }
}

/// <summary>
/// An experiment file (<c>drlrec experiment FILE.json</c>): a grid of data sets × seeds × variants (× sweep values).
/// For each data set and seed the teacher is trained first; every other variant is then trained on the same split,
/// evaluated on the same test lists, timed against the teacher, and (on the simulator) evaluated online.
/// </summary>
public sealed record ExperimentSpec
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary>Default 1..5: enough seeds for a paired 95% interval to separate differences of about a seed's spread.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [1, 2, 3, 4, 5];
    public required IReadOnlyList<ExperimentDataset> Datasets { get; init; }
    public required IReadOnlyList<ExperimentVariant> Variants { get; init; }
    public ExperimentSweep? Sweep { get; init; }

    /// <summary>Run-config overrides applied to every run (snake_case keys of config.json, e.g. trainer.epochs).</summary>
    public JsonElement? Base { get; init; }

    /// <summary>Latency repetitions per model (teacher vs each student, torch, 1 thread); 0 skips timing. Default 100.</summary>
    public int LatencyRepeats { get; init; } = 100;

    /// <summary>Simulated requests per seed for online evaluation of synthetic data sets; 0 skips it. Default 300.</summary>
    public int OnlineRequests { get; init; } = 300;

    /// <summary>
    /// When set, in online evaluation the models re-rank the upstream ranker's top N of each request's candidates (as
    /// <c>evaluate --online --candidates N</c>); the baselines always see the whole request. Default: every candidate.
    /// </summary>
    public int? OnlineCandidates { get; init; }
}
