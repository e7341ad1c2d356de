using Drlrec.Features;
using Drlrec.Model;
using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Drlrec.Onnx;

/// <summary>
/// Writes a <see cref="QNetwork"/>'s inference computation as ONNX nodes, one method per submodule in call order
/// (dropout is the identity at inference and is left out). Weights are the network's parameters, named by their
/// TorchSharp keys (linear weights transposed, suffix ".T"). Shapes: F fields, d embedding size, D the state width
/// (F·d, or the state projection's width), h heads of dh, H hint size; the item encoder works on [A, N, F, M] rows
/// (A = 1, N = C in the step graph; A = B, N = L in the list graph).
/// </summary>
internal sealed class QNetworkGraph
{
    private GraphBuilder g;
    private readonly Dictionary<string, Tensor> parameters;
    private readonly Dictionary<string, string> weights = new(StringComparer.Ordinal);
    private readonly int f, d, fieldHeads, itemDim, stateDim, heads, headDim, hintDim;
    private readonly bool projectsState;
    private readonly int[] denseFields;
    private readonly int slotContext;
    // The fields compared with the prefix (QNetwork.MatchFields; empty for models without list features).
    private readonly long[] matchFields;
    // The user and item dense fields whose values go straight to the MLP (QNetwork.SkipFields; empty without dense_skip).
    private readonly long[] skipFields;
    private readonly OnnxPrecision precision;

    private QNetworkGraph(QNetwork network, string name, OnnxPrecision precision = OnnxPrecision.Float32)
    {
        g = new GraphBuilder(name);
        parameters = network.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
        f = network.FieldCount;
        d = network.Config.EmbeddingDim;
        fieldHeads = network.Config.FieldHeads;
        itemDim = network.ItemDim;
        stateDim = network.StateDim;
        projectsState = network.Config.ProjectsState(f);
        heads = network.SequenceAttention.Heads;
        headDim = network.SequenceAttention.HeadDim;
        hintDim = network.Config.HintDim;
        denseFields = network.DenseFields;
        slotContext = network.SlotContext;
        matchFields = network.MatchFields.Select(i => (long)i).ToArray();
        skipFields = network.SkipFields.Select(i => (long)i).ToArray();
        this.precision = precision;
    }

    /// <summary>
    /// The serving step (<see cref="QNetwork.ScoreCandidates"/> for one request): C candidates attend over a cached
    /// prefix of T positions (masked where <c>prefix_mask</c> is false) plus themselves, then advance the GRU state one
    /// step. T may be 0.
    /// </summary>
    public static GraphProto Step(QNetwork network, OnnxPrecision precision = OnnxPrecision.Float32) =>
        Build(network, "drlrec_step", precision, graph => graph.BuildStep());

    /// <summary>A request's candidates encoded once (<see cref="QNetwork.CacheCandidates"/>): item vectors without the
    /// slot's context, and their sequence-attention projections. Only for models that encode once per request.</summary>
    public static GraphProto Encode(QNetwork network, OnnxPrecision precision = OnnxPrecision.Float32) =>
        Build(network, "drlrec_encode", precision, graph => graph.BuildEncode());

    /// <summary>One greedy step from encoded candidates (<see cref="QNetwork.ScoreCached"/>): the remaining candidates are
    /// gathered from the request's encodings and the slot's context is added.</summary>
    public static GraphProto CachedStep(QNetwork network, OnnxPrecision precision = OnnxPrecision.Float32) =>
        Build(network, "drlrec_cached_step", precision, graph => graph.BuildCachedStep());

    /// <summary>
    /// A whole slate in one call (<see cref="Ranking.SlateRanker"/>'s greedy loop inside the graph): the candidates are
    /// encoded once, then an ONNX Loop places one per slot, each iteration the cached step over the candidates not yet
    /// placed, ArgMax (the first of equal maxima, as the ranker), and the chosen candidate's key, value and GRU state
    /// appended to the prefix. Only for models that encode once per request.
    /// </summary>
    public static GraphProto Slate(QNetwork network, OnnxPrecision precision = OnnxPrecision.Float32) =>
        Build(network, "drlrec_slate", precision, graph => graph.BuildSlate());

    /// <summary>Whole lists (<see cref="QNetwork.Forward(Tensor)"/>): causal attention and the GRU over L positions. With
    /// int8 weights the ONNX GRU operator keeps its float weights (it takes no quantised ones); every other linear map
    /// is quantised.</summary>
    public static GraphProto List(QNetwork network, OnnxPrecision precision = OnnxPrecision.Float32) =>
        Build(network, "drlrec_list", precision, graph => graph.BuildList());

    /// <summary>
    /// The GEMMs of one greedy step at the model's shapes, for the benchmark's yardstick: <paramref name="repeats"/> times
    /// each linear map a step applies to every candidate (sequence-attention output, GRU input, the MLP, the Q head) on
    /// inputs <c>x{r}_{width}</c> [<paramref name="rows"/>, width] of their own (so no two nodes compute the same thing
    /// and none is merged away), with the model's weights at <paramref name="precision"/>. Outputs <c>y{r}_{n}</c>.
    /// </summary>
    public static GraphProto Gemm(QNetwork network, int rows, int repeats, OnnxPrecision precision) =>
        Build(network, "drlrec_gemm", precision, graph => graph.BuildGemm(rows, repeats));

    private static GraphProto Build(QNetwork network, string name, OnnxPrecision precision, Func<QNetworkGraph, GraphProto> build)
    {
        var graph = new QNetworkGraph(network, name, precision);
        using var scope = NewDisposeScope();
        return build(graph);
    }

    private GraphProto BuildStep()
    {
        var prefix = PrefixInputs();
        var rows = g.Input(OnnxNames.Rows, DataType.Int64, 1, "C", f, "M");
        string? match = null;
        if (Matches)
        {
            var placedRows = g.Input(OnnxNames.PrefixRows, DataType.Int64, 1, "T", f, "M");
            match = MatchAfterPrefix(MatchRowsOf(rows), MatchRowsOf(placedRows), prefix.Mask);           // [1, C, Fm·K]
        }

        var x = EncodeItems(rows);                                                                    // [1, C, D]
        var attended = AttendAfterPrefix(x, prefix.Keys, prefix.Values, prefix.Mask, out var keys, out var values); // [1, C, D]
        return StepOutputs(StepAfterAttention(x, attended, prefix.Hidden, keys, values, match, Skips ? DenseValuesOf(rows) : null));
    }

    private GraphProto BuildEncode()
    {
        var rows = g.Input(OnnxNames.Rows, DataType.Int64, 1, "N", f, "M");
        var (items, projections) = EncodeCandidates(rows);
        g.Output(OnnxNames.Items, items, DataType.Float, 1, "N", stateDim);
        g.Output(OnnxNames.Projections, projections, DataType.Float, 1, "N", 3 * stateDim);
        if (Matches) g.Output(OnnxNames.MatchRows, MatchRowsOf(rows), DataType.Int64, 1, "N", matchFields.Length, "M");
        if (Skips) g.Output(OnnxNames.DenseValues, DenseValuesOf(rows), DataType.Float, 1, "N", skipFields.Length);
        return g.Graph;
    }

    /// <summary><see cref="QNetwork.CacheCandidates"/>: item vectors without the slot's context, and their projections.</summary>
    /// <param name="rows">[1, N, F, M]</param>
    /// <returns>items [1, N, D], projections [1, N, 3D]</returns>
    private (string Items, string Projections) EncodeCandidates(string rows)
    {
        var fields = EmbeddingBagMean(rows);                                                          // [1, N, F, d]
        var items = ToState(g.Reshape(g.Mul(MixFields(fields), FieldMask(context: false)), 0, 0, itemDim)); // [1, N, D], context 0
        return (items, Linear(items, "sequenceAttention.projection"));                               // [1, N, 3D]
    }

    private GraphProto BuildCachedStep()
    {
        var prefix = PrefixInputs();
        var items = g.Input(OnnxNames.Items, DataType.Float, 1, "N", stateDim);
        var projections = g.Input(OnnxNames.Projections, DataType.Float, 1, "N", 3 * stateDim);
        var candidates = g.Input(OnnxNames.Candidates, DataType.Int64, "C");
        var slotRows = g.Input(OnnxNames.SlotRows, DataType.Int64, 1, 1, f, "M");
        string? match = null;
        if (Matches)
        {
            var matchRows = g.Input(OnnxNames.MatchRows, DataType.Int64, 1, "N", matchFields.Length, "M");
            var placed = g.Input(OnnxNames.Placed, DataType.Int64, "T");
            match = MatchAfterPrefix(g.Gather(matchRows, candidates, axis: 1), g.Gather(matchRows, placed, axis: 1), prefix.Mask); // [1, C, Fm·K]
        }
        string? dense = null;
        if (Skips)
            dense = g.Gather(g.Input(OnnxNames.DenseValues, DataType.Float, 1, "N", skipFields.Length), candidates, axis: 1); // [1, C, S]
        return StepOutputs(CachedStepOf(items, projections, candidates, slotRows, prefix.Keys, prefix.Values, prefix.Mask, prefix.Hidden,
            match, dense));
    }

    /// <summary>The cached step's computation: the remaining candidates gathered from the request's encodings, the
    /// slot's context added, attention over the prefix, then <see cref="StepAfterAttention"/>.</summary>
    /// <param name="candidates">[C] int64 indices into the N encoded candidates.</param>
    /// <param name="slotRows">[1, 1, F, M]</param>
    /// <param name="prefixMask">[1, T] bool, or null when every prefix position is real.</param>
    /// <param name="match">[1, C, Fm·K] the candidates' list features (null for models without them).</param>
    /// <param name="dense">[1, C, S] the candidates' dense values (null for models without <c>dense_skip</c>).</param>
    private StepValues CachedStepOf(string items, string projections, string candidates, string slotRows, string prefixKeys,
        string prefixValues, string? prefixMask, string hidden, string? match, string? dense)
    {
        var x = g.Gather(items, candidates, axis: 1);                                                 // [1, C, D]
        var qkv = g.Gather(projections, candidates, axis: 1);                                         // [1, C, 3D]
        if (slotContext > 0)
        {
            // P(x + c) = P(x) + W·c: the slot's context vector, and its projections without bias.
            var context = ToState(g.Reshape(g.Mul(EmbeddingBagMean(slotRows), FieldMask(context: true)), 0, 0, itemDim), bias: false); // [1, 1, D]
            x = g.Add(x, context);
            qkv = g.Add(qkv, MatMulWeight(context, "sequenceAttention.projection.weight", perCandidate: false)); // [1, C, 3D]
        }
        var attended = AttendProjectedAfterPrefix(qkv, prefixKeys, prefixValues, prefixMask, out var keys, out var values); // [1, C, D]
        return StepAfterAttention(x, attended, hidden, keys, values, match, dense);
    }

    /// <summary>
    /// The greedy loop of <see cref="Slate"/>. The loop body is the cached step written for one call per slate: every value
    /// is 2-D ([C, D] rather than [1, C, D], so that ONNX Runtime fuses each MatMul and its bias into one Gemm), and the
    /// sequence attention needs no head transposes: the prefix's keys are carried as a block-diagonal [D, T·h] matrix
    /// (column t·h + a holds key t's head-a part, zeros elsewhere) and its values as [T·h, D] likewise, so that every
    /// head's scores over the prefix are one MatMul q·K and the mix one MatMul w·V; the 0/1 head masks [D, h] and [h, D]
    /// sum a candidate's own score per head and spread each head's weight over its part. Same arithmetic as
    /// <see cref="QNetwork.ScoreCached"/> (sums may be taken in another order).
    /// </summary>
    private GraphProto BuildSlate()
    {
        var rows = g.Input(OnnxNames.Rows, DataType.Int64, 1, "N", f, "M");
        var slotRows = g.Input(OnnxNames.SlotRows, DataType.Int64, 1, "L", f, "M");
        var (encoded, projected) = EncodeCandidates(rows);                                           // [1, N, D], [1, N, 3D]
        var items = g.Reshape(encoded, -1, stateDim);                                                // [N, D]
        var projections = g.Reshape(projected, -1, 3 * stateDim);                                    // [N, 3D]
        var n = g.Dim(rows, 1);                                                                       // scalar N
        var slots = g.Min(g.Dim(slotRows, 1), n);                                                     // scalar min(L, N)
        var candidateIndex = g.Op("Range", [g.Index(0), n, g.Index(1)]);                              // [N]
        var noKeys = g.Weight("slate.no_keys", zeros(stateDim, 0));                                   // [D, 0·h]
        var noValues = g.Weight("slate.no_values", zeros(0, stateDim));                               // [0·h, D]
        var zeroState = g.Weight("slate.zero_state", zeros(1, stateDim));                             // [1, D]
        var allRemaining = g.Op("ConstantOfShape", [g.Unsqueeze(n, 0)], GraphBuilder.Attribute("value", BoolTensor(true))); // [N]
        // List features: every candidate's overlap with every other, once; the loop carries each candidate's decayed sums
        // A [N, Fm, K] and adds the placed one's column (A ← κ·A + O[:, chosen]: the sums of PrefixMatch.AfterPrefix).
        string? overlaps = null, noMatch = null, decays = null;
        if (Matches)
        {
            var all = MatchRowsOf(rows);                                                              // [1, N, Fm, M]
            overlaps = OverlapsOf(all);                                                               // [N(candidate), N(placed), Fm]
            noMatch = g.Op("ConstantOfShape", [g.Concat(0, g.Unsqueeze(n, 0), g.Ints(matchFields.Length, PrefixMatch.Decays.Count))],
                GraphBuilder.Attribute("value", FloatTensor(0)));                                     // [N, Fm, K]
            decays = g.Weight("match.decays", tensor(PrefixMatch.Decays.Select(k => (float)k).ToArray()).view(1, 1, -1)); // [1, 1, K]
        }
        var denseAll = Skips ? g.Squeeze(DenseValuesOf(rows), 0) : null;                              // [N, S]
        var headRows = zeros(heads, stateDim);                                                        // [h, D]: 1 on head a's part
        for (int a = 0; a < heads; a++) headRows[a].narrow(0, a * headDim, headDim).fill_(1);
        var spread = g.Weight("slate.head_rows", headRows);                                           // [h, D]
        var sum = g.Weight("slate.head_columns", headRows.t());                                       // [D, h]
        // Every slot's context vector and its projection, before the loop (one GEMM for all slots).
        string? contexts = null, contextProjections = null;
        if (slotContext > 0)
        {
            contexts = ToState(g.Reshape(g.Mul(EmbeddingBagMean(slotRows), FieldMask(context: true)), -1, itemDim), bias: false); // [L, D]
            contextProjections = MatMulWeight(contexts, "sequenceAttention.projection.weight", perCandidate: false); // [L, 3D]
        }

        var outer = g;
        var body = g = outer.Subgraph("drlrec_slate_slot", "slot_");
        var slot = body.Input("slot_index", DataType.Int64);
        var condition = body.Input("slot_condition", DataType.Bool);
        var keys = body.InputOfRank("slot_prefix_keys", DataType.Float, 2);                           // [D, T·h]
        var values = body.InputOfRank("slot_prefix_values", DataType.Float, 2);                       // [T·h, D]
        var hidden = body.InputOfRank("slot_hidden", DataType.Float, 2);                              // [1, D]
        var remaining = body.InputOfRank("slot_remaining", DataType.Bool, 1);                         // [N]
        var sums = Matches ? body.InputOfRank("slot_match", DataType.Float, 3) : null;                // [N, Fm, K]

        var candidates = g.Squeeze(g.Op("NonZero", [remaining]), 0);                                  // [C] ascending, as the ranker's list
        var x = g.Gather(items, candidates, axis: 0);                                                 // [C, D]
        var qkv = g.Gather(projections, candidates, axis: 0);                                         // [C, 3D]
        if (contexts is not null && contextProjections is not null)
        {
            x = g.Add(x, g.Gather(contexts, slot, axis: 0));                                          // + [D]
            qkv = g.Add(qkv, g.Gather(contextProjections, slot, axis: 0));                            // P(x + c) = P(x) + W·c
        }
        var qkvParts = g.SplitLast(qkv, 3, stateDim);                                                 // q, k, v [C, D]
        var (q, k, v) = (qkvParts[0], qkvParts[1], qkvParts[2]);
        var prefixScores = g.MatMul(q, keys);                                                         // [C, T·h]
        var selfScores = g.MatMul(g.Mul(q, k), sum);                                                  // [C, h]
        var scores = g.Mul(g.Concat(1, prefixScores, selfScores), Scale(headDim));                   // [C, (T+1)·h]
        var weights = g.Reshape(g.Op("Softmax", [g.Reshape(scores, 0, -1, heads)], GraphBuilder.Attribute("axis", 1L)), 0, -1); // per head over positions
        var prefixWeights = g.Slice(weights, axis: 1, start: 0, end: -heads);                         // [C, T·h]
        var selfWeights = g.Slice(weights, axis: 1, start: -heads, end: long.MaxValue);               // [C, h]
        var mixed = g.Add(g.MatMul(prefixWeights, values), g.Mul(g.MatMul(selfWeights, spread), v));  // [C, D]
        var attended = Linear(mixed, "sequenceAttention.output");                                     // [C, D]
        var z = LayerNorm(g.Add(x, attended), "sequenceNorm");                                        // [C, D]
        var states = GruStep2D(z, hidden);                                                            // [C, D]
        var match = sums is null ? null : g.Reshape(g.Gather(sums, candidates, axis: 0), 0, -1);      // [C, Fm·K]
        var dense = denseAll is null ? null : g.Gather(denseAll, candidates, axis: 0);                // [C, S]
        var scored = Linear(Mlp(states, match, dense), "qHead");                                      // [C, 1]

        var best = g.ArgMax(scored, axis: 0);                                                         // [1] the first maximum
        var chosen = g.Gather(candidates, best, axis: 0);                                             // [1]
        var chosenKey = g.Reshape(g.Gather(k, best, axis: 0), stateDim, 1);                           // [D, 1]
        body.Output("slot_condition_out", condition, DataType.Bool);
        body.OutputOfRank("slot_prefix_keys_out", g.Concat(1, keys, g.Mul(chosenKey, sum)), DataType.Float, 2);            // [D, (T+1)·h]
        body.OutputOfRank("slot_prefix_values_out", g.Concat(0, values, g.Mul(g.Gather(v, best, axis: 0), spread)), DataType.Float, 2); // [(T+1)·h, D]
        body.OutputOfRank("slot_hidden_out", g.Gather(states, best, axis: 0), DataType.Float, 2);    // [1, D]
        body.OutputOfRank("slot_remaining_out", g.And(remaining, g.Not(g.Equal(candidateIndex, chosen))), DataType.Bool, 1);
        if (sums is not null)
        {
            var column = g.Unsqueeze(g.Squeeze(g.Gather(overlaps!, chosen, axis: 1), 1), -1);         // [N, Fm, 1]
            body.OutputOfRank("slot_match_out", g.Add(g.Mul(sums, decays!), column), DataType.Float, 3); // κ·A + O[:, chosen]
        }
        body.Output("slot_chosen", g.Reshape(chosen), DataType.Int64);
        body.Output("slot_q", g.Reshape(g.Gather(scored, best, axis: 0)), DataType.Float);
        g = outer;

        string[] carried = noMatch is null ? [noKeys, noValues, zeroState, allRemaining] : [noKeys, noValues, zeroState, allRemaining, noMatch];
        var loop = g.Op("Loop", [slots, "", .. carried], carried.Length + 2, GraphBuilder.Attribute("body", body.Graph));
        g.Output(OnnxNames.Order, loop[carried.Length], DataType.Int64, "S");
        g.Output(OnnxNames.Q, loop[carried.Length + 1], DataType.Float, "S");
        return g.Graph;
    }

    /// <summary><see cref="GruStep"/> on 2-D values with fewer operators: the reset and update gates in one sigmoid, and
    /// h' = (1 − u)·n + u·h written as n + u·(h − n).</summary>
    /// <param name="x">[C, D]</param>
    /// <param name="hidden">[1, D]</param>
    /// <returns>[C, D]</returns>
    private string GruStep2D(string x, string hidden)
    {
        var gi = g.Add(MatMulWeight(x, "gru.weight_ih_l0"), Weight("gru.bias_ih_l0"));               // [C, 3D]
        var gh = g.Add(MatMulWeight(hidden, "gru.weight_hh_l0"), Weight("gru.bias_hh_l0"));          // [1, 3D]: once per slot
        var input = g.Op("Split", [gi, g.Ints(2 * stateDim, stateDim)], 2, GraphBuilder.Attribute("axis", -1L)); // [C, 2D], [C, D]
        var recurrent = g.Op("Split", [gh, g.Ints(2 * stateDim, stateDim)], 2, GraphBuilder.Attribute("axis", -1L));
        var gates = g.SplitLast(g.Sigmoid(g.Add(input[0], recurrent[0])), 2, stateDim);              // reset, update [C, D]
        var candidate = g.Tanh(g.Add(input[1], g.Mul(gates[0], recurrent[1])));                      // [C, D]
        return g.Add(candidate, g.Mul(gates[1], g.Sub(hidden, candidate)));                          // [C, D]
    }

    private static TensorProto BoolTensor(bool value)
    {
        var proto = new TensorProto { DataType = (int)DataType.Bool };
        proto.Dims.Add(1);
        proto.Int32Data.Add(value ? 1 : 0);
        return proto;
    }

    private static TensorProto FloatTensor(float value)
    {
        var proto = new TensorProto { DataType = (int)DataType.Float };
        proto.Dims.Add(1);
        proto.FloatData.Add(value);
        return proto;
    }

    private GraphProto BuildGemm(int rows, int repeats)
    {
        var keys = MacCount.PerCandidateStepWeights;
        for (int r = 0; r < repeats; r++)
            for (int n = 0; n < keys.Count; n++)
            {
                var shape = Parameter(keys[n]).shape;                                                 // [out, in]
                var x = g.Input($"x{r}_{n}", DataType.Float, rows, shape[1]);
                g.Output($"y{r}_{n}", MatMulWeight(x, keys[n]), DataType.Float, rows, shape[0]);
            }
        return g.Graph;
    }

    /// <summary>The cached prefix of one request, the inputs every step graph starts from.</summary>
    private (string Keys, string Values, string Mask, string Hidden) PrefixInputs() => (
        g.Input(OnnxNames.PrefixKeys, DataType.Float, 1, heads, "T", headDim),
        g.Input(OnnxNames.PrefixValues, DataType.Float, 1, heads, "T", headDim),
        g.Input(OnnxNames.PrefixMask, DataType.Bool, 1, "T"),
        g.Input(OnnxNames.Hidden, DataType.Float, 1, stateDim));

    /// <summary>What a step computes for C candidates.</summary>
    /// <param name="Q">[1, C]</param>
    /// <param name="Keys">[1, h, C, dh]</param>
    /// <param name="Values">[1, h, C, dh]</param>
    /// <param name="States">[1, C, D]</param>
    /// <param name="Hint">[1, C, H]</param>
    private readonly record struct StepValues(string Q, string Keys, string Values, string States, string Hint);

    /// <summary>A step after the sequence attention (<c>QNetwork.Step</c>): residual and norm, one GRU step, the MLP and
    /// the Q head.</summary>
    /// <param name="x">[1, C, D] the candidates' item vectors.</param>
    /// <param name="attended">[1, C, D] their attention over the prefix and themselves.</param>
    /// <param name="match">[1, C, Fm·K] the list features, or null.</param>
    /// <param name="dense">[1, C, S] the dense values, or null.</param>
    private StepValues StepAfterAttention(string x, string attended, string hidden, string keys, string values, string? match = null,
        string? dense = null)
    {
        var z = LayerNorm(g.Add(x, attended), "sequenceNorm");                                        // [1, C, D]
        var states = GruStep(z, hidden);                                                              // [1, C, D]
        var hint = Mlp(states, match, dense);                                                         // [1, C, H]
        return new StepValues(QHead(hint), keys, values, states, hint);                               // Q [1, C]
    }

    /// <summary>The step graphs' outputs.</summary>
    private GraphProto StepOutputs(StepValues step)
    {
        g.Output(OnnxNames.Q, step.Q, DataType.Float, 1, "C");
        g.Output(OnnxNames.Keys, step.Keys, DataType.Float, 1, heads, "C", headDim);
        g.Output(OnnxNames.Values, step.Values, DataType.Float, 1, heads, "C", headDim);
        g.Output(OnnxNames.States, step.States, DataType.Float, 1, "C", stateDim);
        g.Output(OnnxNames.Hint, step.Hint, DataType.Float, 1, "C", hintDim);
        return g.Graph;
    }

    /// <summary>[F, 1]: 1 at the context fields kept out of the field attention (or at the others), 0 elsewhere.</summary>
    private string FieldMask(bool context)
    {
        var mask = zeros(f, 1);
        for (int i = 0; i < f; i++) if (i >= f - slotContext == context) mask[i] = 1;
        string name = context ? "mask.context" : "mask.shared";
        return Cached(name, () => g.Weight(name, mask));
    }

    private GraphProto BuildList()
    {
        var rows = g.Input(OnnxNames.Rows, DataType.Int64, "B", "L", f, "M");

        var x = EncodeItems(rows);                                                                    // [B, L, D]
        var z = LayerNorm(g.Add(x, CausalAttention(x)), "sequenceNorm");                             // [B, L, D]
        var states = GruSequence(z);                                                                  // [B, L, D]
        var hint = Mlp(states, Matches ? MatchAlongLists(MatchRowsOf(rows)) : null, Skips ? DenseValuesOf(rows) : null); // [B, L, H]
        var q = QHead(hint);                                                                          // [B, L]

        g.Output(OnnxNames.Q, q, DataType.Float, "B", "L");
        g.Output(OnnxNames.Hint, hint, DataType.Float, "B", "L", hintDim);
        return g.Graph;
    }

    // ---- embedding, fieldAttention, fieldNorm ----------------------------------------------------------------------

    /// <summary><see cref="QNetwork.EncodeItems"/>: field bags, field attention with residual and norm, flatten, state
    /// projection.</summary>
    /// <param name="rows">[A, N, F, M] int64, 0 = padding.</param>
    /// <returns>[A, N, D]</returns>
    private string EncodeItems(string rows)
    {
        var fields = EmbeddingBagMean(rows);                                                          // [A, N, F, d]
        return ToState(g.Reshape(MixFields(fields), 0, 0, itemDim));                                  // [A, N, F·d] → [A, N, D]
    }

    /// <summary>The state projection F·d → D (the identity for models without one).</summary>
    /// <param name="items">[.., F·d]</param>
    /// <param name="bias">False for the slot's context, a part of a sum whose bias the candidate's part carries.</param>
    /// <returns>[.., D]</returns>
    private string ToState(string items, bool bias = true) =>
        !projectsState ? items
        : bias ? Linear(items, "stateProjection") : MatMulWeight(items, "stateProjection.weight", perCandidate: false);

    /// <summary>Field attention with residual and norm; context fields kept out of it keep their embeddings.</summary>
    /// <param name="fields">[A, N, F, d]</param>
    /// <returns>[A, N, F, d]</returns>
    private string MixFields(string fields)
    {
        if (slotContext == 0) return LayerNorm(g.Add(fields, FieldAttention(fields)), "fieldNorm");
        int shared = f - slotContext;
        var attended = g.Slice(fields, axis: 2, start: 0, end: shared);                              // [A, N, F-Fc, d]
        var mixed = LayerNorm(g.Add(attended, FieldAttention(attended)), "fieldNorm");               // [A, N, F-Fc, d]
        return g.Concat(2, mixed, g.Slice(fields, axis: 2, start: shared, end: f));                  // [A, N, F, d]
    }

    /// <summary>Mean of the embeddings of a field's non-padding rows; a field of padding only gives 0.</summary>
    /// <param name="rows">[A, N, F, M]</param>
    /// <returns>[A, N, F, d]</returns>
    private string EmbeddingBagMean(string rows)
    {
        return denseFields.Length > 0 ? DenseFieldsAdded(rows) : BagMean(rows);
    }

    /// <summary>The embedding bags alone.</summary>
    private string BagMean(string rows)
    {
        var embedded = g.Gather(Weight("embedding.weight"), rows, axis: 0);                          // [A, N, F, M, d]
        var real = g.Cast(g.Greater(g.Unsqueeze(rows, -1), g.Ints(0)), DataType.Float);              // [A, N, F, M, 1]
        var sum = g.ReduceSum(g.Mul(embedded, real), axis: 3, keepDims: false);                       // [A, N, F, d]
        var count = g.ReduceSum(real, axis: 3, keepDims: false);                                      // [A, N, F, 1]
        return g.Div(sum, g.Max(count, g.Scalar(1)));                                                 // [A, N, F, d]
    }

    /// <summary>
    /// With dense fields (<see cref="QNetwork"/>'s EmbedFields): each dense field's code slot is read as its value and
    /// zeroed before the bags; the value times the field's projection row is added to its bag.
    /// </summary>
    /// <param name="rows">[A, N, F, M]</param>
    /// <returns>[A, N, F, d]</returns>
    private string DenseFieldsAdded(string rows)
    {
        var isDense = new float[f];
        foreach (int i in denseFields) isDense[i] = 1;
        var denseMask = Cached("dense.mask", () => g.Weight("dense.mask", tensor(isDense)));           // [F] 1 at dense fields
        var fullProjection = Cached("denseProjection.full", () =>
        {
            var projection = zeros(f, d);
            var trained = Parameter("denseProjection");
            for (int j = 0; j < denseFields.Length; j++) projection[denseFields[j]] = trained[j];
            return g.Weight("denseProjection.full", projection);                                      // [F, d]
        });

        var m = g.Gather(g.Op("Shape", [rows]), g.Index(3), axis: 0);                                // scalar M
        var slotIsCode = g.Op("Equal", [g.Op("Range", [g.Index(0), m, g.Index(1)]), g.Index(1)]);    // [M]
        var codeSlot = g.Op("And", [g.Greater(g.Unsqueeze(denseMask, -1), g.Scalar(0)), slotIsCode]); // [F, M]
        var bags = BagMean(g.Where(codeSlot, g.Index(0), rows));                                      // [A, N, F, d]
        var codes = g.Cast(g.Gather(rows, g.Index(1), axis: 3), DataType.Float);                      // [A, N, F]
        var values = g.Mul(g.Mul(codes, g.Scalar(1f / DenseCode.Scale)), denseMask);                  // [A, N, F], 0 off dense fields
        return g.Add(bags, g.Mul(g.Unsqueeze(values, -1), fullProjection));                           // [A, N, F, d]
    }

    /// <summary>Non-causal attention across the F fields of each item.</summary>
    /// <param name="x">[A, N, F, d]</param>
    /// <returns>[A, N, F, d]</returns>
    private string FieldAttention(string x)
    {
        var (q, k, v) = ProjectHeads(x, "fieldAttention", leading: 2, fieldHeads, d / fieldHeads);  // [A, N, fh, F, fdh]
        var scores = g.Mul(g.MatMul(q, g.Transpose(k, 0, 1, 2, 4, 3)), Scale(d / fieldHeads));      // [A, N, fh, F, F]
        var mixed = g.MatMul(g.Softmax(scores), v);                                                   // [A, N, fh, F, fdh]
        return Linear(MergeHeads(mixed, leading: 2, d), "fieldAttention.output");                    // [A, N, F, d]
    }

    // ---- sequenceAttention -----------------------------------------------------------------------------------------

    /// <summary><see cref="MultiHeadSelfAttention.AttendAfterPrefix"/> for one request.</summary>
    /// <param name="x">[1, C, D] candidates.</param>
    /// <param name="prefixKeys">[1, h, T, dh]</param>
    /// <param name="prefixValues">[1, h, T, dh]</param>
    /// <param name="prefixMask">[1, T] bool, true at real prefix positions.</param>
    /// <param name="keys">[1, h, C, dh] the candidates' own keys.</param>
    /// <param name="values">[1, h, C, dh]</param>
    /// <returns>[1, C, D]</returns>
    private string AttendAfterPrefix(string x, string prefixKeys, string prefixValues, string prefixMask, out string keys, out string values) =>
        AttendProjectedAfterPrefix(Linear(x, "sequenceAttention.projection"), prefixKeys, prefixValues, prefixMask, out keys, out values);

    /// <summary><see cref="MultiHeadSelfAttention.AttendProjectedAfterPrefix"/>: from the candidates' q|k|v projections.</summary>
    /// <param name="qkv">[1, C, 3D]</param>
    /// <param name="prefixMask">[1, T] bool, or null when every prefix position is real.</param>
    private string AttendProjectedAfterPrefix(string qkv, string prefixKeys, string prefixValues, string? prefixMask,
        out string keys, out string values)
    {
        var (q, k, v) = SplitHeads(qkv, leading: 1, heads, headDim);                                  // [1, h, C, dh]
        keys = k;
        values = v;
        var prefixScores = g.MatMul(q, g.Transpose(prefixKeys, 0, 1, 3, 2));                        // [1, h, C, T]
        if (prefixMask is not null)
            prefixScores = g.Where(g.Unsqueeze(prefixMask, 1, 2), prefixScores, g.Scalar(float.NegativeInfinity)); // mask [1, 1, 1, T]
        var selfScore = g.ReduceSum(g.Mul(q, k), axis: -1, keepDims: true);                           // [1, h, C, 1]
        var weights = g.Softmax(g.Mul(g.Concat(-1, prefixScores, selfScore), Scale(headDim)));       // [1, h, C, T+1]
        var prefixWeights = g.Slice(weights, axis: 3, start: 0, end: -1);                            // [1, h, C, T]
        var selfWeight = g.Slice(weights, axis: 3, start: -1, end: long.MaxValue);                   // [1, h, C, 1]
        var mixed = g.Add(g.MatMul(prefixWeights, prefixValues), g.Mul(selfWeight, v));              // [1, h, C, dh]
        return Linear(MergeHeads(mixed, leading: 1, stateDim), "sequenceAttention.output");          // [1, C, D]
    }

    /// <summary>Causal attention across the L positions of each list (a position sees itself and earlier ones).</summary>
    /// <param name="x">[B, L, D]</param>
    /// <returns>[B, L, D]</returns>
    private string CausalAttention(string x)
    {
        var (q, k, v) = ProjectHeads(x, "sequenceAttention", leading: 1, heads, headDim);             // [B, h, L, dh]
        var scores = g.Mul(g.MatMul(q, g.Transpose(k, 0, 1, 3, 2)), Scale(headDim));               // [B, h, L, L]
        var masked = g.Where(CausalMask(x), scores, g.Scalar(float.NegativeInfinity));              // [B, h, L, L]
        var mixed = g.MatMul(g.Softmax(masked), v);                                                   // [B, h, L, dh]
        return Linear(MergeHeads(mixed, leading: 1, stateDim), "sequenceAttention.output");          // [B, L, D]
    }

    /// <summary>[L, L] bool: key position j ≤ query position i.</summary>
    /// <param name="x">[B, L, D]</param>
    private string CausalMask(string x)
    {
        var length = g.Gather(g.Op("Shape", [x]), g.Index(1), axis: 0);                             // scalar L
        var positions = g.Op("Range", [g.Index(0), length, g.Index(1)]);                             // [L]
        return g.LessOrEqual(g.Unsqueeze(positions, 0), g.Unsqueeze(positions, 1));                 // [L, L]
    }

    /// <summary>Fused q|k|v projection split into heads (as <c>view(.., S, 3, heads, dh)</c>).</summary>
    /// <param name="x">[lead.., S, E] with <paramref name="leading"/> leading axes.</param>
    /// <returns>q, k, v as [lead.., heads, S, dh].</returns>
    private (string Q, string K, string V) ProjectHeads(string x, string module, int leading, int headCount, int width) =>
        SplitHeads(Linear(x, $"{module}.projection"), leading, headCount, width);                    // [lead.., S, 3E] in

    /// <summary>A fused q|k|v projection [lead.., S, 3E] split into heads (as <c>view(.., S, 3, heads, dh)</c>).</summary>
    private (string Q, string K, string V) SplitHeads(string qkv, int leading, int headCount, int width)
    {
        var split = g.Reshape(qkv, [.. Enumerable.Repeat(0L, leading + 1), 3, headCount, width]);     // [lead.., S, 3, heads, dh]
        long s = leading;
        var perm = new[] { s + 1 }.Concat(Enumerable.Range(0, leading).Select(i => (long)i)).Concat([s + 2, s, s + 3]).ToArray();
        var stacked = g.Transpose(split, perm);                                                       // [3, lead.., heads, S, dh]
        return (g.Gather(stacked, g.Index(0), 0), g.Gather(stacked, g.Index(1), 0), g.Gather(stacked, g.Index(2), 0));
    }

    /// <summary>[lead.., heads, S, dh] → [lead.., S, heads·dh].</summary>
    private string MergeHeads(string x, int leading, int width)
    {
        var perm = Enumerable.Range(0, leading + 3).Select(i => (long)i).ToArray();
        (perm[leading], perm[leading + 1]) = (perm[leading + 1], perm[leading]);
        return g.Reshape(g.Transpose(x, perm), [.. Enumerable.Repeat(0L, leading + 1), width]);
    }

    private string Scale(int headWidth) => g.Scalar((float)(1 / Math.Sqrt(headWidth)));

    // ---- dense skip ------------------------------------------------------------------------------------------------

    /// <summary>Whether the network feeds dense values straight to the MLP (<see cref="QNetwork.SkipFields"/>).</summary>
    private bool Skips => skipFields.Length > 0;

    /// <summary><see cref="QNetwork.DenseValues"/>: the skipped fields' codes (second slot) as normalised values.</summary>
    /// <param name="rows">[A, N, F, M]</param>
    /// <returns>[A, N, S]</returns>
    private string DenseValuesOf(string rows)
    {
        var codes = g.Gather(g.Gather(rows, g.Ints(skipFields), axis: 2), g.Index(1), axis: 3);       // [A, N, S]
        return g.Mul(g.Cast(codes, DataType.Float), g.Scalar(1f / DenseCode.Scale));
    }

    // ---- list features (PrefixMatch) -------------------------------------------------------------------------------

    /// <summary>Whether the network has list features (<see cref="QNetwork.MatchFeatures"/>).</summary>
    private bool Matches => matchFields.Length > 0;

    /// <summary>The compared fields' rows.</summary>
    /// <param name="rows">[A, N, F, M]</param>
    /// <returns>[A, N, Fm, M]</returns>
    private string MatchRowsOf(string rows) => g.Gather(rows, g.Ints(matchFields), axis: 2);

    /// <summary><see cref="PrefixMatch.Overlap"/>: |V_f(c) ∩ V_f(j)| / |V_f(c)|.</summary>
    /// <param name="candidates">[A, C, Fm, M]</param>
    /// <param name="prefix">[A, T, Fm, M]</param>
    /// <returns>[A, C, T, Fm]</returns>
    private string Overlap(string candidates, string prefix)
    {
        candidates = Filled(candidates);
        prefix = Filled(prefix);
        var equal = g.Cast(g.Equal(g.Unsqueeze(candidates, 2, 5), g.Unsqueeze(prefix, 1, 4)), DataType.Float); // [A, C, T, Fm, M, M]
        var hit = g.Op("ReduceMax", [equal], GraphBuilder.Attribute("axes", new long[] { -1 }), GraphBuilder.Attribute("keepdims", 0L)); // [A, C, T, Fm, M]
        var present = g.Cast(g.Not(g.Equal(candidates, g.Index(0))), DataType.Float);             // [A, C, Fm, M]
        var hits = g.ReduceSum(g.Mul(hit, g.Unsqueeze(present, 2)), axis: -1, keepDims: false);    // [A, C, T, Fm]
        var values = g.Max(g.ReduceSum(present, axis: -1, keepDims: false), g.Scalar(1));         // [A, C, Fm]
        return g.Div(hits, g.Unsqueeze(values, 2));                                                // [A, C, T, Fm]
    }

    /// <summary>
    /// <see cref="Overlap"/> of every candidate of a request with every other, as <see cref="PrefixMatch.Placed.Overlaps"/>
    /// counts them: one-hot over the request's distinct values (Unique) and one MatMul per field, hits(c, j, f) =
    /// Σ_u n_c(f, u) · [u ∈ V_f(j)] with n_c(f, u) the slots of c holding u. The broadcast comparison over [N, N, Fm, M, M]
    /// cost ONNX Runtime more than the rest of a slate.
    /// </summary>
    /// <param name="all">[1, N, Fm, M]</param>
    /// <returns>[N, N, Fm]</returns>
    private string OverlapsOf(string all)
    {
        var rows = g.Squeeze(Filled(all), 0);                                                        // [N, Fm, M']
        var unique = g.Op("Unique", [g.Reshape(rows, -1)], 4, GraphBuilder.Attribute("sorted", 1L)); // values, first, inverse, counts
        var inverse = g.Op("Reshape", [unique[2], g.Shape(rows)]);                                    // [N, Fm, M']: 0..U-1
        var oneHot = g.Op("OneHot", [inverse, g.Dim(unique[0], 0), g.Weight("match.one_hot", tensor(new float[] { 0, 1 }))],
            GraphBuilder.Attribute("axis", -1L));                                                     // [N, Fm, M', U]
        var present = g.Cast(g.Not(g.Equal(rows, g.Index(0))), DataType.Float);                      // [N, Fm, M']
        oneHot = g.Mul(oneHot, g.Unsqueeze(present, -1));                                            // padding holds nothing
        var counts = g.ReduceSum(oneHot, axis: 2, keepDims: false);                                  // [N, Fm, U]
        var holds = g.Op("ReduceMax", [oneHot], GraphBuilder.Attribute("axes", new long[] { 2 }), GraphBuilder.Attribute("keepdims", 0L)); // [N, Fm, U]
        var hits = g.MatMul(g.Transpose(counts, 1, 0, 2), g.Transpose(holds, 1, 2, 0));              // [Fm, N(c), N(j)]
        var values = g.Max(g.ReduceSum(present, axis: -1, keepDims: false), g.Scalar(1));           // [N, Fm]
        return g.Div(g.Transpose(hits, 1, 2, 0), g.Unsqueeze(values, 1));                           // [N, N, Fm]
    }

    /// <summary><see cref="PrefixMatch.Filled"/>: the value slots up to the last one any row fills (at least one).</summary>
    /// <param name="rows">[.., M] int64</param>
    private string Filled(string rows)
    {
        var m = g.Gather(g.Shape(rows), g.Index(-1), axis: 0);                                       // scalar M
        var slot = g.Op("Range", [g.Index(1), g.Add(m, g.Index(1)), g.Index(1)]);                   // [M]: 1..M
        var last = g.Op("ReduceMax", [g.Mul(g.Cast(g.Not(g.Equal(rows, g.Index(0))), DataType.Int64), slot)],
            GraphBuilder.Attribute("keepdims", 0L));                                                // scalar
        var width = g.Unsqueeze(g.Max(last, g.Index(1)), 0);                                        // [1]
        return g.Op("Slice", [rows, g.Ints(0), width, g.Ints(-1)]);
    }

    /// <summary>κ^n for each decay κ of <see cref="PrefixMatch.Decays"/> (0^0 = 1), stacked last.</summary>
    /// <param name="n">[..] float, ≥ 0.</param>
    /// <returns>[.., K]</returns>
    private string DecayWeights(string n)
    {
        var weights = PrefixMatch.Decays.Select(k => k == 1 ? g.Add(g.Mul(n, g.Scalar(0)), g.Scalar(1))
            : k == 0 ? g.Cast(g.Equal(n, g.Scalar(0)), DataType.Float)
            : g.Op("Pow", [g.Scalar((float)k), n]));
        return g.Concat(-1, weights.Select(w => g.Unsqueeze(w, -1)).ToArray());
    }

    /// <summary><see cref="PrefixMatch.AfterPrefix"/> for one request. The prefix gets one padding position at its end (rows
    /// 0, masked out: it matches nothing and weighs nothing), so that no tensor is empty when T = 0.</summary>
    /// <param name="candidates">[1, C, Fm, M]</param>
    /// <param name="prefix">[1, T, Fm, M]</param>
    /// <param name="mask">[1, T] bool, true at real prefix positions (the first T_r).</param>
    /// <returns>[1, C, Fm·K]</returns>
    private string MatchAfterPrefix(string candidates, string prefix, string mask)
    {
        var padding = g.Mul(g.Slice(candidates, axis: 1, start: 0, end: 1), g.Index(0));           // [1, 1, Fm, M] zeros
        prefix = g.Concat(1, prefix, padding);                                                     // [1, T+1, Fm, M]
        var real = g.Concat(1, g.Cast(mask, DataType.Float), g.Weight("match.padding", zeros(1, 1))); // [1, T+1]
        var j = g.Cast(g.Op("Range", [g.Index(0), g.Dim(prefix, 1), g.Index(1)]), DataType.Float); // [T+1]
        var length = g.ReduceSum(real, axis: 1, keepDims: true);                                   // [1, 1]
        var back = g.Max(g.Sub(g.Sub(length, g.Scalar(1)), g.Unsqueeze(j, 0)), g.Scalar(0));      // [1, T+1]: T_r − 1 − j
        var weights = g.Mul(DecayWeights(back), g.Unsqueeze(real, -1));                            // [1, T+1, K]
        return WeightedSum(Overlap(candidates, prefix), g.Unsqueeze(weights, 1));                  // [1, C, Fm·K]
    }

    /// <summary><see cref="PrefixMatch.AlongLists"/>: every position after the positions before it.</summary>
    /// <param name="rows">[B, L, Fm, M]</param>
    /// <returns>[B, L, Fm·K]</returns>
    private string MatchAlongLists(string rows)
    {
        var position = g.Cast(g.Op("Range", [g.Index(0), g.Dim(rows, 1), g.Index(1)]), DataType.Float); // [L]
        var back = g.Sub(g.Sub(g.Unsqueeze(position, 1), g.Unsqueeze(position, 0)), g.Scalar(1));   // [L(t), L(j)]: t − 1 − j
        var earlier = g.Cast(g.Greater(back, g.Scalar(-0.5f)), DataType.Float);                    // j < t
        var weights = g.Mul(DecayWeights(g.Max(back, g.Scalar(0))), g.Unsqueeze(earlier, -1));     // [L, L, K]
        return WeightedSum(Overlap(rows, rows), g.Unsqueeze(weights, 0));                          // [B, L, Fm·K]
    }

    /// <summary>Σ_j overlap[.., c, j, f] · w[.., c, j, k] → [.., c, f·k] (elementwise and a sum: a MatMul over a
    /// transposed batch is fused by ONNX Runtime into a kernel that rejects these broadcasts).</summary>
    /// <param name="overlap">[A, C, T, Fm]</param>
    /// <param name="weights">[A or 1, C or 1, T, K]</param>
    private string WeightedSum(string overlap, string weights)
    {
        var terms = g.Mul(g.Unsqueeze(overlap, -1), g.Unsqueeze(weights, 3));                      // [A, C, T, Fm, K]
        return g.Reshape(g.ReduceSum(terms, axis: 2, keepDims: false), 0, 0, -1);                  // [A, C, Fm·K]
    }

    // ---- gru -------------------------------------------------------------------------------------------------------

    /// <summary>One GRU step of C inputs from one shared hidden state (PyTorch gate order r, z, n).</summary>
    /// <param name="x">[1, C, D]</param>
    /// <param name="hidden">[1, D]</param>
    /// <returns>[1, C, D] the next states.</returns>
    private string GruStep(string x, string hidden)
    {
        var gi = g.Add(MatMulWeight(x, "gru.weight_ih_l0"), Weight("gru.bias_ih_l0"));               // [1, C, 3D]
        var gh = g.Add(MatMulWeight(hidden, "gru.weight_hh_l0"), Weight("gru.bias_hh_l0"));          // [1, 3D]
        var input = g.SplitLast(gi, 3, stateDim);                                                     // 3 × [1, C, D]
        var recurrent = g.SplitLast(g.Unsqueeze(gh, 1), 3, stateDim);                                 // 3 × [1, 1, D]
        var reset = g.Sigmoid(g.Add(input[0], recurrent[0]));
        var update = g.Sigmoid(g.Add(input[1], recurrent[1]));
        var candidate = g.Tanh(g.Add(input[2], g.Mul(reset, recurrent[2])));                         // [1, C, D]
        var previous = g.Unsqueeze(hidden, 1);                                                        // [1, 1, D]
        return g.Add(g.Mul(g.Sub(g.Scalar(1), update), candidate), g.Mul(update, previous));        // [1, C, D]
    }

    /// <summary>The ONNX GRU operator over positions from a zero state (gates reordered to ONNX's z, r, h; PyTorch's
    /// reset-after-matmul is <c>linear_before_reset = 1</c>).</summary>
    /// <param name="x">[B, L, D]</param>
    /// <returns>[B, L, D] the states h_1..h_L.</returns>
    private string GruSequence(string x)
    {
        var w = g.Weight("gru.W", ZrhGates(Parameter("gru.weight_ih_l0")).unsqueeze(0));              // [1, 3D, D]
        var r = g.Weight("gru.R", ZrhGates(Parameter("gru.weight_hh_l0")).unsqueeze(0));              // [1, 3D, D]
        var b = g.Weight("gru.B", cat([ZrhGates(Parameter("gru.bias_ih_l0")), ZrhGates(Parameter("gru.bias_hh_l0"))]).unsqueeze(0)); // [1, 6D]
        var sequenceFirst = g.Transpose(x, 1, 0, 2);                                                 // [L, B, D]
        var y = g.Op("GRU", [sequenceFirst, w, r, b], 1,
            GraphBuilder.Attribute("hidden_size", stateDim), GraphBuilder.Attribute("linear_before_reset", 1))[0]; // [L, 1, B, D]
        return g.Transpose(g.Squeeze(y, 1), 1, 0, 2);                                                // [B, L, D]
    }

    /// <summary>Rows r | z | n (PyTorch) → z | r | n (ONNX).</summary>
    private Tensor ZrhGates(Tensor t)
    {
        var parts = t.detach().chunk(3, 0);
        return cat([parts[1], parts[0], parts[2]], 0);
    }

    // ---- mlp, qHead ------------------------------------------------------------------------------------------------

    /// <summary>tanh MLP D → m → m/2 → H (m = D/2 by default), its input the state and the list features, if any.</summary>
    /// <param name="x">[.., D]</param>
    /// <param name="match">[.., Fm·K] or null.</param>
    /// <param name="dense">[.., S] or null.</param>
    /// <returns>[.., H] the hint vectors.</returns>
    private string Mlp(string x, string? match = null, string? dense = null)
    {
        if (match is not null || dense is not null)
            x = g.Concat(-1, new[] { x, match, dense }.OfType<string>().ToArray());                   // [.., D + Fm·K + S]
        var h1 = g.Tanh(Linear(x, "mlp.hidden1"));                                                    // [.., m]
        var h2 = g.Tanh(Linear(h1, "mlp.hidden2"));                                                   // [.., m/2]
        return g.Tanh(Linear(h2, "mlp.hint"));                                                        // [.., H]
    }

    /// <param name="hint">[.., H]</param>
    /// <returns>[..] Q.</returns>
    private string QHead(string hint) => g.Squeeze(Linear(hint, "qHead"), -1);

    // ---- shared pieces ---------------------------------------------------------------------------------------------

    /// <summary>nn.Linear: x·Wᵀ + b.</summary>
    private string Linear(string x, string module) => g.Add(MatMulWeight(x, $"{module}.weight"), Weight($"{module}.bias"));

    /// <summary>
    /// x·Wᵀ for the weight <paramref name="key"/> ([out, in]). In float32, a MatMul. In int8, the weight is quantised per
    /// output channel (<see cref="Int8Weights"/>) and the activation dynamically, per tensor, as uint8
    /// (DynamicQuantizeLinear, MatMulInteger, then the int32 sums scaled back to float by the activation's scale times each
    /// channel's); ONNX Runtime fuses this standard-operator pattern into its DynamicQuantizeMatMul kernel.
    /// </summary>
    /// <param name="x">[.., in]</param>
    /// <param name="perCandidate">False for the slot context's projection, which stays float32 in every precision: it is
    /// one vector per slot (nothing to gain from int8), and the slate graph projects every slot's context at once, so a
    /// per-tensor activation scale would differ from the per-slot graphs' and their slates with it.</param>
    /// <returns>[.., out] float</returns>
    private string MatMulWeight(string x, string key, bool perCandidate = true)
    {
        if (precision == OnnxPrecision.Float32 || !perCandidate) return g.MatMul(x, WeightT(key));
        var (values, scales) = QuantizedWeight(key);
        var quantized = g.Op("DynamicQuantizeLinear", [x], 3);                                         // uint8 x, scale, zero point
        var sums = g.Op("MatMulInteger", [quantized[0], values, quantized[2]]);                        // [.., out] int32
        return g.Mul(g.Cast(sums, DataType.Float), g.Mul(quantized[1], scales));                       // [.., out]
    }

    /// <summary>The int8 weight Wᵀ [in, out] and its per-output-channel scales [out].</summary>
    private (string Values, string Scales) QuantizedWeight(string key)
    {
        string values = Cached(key + ".T.int8", () =>
        {
            var quantized = Int8Weights.PerOutputChannel(Parameter(key));
            weights[key + ".scale"] = g.Weight(key + ".scale", tensor(quantized.Scales));
            return g.Int8Weight(key + ".T.int8", quantized.Transposed, quantized.In, quantized.Out);
        });
        return (values, weights[key + ".scale"]);
    }

    /// <summary>nn.LayerNorm over the last axis (eps 1e-5).</summary>
    private string LayerNorm(string x, string module) =>
        g.Op("LayerNormalization", [x, Weight($"{module}.weight"), Weight($"{module}.bias")],
            GraphBuilder.Attribute("axis", -1), GraphBuilder.Attribute("epsilon", 1e-5f));

    private string Weight(string key) => Cached(key, () => g.Weight(key, Parameter(key)));

    private string WeightT(string key) => Cached(key + ".T", () => g.Weight(key + ".T", Parameter(key).detach().t()));

    private string Cached(string name, Func<string> create)
    {
        if (!weights.TryGetValue(name, out var value)) weights[name] = value = create();
        return value;
    }

    private Tensor Parameter(string key) =>
        parameters.TryGetValue(key, out var p) ? p : throw new ArgumentException($"the Q-network has no parameter '{key}'");
}
