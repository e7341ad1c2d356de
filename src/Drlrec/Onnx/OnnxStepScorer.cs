using Microsoft.ML.OnnxRuntime;
using Drlrec.Ranking;
using Drlrec.Tensors;

namespace Drlrec.Onnx;

/// <summary>Everything the step graph computes for one request.</summary>
/// <param name="Q">[C]</param>
/// <param name="Keys">[h, C, dh]</param>
/// <param name="Values">[h, C, dh]</param>
/// <param name="States">[C, D]</param>
/// <param name="Hint">[C, H]</param>
public sealed record OnnxStepOutput(float[] Q, float[] Keys, float[] Values, float[] States, float[] Hint);

/// <summary>
/// <see cref="IStepScorer"/> on ONNX Runtime, running the step graph of <see cref="OnnxExporter"/> (one session, reused;
/// intra-op threads default 1 for latency). Thread-safe: ONNX Runtime sessions may run concurrently.
/// </summary>
public sealed class OnnxStepScorer : IStepScorer
{
    private static readonly string[] InputNames =
        [OnnxNames.PrefixKeys, OnnxNames.PrefixValues, OnnxNames.PrefixMask, OnnxNames.Hidden, OnnxNames.Rows];
    private static readonly string[] ServingOutputs = [OnnxNames.Q, OnnxNames.Keys, OnnxNames.Values, OnnxNames.States];
    private static readonly string[] AllOutputs = [.. ServingOutputs, OnnxNames.Hint];

    private readonly OnnxSession onnx;

    /// <param name="path">A step graph (<c>NAME.onnx</c> of <see cref="OnnxExporter"/>).</param>
    /// <param name="intraOpThreads">ONNX Runtime threads per operator.</param>
    public OnnxStepScorer(string path, int intraOpThreads = 1) => onnx = new OnnxSession(path, OnnxGraphKind.Step, intraOpThreads);

    public OnnxModelInfo Info => onnx.Info;
    public string Backend => "onnx";
    public int FieldCount => Info.Fields;
    public int Heads => Info.Heads;
    public int HeadDim => Info.HeadDim;
    public int StateDim => Info.StateDim;

    public ISlateSession Begin(SlateInput input) => new Session(this, input);

    public StepScores Score(StepInput input)
    {
        var outputs = Run(input, null, ServingOutputs);
        return new StepScores(outputs[0], outputs[1], outputs[2], outputs[3]);
    }

    /// <summary>All outputs, hint included, optionally with masked-out prefix positions.</summary>
    /// <param name="prefixMask">[T] true at real prefix positions; null when all are.</param>
    public OnnxStepOutput ScoreAll(StepInput input, bool[]? prefixMask = null)
    {
        var outputs = Run(input, prefixMask, AllOutputs);
        return new OnnxStepOutput(outputs[0], outputs[1], outputs[2], outputs[3], outputs[4]);
    }

    private float[][] Run(StepInput input, bool[]? prefixMask, string[] outputNames)
    {
        int t = input.PrefixLength, c = input.Candidates, m = input.MaxValues;
        Validate(input, prefixMask);
        using var keys = OrtValue.CreateTensorValueFromMemory(input.PrefixKeys, [1, Heads, t, HeadDim]);
        using var values = OrtValue.CreateTensorValueFromMemory(input.PrefixValues, [1, Heads, t, HeadDim]);
        using var mask = OrtValue.CreateTensorValueFromMemory(prefixMask ?? AllReal(t), [1, t]);
        using var hidden = OrtValue.CreateTensorValueFromMemory(input.Hidden, [1, StateDim]);
        using var rows = OrtValue.CreateTensorValueFromMemory(input.Rows, [1, c, FieldCount, m]);
        using var outputs = onnx.Session.Run(onnx.RunOptions, InputNames, [keys, values, mask, hidden, rows], outputNames);
        return outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToArray();
    }

    private void Validate(StepInput input, bool[]? prefixMask)
    {
        int t = input.PrefixLength, c = input.Candidates, m = input.MaxValues;
        if (t < 0 || c < 1 || m < 1) throw new ArgumentException($"step input: T = {t}, C = {c}, M = {m} (need T ≥ 0, C ≥ 1, M ≥ 1)");
        Expect(input.PrefixKeys.Length, Heads * t * HeadDim, "prefix keys");
        Expect(input.PrefixValues.Length, Heads * t * HeadDim, "prefix values");
        Expect(input.Hidden.Length, StateDim, "hidden");
        Expect(input.Rows.Length, c * FieldCount * m, "rows");
        if (prefixMask is not null) Expect(prefixMask.Length, t, "prefix mask");
        onnx.EnsureRows(input.Rows, m);
    }

    private static void Expect(int actual, int expected, string what)
    {
        if (actual != expected) throw new ArgumentException($"step input: {what} has {actual} elements, expected {expected}");
    }

    private static bool[] AllReal(int t)
    {
        var mask = new bool[t];
        Array.Fill(mask, true);
        return mask;
    }

    public void Dispose() => onnx.Dispose();

    /// <summary>
    /// One request on the step graph: every step sends the remaining candidates' rows and the prefix, and the chosen
    /// candidate's key, value and state are kept for the next step.
    /// </summary>
    private sealed class Session(OnnxStepScorer scorer, SlateInput input) : ISlateSession
    {
        private readonly List<float[]> keys = [];   // per placed item: [h·dh]
        private readonly List<float[]> values = [];
        private float[] hidden = new float[scorer.StateDim];
        private StepScores? last;

        public float[] Score(IReadOnlyList<int> candidates)
        {
            int h = scorer.Heads, dh = scorer.HeadDim;
            last = scorer.Score(new StepInput(keys.Count, Stack(keys, h, dh), Stack(values, h, dh), hidden,
                input.Rows(keys.Count, candidates), candidates.Count, input.MaxValues));
            return last.Q;
        }

        public void Place(int chosen)
        {
            if (last is null) throw new InvalidOperationException("Place before Score");
            int h = scorer.Heads, dh = scorer.HeadDim, d = scorer.StateDim, c = last.Q.Length;
            keys.Add(Column(last.Keys, h, c, dh, chosen));
            values.Add(Column(last.Values, h, c, dh, chosen));
            hidden = last.States.AsSpan(chosen * d, d).ToArray();
            last = null;
        }

        public void Dispose()
        {
        }

        /// <summary>[T][h·dh] per placed item → [h, T, dh].</summary>
        private static float[] Stack(List<float[]> perItem, int h, int dh)
        {
            int t = perItem.Count;
            var result = new float[h * t * dh];
            for (int i = 0; i < t; i++)
                for (int head = 0; head < h; head++)
                    Array.Copy(perItem[i], head * dh, result, (head * t + i) * dh, dh);
            return result;
        }

        /// <summary>Candidate <paramref name="j"/> of [h, C, dh] → [h·dh].</summary>
        private static float[] Column(float[] all, int h, int c, int dh, int j)
        {
            var result = new float[h * dh];
            for (int head = 0; head < h; head++) Array.Copy(all, (head * c + j) * dh, result, head * dh, dh);
            return result;
        }
    }
}
