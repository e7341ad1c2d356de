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
/// (reference: teacher d = 16, student d = 8; hint size 32; two heads).
/// </summary>
public sealed record QNetworkConfig
{
    /// <summary>d: embedding size of every field. Default 16 (teacher); the student uses 8.</summary>
    public int EmbeddingDim { get; init; } = 16;

    /// <summary>Heads of the self-attention across the F fields of one item. Must divide d. Default 2.</summary>
    public int FieldHeads { get; init; } = 2;

    /// <summary>Heads of the causal self-attention across list positions. Must divide F·d. Default 2.</summary>
    public int SequenceHeads { get; init; } = 2;

    /// <summary>Size of the hint vector g_t, the MLP's last layer that the Hint loss matches. Default 32.</summary>
    public int HintDim { get; init; } = 32;

    /// <summary>Dropout on item vectors and hidden MLP layers during training. Default 0.1 (the reference's 0.3 learned
    /// more slowly and ended lower on the MovieLens validation split: 0.694 vs 0.701 AUC).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Where the context fields enter. Default <see cref="Configuration.ContextInput.ItemVector"/> (measured
    /// against <see cref="Configuration.ContextInput.FieldAttention"/> on 3 seeds per data set: docs/method.md), which
    /// encodes each candidate once per request instead of once per slot.</summary>
    public ContextInput ContextInput { get; init; } = ContextInput.ItemVector;

    public static QNetworkConfig Teacher { get; } = new();
    public static QNetworkConfig Student { get; } = new() { EmbeddingDim = 8 };

    /// <summary>F·d, the width of item vectors, the GRU state and the MLP input.</summary>
    public int ItemDim(int fields) => fields * EmbeddingDim;

    public void Validate(int fields)
    {
        if (EmbeddingDim < 1 || HintDim < 1) throw new ArgumentException("EmbeddingDim and HintDim must be positive");
        if (FieldHeads < 1 || EmbeddingDim % FieldHeads != 0)
            throw new ArgumentException($"FieldHeads ({FieldHeads}) must divide EmbeddingDim ({EmbeddingDim})");
        if (SequenceHeads < 1 || ItemDim(fields) % SequenceHeads != 0)
            throw new ArgumentException($"SequenceHeads ({SequenceHeads}) must divide F·d ({ItemDim(fields)})");
        if (Dropout is < 0 or >= 1) throw new ArgumentException("Dropout must be in [0, 1)");
        if (ItemDim(fields) < 4) throw new ArgumentException("F·d must be at least 4 (the MLP halves it twice)");
    }
}
