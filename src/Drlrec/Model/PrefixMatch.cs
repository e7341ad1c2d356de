using static TorchSharp.torch;
using Drlrec.Tensors;

namespace Drlrec.Model;

/// <summary>
/// The list features of a candidate against the items placed before it (<see cref="Configuration.QNetworkConfig.PrefixMatch"/>):
/// for each compared field f (the categorical item fields but the item key) and decay κ,
/// <code>
///   m_{f,κ}(c | j_1..j_T) = Σ_{j=1..T} κ^(T − j) · |V_f(c) ∩ V_f(j)| / |V_f(c)|        κ ∈ {0, 0.5, 1}
/// </code>
/// with V_f(x) the set of x's values (embedding rows) in field f: the share of the candidate's values (a category, a
/// tag set, a price bucket) that each earlier item carries, weighted by how far back it was placed (κ = 0: only the item
/// just before; κ = 1: a count over the whole prefix). A re-ranker's list effects (a category seen twice tires the user)
/// depend on such counts, which a softmax attention over the prefix cannot form (it averages) and a GRU must learn to
/// keep per value. Computed from embedding rows, so it needs no parameters and no vocabulary of its own.
/// </summary>
public static class PrefixMatch
{
    /// <summary>The decays κ, fixed (not tuned per data set): the item just before, a short memory, the whole prefix.</summary>
    public static IReadOnlyList<double> Decays { get; } = [0, 0.5, 1];

    /// <summary>
    /// Overlap of each candidate with each prefix item, per compared field: |V_f(c) ∩ V_f(j)| / |V_f(c)|.
    /// </summary>
    /// <param name="candidates">[R, C, Fm, M] the candidates' rows of the compared fields (0 = padding).</param>
    /// <param name="prefix">[R, T, Fm, M] the placed items' rows of the same fields.</param>
    /// <returns>[R, C, T, Fm]</returns>
    public static Tensor Overlap(Tensor candidates, Tensor prefix)
    {
        candidates = Filled(candidates);
        prefix = Filled(prefix);
        var equal = candidates.unsqueeze(2).unsqueeze(-1).eq(prefix.unsqueeze(1).unsqueeze(-2));   // [R, C, T, Fm, M, M]
        var present = candidates.ne(Scalars.Zero).unsqueeze(2);                               // [R, C, 1, Fm, M]
        var hits = equal.any(-1).logical_and(present).to_type(ScalarType.Float32).sum(-1);        // [R, C, T, Fm]
        var values = present.to_type(ScalarType.Float32).sum(-1).clamp_min(Scalars.One);           // [R, C, 1, Fm]
        return hits / values;
    }

    /// <summary>
    /// The features of C candidates after prefixes of T placed items (all real, or the first placed[r] of row r).
    /// </summary>
    /// <param name="candidates">[R, C, Fm, M]</param>
    /// <param name="prefix">[R, T, Fm, M]</param>
    /// <param name="keyMask">[R, T] real prefix positions (the first placed[r]); null when all T are real.</param>
    /// <returns>[R, C, Fm·K]</returns>
    public static Tensor AfterPrefix(Tensor candidates, Tensor prefix, Tensor? keyMask)
    {
        long r = candidates.shape[0], c = candidates.shape[1], t = prefix.shape[1];
        long fm = candidates.shape[2];
        if (t == 0) return zeros(r, c, fm * Decays.Count, device: candidates.device);
        var j = arange(t, device: candidates.device).to_type(ScalarType.Float32).unsqueeze(0);      // [1, T]
        var length = keyMask is null
            ? ones(r, 1, device: candidates.device).Times(t)
            : keyMask.to_type(ScalarType.Float32).sum(1, keepdim: true);                            // [R, 1]
        var back = (length - j).PlusScalar(-1).clamp_min(Scalars.Zero);                                       // [R, T]: T_r − 1 − j
        var real = keyMask?.to_type(ScalarType.Float32) ?? ones(r, t, device: candidates.device);   // [R, T]
        var weights = stack(Decays.Select(k => Weight(k, back) * real).ToArray(), -1);             // [R, T, K]
        return einsum("rctf,rtk->rcfk", Overlap(candidates, prefix), weights).reshape(r, c, -1);   // [R, C, Fm·K]
    }

    /// <summary>
    /// The features of every position of whole lists, each after the positions before it (teacher forcing).
    /// </summary>
    /// <param name="rows">[B, L, Fm, M] the lists' rows of the compared fields.</param>
    /// <returns>[B, L, Fm·K]</returns>
    public static Tensor AlongLists(Tensor rows)
    {
        long b = rows.shape[0], l = rows.shape[1];
        var position = arange(l, device: rows.device).to_type(ScalarType.Float32);
        var back = (position.unsqueeze(1) - position.unsqueeze(0)).PlusScalar(-1);                              // [L(t), L(j)]: t − 1 − j
        var earlier = back.ge(Scalars.Zero).to_type(ScalarType.Float32);                            // j < t
        var weights = stack(Decays.Select(k => Weight(k, back.clamp_min(Scalars.Zero)) * earlier).ToArray(), -1); // [L, L, K]
        return einsum("btjf,tjk->btfk", Overlap(rows, rows), weights).reshape(b, l, -1);           // [B, L, Fm·K]
    }

    /// <summary>
    /// The features of every candidate of one request kept up to date as items are placed (serving: no per-step overlap):
    /// the candidates' overlaps with each other once, then per placed item j the sums A_κ ← κ·A_κ + overlap(·, j), which is
    /// <see cref="AfterPrefix"/>'s Σ_j κ^(T − j) overlap(·, j) for the items placed so far.
    /// </summary>
    public sealed class Placed : IDisposable
    {
        private readonly Tensor overlaps;   // [N, N, Fm]: candidate, placed
        private readonly Tensor decays;     // [1, 1, K]
        private Tensor sums;                // [N, Fm, K]

        /// <param name="candidates">[N, Fm, M] the request's candidates' compared rows.</param>
        public Placed(Tensor candidates)
        {
            long n = candidates.shape[0], fm = candidates.shape[1];
            overlaps = Overlaps(candidates);
            decays = tensor(Decays.Select(k => (float)k).ToArray(), device: candidates.device).view(1, 1, -1);
            sums = zeros(n, fm, Decays.Count, device: candidates.device);
        }

        /// <summary>
        /// <see cref="Overlap"/> of every candidate with every other, [N, N, Fm], counted from each field's values rather than
        /// by comparing every slot pair in tensors: a request has few candidates sharing a value, and libtorch's broadcast
        /// comparison over [N, N, Fm, M, M] cost more than the rest of a slate's first step.
        /// </summary>
        /// <param name="candidates">[N, Fm, M] int64 rows (0 = padding).</param>
        public static Tensor Overlaps(Tensor candidates)
        {
            int n = (int)candidates.shape[0], fm = (int)candidates.shape[1], m = (int)candidates.shape[2];
            var rows = candidates.to_type(ScalarType.Int64).contiguous().data<long>().ToArray();
            var overlap = new float[n * n * fm];
            var holders = new Dictionary<long, List<int>>();
            for (int f = 0; f < fm; f++)
            {
                holders.Clear();
                for (int j = 0; j < n; j++)
                    for (int v = 0; v < m; v++)
                    {
                        long value = rows[(j * fm + f) * m + v];
                        if (value == 0) continue;
                        if (!holders.TryGetValue(value, out var list)) holders[value] = list = [];
                        if (list.Count == 0 || list[^1] != j) list.Add(j);                        // each holder once
                    }
                for (int c = 0; c < n; c++)
                {
                    int values = 0;
                    for (int v = 0; v < m; v++)
                    {
                        long value = rows[(c * fm + f) * m + v];
                        if (value == 0) continue;
                        values++;
                        foreach (int j in holders[value]) overlap[(c * n + j) * fm + f] += 1;
                    }
                    if (values > 1)
                        for (int j = 0; j < n; j++) overlap[(c * n + j) * fm + f] /= values;
                }
            }
            return tensor(overlap, [n, n, fm], device: candidates.device);
        }

        /// <summary>[1, C, Fm·K] the features of <paramref name="candidates"/> (indices into the request's) after the items placed.</summary>
        public Tensor Of(Tensor candidates) => sums.index_select(0, candidates).flatten(1).unsqueeze(0);

        /// <summary>Candidate <paramref name="candidate"/> (an index into the request's) was placed. The new sums leave the
        /// caller's dispose scope, as the ones they replace (disposed here) had.</summary>
        public void Place(long candidate)
        {
            var next = (sums * decays).Plus(overlaps.select(1, candidate).unsqueeze(-1)).MoveToOuterDisposeScope(); // [N, Fm, K]
            sums.Dispose();
            sums = next;
        }

        /// <summary>Moves the held tensors out of the caller's dispose scope (they live as long as the request).</summary>
        public Placed Keep()
        {
            overlaps.MoveToOuterDisposeScope();
            decays.MoveToOuterDisposeScope();
            sums.MoveToOuterDisposeScope();
            return this;
        }

        public void Dispose()
        {
            overlaps.Dispose();
            decays.Dispose();
            sums.Dispose();
        }
    }

    /// <summary>
    /// The value slots up to the last one any row fills. Rows are as wide as the widest field of the batch or request (a
    /// user's history can hold far more values than an item's tags) and the comparison costs the square of the width,
    /// while the compared fields' values sit in their first slots; the slots past the last filled one are padding in every row.
    /// </summary>
    /// <param name="rows">[.., M]</param>
    /// <returns>[.., M'] with M' ≤ M</returns>
    public static Tensor Filled(Tensor rows)
    {
        long m = rows.shape[^1];
        if (rows.numel() == 0 || m <= 1) return rows;
        var slot = arange(1, m + 1, ScalarType.Int64, device: rows.device);                       // [M]: 1..M
        long width = Math.Max(1, rows.ne(Scalars.Zero).mul(slot).max().item<long>());
        return width < m ? rows.narrow(-1, 0, width) : rows;
    }

    /// <summary>κ^n elementwise (0^0 = 1).</summary>
    private static Tensor Weight(double decay, Tensor n) =>
        decay == 1 ? ones_like(n) : decay == 0 ? n.eq(Scalars.Zero).to_type(ScalarType.Float32) : n.Times(Math.Log(decay)).exp();
}
