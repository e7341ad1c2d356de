namespace Drlrec.Configuration;

/// <summary>Which distillation recipe a student is trained with (switches can further turn parts off).</summary>
public enum DistillMethod
{
    /// <summary>DRL-Rec: exploring/filtering + confidence-guided list-wise KL and Hint losses + the student's Double DQN.</summary>
    DrlRec,
    /// <summary>Plain knowledge distillation: list-wise KL on the logged items only, no confidence, no Hint.</summary>
    Kd,
    /// <summary>Hint loss only, on the logged items, no confidence.</summary>
    Hint,
    /// <summary>No teacher: the student's own Double DQN loss (the student trained alone).</summary>
    None,
}

/// <summary>The methods' names on the command line (config files use the snake_case enum names, e.g. "drl_rec").</summary>
public static class DistillMethods
{
    public static IReadOnlyList<string> Names { get; } = ["drl-rec", "kd", "hint", "none"];

    public static string Name(DistillMethod method) => method switch
    {
        DistillMethod.DrlRec => "drl-rec",
        DistillMethod.Kd => "kd",
        DistillMethod.Hint => "hint",
        _ => "none",
    };

    public static DistillMethod Parse(string name) => name switch
    {
        "drl-rec" => DistillMethod.DrlRec,
        "kd" => DistillMethod.Kd,
        "hint" => DistillMethod.Hint,
        "none" => DistillMethod.None,
        _ => throw new ArgumentException($"--method: '{name}' is not one of {string.Join(", ", Names)}"),
    };
}

/// <summary>How much the student learns from each lesson.</summary>
public enum ConfidenceMode
{
    /// <summary>c_t = 1 − δ_t² / (max_batch δ² + ε), δ_t the teacher's TD error (docs/method.md, reference formula).</summary>
    TdError,
    /// <summary>c_t = exp(−δ_t² / mean_batch δ²): a smooth alternative that never zeroes the worst item.</summary>
    Gaussian,
}

/// <summary>How the distillation terms are weighed against the student's own Double DQN loss.</summary>
public enum TermBalance
{
    /// <summary>The weights are shares of the student's gradient at the start: each distillation term is scaled so that its
    /// gradient's norm, measured over the first steps, stands to the TD loss's as its weight to the RL weight
    /// (<c>Distillation/DistillTermScales.cs</c>). The student's size then does not change what the weights mean.</summary>
    Gradient,
    /// <summary>The reference's: the weights multiply the raw losses, whose sizes depend on the student's (a d = 2 student's
    /// Hint term started at 3.5 times the TD loss's share of the gradient at Hint weight 0.3; docs/compression.md).</summary>
    None,
}

/// <summary>Where the explorer's pool of each state comes from (<see cref="DistillConfig.ExploreFrom"/>).</summary>
public enum ExplorePool
{
    /// <summary>Candidates when the training lists (held in memory) carry unshown candidates, else Catalog.</summary>
    Auto,

    /// <summary>N_c catalog items drawn by the retriever (popular, co-occurring, uniform): the paper's thousand-level pool. A
    /// catalog item has no value for the fields a request gives its candidates (an upstream score or rank).</summary>
    Catalog,

    /// <summary>The state's own request's candidates not yet placed (its list's later items and its unshown candidates), with
    /// their fields as logged; needs logs that carry the unshown candidates.</summary>
    Candidates,
}

/// <summary>When the teacher learns.</summary>
public enum DistillSchedule
{
    /// <summary>The teacher is trained first (its checkpoint is given) and frozen during distillation.</summary>
    Frozen,
    /// <summary>The teacher keeps training with Double DQN on each batch before the student's step (reference code).</summary>
    Joint,
}

/// <summary>Settings of teacher → student distillation (docs/method.md; weights are the reference's).</summary>
public sealed record DistillConfig
{
    /// <summary>drl_rec (default), kd, hint or none.</summary>
    public DistillMethod Method { get; init; } = DistillMethod.DrlRec;

    /// <summary>Explore a candidate pool per state and distill on the filtered lessons. Default true.</summary>
    public bool ExploreFilter { get; init; } = true;

    /// <summary>Weight every lesson by the teacher's confidence (false: all weights 1). Default true.</summary>
    public bool Confidence { get; init; } = true;

    /// <summary>Use the list-wise KL loss. Default true.</summary>
    public bool Kl { get; init; } = true;

    /// <summary>Use the Hint loss. Default true.</summary>
    public bool Hint { get; init; } = true;

    /// <summary>td_error (default) or gaussian.</summary>
    public ConfidenceMode ConfidenceMode { get; init; } = ConfidenceMode.TdError;

    /// <summary>k: lessons kept per model from each pool (teacher's top k ∪ student's top k). Default 10.</summary>
    public int K { get; init; } = 10;

    /// <summary>auto (default), catalog or candidates: where each explored state's pool comes from (<see cref="ExplorePool"/>).
    /// auto takes the request's candidates when the logs carry them: a catalog item lacks the fields a request gives its
    /// candidates, and the teacher's opinion of such an input is poor (docs/compression.md, "What the explorer teaches").</summary>
    public ExplorePool ExploreFrom { get; init; } = ExplorePool.Auto;

    /// <summary>N_c: catalog candidates explored per state (explore_from catalog). Default 1000 ("thousand-level").</summary>
    public int Pool { get; init; } = 1000;

    /// <summary>States (logged list prefixes) explored per minibatch. Default 2 (each costs N_c teacher and student
    /// candidate scorings; the reference explores one pool per batch).</summary>
    public int StatesPerBatch { get; init; } = 2;

    /// <summary>Share of each pool drawn from popular items; <see cref="CooccurringShare"/> comes from items co-occurring
    /// with the user's recent items; the rest is uniform over the catalog. Defaults 0.4 and 0.3.</summary>
    public double PopularShare { get; init; } = 0.4;

    public double CooccurringShare { get; init; } = 0.3;

    /// <summary>T: softmax temperature on both teacher and student Q-values (loss multiplied by T²). Default 1.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Weights of the student's Double DQN, KL and Hint losses. Defaults 0.4 / 0.3 / 0.3 (reference).</summary>
    public double RlWeight { get; init; } = 0.4;

    public double KlWeight { get; init; } = 0.3;
    public double HintWeight { get; init; } = 0.3;

    /// <summary>Steps over which the Hint weight falls linearly to 0: w_Hint(t) = w_Hint · max(0, 1 − t / hint_decay_steps),
    /// t the student's steps so far; 0 (default) keeps it constant, the reference's. The Hint term starts the student's
    /// representation near the teacher's; held to the end it keeps pulling a small student toward a representation it
    /// cannot reproduce (docs/compression.md, "The Hint term's schedule").</summary>
    public int HintDecaySteps { get; init; } = 0;

    /// <summary>Match the hints through a learned linear map W (FitNets' regressor) even when the student's hint size equals
    /// the teacher's. Default true: with W the student's hint need only carry the teacher's information, not its
    /// coordinates; false uses the identity between equal sizes, as the reference does (it made small students in the
    /// capacity world start far below the student alone and collapse on some seeds; docs/compression.md).</summary>
    public bool HintProjection { get; init; } = true;

    /// <summary>none (default): the reference's weights on the raw losses; gradient: the weights are the terms' shares of the
    /// student's gradient norm at the start (<see cref="TermBalance.Gradient"/>), not yet the default: it is measured on a toy
    /// only (docs/method.md §7).</summary>
    public TermBalance Balance { get; init; } = TermBalance.None;

    /// <summary>Steps at the start over which <see cref="TermBalance.Gradient"/> measures the terms' gradient norms (their
    /// means fix the scales; until then the means so far are used). Default 10.</summary>
    public int BalanceSteps { get; init; } = 10;

    /// <summary>frozen (default) or joint.</summary>
    public DistillSchedule Schedule { get; init; } = DistillSchedule.Frozen;

    /// <summary>The switches as the method implies them: kd, hint and none turn parts off; drl_rec keeps the given switches.</summary>
    public DistillConfig Resolve() => Method switch
    {
        DistillMethod.Kd => this with { ExploreFilter = false, Confidence = false, Hint = false },
        DistillMethod.Hint => this with { ExploreFilter = false, Confidence = false, Kl = false },
        DistillMethod.None => this with { ExploreFilter = false, Confidence = false, Kl = false, Hint = false },
        _ => this,
    };

    /// <summary>
    /// The student's display name for a resolved config: "student-drl-rec", with the parts switched off appended
    /// (e.g. "student-drl-rec-no-kl"); "student-kd", "student-hint", "student-none" for the other methods.
    /// </summary>
    public string StudentName()
    {
        string name = $"student-{DistillMethods.Name(Method)}";
        if (Method != DistillMethod.DrlRec) return name;
        if (!ExploreFilter) name += "-no-explore";
        if (!Confidence) name += "-no-confidence";
        if (!Kl) name += "-no-kl";
        if (!Hint) name += "-no-hint";
        return name;
    }

    /// <summary>True when any loss needs the teacher.</summary>
    public bool UsesTeacher => Kl || Hint;

    public void Validate()
    {
        if (K < 1 || Pool < 1 || StatesPerBatch < 1)
            throw new ArgumentException($"config distill.k, distill.pool and distill.states_per_batch must be at least 1 (got {K}, {Pool}, {StatesPerBatch})");
        if (!double.IsFinite(Temperature) || Temperature <= 0) throw new ArgumentException($"config distill.temperature = {Temperature}: must be a finite number above 0");
        if (HintDecaySteps < 0) throw new ArgumentException($"config distill.hint_decay_steps = {HintDecaySteps}: must be at least 0 (0 = no decay)");
        if (BalanceSteps < 1) throw new ArgumentException($"config distill.balance_steps = {BalanceSteps}: must be at least 1");
        foreach (var (key, weight) in new[] { ("rl_weight", RlWeight), ("kl_weight", KlWeight), ("hint_weight", HintWeight) })
            if (!double.IsFinite(weight) || weight < 0) throw new ArgumentException($"config distill.{key} = {weight}: must be a finite number of at least 0");
        if (Balance == TermBalance.Gradient && RlWeight <= 0)
            throw new ArgumentException($"config distill.rl_weight = {RlWeight}: must be above 0 with distill.balance gradient (the other weights are shares relative to it)");
        if (!(PopularShare >= 0) || !(CooccurringShare >= 0) || PopularShare + CooccurringShare > 1)
            throw new ArgumentException("config distill.popular_share and distill.cooccurring_share must be at least 0 and sum to at most 1");
    }
}
