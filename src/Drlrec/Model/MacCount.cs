using Drlrec.Configuration;

namespace Drlrec.Model;

/// <summary>
/// Multiply-accumulates (MACs) of a <see cref="QNetwork"/>'s computations, counted from its dimensions as read from its
/// own parameters (a linear map of weight [out, in] costs out·in per row), so that a different shape of the network
/// is counted as it is. Only products are counted: embedding look-ups, norms, biases, softmax and the nonlinearities are
/// not. With D the state width, d the embedding size, F_s the fields of the field attention, H the hint size and T
/// the prefix length, a candidate scored in a greedy step costs
/// <code>
///   step(T) = out-projection D·D + GRU input 3D·D + MLP (D·D/2 + D/2·D/4 + D/4·H) + Q head H + attention 2·(T+1)·D
///           ≈ 4.6·D² for the default MLP
/// </code>
/// and a candidate encoded once per request costs <c>encode = F_s·(3d·d + d·d) + 2·F_s²·d + F·d·D + 3D·D</c> (field
/// attention, the state projection F·d → D when the model has one (<see cref="QNetworkConfig.StateDim"/>), then the
/// sequence attention's q|k|v projection). D is the model's state width (<see cref="QNetwork.StateDim"/>), not F·d.
/// </summary>
public static class MacCount
{
    /// <summary>The weights (each [out, in]) a greedy step applies once to every candidate, in call order.</summary>
    public static readonly IReadOnlyList<string> PerCandidateStepWeights =
        ["sequenceAttention.output.weight", "gru.weight_ih_l0", "mlp.hidden1.weight", "mlp.hidden2.weight", "mlp.hint.weight", "qHead.weight"];

    /// <summary>out·in of the weight <paramref name="key"/> ([out, in]).</summary>
    public static long Linear(QNetwork network, string key)
    {
        var weight = network.get_parameter(key) ?? throw new ArgumentException($"the Q-network has no parameter '{key}'");
        return weight.shape[0] * weight.shape[1];
    }

    /// <summary>The linear maps of one candidate in one greedy step (the attention over the prefix aside).</summary>
    public static long StepLinear(QNetwork network) => PerCandidateStepWeights.Sum(key => Linear(network, key));

    /// <summary>One candidate in one greedy step after a prefix of <paramref name="prefix"/> items: the linear maps and the
    /// attention (q·k and the weighted sum of v over the prefix and itself).</summary>
    public static long Step(QNetwork network, int prefix) => StepLinear(network) + 2L * (prefix + 1) * network.StateDim;

    /// <summary>One item through the field attention over <paramref name="fields"/> fields, the state projection and the
    /// sequence attention's q|k|v projection (a candidate's encoding, or a list position's).</summary>
    public static long Encode(QNetwork network, int fields) =>
        fields * (Linear(network, "fieldAttention.projection.weight") + Linear(network, "fieldAttention.output.weight"))
        + 2L * fields * fields * network.Config.EmbeddingDim
        + StateProjection(network)
        + Linear(network, "sequenceAttention.projection.weight");

    /// <summary>F·d·D for a model that projects its item vectors to a state width D ≠ F·d, else 0.</summary>
    private static long StateProjection(QNetwork network) =>
        network.Config.ProjectsState(network.FieldCount) ? Linear(network, "stateProjection.weight") : 0;

    /// <summary>The fields of the field attention (the context fields are added after it when encoded once).</summary>
    private static int AttendedFields(QNetwork network) => network.FieldCount - network.SlotContext;

    /// <summary>
    /// A slate of <paramref name="slots"/> slots from <paramref name="candidates"/> candidates as the ranker computes it:
    /// every candidate encoded once (per slot for models that encode per slot), then in slot t the remaining N − t
    /// candidates scored after a prefix of t; per slot once, the GRU's recurrent projection 3D·D of the state and the slot
    /// context's projections (F·d·D to the state width when the model projects, then 3D·D; when the context is added per
    /// slot).
    /// </summary>
    public static long Slate(QNetwork network, int candidates, int slots)
    {
        int s = Math.Min(slots, candidates);
        long d = network.StateDim, total = 0;
        bool once = network.EncodesOncePerRequest;
        long context = once && network.SlotContext > 0 ? StateProjection(network) + 3 * d * d : 0;
        if (once) total += candidates * Encode(network, AttendedFields(network));
        for (int t = 0; t < s; t++)
        {
            long remaining = candidates - t;
            total += remaining * (Step(network, t) + (once ? 0 : Encode(network, network.FieldCount)));
            total += Linear(network, "gru.weight_hh_l0") + context;
        }
        return total;
    }

    /// <summary>
    /// The forward pass over <paramref name="lists"/> lists of <paramref name="length"/> positions (teacher forcing):
    /// per position the item's encoding, the causal attention (2·(t+1)·D at position t), its output projection, the GRU
    /// (input and recurrent projections), the MLP and the Q head.
    /// </summary>
    public static long Forward(QNetwork network, int lists, int length)
    {
        long d = network.StateDim;
        long perPosition = Encode(network, network.FieldCount) + StepLinear(network) + Linear(network, "gru.weight_hh_l0");
        return lists * (length * perPosition + (long)length * (length + 1) * d);
    }

    /// <summary>
    /// One Double-DQN training step on <paramref name="lists"/> lists of <paramref name="length"/> (padded) positions:
    /// the targets (the target network's forward pass; with <see cref="TargetActions.RemainingList"/> also the online
    /// network's forward pass, every item encoded once more by each network, and in each state p = 1..L−1 the online
    /// network scoring the L − p remaining items and the target network the one chosen), then the online forward pass
    /// and its backward pass, counted as twice the forward (the gradients of the activations and of the weights).
    /// </summary>
    public static long TrainingStep(QNetwork network, int lists, int length, TargetActions actions)
    {
        long forward = Forward(network, lists, length);
        long targets = forward;
        if (actions == TargetActions.RemainingList)
        {
            long encodeOnce = network.EncodesOncePerRequest ? Encode(network, AttendedFields(network)) - Linear(network, "sequenceAttention.projection.weight") : 0;
            targets += forward + 2L * lists * length * encodeOnce;
            for (int p = 1; p < length; p++)
            {
                long scored = length - p + 1; // the remaining items (online) and the chosen one (target)
                long perCandidate = Step(network, p) + Linear(network, "sequenceAttention.projection.weight")
                                    + (network.EncodesOncePerRequest ? 0 : Encode(network, network.FieldCount));
                targets += lists * (scored * perCandidate + 2 * Linear(network, "gru.weight_hh_l0"));
            }
        }
        return targets + 3 * forward;
    }
}
