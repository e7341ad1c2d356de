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

    /// <summary>With a <c>student_size</c> sweep: the name of one of its sizes, at which alone this variant is trained (e.g.
    /// KD and Hint at the chosen size); without it the variant is trained at every size.</summary>
    public string? Size { get; init; }
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

/// <summary>A parameter swept over: every student variant (student_dim, student_size) or distill variant (k) is run once
/// per value.</summary>
public sealed record ExperimentSweep
{
    public const string StudentDim = "student_dim", K = "k", StudentSize = "student_size";

    /// <summary>"student_dim" (the values are embedding sizes), "k" (lessons per pool) or "student_size" (the
    /// <see cref="Sizes"/>: network sizes of several knobs).</summary>
    public required string Parameter { get; init; }

    /// <summary>The values of a student_dim or k sweep.</summary>
    public IReadOnlyList<int> Values { get; init; } = [];

    /// <summary>The student sizes of a student_size sweep; the report draws the compression frontier over them
    /// (<see cref="CompressionFrontier"/>).</summary>
    public IReadOnlyList<StudentSize> Sizes { get; init; } = [];

    /// <summary>Refuses a sweep the runner cannot run, naming what is wrong.</summary>
    public void Validate(IReadOnlyList<ExperimentVariant> variants)
    {
        switch (Parameter)
        {
            case StudentDim or K:
                if (Values.Count == 0) throw new ArgumentException($"experiment sweep '{Parameter}': values must list at least one value");
                if (Sizes.Count > 0) throw new ArgumentException($"experiment sweep '{Parameter}': sizes belong to a student_size sweep");
                break;
            case StudentSize:
                if (Sizes.Count == 0) throw new ArgumentException("experiment sweep 'student_size': sizes must list at least one size");
                if (Values.Count > 0) throw new ArgumentException("experiment sweep 'student_size': give sizes, not values");
                foreach (var size in Sizes) size.Validate();
                if (Sizes.GroupBy(z => z.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
                    throw new ArgumentException($"experiment sweep 'student_size': two sizes are named '{twice.Key}'");
                break;
            default:
                throw new ArgumentException($"experiment sweep: parameter '{Parameter}' is not one of {StudentDim}, {K}, {StudentSize}");
        }
        foreach (var v in variants.Where(v => v.Size is not null))
            if (Parameter != StudentSize || Sizes.All(z => z.Name != v.Size))
                throw new ArgumentException($"variant '{v.Name}': size '{v.Size}' is not one of the student_size sweep's sizes");
    }

    /// <summary>Index of the size named <paramref name="name"/>.</summary>
    public int IndexOfSize(string name) => Sizes.Select((z, i) => (z, i)).First(p => p.z.Name == name).i;
}

/// <summary>A named network size of a <c>student_size</c> sweep: <c>model.*</c> settings (snake_case keys of
/// <see cref="QNetworkConfig"/>, e.g. <c>{"embedding_dim": 2, "state_dim": 16}</c>) layered over the student's.</summary>
public sealed record StudentSize
{
    public required string Name { get; init; }
    public required JsonElement Model { get; init; }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("experiment sweep 'student_size': every size needs a name");
        if (Model.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"experiment size '{Name}': model must be a JSON object of model settings (e.g. {{\"embedding_dim\": 4}})");
    }
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

    /// <summary>
    /// Off-policy estimates of each model's clicks per list (clipped Cascade-DR, <c>evaluate --ope</c>'s default) on the validation and the test
    /// lists, when the logs carry propensities (the simulator's do): reported beside offline AUC and the true online clicks,
    /// and the variant the validation estimate would choose per seed. Default true.
    /// </summary>
    public bool Ope { get; init; } = true;
}
