using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Distributed;
using Drlrec.Tensors;

namespace Drlrec.Distillation;

/// <summary>
/// How much the student should learn from each lesson: the teacher's confidence in its Q-value, from its TD error
/// against the "true" Q (the Double-DQN target y_t computed with the teacher's target network):
/// <code>
///   δ_t = y_t − Q_T(s_t, a_t)
///   c_t = 1 − δ_t² / (max over the batch of δ² + ε)        (td_error, reference formula)
///   c_t = exp(−δ_t² / mean over the batch of δ²)            (gaussian)
/// </code>
/// An explored, unlogged candidate has no reward and takes its list's confidence: the mean c_t over the list.
/// </summary>
public static class ConfidenceWeights
{
    public const double Epsilon = 1e-6;

    /// <param name="tdError">[B, L] δ_t.</param>
    /// <param name="mask">[B, L] real positions (padded ones get 0 and do not enter the max).</param>
    /// <param name="world">Data-parallel, the batch is this rank's share and the max (mean) of δ² is taken over the
    /// global batch, so that each item gets the confidence one process would give it. Default one process.</param>
    /// <returns>[B, L] c_t in [0, 1].</returns>
    public static Tensor PerItem(Tensor tdError, Tensor mask, ConfidenceMode mode, DataParallel? world = null)
    {
        var m = mask.to_type(ScalarType.Float32);
        var squared = tdError.square() * m;
        if (world is { Size: > 1 })
        {
            double scale;
            if (mode == ConfidenceMode.TdError)
            {
                var max = new double[] { squared.numel() == 0 ? 0 : squared.max().item<float>() };
                world.AllReduceMax(max);
                scale = max[0] + Epsilon;
                return (squared.DividedBy(scale)).OneMinus() * m;
            }
            var sums = new double[] { squared.sum().item<float>(), m.sum().item<float>() };
            world.AllReduceSum(sums);
            scale = sums[0] / Math.Max(1.0, sums[1]) + Epsilon;
            return squared.neg().DividedBy(scale).exp() * m;
        }
        var c = mode == ConfidenceMode.TdError
            ? (squared / squared.max().PlusScalar(Epsilon)).OneMinus()
            : (squared.neg() / (squared.sum() / m.sum().clamp_min(Scalars.One)).PlusScalar(Epsilon)).exp();
        return c * m;
    }

    /// <summary>What <see cref="PerItem"/> contributes to the global normaliser from a rank with no items (it must still
    /// take part in the collective).</summary>
    public static void TakePartWithoutItems(ConfidenceMode mode, DataParallel world)
    {
        if (world.Size == 1) return;
        if (mode == ConfidenceMode.TdError) world.AllReduceMax(new double[] { 0 });
        else world.AllReduceSum(new double[] { 0, 0 });
    }

    /// <summary>Mean confidence over each list's real positions: [B, L] → [B].</summary>
    public static Tensor PerList(Tensor perItem, Tensor mask)
    {
        var m = mask.to_type(ScalarType.Float32);
        return (perItem * m).sum(1) / m.sum(1).clamp_min(Scalars.One);
    }
}
