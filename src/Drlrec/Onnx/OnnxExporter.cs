using System.Reflection;
using Google.Protobuf;
using Onnx;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.IO;
using Drlrec.Model;

namespace Drlrec.Onnx;

/// <summary>The files an export wrote.</summary>
/// <param name="Path">The step graph (the serving path), the file asked for.</param>
/// <param name="ListPath">The list graph beside it (<see cref="OnnxExporter.ListPathFor"/>).</param>
/// <param name="VocabularyPath">The vocabulary beside it, or null when none was given.</param>
/// <param name="EncodePath">The encode graph (<see cref="OnnxExporter.EncodePathFor"/>), or null for a model that
/// encodes per slot.</param>
/// <param name="CachedStepPath">The cached step graph (<see cref="OnnxExporter.CachedStepPathFor"/>), or null likewise.</param>
/// <param name="SlatePath">The whole-slate graph (<see cref="OnnxExporter.SlatePathFor"/>), or null likewise.</param>
public sealed record OnnxExport(string Path, long Bytes, string ListPath, long ListBytes, string? VocabularyPath, int Opset,
    string? EncodePath = null, string? CachedStepPath = null, string? SlatePath = null,
    OnnxPrecision Precision = OnnxPrecision.Float32);

/// <summary>
/// Exports a Q-network to ONNX (opset <see cref="Opset"/>, float32, weights as initializers) for ONNX Runtime:
/// <list type="bullet">
/// <item><c>NAME.onnx</c>, the <b>step graph</b>: inputs <c>prefix_keys</c>, <c>prefix_values</c> [1, h, T, dh],
/// <c>prefix_mask</c> [1, T] bool, <c>hidden</c> [1, D], <c>rows</c> [1, C, F, M] int64; outputs <c>q</c> [1, C],
/// <c>keys</c>, <c>values</c> [1, h, C, dh], <c>states</c> [1, C, D], <c>hint</c> [1, C, H]. T = 0 (the first slot) is
/// a valid input;</item>
/// <item><c>NAME.list.onnx</c>, the <b>list graph</b>: input <c>rows</c> [B, L, F, M], outputs <c>q</c> [B, L] and
/// <c>hint</c> [B, L, H] (every position of logged lists, as the training forward pass);</item>
/// <item>for models that encode a candidate once per request (<see cref="QNetwork.EncodesOncePerRequest"/>), the serving
/// path's split: <c>NAME.encode.onnx</c>, the <b>encode graph</b> (input <c>rows</c> [1, N, F, M]; outputs <c>items</c>
/// [1, N, D] and <c>projections</c> [1, N, 3D], once per request), and <c>NAME.cached.onnx</c>, the <b>cached step
/// graph</b> (the step graph's prefix inputs, <c>items</c>, <c>projections</c>, <c>candidates</c> [C] int64 and
/// <c>slot_rows</c> [1, 1, F, M]; the step graph's outputs), and <c>NAME.slate.onnx</c>, the <b>slate graph</b> (inputs
/// <c>rows</c> [1, N, F, M] and <c>slot_rows</c> [1, L, F, M]; outputs <c>order</c> [S] int64 and <c>q</c> [S], S =
/// min(L, N): the whole greedy slate in one call);</item>
/// <item><c>NAME.vocabulary.json</c> (<see cref="OnnxVocabulary"/>): the fields and the value → row vocabulary, which
/// the graphs do not hold; serving raw field values needs it (<see cref="OnnxServing.LoadRanker"/>).</item>
/// </list>
/// Every graph carries <see cref="OnnxModelInfo"/> as <c>metadata_props</c>, and every file (graphs and vocabulary) the
/// <see cref="ModelFingerprint"/> of the network it was exported from, so that it is served only with that model
/// (<see cref="OnnxBinding"/>), and the SHA-256 of its own bytes, so that a corrupted copy is refused
/// (<see cref="OnnxChecksums"/>). With <see cref="OnnxPrecision.Int8"/> every linear map's weights are int8 with a scale per
/// output channel and activations are quantised dynamically (standard ONNX operators: DynamicQuantizeLinear,
/// MatMulInteger); the list graph's GRU operator keeps float weights. Every file is written atomically (temp file,
/// then rename); when a write fails, the files of this export already written are removed, so a failed export leaves
/// nothing half-done.
/// </summary>
public static class OnnxExporter
{
    public const int Opset = 17;
    /// <summary>ONNX IR version 8 (the one that introduced opset 17).</summary>
    public const long IrVersion = 8;

    /// <summary>Exports a checkpoint's online network, with its vocabulary.</summary>
    public static OnnxExport Export(LoadedModel model, string path, OnnxPrecision precision = OnnxPrecision.Float32) =>
        Export(model.Online, model.Name, model.Header.Role, path, new OnnxVocabulary(model.Header.Fields, model.Vocabulary), precision);

    /// <summary>Exports a network; <paramref name="vocabulary"/>, when given, must be the one it was trained with.</summary>
    /// <exception cref="ArgumentException">The vocabulary does not fit the network (nothing is written).</exception>
    public static OnnxExport Export(QNetwork network, string name, ModelRole role, string path, OnnxVocabulary? vocabulary = null,
        OnnxPrecision precision = OnnxPrecision.Float32)
    {
        if (vocabulary is not null) vocabulary.EnsureFits(network);
        var bound = BoundExport.Of(network, name, role, precision);
        byte[] step = bound.Graph(OnnxGraphKind.Step, QNetworkGraph.Step);
        byte[] list = bound.Graph(OnnxGraphKind.List, QNetworkGraph.List);
        byte[]? words = vocabulary is null ? null : bound.Vocabulary(vocabulary);
        bool split = network.EncodesOncePerRequest;
        byte[]? encode = split ? bound.Graph(OnnxGraphKind.Encode, QNetworkGraph.Encode) : null;
        byte[]? cached = split ? bound.Graph(OnnxGraphKind.CachedStep, QNetworkGraph.CachedStep) : null;
        byte[]? slate = split ? bound.Graph(OnnxGraphKind.Slate, QNetworkGraph.Slate) : null;

        string full = System.IO.Path.GetFullPath(path), listPath = ListPathFor(full), vocabularyPath = VocabularyPathFor(full);
        string encodePath = EncodePathFor(full), cachedPath = CachedStepPathFor(full), slatePath = SlatePathFor(full);
        WriteAll([(listPath, list), (vocabularyPath, words), (encodePath, encode), (cachedPath, cached), (slatePath, slate), (full, step)]);
        return new OnnxExport(full, step.Length, listPath, list.Length, words is null ? null : vocabularyPath, Opset,
            split ? encodePath : null, split ? cachedPath : null, split ? slatePath : null, precision);
    }

    /// <summary>The slate graph beside a step graph: <c>NAME.onnx</c> → <c>NAME.slate.onnx</c>.</summary>
    public static string SlatePathFor(string path) => System.IO.Path.ChangeExtension(path, ".slate.onnx");

    /// <summary>The encode graph beside a step graph: <c>NAME.onnx</c> → <c>NAME.encode.onnx</c>.</summary>
    public static string EncodePathFor(string path) => System.IO.Path.ChangeExtension(path, ".encode.onnx");

    /// <summary>The cached step graph beside a step graph: <c>NAME.onnx</c> → <c>NAME.cached.onnx</c>.</summary>
    public static string CachedStepPathFor(string path) => System.IO.Path.ChangeExtension(path, ".cached.onnx");

    /// <summary>The list graph beside a step graph: <c>NAME.onnx</c> → <c>NAME.list.onnx</c>.</summary>
    public static string ListPathFor(string path) => System.IO.Path.ChangeExtension(path, ".list.onnx");

    /// <summary>The vocabulary beside a step graph: <c>NAME.onnx</c> → <c>NAME.vocabulary.json</c>.</summary>
    public static string VocabularyPathFor(string path) => System.IO.Path.ChangeExtension(path, ".vocabulary.json");

    /// <summary>
    /// The one way an export's files are made: every graph and the vocabulary are stamped with the network's
    /// <see cref="ModelFingerprint"/> here (<see cref="OnnxBinding"/>), so that no exported file can be served with another
    /// model. A new kind of graph goes through <see cref="Graph"/> too, and so does a graph built only in memory
    /// (<see cref="OnnxGemmProbe"/>): every graph drlrec opens carries the binding and the precision it was built at.
    /// </summary>
    internal sealed record BoundExport(QNetwork Network, string Name, ModelRole Role, string Fingerprint, OnnxPrecision Precision)
    {
        /// <summary>An export of <paramref name="network"/>'s current weights at <paramref name="precision"/>.</summary>
        public static BoundExport Of(QNetwork network, string name, ModelRole role, OnnxPrecision precision) =>
            new(network, name, role, ModelFingerprint.Of(network), precision);

        /// <summary>The graph <paramref name="build"/> writes at this export's precision, as an ONNX model file with its
        /// <see cref="OnnxModelInfo"/> (binding and precision included) as metadata.</summary>
        public byte[] Graph(OnnxGraphKind kind, Func<QNetwork, OnnxPrecision, GraphProto> build)
        {
            var graph = build(Network, Precision);
            var info = OnnxModelInfo.Of(Network, kind, Name, Role, Fingerprint, Precision);
            var model = new ModelProto
            {
                IrVersion = IrVersion,
                ProducerName = "drlrec",
                ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
                DocString = $"DRL-Rec Q-network '{info.Name}' ({info.Role}), {info.Graph} graph, {OnnxPrecisions.Name(Precision)}, weights sha256 {Fingerprint}",
                Graph = graph,
            };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
            // ONNX Runtime's contrib domain (or any other) too when a node uses it.
            foreach (string domain in DomainsOf(graph).Where(d => d.Length > 0).Distinct().Order(StringComparer.Ordinal))
                model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = 1 });
            foreach (var (key, value) in info.ToMetadata()) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
            return OnnxChecksums.Stamped(model);
        }

        /// <summary>The vocabulary file, bound to the same model.</summary>
        public byte[] Vocabulary(OnnxVocabulary vocabulary) => (vocabulary with { ModelSha256 = Fingerprint }).ToJsonBytes();
    }

    /// <summary>The operator domains of a graph's nodes and its subgraphs' nodes.</summary>
    private static IEnumerable<string> DomainsOf(GraphProto graph) =>
        graph.Node.SelectMany(node => node.Attribute.Where(a => a.G is not null).SelectMany(a => DomainsOf(a.G)).Prepend(node.Domain));

    /// <summary>Writes each file atomically, the last one last; a null content removes a stale file of that name.
    /// If a write fails, the files written before it are removed.</summary>
    private static void WriteAll(IReadOnlyList<(string Path, byte[]? Bytes)> files)
    {
        var written = new List<string>();
        try
        {
            foreach (var (path, bytes) in files)
            {
                if (bytes is null)
                {
                    File.Delete(path);
                    continue;
                }
                AtomicFile.Write(path, stream => stream.Write(bytes));
                written.Add(path);
            }
        }
        catch
        {
            foreach (string path in written) File.Delete(path);
            throw;
        }
    }
}
