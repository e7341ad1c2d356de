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
        var remainingItems = ItemVectors(online, target, batch, layout);
        for (int p = 1; p < l; p++) // state s_{p}: p items placed; candidates = positions p..L-1, in slot p's context
        {
            var remaining = batch.Mask.narrow(1, p, l - p);                                           // [B, C]
            var (xOnline, targetVector) = remainingItems(p);                                         // [B, C, D]
            var rows = batch.Rows.narrow(1, p, l - p);                                                // [B, C, F, M] (item fields read)
            var qOnline = online.ScoreEncoded(online.PrefixAt(onlineOut, p), xOnline, rows).Q;       // [B, C]
            var best = qOnline.masked_fill(remaining.logical_not(), Scalars.NegativeInfinity).argmax(1); // [B]
            var chosen = targetVector(best);                                                          // [B, 1, D]
            var qTarget = target.ScoreEncoded(target.PrefixAt(targetOut, p), chosen, Pick(rows, best)).Q.squeeze(1); // [B]
            columns.Add(qTarget * mask.select(1, p));
        }
        columns.Add(zeros(b));
        return stack(columns, 1);
    }

    /// <summary>
    /// For slot p: the online network's vectors of the list's items at positions p..L-1 placed in slot p (user and
    /// context fields of slot p, item fields of each item), and the target network's vector of the one chosen (by its
    /// index among them). Networks that encode once (<see cref="QNetwork.EncodesOncePerRequest"/>) encode each item once
    /// per batch and add the slot's context; the others encode every item again in every slot (L²/2 encodings per list).
    /// </summary>
    public static Func<int, (Tensor Online, Func<Tensor, Tensor> TargetOf)> ItemVectors(QNetwork online, QNetwork target,
        ListBatch batch, FieldLayout layout, bool encodeOnce = true)
    {
        long b = batch.Size, l = batch.Length;
        if (encodeOnce && online.EncodesOncePerRequest && target.EncodesOncePerRequest)
        {
            // The user fields are the list's own in every slot, so an item's encoding is its row's (context aside).
            var rows = batch.Rows.flatten(0, 1);                                                      // [B·L, F, M]
            var onlineItems = online.EncodeCandidates(rows).view(b, l, -1);                           // [B, L, D]
            var targetItems = target.EncodeCandidates(rows).view(b, l, -1);
            return p =>
            {
                var slot = batch.Rows.select(1, p);                                                   // [B, F, M]
                return (online.AtSlot(onlineItems.narrow(1, p, l - p), slot),
                    best => target.AtSlot(Pick(targetItems.narrow(1, p, l - p), best), slot));
            };
        }
        return p =>
        {
            var placed = layout.Place(batch.Rows.select(1, p), layout.ItemPart(batch.Rows.narrow(1, p, l - p), 2)); // [B, C, F, M]
            return (online.EncodeItems(placed.flatten(0, 1)).view(b, l - p, -1),
                best => target.EncodeItems(Pick(placed, best).flatten(0, 1)).view(b, 1, -1));
        };
    }

    /// <summary>Row best[r] of each x[r] along axis 1: [B, C, ..] → [B, 1, ..].</summary>
    private static Tensor Pick(Tensor x, Tensor best)
    {
        var shape = x.shape.ToArray();
        shape[1] = 1;
        var index = best.view([.. new long[] { x.shape[0], 1 }, .. Enumerable.Repeat(1L, (int)x.dim() - 2)]).expand(shape);
        return x.gather(1, index);
    }

    /// <summary>Mean squared TD error over real positions: Σ mask·(Q − y)² / Σ mask.</summary>
    public static Tensor TdLoss(Tensor q, Tensor y, Tensor mask)
    {
        var m = mask.to_type(ScalarType.Float32);
        return ((q - y).square() * m).sum() / m.sum().clamp_min(Scalars.One);
    }
}
