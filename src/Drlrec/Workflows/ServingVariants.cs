using Drlrec.Checkpoints;
using Drlrec.Onnx;
using Drlrec.Ranking;

namespace Drlrec.Workflows;

/// <summary>Which backend <c>drlrec evaluate</c> scores a model with, and in which precisions.</summary>
/// <param name="Backend">"torch" (the checkpoint's network) or "onnx" (the model exported and run in ONNX Runtime, as
/// <c>serve --backend onnx</c> runs it).</param>
/// <param name="Quantize">With <see cref="OnnxPrecision.Int8"/> (onnx only) each model is scored twice: its float32
/// export, then its int8 export.</param>
public sealed record ServingBackend(string Backend = "torch", OnnxPrecision Quantize = OnnxPrecision.Float32)
{
    public static ServingBackend Torch { get; } = new();

    public void Validate()
    {
        if (Backend is not ("torch" or "onnx")) throw new ArgumentException($"--backend: '{Backend}' is not torch or onnx");
        if (Quantize != OnnxPrecision.Float32 && Backend != "onnx")
            throw new ArgumentException("--quantize int8 needs --backend onnx (the int8 model is an ONNX export)");
    }

    /// <summary>The precisions scored per model, in order.</summary>
    public IReadOnlyList<OnnxPrecision> Precisions =>
        Quantize == OnnxPrecision.Int8 ? [OnnxPrecision.Float32, OnnxPrecision.Int8] : [OnnxPrecision.Float32];
}

/// <summary>
/// A model's scorers for evaluation: the TorchSharp network, or its ONNX exports (written to a temporary folder that
/// goes with this object) opened as the service opens them. Names say the variant: "student", "student (onnx fp32)",
/// "student (onnx int8)".
/// </summary>
public sealed class ServingVariants : IDisposable
{
    private readonly List<IStepScorer> scorers = [];
    private readonly string? folder;

    public ServingVariants(LoadedModel model, string name, ServingBackend backend)
    {
        backend.Validate();
        try
        {
            if (backend.Backend == "torch")
            {
                scorers.Add(new TorchStepScorer(model.Online));
                Names.Add(name);
                return;
            }
            folder = Directory.CreateTempSubdirectory("drlrec-evaluate-onnx-").FullName;
            foreach (var precision in backend.Precisions)
            {
                string label = OnnxPrecisions.Name(precision);
                var export = OnnxExporter.Export(model, Path.Combine(folder, $"{label}.onnx"), precision);
                scorers.Add(OnnxServing.OpenFor(model, export.Path));
                Names.Add($"{name} (onnx {label})");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public List<string> Names { get; } = [];
    public IReadOnlyList<IStepScorer> Scorers => scorers;

    public void Dispose()
    {
        foreach (var scorer in scorers) scorer.Dispose();
        if (folder is not null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}
