using Microsoft.ML.OnnxRuntime;

namespace Drlrec.Onnx;

/// <summary>Scores of whole lists.</summary>
/// <param name="Q">[B, L]</param>
/// <param name="Hint">[B, L, H]</param>
public sealed record OnnxListOutput(float[] Q, float[] Hint);

/// <summary>
/// Runs the list graph of <see cref="OnnxExporter"/> (<c>NAME.list.onnx</c>) in ONNX Runtime: every position of B lists
/// of L positions, as the training forward pass (positions never see later ones, so shorter lists may be padded).
/// </summary>
public sealed class OnnxListScorer : IDisposable
{
    private static readonly string[] InputNames = [OnnxNames.Rows];
    private static readonly string[] OutputNames = [OnnxNames.Q, OnnxNames.Hint];

    private readonly OnnxSession onnx;

    /// <param name="path">A list graph (<c>NAME.list.onnx</c>).</param>
    public OnnxListScorer(string path, int intraOpThreads = 1) => onnx = new OnnxSession(path, OnnxGraphKind.List, intraOpThreads);

    public OnnxModelInfo Info => onnx.Info;

    /// <param name="rows">[B, L, F, M] embedding rows, 0 = padding.</param>
    public OnnxListOutput Score(long[] rows, int lists, int length, int maxValues)
    {
        if (lists < 1 || length < 1 || maxValues < 1 || rows.Length != lists * length * Info.Fields * maxValues)
            throw new ArgumentException($"rows: {rows.Length} elements for B = {lists}, L = {length}, F = {Info.Fields}, M = {maxValues}");
        onnx.EnsureRows(rows, maxValues);
        using var input = OrtValue.CreateTensorValueFromMemory(rows, [lists, length, Info.Fields, maxValues]);
        using var outputs = onnx.Session.Run(onnx.RunOptions, InputNames, [input], OutputNames);
        var result = outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        return new OnnxListOutput(result[0], result[1]);
    }

    public void Dispose() => onnx.Dispose();
}
