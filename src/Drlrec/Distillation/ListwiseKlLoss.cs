using static TorchSharp.torch;
using Drlrec.Tensors;

namespace Drlrec.Distillation;

/// <summary>
/// List-wise KL loss over sets of items scored in the same state (a logged list, or a filtered lesson set), with
/// temperature on both sides and Hinton's T² factor, weighted per set:
/// <code>
///   p_T = softmax(Q_T / T),  p_S = softmax(Q_S / T)   over the set's items
///   L_KL = (1/S) Σ_s w_s · T² · Σ_i p_T,i (log p_T,i − log p_S,i)
/// </code>
/// </summary>
public static class ListwiseKlLoss
{
    /// <param name="teacherQ">[S, C] (no gradient needed).</param>
    /// <param name="studentQ">[S, C].</param>
    /// <param name="mask">[S, C] items that belong to each set.</param>
    /// <param name="weights">[S] per-set weights (confidence), or null for 1.</param>
    public static Tensor Compute(Tensor teacherQ, Tensor studentQ, Tensor mask, Tensor? weights, double temperature)
    {
        var outside = mask.logical_not();
        var logPt = teacherQ.DividedBy(temperature).masked_fill(outside, Scalars.NegativeInfinity).log_softmax(-1);
        var logPs = studentQ.DividedBy(temperature).masked_fill(outside, Scalars.NegativeInfinity).log_softmax(-1);
        var perItem = (logPt.exp() * (logPt - logPs)).masked_fill(outside, Scalars.Zero);  // 0·(−∞) would be NaN
        var perSet = perItem.sum(-1).Times(temperature * temperature);                   // [S]
        if (weights is not null) perSet = perSet * weights;
        return perSet.mean();
    }
}
