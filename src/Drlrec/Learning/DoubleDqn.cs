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

    /// <summary>Q'(s_{t+1}, a*) for each t, 0 where position t+1 does not exist (so y_L = r_L).</summary>
    public static Tensor NextValues(QNetwork online, QNetwork target, ListBatch batch, FieldLayout layout, TargetActions actions)
    {
        using var noGrad = no_grad();
        long b = batch.Size, l = batch.Length;
        var mask = batch.Mask.to_type(ScalarType.Float32);
        var targetOut = target.Forward(batch);
        if (actions == TargetActions.LoggedNext)
            return cat([targetOut.Q.narrow(1, 1, l - 1) * mask.narrow(1, 1, l - 1), zeros(b, 1)], 1);

        var onlineOut = online.Forward(batch);
        var columns = new List<Tensor>();
        for (int p = 1; p < l; p++) // state s_{p}: p items placed; candidates = positions p..L-1
        {
            var rows = layout.Place(batch.Rows.select(1, p), layout.ItemPart(batch.Rows.narrow(1, p, l - p), 2)); // [B, C, F, M]
            var remaining = batch.Mask.narrow(1, p, l - p);                                           // [B, C]
            var qOnline = online.ScoreCandidates(online.PrefixAt(onlineOut, p), rows).Q;              // [B, C]
            var best = qOnline.masked_fill(remaining.logical_not(), Scalars.NegativeInfinity).argmax(1); // [B]
            var pick = best.view(b, 1, 1, 1).expand(b, 1, rows.shape[2], rows.shape[3]);
            var chosen = rows.gather(1, pick);                                                        // [B, 1, F, M]
            var qTarget = target.ScoreCandidates(target.PrefixAt(targetOut, p), chosen).Q.squeeze(1);
            columns.Add(qTarget * mask.select(1, p));
        }
        columns.Add(zeros(b));
        return stack(columns, 1);
    }

    /// <summary>Mean squared TD error over real positions: Σ mask·(Q − y)² / Σ mask.</summary>
    public static Tensor TdLoss(Tensor q, Tensor y, Tensor mask)
    {
        var m = mask.to_type(ScalarType.Float32);
        return ((q - y).square() * m).sum() / m.sum().clamp_min(Scalars.One);
    }
}
