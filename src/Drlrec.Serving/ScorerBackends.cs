using Drlrec.Checkpoints;
using Drlrec.Ranking;

namespace Drlrec.Serving;

/// <summary>Makes one scorer for the pool. The scorer is owned (and disposed) by the caller; the model stays the caller's.</summary>
public delegate IStepScorer ScorerFactory(LoadedModel model, ServeOptions options);

/// <summary>The scoring backends the service can run, by name.</summary>
public static class ScorerBackends
{
    public const string Torch = "torch";
    public const string Onnx = "onnx";

    public static IReadOnlyList<string> Names { get; } = [Torch, Onnx];

    public static ScorerFactory Resolve(string backend) => backend switch
    {
        Torch => CreateTorch,
        // Refused unless the graph was exported from the model it is paired with (its vocabulary and name serve it) and
        // its bytes are the ones the export wrote (every file's own checksum).
        Onnx => (model, options) => AboutTheGraph(() => Drlrec.Onnx.OnnxServing.OpenFor(model, OnnxFileOf(options), options.TorchThreads ?? 1)),
        _ => throw new ArgumentException($"--backend: unknown backend '{backend}' (expected {string.Join(" or ", Names)})"),
    };

    /// <summary>The --onnx file, checked to exist (made with <c>drlrec export --model DIR --format onnx --out FILE</c>).</summary>
    public static string OnnxFileOf(ServeOptions options)
    {
        string file = options.OnnxFile
                      ?? throw new ArgumentException("--onnx: the onnx backend needs the exported step graph (drlrec export --model DIR --format onnx --out FILE)");
        return File.Exists(file) ? file : throw new FileNotFoundException($"--onnx: no file at {file}");
    }

    /// <summary>
    /// The one rule for a graph named to a backend that does not use one, at start (<c>serve</c>, <c>rank</c>: --onnx) and on
    /// <c>/admin/reload</c> ("onnx"): refused, never silently ignored (the torch backend would rank with the checkpoint's
    /// network while the caller believes the graph answers).
    /// </summary>
    /// <param name="name">How the caller named the graph: "--onnx" or "onnx".</param>
    /// <returns>The refusal (starting with <paramref name="name"/>), or null when <paramref name="backend"/> uses a graph.</returns>
    public static string? GraphRefusal(string backend, string name) => backend == Onnx
        ? null
        : $"{name}: a graph is used only with --backend onnx, and the backend is {backend} (it ranks with the checkpoint's network); " +
          $"to rank with the graph, run with --backend onnx; otherwise leave {name} out";

    /// <summary>Marks a failure to open the onnx backend's graph (<see cref="IsGraphFailure"/>).</summary>
    private const string GraphFailureKey = "drlrec.serving.graph";

    /// <summary>Whether <paramref name="e"/> was thrown while opening the graph (missing, corrupted, another model's or
    /// export's, not loadable), not the checkpoint: a reload names the field <c>onnx</c> for it, <c>model</c> otherwise.</summary>
    public static bool IsGraphFailure(Exception e) => e.Data.Contains(GraphFailureKey);

    private static T AboutTheGraph<T>(Func<T> open)
    {
        try
        {
            return open();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            e.Data[GraphFailureKey] = true;
            throw;
        }
    }

    /// <summary>
    /// A private copy of the online network per scorer: a TorchSharp module is not documented as safe for concurrent
    /// forward calls, so workers never share one.
    /// </summary>
    private static IStepScorer CreateTorch(LoadedModel model, ServeOptions options)
    {
        var copy = ModelCheckpoint.CopyOnline(model);
        try
        {
            return new TorchStepScorer(copy, owns: true);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }
}
