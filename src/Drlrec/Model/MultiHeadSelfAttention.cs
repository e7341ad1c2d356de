using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Drlrec.Tensors;

namespace Drlrec.Model;

/// <summary>
/// Multi-head scaled dot-product self-attention (Vaswani et al., 2017) whose keys and values can be cached, so that a
/// list prefix is projected once and many candidates are then scored against it in one step.
/// </summary>
public sealed class MultiHeadSelfAttention : nn.Module
{
    // Query, key and value projections in one matrix (rows q | k | v): one GEMM instead of three.
    private readonly Linear projection;
    private readonly Linear output;
    private readonly int heads;
    private readonly int headDim;
    // Held, not made per call: see Scalars.
    private readonly Scalar scoreScale;

    public MultiHeadSelfAttention(string name, int dim, int heads) : base(name)
    {
        this.heads = heads;
        headDim = dim / heads;
        scoreScale = Math.Sqrt(headDim).ToScalar();
        projection = nn.Linear(dim, 3 * dim);
        output = nn.Linear(dim, dim);
        RegisterComponents();
    }

    public int Heads => heads;
    public int HeadDim => headDim;

    /// <summary>Attention of every element of x over all elements (or, when causal, over itself and earlier ones).</summary>
    /// <param name="x">[N, S, D]</param>
    /// <param name="keys">[N, h, S, dh] projected keys (the cache of a list prefix).</param>
    /// <param name="values">[N, h, S, dh].</param>
    /// <returns>[N, S, D]</returns>
    public Tensor Attend(Tensor x, bool causal, out Tensor keys, out Tensor values)
    {
        var (q, k, v) = ProjectHeads(x);                                                      // [N, h, S, dh] each
        keys = k;
        values = v;
        var mixed = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal); // [N, h, S, dh]
        return output.forward(MergeHeads(mixed));                                        // [N, S, D]
    }

    public Tensor Attend(Tensor x, bool causal) => Attend(x, causal, out _, out _);

    /// <summary>
    /// Each of C candidates attends over a cached prefix of T positions plus itself, as if placed next.
    /// </summary>
    /// <param name="x">[R, C, D] candidate vectors for R states.</param>
    /// <param name="prefixKeys">[R, h, T, dh] (T may be 0).</param>
    /// <param name="prefixValues">[R, h, T, dh].</param>
    /// <param name="prefixMask">[R, T] true where a prefix position is real; null when all are (prefixes of one length).</param>
    /// <param name="keys">[R, h, C, dh] the candidates' own keys (to extend the cache with the one placed).</param>
    /// <param name="values">[R, h, C, dh].</param>
    /// <returns>[R, C, D]</returns>
    public Tensor AttendAfterPrefix(Tensor x, Tensor prefixKeys, Tensor prefixValues, Tensor? prefixMask, out Tensor keys,
        out Tensor values) =>
        AttendProjectedAfterPrefix(projection.forward(x), prefixKeys, prefixValues, prefixMask, out keys, out values);

    /// <summary>The fused q|k|v projection of x (bias included): what <see cref="AttendProjectedAfterPrefix"/> takes.</summary>
    /// <param name="x">[.., D]</param>
    /// <returns>[.., 3D]</returns>
    public Tensor Project(Tensor x, bool bias = true) =>
        bias ? projection.forward(x) : nn.functional.linear(x, projection.weight!);

    /// <summary><see cref="AttendAfterPrefix"/> from the candidates' projections (<see cref="Project"/>): a projection of a
    /// sum is the sum of projections, so a candidate's part is projected once per request and a slot's part per step.</summary>
    /// <param name="qkv">[R, C, 3D]</param>
    public Tensor AttendProjectedAfterPrefix(Tensor qkv, Tensor prefixKeys, Tensor prefixValues, Tensor? prefixMask,
        out Tensor keys, out Tensor values)
    {
        var (q, k, v) = SplitHeads(qkv);                                       // [R, h, C, dh]
        keys = k;
        values = v;
        long t = prefixKeys.shape[2];
        var prefixScores = q.matmul(prefixKeys.transpose(-2, -1));             // [R, h, C, T]
        if (prefixMask is not null)
            prefixScores = prefixScores.masked_fill(prefixMask.logical_not().view(prefixMask.shape[0], 1, 1, t), Scalars.NegativeInfinity);
        var selfScore = (q * k).sum(-1, keepdim: true);                        // [R, h, C, 1]
        var weights = cat([prefixScores, selfScore], -1).div(scoreScale).softmax(-1);
        var mixed = weights.narrow(-1, 0, t).matmul(prefixValues)              // [R, h, C, dh]
                    .Plus(weights.narrow(-1, t, 1) * v);
        return output.forward(MergeHeads(mixed));                              // [R, C, D]
    }

    /// <summary>[N, S, D] → q, k, v as [N, h, S, dh].</summary>
    private (Tensor Q, Tensor K, Tensor V) ProjectHeads(Tensor x) => SplitHeads(projection.forward(x));

    /// <summary>[N, S, 3D] → q, k, v as [N, h, S, dh].</summary>
    private (Tensor Q, Tensor K, Tensor V) SplitHeads(Tensor qkv)
    {
        var parts = qkv.view(qkv.shape[0], qkv.shape[1], 3, heads, headDim).permute(2, 0, 3, 1, 4).unbind(0);
        return (parts[0], parts[1], parts[2]);
    }

    private static Tensor MergeHeads(Tensor x) => x.transpose(1, 2).flatten(2);
}
