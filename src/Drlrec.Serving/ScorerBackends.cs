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
        // Refused unless the graph was exported from the model it is paired with (its vocabulary and name serve it).
        Onnx => (model, options) => Drlrec.Onnx.OnnxServing.OpenFor(model, OnnxFileOf(options), options.TorchThreads ?? 1),
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
