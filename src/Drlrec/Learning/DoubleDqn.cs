using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Tensors;

namespace Drlrec.Learning;

/// <summary>
/// Double-DQN targets for list-wise re-ranking (van Hasselt et al., 2016): the online network chooses the
/// next action, the target network values it.
/// </summary>
public static class DoubleDqn
{
    /// <summary>
    /// TD targets for every position of a batch of logged lists:
    /// <code>
    ///   y_t = r_t + γ · Q'(s_{t+1}, argmax_{a ∈ A_{t+1}} Q(s_{t+1}, a))   for t &lt; L
    ///   y_L = r_L
    /// </code>
    /// A_{t+1} = the list's items at positions t+1..L (<see cref="TargetActions.RemainingList"/>), or {i_{t+1}}
    /// (<see cref="TargetActions.LoggedNext"/>, where the argmax is trivial). Runs without gradients; call with both
    /// networks in eval mode.
    /// </summary>
    /// <returns>[B, L] targets (0 at padded positions).</returns>
    public static Tensor Targets(QNetwork online, QNetwork target, ListBatch batch, FieldLayout layout, double gamma,
        TargetActions actions)
    {
        using var noGrad = no_grad();
        var mask = batch.Mask.to_type(ScalarType.Float32);                      // [B, L]
        var next = NextValues(online, target, batch, layout, actions);           // [B, L]: Q'(s_{t+1}, a*) at t
        return batch.Rewards.Plus(next.Times(gamma)) * mask;
    }

    /// <summary>
    /// Q'(s_{t+1}, a*) for each t, 0 where position t+1 does not exist (so y_L = r_L). Every next state of the batch
    /// is scored in one call per network: state s_p (p = 1..L−1 items placed) of list b is row b·(L−1) + p − 1, its
    /// candidates are the list's positions 1..L−1 with those before p (and padding) masked out.
    /// </summary>
    public static Tensor NextValues(QNetwork online, QNetwork target, ListBatch batch, FieldLayout layout, TargetActions actions)
    {
        using var noGrad = no_grad();
        long b = batch.Size, l = batch.Length, s = l - 1;
        var mask = batch.Mask.to_type(ScalarType.Float32);
        var targetOut = target.Forward(batch);
        if (s == 0) return zeros(b, 1);
        if (actions == TargetActions.LoggedNext)
            return cat([targetOut.Q.narrow(1, 1, s) * mask.narrow(1, 1, s), zeros(b, 1)], 1);

        var onlineOut = online.Forward(batch);
        var lists = arange(b, dtype: ScalarType.Int64).repeat_interleave(s);                     // [B·S]: the state's list
        var placed = arange(1, l, dtype: ScalarType.Int64).repeat(b);                             // [B·S]: p
        var slots = batch.Rows.narrow(1, 1, s).flatten(0, 1);                                    // [B·S, F, M]: slot p's row
        var items = layout.ItemPart(batch.Rows.narrow(1, 1, s), 2).index_select(0, lists);      // [B·S, S, F_item, M]
        var rows = layout.Place(slots, items);                                                   // [B·S, S, F, M]
        var unplaced = arange(1, l, dtype: ScalarType.Int64).unsqueeze(0).ge(placed.unsqueeze(1))
            .logical_and(batch.Mask.narrow(1, 1, s).index_select(0, lists));                     // [B·S, S]: A_{p}
        var qOnline = online.ScoreCandidates(online.PrefixAt(onlineOut, lists, placed), rows).Q;  // [B·S, S]
        var best = qOnline.masked_fill(unplaced.logical_not(), Scalars.NegativeInfinity).argmax(1); // [B·S]: a*
        var pick = best.view(-1, 1, 1, 1).expand(-1, 1, rows.shape[2], rows.shape[3]);
        var chosen = rows.gather(1, pick);                                                       // [B·S, 1, F, M]
        var qTarget = target.ScoreCandidates(target.PrefixAt(targetOut, lists, placed), chosen).Q; // [B·S, 1]
        return cat([qTarget.view(b, s) * mask.narrow(1, 1, s), zeros(b, 1)], 1);                  // [B, L]
    }

    /// <summary>Mean squared TD error over real positions: Σ mask·(Q − y)² / Σ mask.</summary>
    public static Tensor TdLoss(Tensor q, Tensor y, Tensor mask)
    {
        var m = mask.to_type(ScalarType.Float32);
        return ((q - y).square() * m).sum() / m.sum().clamp_min(Scalars.One);
    }
}
