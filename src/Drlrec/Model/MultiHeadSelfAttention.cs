using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Drlrec.Model;

/// <summary>
/// Multi-head scaled dot-product self-attention (Vaswani et al., 2017) with its own projections, so that
/// keys and values of a list prefix can be cached and reused to score many candidates in one step.
/// </summary>
public sealed class MultiHeadSelfAttention : nn.Module
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear output;
    private readonly int heads;
    private readonly int headDim;

    public MultiHeadSelfAttention(string name, int dim, int heads) : base(name)
    {
        this.heads = heads;
        headDim = dim / heads;
        query = nn.Linear(dim, dim);
        key = nn.Linear(dim, dim);
        value = nn.Linear(dim, dim);
        output = nn.Linear(dim, dim);
        RegisterComponents();
    }

    public int Heads => heads;
    public int HeadDim => headDim;

    /// <summary>Attention of every element of x over all elements (or, when causal, over itself and earlier ones).</summary>
    /// <param name="x">[N, S, D]</param>
    /// <returns>[N, S, D]</returns>
    public Tensor Attend(Tensor x, bool causal)
    {
        var q = SplitHeads(query.forward(x));                              // [N, h, S, dh]
        var (k, v) = KeysValues(x);                                        // [N, h, S, dh]
        var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(headDim);  // [N, h, S, S]
        if (causal)
        {
            long s = x.shape[1];
            var future = ones(s, s, ScalarType.Bool, x.device).triu(1);    // key after query
            scores = scores.masked_fill(future, float.NegativeInfinity);
        }
        return output.forward(MergeHeads(scores.softmax(-1).matmul(v)));   // [N, S, D]
    }

    /// <summary>Projected keys and values, [N, h, S, dh] each: the cache of a list prefix.</summary>
    public (Tensor Keys, Tensor Values) KeysValues(Tensor x) => (SplitHeads(key.forward(x)), SplitHeads(value.forward(x)));

    /// <summary>
    /// Each of C candidates attends over a cached prefix of T positions plus itself, as if placed next.
    /// </summary>
    /// <param name="x">[R, C, D] candidate vectors for R states.</param>
    /// <param name="prefixKeys">[R, h, T, dh] (T may be 0).</param>
    /// <param name="prefixValues">[R, h, T, dh].</param>
    /// <param name="prefixMask">[R, T] true where a prefix position is real; null when all are (prefixes of one length).</param>
    /// <returns>[R, C, D]</returns>
    public Tensor AttendAfterPrefix(Tensor x, Tensor prefixKeys, Tensor prefixValues, Tensor? prefixMask = null)
    {
        var q = SplitHeads(query.forward(x));                                  // [R, h, C, dh]
        var (k, v) = KeysValues(x);                                            // [R, h, C, dh]
        long t = prefixKeys.shape[2];
        var prefixScores = q.matmul(prefixKeys.transpose(-2, -1));             // [R, h, C, T]
        if (prefixMask is not null)
            prefixScores = prefixScores.masked_fill(prefixMask.logical_not().view(prefixMask.shape[0], 1, 1, t), float.NegativeInfinity);
        var selfScore = (q * k).sum(-1, keepdim: true);                        // [R, h, C, 1]
        var weights = cat([prefixScores, selfScore], -1).div(Math.Sqrt(headDim)).softmax(-1);
        var mixed = weights.narrow(-1, 0, t).matmul(prefixValues)              // [R, h, C, dh]
                    + weights.narrow(-1, t, 1) * v;
        return output.forward(MergeHeads(mixed));                              // [R, C, D]
    }

    private Tensor SplitHeads(Tensor x) => x.view(x.shape[0], x.shape[1], heads, headDim).transpose(1, 2);

    private static Tensor MergeHeads(Tensor x) => x.transpose(1, 2).flatten(2);
}
