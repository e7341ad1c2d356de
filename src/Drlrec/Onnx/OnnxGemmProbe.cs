using Microsoft.ML.OnnxRuntime;
using Drlrec.Configuration;
using Drlrec.Model;

namespace Drlrec.Onnx;

/// <summary>
/// The machine's GEMM rate at a model's shapes through ONNX Runtime, the yardstick of <c>drlrec bench</c>'s efficiency:
/// one call runs <see cref="MacCount.PerCandidateStepWeights"/> on <c>rows</c> rows, <c>repeats</c> times on inputs of
/// their own, with the model's weights at the given precision (int8: quantised as the export quantises them, dynamic
/// activation quantisation included). Same session options as the scorers (one intra-op thread by default).
/// </summary>
public sealed class OnnxGemmProbe : IDisposable
{
    private readonly OnnxSession session;
    private readonly string[] inputNames, outputNames;
    private readonly OrtValue[] inputs;

    public OnnxGemmProbe(QNetwork network, int rows, int repeats, OnnxPrecision precision, int intraOpThreads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        // Built as every graph drlrec opens is (bound to the network, at the precision), though never written to a file.
        byte[] model = OnnxExporter.BoundExport.Of(network, "gemm", ModelRole.Student, precision)
            .Graph(OnnxGraphKind.Gemm, (n, p) => QNetworkGraph.Gemm(n, rows, repeats, p));
        session = new OnnxSession(model, "the GEMM probe", OnnxGraphKind.Gemm, intraOpThreads);
        inputNames = session.Session.InputNames.ToArray();
        outputNames = session.Session.OutputNames.ToArray();
        var rng = new Random(7);
        inputs = inputNames.Select(name =>
        {
            long width = session.Session.InputMetadata[name].Dimensions[1];                          // [rows, in]
            var data = new float[rows * width];
            for (int k = 0; k < data.Length; k++) data[k] = (float)(rng.NextDouble() * 2 - 1);
            return OrtValue.CreateTensorValueFromMemory(data, [rows, width]);
        }).ToArray();
        Macs = repeats * rows * MacCount.StepLinear(network);
    }

    /// <summary>MACs of one <see cref="Run"/>.</summary>
    public long Macs { get; }

    public void Run()
    {
        using var outputs = session.Session.Run(session.RunOptions, inputNames, inputs, outputNames);
    }

    public void Dispose()
    {
        foreach (var input in inputs) input.Dispose();
        session.Dispose();
    }
}
