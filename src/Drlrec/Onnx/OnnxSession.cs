using Microsoft.ML.OnnxRuntime;

namespace Drlrec.Onnx;

/// <summary>Opens exported graphs in ONNX Runtime: CPU, all graph optimisations, sequential execution.</summary>
internal sealed class OnnxSession : IDisposable
{
    private readonly SessionOptions options;

    /// <param name="intraOpThreads">Threads inside one operator; 1 (the default of the scorers) is best for the latency of
    /// small single requests.</param>
    /// <exception cref="FileNotFoundException">No file.</exception>
    /// <exception cref="InvalidDataException">Corrupted (its own checksum does not match, <see cref="OnnxChecksums"/>), not
    /// loadable, not a drlrec export of the current format, or not the expected graph.</exception>
    public OnnxSession(string path, OnnxGraphKind expected, int intraOpThreads)
        : this(path, null, expected, intraOpThreads)
    {
    }

    /// <summary>A graph held in memory (never written to a file); <paramref name="name"/> names it in messages.</summary>
    public OnnxSession(byte[] model, string name, OnnxGraphKind expected, int intraOpThreads)
        : this(name, model, expected, intraOpThreads)
    {
    }

    private OnnxSession(string path, byte[]? model, OnnxGraphKind expected, int intraOpThreads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intraOpThreads, 1);
        bool verified = model is not null; // a graph built in memory was never a file that could be corrupted
        if (model is null)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"no ONNX model at {path}", path);
            // Checked in memory and handed to ONNX Runtime from there: the bytes checked are the bytes that run, whatever
            // happens to the file meanwhile.
            model = OnnxChecksums.ReadGraph(path, out verified);
            FileSha256 = OnnxChecksums.FileSha256(model);
        }
        options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
        };
        try
        {
            Session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            options.Dispose();
            throw new InvalidDataException($"{path}: ONNX Runtime cannot load it ({e.Message})" +
                                           (verified ? "" : OnnxChecksums.NoChecksumEither(OnnxChecksums.GraphKey)), e);
        }
        try
        {
            Info = OnnxModelInfo.FromMetadata(Session.ModelMetadata.CustomMetadataMap, path);
            // A graph of the current format is written with its checksum: without one, its end was damaged.
            if (!verified) throw OnnxChecksums.MissingChecksum(path, OnnxChecksums.GraphKey);
            if (Info.Graph != expected)
                throw new InvalidDataException($"{path} holds the {Info.Graph.ToString().ToLowerInvariant()} graph, not the " +
                                               $"{expected.ToString().ToLowerInvariant()} graph");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public InferenceSession Session { get; }
    public OnnxModelInfo Info { get; }

    /// <summary>The SHA-256 of the graph file's bytes (as <c>sha256sum</c> prints it); empty for a graph built in memory.</summary>
    public string FileSha256 { get; } = "";
    public RunOptions RunOptions { get; } = new();

    /// <summary>Checks that every row index is inside the embedding table (ONNX Gather would fail less clearly).</summary>
    /// <param name="rows">[.., F, M] index slots; a dense field's second slot is a value code and is not checked.</param>
    public void EnsureRows(ReadOnlySpan<long> rows, int maxValues)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            if (i % maxValues == 1 && Info.DenseFields.Contains(i / maxValues % Info.Fields)) continue;
            if ((ulong)rows[i] >= (ulong)Info.EmbeddingRows)
                throw new ArgumentException($"rows: embedding row {rows[i]} is outside the table (0..{Info.EmbeddingRows - 1})");
        }
    }

    public void Dispose()
    {
        RunOptions.Dispose();
        Session?.Dispose();
        options.Dispose();
    }
}
