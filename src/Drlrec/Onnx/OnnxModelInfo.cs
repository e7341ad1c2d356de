using System.Globalization;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Model;

namespace Drlrec.Onnx;

/// <summary>Input and output names of the exported graphs.</summary>
public static class OnnxNames
{
    /// <summary>[1, h, T, dh] float keys of the placed items (step graph).</summary>
    public const string PrefixKeys = "prefix_keys";
    /// <summary>[1, h, T, dh] float.</summary>
    public const string PrefixValues = "prefix_values";
    /// <summary>[1, T] bool, true at real prefix positions (false positions are ignored, so a prefix can carry padding).</summary>
    public const string PrefixMask = "prefix_mask";
    /// <summary>[1, D] float GRU state after the prefix (zeros for an empty prefix).</summary>
    public const string Hidden = "hidden";
    /// <summary>int64 embedding rows, 0 = padding: [1, C, F, M] (step graph) or [B, L, F, M] (list graph).</summary>
    public const string Rows = "rows";
    /// <summary>Q: [1, C] (step) or [B, L] (list).</summary>
    public const string Q = "q";
    /// <summary>[1, h, C, dh] each candidate's key (cached if placed).</summary>
    public const string Keys = "keys";
    /// <summary>[1, h, C, dh].</summary>
    public const string Values = "values";
    /// <summary>[1, C, D] GRU state after placing each candidate.</summary>
    public const string States = "states";
    /// <summary>Hint vectors: [1, C, H] (step) or [B, L, H] (list).</summary>
    public const string Hint = "hint";
    /// <summary>[1, N, D] float item vectors of a request's candidates without the slot's context (encode graph output,
    /// cached step graph input).</summary>
    public const string Items = "items";
    /// <summary>[1, N, 3D] float their sequence-attention q|k|v projections.</summary>
    public const string Projections = "projections";
    /// <summary>[C] int64 the remaining candidates, indices into <see cref="Items"/> (cached step graph).</summary>
    public const string Candidates = "candidates";
    /// <summary>int64 the slots' rows (only their context fields are read): [1, 1, F, M] one slot (cached step graph) or
    /// [1, L, F, M] every slot of the slate (slate graph).</summary>
    public const string SlotRows = "slot_rows";
    /// <summary>[S] int64 the placed candidates (indices into <see cref="Rows"/>) in slot order, S = min(L, N) (slate graph).</summary>
    public const string Order = "order";
    /// <summary>[1, T, F, M] int64 the placed items' rows (step graph of a model with list features,
    /// <see cref="Configuration.QNetworkConfig.PrefixMatch"/>; only their item fields are read).</summary>
    public const string PrefixRows = "prefix_rows";
    /// <summary>[1, N, Fm, M] int64 a request's candidates' rows of the compared fields (encode graph output, cached step
    /// graph input, for a model with list features).</summary>
    public const string MatchRows = "match_rows";
    /// <summary>[T] int64 the placed candidates, indices into <see cref="MatchRows"/> (cached step graph of a model with list
    /// features).</summary>
    public const string Placed = "placed";
    /// <summary>[1, N, S] float a request's candidates' user and item dense values (encode graph output, cached step graph
    /// input, for a model with <see cref="Configuration.QNetworkConfig.DenseSkip"/>).</summary>
    public const string DenseValues = "dense_values";
}

/// <summary>Which computation an exported file holds.</summary>
public enum OnnxGraphKind
{
    /// <summary>One greedy step of one request from a cached prefix (<see cref="QNetwork.ScoreCandidates"/>).</summary>
    Step,
    /// <summary>Whole lists (<see cref="QNetwork.Forward(TorchSharp.torch.Tensor)"/>).</summary>
    List,
    /// <summary>A request's candidates encoded once (<see cref="QNetwork.CacheCandidates"/>).</summary>
    Encode,
    /// <summary>One greedy step from encoded candidates (<see cref="QNetwork.ScoreCached"/>).</summary>
    CachedStep,
    /// <summary>A whole slate: the encoding and every greedy step in one call (an ONNX Loop).</summary>
    Slate,
    /// <summary>The GEMMs of a step at the model's shapes, the benchmark's yardstick (<see cref="OnnxGemmProbe"/>; built in
    /// memory, never exported).</summary>
    Gemm,
}

/// <summary>
/// What an exported ONNX file says about its model, stored as <c>metadata_props</c> under <c>drlrec.*</c> keys and read
/// back by the ONNX Runtime scorers.
/// </summary>
public sealed record OnnxModelInfo
{
    /// <summary>Version of the exported graphs' contract (inputs, outputs, metadata). Format 3 files carry the SHA-256 of
    /// their own bytes (<see cref="OnnxChecksums"/>); format 2 bound every graph to its model (<see cref="ModelSha256"/>)
    /// without that checksum, format 1 not even to its model: both are refused, with a message to export again.</summary>
    public const string CurrentFormat = "drlrec-onnx/3";
    /// <summary>The format before files carried their own checksum.</summary>
    public const string UncheckedFormat = "drlrec-onnx/2";
    /// <summary>The format before graphs were bound to their model.</summary>
    public const string UnboundFormat = "drlrec-onnx/1";
    private const string Prefix = "drlrec.";

    public string Format { get; init; } = CurrentFormat;
    public required OnnxGraphKind Graph { get; init; }
    public required string Name { get; init; }
    public required ModelRole Role { get; init; }
    /// <summary>The <see cref="ModelFingerprint"/> of the network the graph was exported from: a graph is served only with
    /// the checkpoint whose weights have this fingerprint (<see cref="OnnxBinding"/>).</summary>
    public required string ModelSha256 { get; init; }
    /// <summary>d.</summary>
    public required int EmbeddingDim { get; init; }
    /// <summary>F.</summary>
    public required int Fields { get; init; }
    /// <summary>Heads of the field attention.</summary>
    public required int FieldHeads { get; init; }
    /// <summary>h, heads of the sequence attention.</summary>
    public required int Heads { get; init; }
    /// <summary>dh = D / h.</summary>
    public required int HeadDim { get; init; }
    /// <summary>D, the state width: F·d, or the state projection's width (<see cref="QNetworkConfig.StateDim"/>).</summary>
    public required int StateDim { get; init; }
    /// <summary>H.</summary>
    public required int HintDim { get; init; }
    /// <summary>Rows of the embedding table (row indices must be below this).</summary>
    public required int EmbeddingRows { get; init; }

    /// <summary>Indices of the dense fields, whose second index slot is a value code, not a row (none by default).</summary>
    public IReadOnlyList<int> DenseFields { get; init; } = [];

    /// <summary>Precision of the linear maps (metadata <c>drlrec.precision</c>, "fp32" or "int8"; absent in exports
    /// made before int8 existed, which are float32). Every graph of one export has the same precision
    /// (<see cref="OnnxBinding.EnsureSameExport(string, OnnxModelInfo, string, OnnxModelInfo)"/>).</summary>
    public OnnxPrecision Precision { get; init; } = OnnxPrecision.Float32;

    public static OnnxModelInfo Of(QNetwork network, OnnxGraphKind graph, string name, ModelRole role, string modelSha256,
        OnnxPrecision precision = OnnxPrecision.Float32) => new()
    {
        Precision = precision,
        Graph = graph,
        Name = name,
        Role = role,
        ModelSha256 = modelSha256,
        EmbeddingDim = network.Config.EmbeddingDim,
        Fields = network.FieldCount,
        FieldHeads = network.Config.FieldHeads,
        Heads = network.SequenceAttention.Heads,
        HeadDim = network.SequenceAttention.HeadDim,
        StateDim = network.StateDim,
        HintDim = network.Config.HintDim,
        EmbeddingRows = network.EmbeddingRows,
        DenseFields = network.DenseFields,
    };

    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>
    {
        [Prefix + "format"] = Format,
        [Prefix + "graph"] = Graph.ToString().ToLowerInvariant(),
        [Prefix + "name"] = Name,
        [Prefix + "role"] = Role.ToString().ToLowerInvariant(),
        [Prefix + "model_sha256"] = ModelSha256,
        [Prefix + "embedding_dim"] = Text(EmbeddingDim),
        [Prefix + "fields"] = Text(Fields),
        [Prefix + "field_heads"] = Text(FieldHeads),
        [Prefix + "heads"] = Text(Heads),
        [Prefix + "head_dim"] = Text(HeadDim),
        [Prefix + "state_dim"] = Text(StateDim),
        [Prefix + "hint_dim"] = Text(HintDim),
        [Prefix + "embedding_rows"] = Text(EmbeddingRows),
        [Prefix + "dense_fields"] = string.Join(',', DenseFields.Select(Text)),
        [Prefix + "precision"] = OnnxPrecisions.Name(Precision),
    };

    /// <exception cref="InvalidDataException">Not a drlrec export, or one of another format version.</exception>
    public static OnnxModelInfo FromMetadata(IReadOnlyDictionary<string, string> metadata, string path)
    {
        string Get(string key) => metadata.TryGetValue(Prefix + key, out var value)
            ? value
            : throw new InvalidDataException($"{path}: not a drlrec ONNX export (no '{Prefix}{key}' metadata)");
        int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new InvalidDataException($"{path}: metadata '{Prefix}{key}' is not an integer");
        TEnum Enum<TEnum>(string key) where TEnum : struct, Enum => System.Enum.TryParse<TEnum>(Get(key), ignoreCase: true, out var value)
            ? value
            : throw new InvalidDataException($"{path}: metadata '{Prefix}{key}' = '{Get(key)}' is not a {typeof(TEnum).Name}");

        string format = Get("format");
        if (format == UnboundFormat) throw OnnxBinding.Unbound(path, format);
        if (format == UncheckedFormat) throw OnnxChecksums.Unchecked(path, format);
        if (format != CurrentFormat) throw new InvalidDataException($"{path}: format '{format}', expected '{CurrentFormat}'");
        return new OnnxModelInfo
        {
            Format = format,
            Graph = Enum<OnnxGraphKind>("graph"),
            Name = Get("name"),
            Role = Enum<ModelRole>("role"),
            ModelSha256 = OnnxBinding.IsFingerprint(Get("model_sha256"))
                ? Get("model_sha256")
                : throw new InvalidDataException($"{path}: metadata '{Prefix}model_sha256' = '{Get("model_sha256")}' is not a SHA-256 (64 hex digits)"),
            EmbeddingDim = Int("embedding_dim"),
            Fields = Int("fields"),
            FieldHeads = Int("field_heads"),
            Heads = Int("heads"),
            HeadDim = Int("head_dim"),
            StateDim = Int("state_dim"),
            HintDim = Int("hint_dim"),
            EmbeddingRows = Int("embedding_rows"),
            Precision = metadata.TryGetValue(Prefix + "precision", out var precision)
                ? precision switch
                {
                    "fp32" => OnnxPrecision.Float32,
                    "int8" => OnnxPrecision.Int8,
                    _ => throw new InvalidDataException($"{path}: metadata '{Prefix}precision' = '{precision}' is not fp32 or int8"),
                }
                : OnnxPrecision.Float32,
            DenseFields = metadata.TryGetValue(Prefix + "dense_fields", out var dense) && dense.Length > 0
                ? dense.Split(',').Select(text => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)
                    ? i : throw new InvalidDataException($"{path}: metadata '{Prefix}dense_fields' is not a list of integers")).ToArray()
                : [],
        };
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
