using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Tensors;

namespace Drlrec.Model;

/// <summary>
/// The DRL-Rec Q-network (Xie et al., "Explore, Filter and Distill: Distilled Reinforcement Learning in
/// Recommendation", CIKM 2021; the HRL-Rec architecture). For the list prefix up to position t it scores
/// Q(s_t, i_t), the value of placing item i_t after the items before it:
/// <list type="number">
/// <item>field embedding bags: each field is the mean of its values' embeddings, d wide;</item>
/// <item>field interaction: multi-head self-attention across the F fields of the item (residual + LayerNorm),
/// flattened into an item vector of F·d; the slot's context fields (position, ...) are left out of this attention and
/// their embeddings take their places in the item vector (<see cref="ContextInput.ItemVector"/>, our design choice: a
/// candidate's encoding then does not depend on the slot, see <see cref="EncodeCandidates"/>);</item>
/// <item>when the state width D differs from F·d (<see cref="QNetworkConfig.StateDim"/>), a linear projection of the item
/// vector to D (a size knob of ours: the sequence part then costs D², not (F·d)²);</item>
/// <item>a causal Transformer attention block across positions 1..t (a score never sees later positions: at
/// serving time they are not chosen yet);</item>
/// <item>a GRU over positions, giving the state h_t (D wide);</item>
/// <item>a tanh MLP D → m → m/2 → H, the hint size (m = D/2 by default): the hint vector g_t;</item>
/// <item>a linear Q head g_t → Q.</item>
/// </list>
/// Teacher and student are this class with different <see cref="QNetworkConfig"/>.
/// </summary>
public sealed class QNetwork : nn.Module
{
    // Fields in call order: their names are the checkpoint keys.
    private readonly EmbeddingBag embedding;
    // [F_dense, d]: a dense field's vector is its present (or missing) row's embedding + value · this row. Only models
    // with dense fields have it, so models of categorical data keep their parameters and checkpoint keys.
    private readonly Parameter? denseProjection;
    private readonly MultiHeadSelfAttention fieldAttention;
    private readonly LayerNorm fieldNorm;
    // F·d → D; only when D ≠ F·d, so default-sized models keep their parameters and checkpoint keys.
    private readonly Linear? stateProjection;
    private readonly Dropout itemDropout;
    private readonly MultiHeadSelfAttention sequenceAttention;
    private readonly LayerNorm sequenceNorm;
    private readonly GRU gru;
    private readonly Sequential mlp;
    private readonly Linear qHead;
    // Not a submodule of its own (no checkpoint keys): the MLP's layers without its dropouts.
    private readonly nn.Module<Tensor, Tensor>[] mlpInference;

    /// <param name="denseFields">Indices of the dense fields (<see cref="FieldLayout.DenseFields"/>); none by default.</param>
    /// <param name="contextFields">How many of the fields, the last ones, are context fields (<see cref="FieldLayout"/>); with 0
    /// every field is attended like an item field, whatever its name (use the <see cref="FieldLayout"/> constructor for data).</param>
    /// <param name="matchFields">The fields a candidate is compared on with the items placed before it
    /// (<see cref="QNetworkConfig.PrefixMatch"/>; <see cref="MatchedFields(FieldLayout)"/> for data); ignored without it.</param>
    public QNetwork(QNetworkConfig config, int fields, int embeddingRows, string name = "qnetwork", IReadOnlyList<int>? denseFields = null,
        int contextFields = 0, IReadOnlyList<int>? matchFields = null)
        : base(name)
    {
        config.Validate(fields);
        Config = config;
        FieldCount = fields;
        EmbeddingRows = embeddingRows;
        DenseFields = denseFields?.ToArray() ?? [];
        if (DenseFields.Any(i => i < 0 || i >= fields)) throw new ArgumentException($"dense field indices must be within 0..{fields - 1}");
        if (contextFields < 0 || contextFields >= fields)
            throw new ArgumentException($"context fields must be 0..{fields - 1} (the field attention needs at least one user or item field)");
        ContextFields = contextFields;
        MatchFields = config.PrefixMatch ? matchFields?.ToArray() ?? [] : [];
        SkipFields = config.DenseSkip ? DenseFields.Where(i => i < fields - contextFields).ToArray() : [];
        if (MatchFields.Any(i => i < 0 || i >= fields)) throw new ArgumentException($"match field indices must be within 0..{fields - 1}");
        SlotContext = config.ContextInput == ContextInput.ItemVector ? contextFields : 0;
        int d = config.EmbeddingDim, width = config.StateWidth(fields);
        var (mlp1, mlp2) = config.MlpWidths(fields);

        // padding_idx 0: padding entries are left out of each bag's mean (a bag of padding only embeds to zero).
        embedding = nn.EmbeddingBag(embeddingRows, d, mode: EmbeddingBagMode.Mean, padding_index: 0);
        if (DenseFields.Length > 0) denseProjection = nn.Parameter(empty(DenseFields.Length, d));
        fieldAttention = new MultiHeadSelfAttention("fieldAttention", d, config.FieldHeads);
        fieldNorm = nn.LayerNorm(d);
        if (config.ProjectsState(fields)) stateProjection = nn.Linear(config.ItemDim(fields), width);
        itemDropout = nn.Dropout(config.Dropout);
        sequenceAttention = new MultiHeadSelfAttention("sequenceAttention", width, config.SequenceHeads);
        sequenceNorm = nn.LayerNorm(width);
        gru = nn.GRU(width, width, batchFirst: true);
        mlp = nn.Sequential(
            ("hidden1", nn.Linear(width + MatchFeatures + SkipFields.Length, mlp1)), ("tanh1", nn.Tanh()), ("dropout1", nn.Dropout(config.Dropout)),
            ("hidden2", nn.Linear(mlp1, mlp2)), ("tanh2", nn.Tanh()), ("dropout2", nn.Dropout(config.Dropout)),
            ("hint", nn.Linear(mlp2, config.HintDim)), ("tanh3", nn.Tanh()));
        qHead = nn.Linear(config.HintDim, 1);
        RegisterComponents();
        mlpInference = mlp.children().Where(m => m is not Dropout).Cast<nn.Module<Tensor, Tensor>>().ToArray();

        using (no_grad())
        {
            // Small embeddings (std 0.1, as the reference): N(0, 1) rows would swamp the attention at d = 16.
            // Row 0 is padding: left out of every mean, kept at zero for clarity.
            nn.init.normal_(embedding.weight!, 0, 0.1);
            embedding.weight![0].zero_();
            // A dense value is normalised to about unit scale, so its projection starts at the embeddings' scale.
            if (denseProjection is not null) nn.init.normal_(denseProjection, 0, 0.1);
            // Glorot-uniform weights and zero biases for every linear map (the reference's TensorFlow defaults;
            // gain 5/3 before tanh). libtorch's default fan-in init shrinks the signal about threefold per layer,
            // so the three tanh layers and the Q head started near-constant and training sat on a plateau.
            foreach (var (key, parameter) in named_parameters())
            {
                if (key.StartsWith("embedding", StringComparison.Ordinal) || key.StartsWith("dense", StringComparison.Ordinal)
                    || key.Contains("Norm", StringComparison.Ordinal)) continue;
                if (parameter.dim() == 1) parameter.zero_();
                else nn.init.xavier_uniform_(parameter, gain: key.StartsWith("mlp", StringComparison.Ordinal) ? 5.0 / 3 : 1.0);
            }
        }
    }

    /// <summary>A network for data of <paramref name="layout"/> (its field count and dense fields) and a vocabulary of
    /// <paramref name="embeddingRows"/> rows.</summary>
    public QNetwork(QNetworkConfig config, FieldLayout layout, int embeddingRows, string name = "qnetwork")
        : this(config, layout.Count, embeddingRows, name, layout.DenseFields, layout.ContextFields, MatchedFields(layout))
    {
    }

    /// <summary>The fields <see cref="PrefixMatch"/> compares: the categorical item fields but the first (the item key, which a
    /// list never repeats).</summary>
    public static int[] MatchedFields(FieldLayout layout) =>
        Enumerable.Range(layout.UserFields + 1, Math.Max(0, layout.ItemFields - 1)).Where(i => !layout.DenseFields.Contains(i)).ToArray();

    public QNetworkConfig Config { get; }
    public int FieldCount { get; }
    public int EmbeddingRows { get; }
    /// <summary>Indices of the dense fields (empty for categorical data).</summary>
    public int[] DenseFields { get; }
    /// <summary>Context fields (the last fields).</summary>
    public int ContextFields { get; }
    /// <summary>Fields compared with the prefix (<see cref="QNetworkConfig.PrefixMatch"/>); empty without it.</summary>
    public int[] MatchFields { get; }
    /// <summary>Fm·K, the list features fed to the MLP beside the state (0 without <see cref="QNetworkConfig.PrefixMatch"/>).</summary>
    public int MatchFeatures => MatchFields.Length * PrefixMatch.Decays.Count;
    /// <summary>The user and item dense fields whose values go straight to the MLP (<see cref="QNetworkConfig.DenseSkip"/>).</summary>
    public int[] SkipFields { get; }
    /// <summary>Context fields kept out of the field attention and added per slot (<see cref="ContextInput.ItemVector"/>);
    /// 0 when they are attended fields (<see cref="ContextInput.FieldAttention"/>).</summary>
    public int SlotContext { get; }
    /// <summary>F·d, the item vector's width after the field attention.</summary>
    public int ItemDim => Config.ItemDim(FieldCount);
    /// <summary>D, the width of the encoded item vectors, the sequence attention and the GRU state (F·d by default).</summary>
    public int StateDim => Config.StateWidth(FieldCount);
    /// <summary>A candidate's encoding is the same in every slot: <see cref="EncodeCandidates"/> and <see cref="AtSlot"/>
    /// may replace <see cref="EncodeItems"/> (false only for models whose field attention mixes context fields).</summary>
    public bool EncodesOncePerRequest => SlotContext == ContextFields;

    /// <summary>The causal attention across positions (its heads shape the prefix cache).</summary>
    public MultiHeadSelfAttention SequenceAttention => sequenceAttention;

    /// <summary>Embeds items: field bags (mean of the values' embeddings), dense values projected into their fields,
    /// field attention, flatten, projection to the state width.</summary>
    /// <param name="rows">[N, F, M] embedding rows (0 = padding; a field of padding only embeds to zero); a dense field's
    /// second slot holds its <see cref="DenseCode"/>.</param>
    /// <returns>[N, D] item vectors.</returns>
    public Tensor EncodeItems(Tensor rows)
    {
        var items = ToState(MixFields(EmbedFields(rows)).flatten(1));                     // [N, F·d] → [N, D]
        return training ? itemDropout.forward(items) : items;
    }

    /// <summary>The state projection (identity when D = F·d).</summary>
    /// <param name="items">[.., F·d]</param>
    /// <param name="bias">False for a part of a sum whose bias another part carries (the slot's context).</param>
    /// <returns>[.., D]</returns>
    private Tensor ToState(Tensor items, bool bias = true) =>
        stateProjection is null ? items
        : bias ? stateProjection.forward(items) : nn.functional.linear(items, stateProjection.weight!);

    /// <summary>
    /// Encodes candidates once for every slot (<see cref="EncodesOncePerRequest"/>): <see cref="EncodeItems"/> with the
    /// context's part of the vector left at zero and no dropout; <see cref="AtSlot"/> adds a slot's context.
    /// </summary>
    /// <param name="rows">[N, F, M]; the context fields' rows are not read.</param>
    /// <returns>[N, D]</returns>
    public Tensor EncodeCandidates(Tensor rows)
    {
        if (!EncodesOncePerRequest)
            throw new InvalidOperationException("this model's field attention mixes the context fields (context_input field_attention): encode per slot");
        int shared = FieldCount - SlotContext;
        var fields = EmbedFields(rows).narrow(1, 0, shared);                              // [N, F-Fc, d]
        var mixed = fieldNorm.forward(fields.Plus(fieldAttention.Attend(fields, causal: false))).flatten(1); // [N, (F-Fc)·d]
        return ToState(nn.functional.pad(mixed, [0, SlotContext * Config.EmbeddingDim])); // [N, F·d], context part 0 → [N, D]
    }

    /// <summary>Candidates encoded by <see cref="EncodeCandidates"/> placed in a slot: the slot's context embeddings added
    /// in the context fields' part of the vector (dropout as <see cref="EncodeItems"/>).</summary>
    /// <param name="encoded">[R, C, D]</param>
    /// <param name="slotRows">[R, F, M] the slot's rows (only the context fields' are read).</param>
    /// <returns>[R, C, D], equal to <see cref="EncodeItems"/> of the candidates' item fields in the slot.</returns>
    public Tensor AtSlot(Tensor encoded, Tensor slotRows)
    {
        var x = SlotContext > 0 ? encoded.Plus(ContextVector(slotRows)) : encoded;
        return training ? itemDropout.forward(x) : x;
    }

    /// <summary>A slot's context vector: its context fields' embeddings in their part of the item vector, 0 elsewhere,
    /// projected to the state width without bias (the projection is linear: P(x + c) = P(x) + W·c, and P(x)
    /// carries the bias).</summary>
    /// <param name="slotRows">[R, F, M]</param>
    /// <returns>[R, 1, D]</returns>
    private Tensor ContextVector(Tensor slotRows)
    {
        int shared = FieldCount - SlotContext;
        var context = EmbedFields(slotRows).narrow(1, shared, SlotContext).flatten(1);      // [R, Fc·d]
        return ToState(nn.functional.pad(context, [shared * Config.EmbeddingDim, 0]), bias: false).unsqueeze(1); // [R, 1, D]
    }

    /// <summary>Field attention with residual and norm; context fields kept out of it (<see cref="SlotContext"/>) keep
    /// their own embeddings and are neither attended to nor attend.</summary>
    /// <param name="fields">[N, F, d]</param>
    /// <returns>[N, F, d]</returns>
    private Tensor MixFields(Tensor fields)
    {
        if (SlotContext == 0) return fieldNorm.forward(fields.Plus(fieldAttention.Attend(fields, causal: false)));
        int shared = FieldCount - SlotContext;
        var attended = fields.narrow(1, 0, shared);                                       // [N, F-Fc, d]
        var mixed = fieldNorm.forward(attended.Plus(fieldAttention.Attend(attended, causal: false)));
        return cat([mixed, fields.narrow(1, shared, SlotContext)], 1);                    // [N, F, d]
    }

    /// <summary>Each field's vector: the mean of its values' embeddings; for a dense field, its present (or missing) row's
    /// embedding plus its value times the field's projection row.</summary>
    /// <param name="rows">[N, F, M]</param>
    /// <returns>[N, F, d]</returns>
    private Tensor EmbedFields(Tensor rows)
    {
        long n = rows.shape[0], f = rows.shape[1], m = rows.shape[2];
        if (denseProjection is null) return embedding.forward(rows.reshape(n * f, m), null, null).view(n, f, -1);
        var index = tensor(DenseFields.Select(i => (long)i).ToArray());                                   // [F_dense]
        var values = rows.index_select(1, index).select(2, 1).to_type(ScalarType.Float32).DividedBy(DenseCode.Scale); // [N, F_dense]
        var codeSlot = zeros(f, 1, ScalarType.Bool).index_fill(0, index, Scalars.True)
            .logical_and(arange(m).eq(Scalars.One).unsqueeze(0));                                        // [F, M]: the codes' slots
        var bags = embedding.forward(rows.masked_fill(codeSlot, Scalars.Zero).reshape(n * f, m), null, null).view(n, f, -1);
        return bags.index_add(1, index, values.unsqueeze(-1) * denseProjection, Scalars.One);            // [N, F, d]
    }

    /// <summary>Scores every position of logged lists (teacher forcing on the logged order).</summary>
    /// <param name="rows">[B, L, F, M].</param>
    public ListOutput Forward(Tensor rows)
    {
        long b = rows.shape[0], l = rows.shape[1];
        var x = EncodeItems(rows.flatten(0, 1)).view(b, l, StateDim);                      // [B, L, D]
        var attended = sequenceAttention.Attend(x, causal: true, out var keys, out var values); // keys/values [B, h, L, dh]
        var z = sequenceNorm.forward(x.Plus(attended));                                     // [B, L, D]
        var (states, _) = gru.forward(z);                                                  // [B, L, D]: h_1..h_L
        var matchRows = MatchRows(rows);                                                   // [B, L, Fm, M]
        var match = matchRows is null ? null : PrefixMatch.AlongLists(matchRows);          // [B, L, Fm·K]
        var hint = Mlp(states, match, DenseValues(rows));                                  // [B, L, H]
        var q = qHead.forward(hint).squeeze(-1);                                           // [B, L]
        return new ListOutput(q, hint, keys, values, states) { MatchRows = matchRows };
    }

    public ListOutput Forward(ListBatch batch) => Forward(batch.Rows);

    /// <summary>
    /// Scores C candidates for the next position of each of R prefixes in one batched step: each candidate is
    /// attended against the cached prefix keys/values and advances the cached GRU state by one step.
    /// </summary>
    /// <param name="prefix">Cached state of R list prefixes.</param>
    /// <param name="rows">[R, C, F, M] candidate fields (user and context fields of the slot, item fields of the candidate).</param>
    public CandidateOutput ScoreCandidates(PrefixState prefix, Tensor rows)
    {
        long r = rows.shape[0], c = rows.shape[1];
        return ScoreEncoded(prefix, EncodeItems(rows.flatten(0, 1)).view(r, c, StateDim), rows);
    }

    /// <summary>The normalised values of the user and item dense fields (<see cref="SkipFields"/>; 0 when missing), or null
    /// without <see cref="QNetworkConfig.DenseSkip"/>.</summary>
    /// <param name="rows">[.., F, M]</param>
    /// <returns>[.., S]</returns>
    public Tensor? DenseValues(Tensor rows)
    {
        if (SkipFields.Length == 0) return null;
        var index = tensor(SkipFields.Select(i => (long)i).ToArray(), device: rows.device);
        return rows.index_select(rows.dim() - 2, index).select(-1, 1).to_type(ScalarType.Float32).DividedBy(DenseCode.Scale);
    }

    /// <summary>The rows of the fields compared with the prefix (<see cref="MatchFields"/>), or null without them.</summary>
    /// <param name="rows">[.., F, M]</param>
    /// <returns>[.., Fm, M]</returns>
    public Tensor? MatchRows(Tensor rows) =>
        MatchFeatures == 0 ? null : rows.index_select(rows.dim() - 2, tensor(MatchFields.Select(i => (long)i).ToArray(), device: rows.device));

    /// <summary>
    /// A request's candidates prepared for ranking (<see cref="EncodesOncePerRequest"/>): their item vectors
    /// (<see cref="EncodeCandidates"/>) and those vectors' sequence-attention projections, both once per request.
    /// </summary>
    /// <param name="rows">[N, F, M] the candidates' rows.</param>
    public CandidateCache CacheCandidates(Tensor rows)
    {
        var x = EncodeCandidates(rows);                                                     // [N, D]
        return new CandidateCache(x, sequenceAttention.Project(x))                         // [N, 3D]
        {
            MatchRows = MatchRows(rows),                                                    // [N, Fm, M]
            DenseValues = DenseValues(rows),                                                // [N, S]
        };
    }

    /// <summary>
    /// <see cref="ScoreCandidates"/> for cached candidates of one request in a slot: the slot's context vector c is
    /// added to each item vector and, projected without bias, to each cached projection (P(x + c) = P(x) + W·c), so
    /// the per-step work starts at the attention over the prefix. Eval mode only (no dropout).
    /// </summary>
    /// <param name="prefix">One prefix (R = 1).</param>
    /// <param name="candidates">[C] int64 indices into the cache.</param>
    /// <param name="slotRows">[1, F, M] the slot's rows (only the context fields' are read).</param>
    /// <param name="match">[1, C, Fm·K] the candidates' list features when the caller keeps them per request
    /// (<see cref="PrefixMatch.Placed"/>); null computes them from the prefix's rows.</param>
    public CandidateOutput ScoreCached(PrefixState prefix, CandidateCache cache, Tensor candidates, Tensor slotRows, Tensor? match = null)
    {
        var x = cache.Items.index_select(0, candidates).unsqueeze(0);                       // [1, C, D]
        var qkv = cache.Projections.index_select(0, candidates).unsqueeze(0);              // [1, C, 3D]
        if (SlotContext > 0)
        {
            var context = ContextVector(slotRows);                                          // [1, 1, D]
            x = x.Plus(context);
            qkv = qkv.Plus(sequenceAttention.Project(context, bias: false));
        }
        var attended = sequenceAttention.AttendProjectedAfterPrefix(qkv, prefix.Keys, prefix.Values, prefix.KeyMask,
            out var keys, out var values);                                                  // [1, C, D]
        var dense = cache.DenseValues?.index_select(0, candidates).unsqueeze(0);           // [1, C, S]
        if (match is not null) return Step(prefix, x, attended, keys, values, null, dense, match);
        return Step(prefix, x, attended, keys, values, cache.MatchRows?.index_select(0, candidates).unsqueeze(0), dense); // [1, C, Fm, M]
    }

    /// <summary><see cref="ScoreCandidates"/> from item vectors (<see cref="EncodeItems"/>, or <see cref="AtSlot"/> of
    /// candidates encoded once).</summary>
    /// <param name="x">[R, C, D]</param>
    /// <param name="rows">[R, C, F, M] the candidates' rows; only their item fields are read, and only with
    /// <see cref="QNetworkConfig.PrefixMatch"/> (required then).</param>
    public CandidateOutput ScoreEncoded(PrefixState prefix, Tensor x, Tensor? rows = null)
    {
        if ((MatchFeatures > 0 || SkipFields.Length > 0) && rows is null)
            throw new ArgumentException("a network with prefix_match or dense_skip needs the candidates' rows");
        var attended = sequenceAttention.AttendAfterPrefix(x, prefix.Keys, prefix.Values, prefix.KeyMask,
            out var keys, out var values);                                                  // [R, C, D]; keys [R, h, C, dh]
        return Step(prefix, x, attended, keys, values, rows is null ? null : MatchRows(rows), rows is null ? null : DenseValues(rows));
    }

    /// <summary>After the sequence attention: residual and norm, one GRU step, the list features against the prefix, the
    /// MLP and the Q head.</summary>
    /// <param name="matchRows">[R, C, Fm, M] the candidates' compared rows (null without <see cref="QNetworkConfig.PrefixMatch"/>).</param>
    /// <param name="dense">[R, C, S] the candidates' dense values (null without <see cref="QNetworkConfig.DenseSkip"/>).</param>
    /// <param name="match">The list features if already known (then <paramref name="matchRows"/> is null).</param>
    private CandidateOutput Step(PrefixState prefix, Tensor x, Tensor attended, Tensor keys, Tensor values, Tensor? matchRows,
        Tensor? dense, Tensor? match = null)
    {
        var z = sequenceNorm.forward(x.Plus(attended));                                     // [R, C, D]
        var h = GruStep(z, prefix.Hidden);                                                  // [R, C, D]
        match ??= matchRows is null ? null
            : PrefixMatch.AfterPrefix(matchRows, prefix.MatchRows!, prefix.KeyMask);        // [R, C, Fm·K]
        var hint = Mlp(h, match, dense);                                                    // [R, C, H]
        return new CandidateOutput(qHead.forward(hint).squeeze(-1), hint, keys, values, h) { MatchRows = matchRows }; // Q [R, C]
    }

    /// <summary>The cached state after the first <paramref name="placed"/> positions of a forward pass.</summary>
    public PrefixState PrefixAt(ListOutput output, int placed)
    {
        var keys = output.Keys.narrow(2, 0, placed);
        var values = output.Values.narrow(2, 0, placed);
        var hidden = placed == 0
            ? zeros(output.States.shape[0], StateDim, device: output.States.device)
            : output.States.select(1, placed - 1);
        return new PrefixState(keys, values, hidden) { MatchRows = output.MatchRows?.narrow(1, 0, placed) };
    }

    /// <summary>
    /// The cached states of different prefixes of different lists: row r after the first placed[r] positions of
    /// list rows[r] of a forward pass (keys past the prefix are masked).
    /// </summary>
    /// <param name="lists">[R] int64 rows of the forward pass.</param>
    /// <param name="placed">[R] int64 prefix lengths, 0..L-1.</param>
    public PrefixState PrefixAt(ListOutput output, Tensor lists, Tensor placed)
    {
        long l = output.Keys.shape[2];
        var keys = output.Keys.index_select(0, lists);                                            // [R, h, L, dh]
        var values = output.Values.index_select(0, lists);
        var mask = arange(l, device: placed.device).unsqueeze(0) < placed.unsqueeze(1);         // [R, L]
        var states = output.States.index_select(0, lists);                                        // [R, L, D]
        var last = placed.sub(Scalars.One).clamp_min(Scalars.Zero).view(-1, 1, 1).expand(-1, 1, states.shape[2]);
        var hidden = states.gather(1, last).squeeze(1) * placed.gt(Scalars.Zero).unsqueeze(1).to_type(states.dtype);
        return new PrefixState(keys, values, hidden, mask) { MatchRows = output.MatchRows?.index_select(0, lists) };
    }

    /// <summary>The empty prefix for R lists: no keys, GRU state zero.</summary>
    public PrefixState EmptyPrefix(long r, Device? device = null)
    {
        var h = sequenceAttention;
        return new PrefixState(zeros(r, h.Heads, 0, h.HeadDim, device: device), zeros(r, h.Heads, 0, h.HeadDim, device: device),
            zeros(r, StateDim, device: device))
        {
            MatchRows = MatchFeatures == 0 ? null : zeros(r, 0, MatchFields.Length, 1, ScalarType.Int64, device: device),
        };
    }

    /// <summary>Extends each prefix with one of its scored candidates (the one placed): keys, values, GRU state.</summary>
    /// <param name="prefix">R prefixes of one length.</param>
    /// <param name="step">The candidates scored from <paramref name="prefix"/>.</param>
    /// <param name="chosen">[R] int64 index of the placed candidate of each row.</param>
    public static PrefixState Advance(PrefixState prefix, CandidateOutput step, Tensor chosen)
    {
        if (prefix.KeyMask is not null) throw new ArgumentException("Advance needs prefixes of one length (no key mask)");
        long r = chosen.shape[0];
        var pickKey = chosen.view(r, 1, 1, 1).expand(-1, step.Keys.shape[1], 1, step.Keys.shape[3]);
        var keys = cat([prefix.Keys, step.Keys.gather(2, pickKey)], 2);                          // [R, h, T+1, dh]
        var values = cat([prefix.Values, step.Values.gather(2, pickKey)], 2);
        var hidden = step.States.gather(1, chosen.view(r, 1, 1).expand(-1, 1, step.States.shape[2])).squeeze(1); // [R, D]
        Tensor? matchRows = null;
        if (step.MatchRows is { } candidates)
        {
            var picked = candidates.gather(1, chosen.view(r, 1, 1, 1).expand(-1, 1, candidates.shape[2], candidates.shape[3])); // [R, 1, Fm, M]
            matchRows = prefix.MatchRows is { } placed && placed.shape[1] > 0 ? cat([placed, picked], 1) : picked;
        }
        return new PrefixState(keys, values, hidden) { MatchRows = matchRows };
    }

    /// <summary>The tanh MLP to the hint vector from the state and, with <see cref="QNetworkConfig.PrefixMatch"/>, the list
    /// features; at inference its dropout layers are skipped rather than called as identities (each call into libtorch
    /// costs about as much as a small layer's arithmetic).</summary>
    /// <param name="x">[.., D]</param>
    /// <param name="match">[.., Fm·K] or null.</param>
    /// <param name="dense">[.., S] or null.</param>
    private Tensor Mlp(Tensor x, Tensor? match, Tensor? dense)
    {
        if (match is not null || dense is not null)
            x = cat(new[] { x, match, dense }.OfType<Tensor>().ToArray(), -1);               // [.., D + Fm·K + S]
        if (training) return mlp.forward(x);
        foreach (var layer in mlpInference) x = layer.forward(x);
        return x;
    }

    /// <summary>One GRU step for C inputs per state sharing the state's hidden vector (PyTorch gate order r, z, n).</summary>
    /// <param name="x">[R, C, D] inputs.</param>
    /// <param name="h">[R, D] previous hidden state.</param>
    /// <returns>[R, C, D]</returns>
    private Tensor GruStep(Tensor x, Tensor h)
    {
        var gi = nn.functional.linear(x, GruParameter("weight_ih_l0"), GruParameter("bias_ih_l0"));               // [R, C, 3D]
        var gh = nn.functional.linear(h, GruParameter("weight_hh_l0"), GruParameter("bias_hh_l0")).unsqueeze(1); // [R, 1, 3D]: once per state
        var (ir, iz, inew) = Chunk3(gi);
        var (hr, hz, hnew) = Chunk3(gh);
        // Held-scalar arithmetic (Scalars): this runs per request in the service.
        var reset = ir.Plus(hr).sigmoid();
        var update = iz.Plus(hz).sigmoid();
        var candidate = inew.Plus(reset * hnew).tanh();
        return update.OneMinus().mul(candidate).Plus(update * h.unsqueeze(1));
    }

    private static (Tensor, Tensor, Tensor) Chunk3(Tensor t)
    {
        var parts = t.chunk(3, -1);
        return (parts[0], parts[1], parts[2]);
    }

    private Parameter GruParameter(string name) =>
        gru.get_parameter(name) ?? throw new InvalidOperationException($"GRU has no parameter {name}");

    /// <summary>Trainable parameter count of each part, in call order.</summary>
    public IReadOnlyList<(string Part, long Parameters)> ParameterCounts() =>
        named_children().Select(c => (c.name, c.module.parameters().Sum(p => p.numel())))
            .Concat(named_parameters(recurse: false).Select(p => (p.name, p.parameter.numel()))) // denseProjection: a parameter of its own
            .Where(p => p.Item2 > 0).ToList();

    public long ParameterCount => parameters().Sum(p => p.numel());
}

/// <summary>Output of <see cref="QNetwork.Forward(Tensor)"/>.</summary>
/// <param name="Q">[B, L] Q(s_t, i_t).</param>
/// <param name="Hint">[B, L, H] hint vectors g_t.</param>
/// <param name="Keys">[B, h, L, dh] sequence-attention keys (the prefix cache).</param>
/// <param name="Values">[B, h, L, dh].</param>
/// <param name="States">[B, L, D] GRU states h_1..h_L.</param>
public sealed record ListOutput(Tensor Q, Tensor Hint, Tensor Keys, Tensor Values, Tensor States)
{
    /// <summary>[B, L, Fm, M] the compared fields' rows (<see cref="QNetworkConfig.PrefixMatch"/>), for prefix caches; else null.</summary>
    public Tensor? MatchRows { get; init; }
}

/// <summary>A request's candidates for <see cref="QNetwork.ScoreCached"/>.</summary>
/// <param name="Items">[N, D] item vectors without the slot's context.</param>
/// <param name="Projections">[N, 3D] their sequence-attention q|k|v projections (bias included).</param>
public sealed record CandidateCache(Tensor Items, Tensor Projections) : IDisposable
{
    /// <summary>[N, Fm, M] the candidates' compared rows (<see cref="QNetworkConfig.PrefixMatch"/>); else null.</summary>
    public Tensor? MatchRows { get; init; }

    /// <summary>[N, S] the candidates' dense values (<see cref="QNetworkConfig.DenseSkip"/>); else null.</summary>
    public Tensor? DenseValues { get; init; }

    public void Dispose()
    {
        Items.Dispose();
        Projections.Dispose();
        MatchRows?.Dispose();
        DenseValues?.Dispose();
    }
}

/// <summary>Output of <see cref="QNetwork.ScoreCandidates"/>.</summary>
/// <param name="Q">[R, C].</param>
/// <param name="Hint">[R, C, H].</param>
/// <param name="Keys">[R, h, C, dh] each candidate's sequence-attention key (cached if it is placed).</param>
/// <param name="Values">[R, h, C, dh].</param>
/// <param name="States">[R, C, D] the GRU state if the candidate is placed.</param>
public sealed record CandidateOutput(Tensor Q, Tensor Hint, Tensor Keys, Tensor Values, Tensor States)
{
    /// <summary>[R, C, Fm, M] the candidates' compared rows (cached if placed; <see cref="QNetworkConfig.PrefixMatch"/>); else null.</summary>
    public Tensor? MatchRows { get; init; }
}

/// <summary>Cached state of R list prefixes of T placed items.</summary>
/// <param name="Keys">[R, h, T, dh].</param>
/// <param name="Values">[R, h, T, dh].</param>
/// <param name="Hidden">[R, D] GRU state after the prefix (zeros when T = 0).</param>
/// <param name="KeyMask">[R, T] real prefix positions when prefixes differ in length; null when all T are real.</param>
public sealed record PrefixState(Tensor Keys, Tensor Values, Tensor Hidden, Tensor? KeyMask = null)
{
    /// <summary>[R, T, Fm, M] the placed items' compared rows (<see cref="QNetworkConfig.PrefixMatch"/>); else null.</summary>
    public Tensor? MatchRows { get; init; }
}
