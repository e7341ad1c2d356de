namespace Drlrec.Configuration;

/// <summary>Where the context fields (the slot's: position, hour, device, ...) enter the Q-network.</summary>
public enum ContextInput
{
    /// <summary>Their embeddings take their fields' places in the item vector after the field attention, which mixes the
    /// user and item fields only: a candidate's encoding is the same in every slot, so it is computed once per request
    /// (once per item of a list in training) and each slot's context is added per step.</summary>
    ItemVector,

    /// <summary>They are fields like the others in the field attention, so every slot re-encodes every candidate
    /// (checkpoints before format drlrec-model/3).</summary>
    FieldAttention,
}

/// <summary>
/// Sizes of a Q-network. Teacher and student share the architecture and differ only here
/// (reference: teacher d = 16, student d = 8; hint size 32; two heads). With F fields the network is
/// <code>
///   field bags [F, d] → field attention → item vector F·d → (state projection to D) → sequence attention D
///   → GRU D → MLP D → m → m/2 → H (hint) → Q
/// </code>
/// and its trainable parameters, with V embedding rows and F_dense dense fields, number
/// <code>
///   V·d + F_dense·d + (4d² + 4d) + 2d                    embedding, dense projection, field attention, field norm
///   + [D ≠ F·d] (F·d·D + D)                              state projection
///   + (4D² + 4D) + 2D + (6D² + 6D)                       sequence attention, sequence norm, GRU
///   + ((D + X)·m + m) + (m·⌊m/2⌋ + ⌊m/2⌋) + (⌊m/2⌋·H + H)  MLP; X = 3·(compared fields) + (skipped dense fields)
///   + (H + 1)                                             Q head
/// </code>
/// (docs/method.md, "Model sizes"). With D = F·d, m = ⌊D/2⌋ and <see cref="PrefixMatch"/> and <see cref="DenseSkip"/> off
/// (X = 0) it is the architecture of every checkpoint written before these knobs existed, parameter for parameter.
/// </summary>
public sealed record QNetworkConfig
{
    /// <summary>d: embedding size of every field. Default 16 (teacher); the student uses 8.</summary>
    public int EmbeddingDim { get; init; } = 16;

    /// <summary>Heads of the self-attention across the F fields of one item. Must divide d. Default 2.</summary>
    public int FieldHeads { get; init; } = 2;

    /// <summary>Heads of the causal self-attention across list positions. Must divide the state width D. Default 2.</summary>
    public int SequenceHeads { get; init; } = 2;

    /// <summary>
    /// D: width of the state. When it differs from F·d, a learned linear map projects each F·d item vector to D before
    /// the sequence attention, so the sequence attention, the GRU state and the MLP input are D wide (their parameters
    /// grow as D², the embeddings as d: the knob that shrinks a student below what a smaller d alone can). Default 0:
    /// D = F·d and no projection.
    /// </summary>
    public int StateDim { get; init; }

    /// <summary>m: width of the MLP's first hidden layer; the second is ⌊m/2⌋. At least 2 when set. Default 0: m = ⌊D/2⌋
    /// (the MLP D → D/2 → D/4 → H).</summary>
    public int MlpWidth { get; init; }

    /// <summary>H: size of the hint vector g_t, the MLP's last layer that the Hint loss matches. Default 32.</summary>
    public int HintDim { get; init; } = 32;

    /// <summary>Dropout on item vectors (after the state projection, when there is one) and hidden MLP layers during
    /// training. Default 0.1 (the reference's 0.3 learned more slowly and ended lower on the MovieLens validation split:
    /// 0.694 vs 0.701 AUC).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Where the context fields enter. Default <see cref="Configuration.ContextInput.ItemVector"/> (measured
    /// against <see cref="Configuration.ContextInput.FieldAttention"/> on 3 seeds per data set: docs/method.md), which
    /// encodes each candidate once per request instead of once per slot.</summary>
    public ContextInput ContextInput { get; init; } = ContextInput.ItemVector;

    /// <summary>
    /// List features of the candidate against the items placed before it (<c>Model/PrefixMatch.cs</c>): for each categorical
    /// item field but the item key, the share of the candidate's values that earlier placed items carry, summed over them
    /// with decays 0 (the item just before), 0.5 and 1 (every earlier item), fed to the MLP beside the state. Our design,
    /// not the paper's: the causal attention averages over the prefix and cannot count how often a category was already
    /// shown (docs/method.md, section 3). Default true; false (with <see cref="DenseSkip"/> false) gives the paper's network.
    /// </summary>
    public bool PrefixMatch { get; init; } = true;

    /// <summary>
    /// The user's and the item's dense values (normalised, as they enter their fields: the upstream score and rank, the item
    /// statistics, the user history) fed to the MLP beside the state as well: a direct path from the numbers a re-ranker is
    /// given to Q, as production re-rankers keep one, besides their way through the field attention's LayerNorm and the
    /// sequence model. Our design, not the paper's (docs/method.md, section 3). Default true; false (with
    /// <see cref="PrefixMatch"/> false) gives the paper's network.
    /// </summary>
    public bool DenseSkip { get; init; } = true;

    public static QNetworkConfig Teacher { get; } = new();
    public static QNetworkConfig Student { get; } = new() { EmbeddingDim = 8 };

    /// <summary>F·d, the width of item vectors after the field attention.</summary>
    public int ItemDim(int fields) => fields * EmbeddingDim;

    /// <summary>D, the width of the sequence attention, the GRU state and the MLP input: <see cref="StateDim"/>, or F·d.</summary>
    public int StateWidth(int fields) => StateDim > 0 ? StateDim : ItemDim(fields);

    /// <summary>True when item vectors are projected from F·d to a state width D ≠ F·d.</summary>
    public bool ProjectsState(int fields) => StateWidth(fields) != ItemDim(fields);

    /// <summary>The MLP's hidden widths (m, ⌊m/2⌋).</summary>
    public (int First, int Second) MlpWidths(int fields)
    {
        int first = MlpWidth > 0 ? MlpWidth : StateWidth(fields) / 2;
        return (first, first / 2);
    }

    public void Validate(int fields)
    {
        if (EmbeddingDim < 1 || HintDim < 1) throw new ArgumentException("EmbeddingDim and HintDim must be positive");
        if (StateDim < 0) throw new ArgumentException($"StateDim ({StateDim}) must be 0 (F·d, no projection) or positive");
        if (MlpWidth is < 0 or 1) throw new ArgumentException($"MlpWidth ({MlpWidth}) must be 0 (half the state width) or at least 2");
        if (FieldHeads < 1 || EmbeddingDim % FieldHeads != 0)
            throw new ArgumentException($"FieldHeads ({FieldHeads}) must divide EmbeddingDim ({EmbeddingDim})");
        int width = StateWidth(fields);
        if (SequenceHeads < 1 || width % SequenceHeads != 0)
            throw new ArgumentException($"SequenceHeads ({SequenceHeads}) must divide the state width D ({width}{(StateDim > 0 ? "" : " = F·d")})");
        if (Dropout is < 0 or >= 1) throw new ArgumentException("Dropout must be in [0, 1)");
        if (MlpWidths(fields).Second < 1)
            throw new ArgumentException($"the state width D ({width}) must be at least 4 when MlpWidth is not set (the MLP halves it twice)");
    }
}
