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

    private static readonly string[] CachedInputNames =
        [OnnxNames.PrefixKeys, OnnxNames.PrefixOutputs, OnnxNames.PrefixOutputsGru, OnnxNames.PrefixMask, OnnxNames.Hidden,
         OnnxNames.Items, OnnxNames.Projections, OnnxNames.ItemsGru, OnnxNames.ValueOutputs, OnnxNames.ValueOutputsGru,
         OnnxNames.Candidates, OnnxNames.SlotRows];
    private static readonly string[] CachedOutputs =
        [OnnxNames.Q, OnnxNames.Keys, OnnxNames.Outputs, OnnxNames.OutputsGru, OnnxNames.States];
    private static readonly string[] EncodeOutputs =
        [OnnxNames.Items, OnnxNames.Projections, OnnxNames.ItemsGru, OnnxNames.ValueOutputs, OnnxNames.ValueOutputsGru];

    private readonly OnnxSession onnx;
    // The serving split, when exported beside the step graph: encode once per request, then cached steps.
    private readonly OnnxSession? encode, cachedStep;

    /// <param name="path">A step graph (<c>NAME.onnx</c> of <see cref="OnnxExporter"/>); the encode and cached step graphs
    /// beside it, when there, serve requests (each candidate encoded once per request).</param>
    /// <param name="intraOpThreads">ONNX Runtime threads per operator.</param>
    public OnnxStepScorer(string path, int intraOpThreads = 1)
    {
        onnx = new OnnxSession(path, OnnxGraphKind.Step, intraOpThreads);
        try
        {
            string encodePath = OnnxExporter.EncodePathFor(path), cachedPath = OnnxExporter.CachedStepPathFor(path);
            if (File.Exists(encodePath) && File.Exists(cachedPath))
            {
                encode = new OnnxSession(encodePath, OnnxGraphKind.Encode, intraOpThreads);
                cachedStep = new OnnxSession(cachedPath, OnnxGraphKind.CachedStep, intraOpThreads);
                // A split exported before the step was folded (no prefix outputs): requests run on the step graph alone,
                // as before; exporting again gives the folded split.
                if (!cachedStep.Session.InputMetadata.ContainsKey(OnnxNames.PrefixOutputs))
                {
                    encode.Dispose();
                    cachedStep.Dispose();
                    (encode, cachedStep) = (null, null);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Requests run on the encode and cached step graphs (each candidate encoded once per request).</summary>
    public bool EncodesOncePerRequest => cachedStep is not null;

    public OnnxModelInfo Info => onnx.Info;
    public string Backend => "onnx";
    public int FieldCount => Info.Fields;
    public int Heads => Info.Heads;
    public int HeadDim => Info.HeadDim;
    public int StateDim => Info.StateDim;

    public ISlateSession Begin(SlateInput input) =>
        cachedStep is not null ? new CachedSession(this, input) : new StepSession(this, input);

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
        using var rows = OrtValue.CreateTensorValueFromMemory(input.Rows, [1, c, FieldCount, m]);
        return RunStep(onnx, InputNames, t, input.PrefixKeys, input.PrefixValues, prefixMask ?? AllReal(t), input.Hidden, [rows], outputNames);
    }

    /// <summary>Runs a step graph (the step or the cached step graph): the prefix's four inputs, then the graph's own.</summary>
    private float[][] RunStep(OnnxSession session, string[] inputNames, int t, float[] prefixKeys, float[] prefixValues, bool[] prefixMask,
        float[] state, OrtValue[] rest, string[] outputNames)
    {
        using var keys = OrtValue.CreateTensorValueFromMemory(prefixKeys, [1, Heads, t, HeadDim]);
        using var values = OrtValue.CreateTensorValueFromMemory(prefixValues, [1, Heads, t, HeadDim]);
        using var mask = OrtValue.CreateTensorValueFromMemory(prefixMask, [1, t]);
        using var hidden = OrtValue.CreateTensorValueFromMemory(state, [1, StateDim]);
        using var outputs = session.Session.Run(session.RunOptions, inputNames, [keys, values, mask, hidden, .. rest], outputNames);
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

    public void Dispose()
    {
        onnx.Dispose();
        encode?.Dispose();
        cachedStep?.Dispose();
    }

    /// <summary>One request's prefix (keys, values and state of the placed items) and the greedy step's bookkeeping.</summary>
    private abstract class PrefixSession(OnnxStepScorer scorer) : ISlateSession
    {
        private readonly List<float[]> keys = [];   // per placed item: [h·dh]
        private readonly List<float[]> values = [];
        private float[] hidden = new float[scorer.StateDim];
        private StepScores? last;

        protected OnnxStepScorer Scorer => scorer;

        /// <summary>Runs a step of <paramref name="candidates"/> after the prefix (T = <paramref name="slot"/> items).</summary>
        protected abstract StepScores Run(IReadOnlyList<int> candidates, int slot, float[] prefixKeys, float[] prefixValues, float[] state);

        public float[] Score(IReadOnlyList<int> candidates)
        {
            int h = scorer.Heads, dh = scorer.HeadDim;
            last = Run(candidates, keys.Count, Stack(keys, h, dh), Stack(values, h, dh), hidden);
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

        public virtual void Dispose()
        {
        }

    }

    /// <summary>[T][h·w] per placed item → [h, T, w].</summary>
    private static float[] Stack(List<float[]> perItem, int h, int w)
    {
        int t = perItem.Count;
        var result = new float[h * t * w];
        for (int i = 0; i < t; i++)
            for (int head = 0; head < h; head++)
                Array.Copy(perItem[i], head * w, result, (head * t + i) * w, w);
        return result;
    }

    /// <summary>Candidate <paramref name="j"/> of [h, C, w] → [h·w].</summary>
    private static float[] Column(ReadOnlySpan<float> all, int h, int c, int w, int j)
    {
        var result = new float[h * w];
        for (int head = 0; head < h; head++) all.Slice((head * c + j) * w, w).CopyTo(result.AsSpan(head * w, w));
        return result;
    }

    /// <summary>One request on the step graph: every step sends the remaining candidates' rows in the slot.</summary>
    private sealed class StepSession(OnnxStepScorer scorer, SlateInput input) : PrefixSession(scorer)
    {
        protected override StepScores Run(IReadOnlyList<int> candidates, int slot, float[] prefixKeys, float[] prefixValues, float[] state) =>
            Scorer.Score(new StepInput(slot, prefixKeys, prefixValues, state, input.Rows(slot, candidates), candidates.Count, input.MaxValues));
    }

    /// <summary>
    /// One request on the serving split (<see cref="Model.QNetwork.ScoreCached"/>): the encode graph runs once over every
    /// candidate and its outputs stay in ONNX Runtime values for the request; each step sends the remaining candidates'
    /// indices, the slot's rows and the prefix (keys and value outputs of the placed items), and only Q comes back to
    /// managed memory, until the placed candidate's key, outputs and state are read from the step's outputs.
    /// </summary>
    private sealed class CachedSession : ISlateSession
    {
        private readonly OnnxStepScorer scorer;
        private readonly SlateInput input;
        private readonly OrtValue[] encoded;   // items, projections, items_gru, value_outputs, value_outputs_gru
        private readonly List<float[]> keys = [], outputs = [], outputsGru = [];   // per placed item: [h·dh], [h·D], [h·3D]
        private float[] hidden;
        private IDisposableReadOnlyCollection<OrtValue>? last;
        private int lastCount;

        public CachedSession(OnnxStepScorer scorer, SlateInput input)
        {
            this.scorer = scorer;
            this.input = input;
            hidden = new float[scorer.StateDim];
            int n = input.Candidates, m = input.MaxValues, f = scorer.FieldCount;
            var rows = input.Rows(0, Enumerable.Range(0, n).ToArray());
            scorer.encode!.EnsureRows(rows, m);
            using var rowsValue = OrtValue.CreateTensorValueFromMemory(rows, [1, n, f, m]);
            encoded = [.. scorer.encode.Session.Run(scorer.encode.RunOptions, [OnnxNames.Rows], [rowsValue], EncodeOutputs)];
        }

        public float[] Score(IReadOnlyList<int> candidates)
        {
            int c = candidates.Count, t = keys.Count, h = scorer.Heads, d = scorer.StateDim, n = input.Candidates;
            var indices = new long[c];
            for (int j = 0; j < c; j++)
            {
                if ((uint)candidates[j] >= (uint)n) throw new ArgumentOutOfRangeException(nameof(candidates));
                indices[j] = candidates[j];
            }
            var slotRows = input.SlotRows[t];
            scorer.cachedStep!.EnsureRows(slotRows, input.MaxValues);
            using var prefixKeys = OrtValue.CreateTensorValueFromMemory(Stack(keys, h, scorer.HeadDim), [1, h, t, scorer.HeadDim]);
            using var prefixOutputs = OrtValue.CreateTensorValueFromMemory(Stack(outputs, h, d), [1, h, t, d]);
            using var prefixOutputsGru = OrtValue.CreateTensorValueFromMemory(Stack(outputsGru, h, 3 * d), [1, h, t, 3 * d]);
            using var mask = OrtValue.CreateTensorValueFromMemory(AllReal(t), [1, t]);
            using var state = OrtValue.CreateTensorValueFromMemory(hidden, [1, d]);
            using var index = OrtValue.CreateTensorValueFromMemory(indices, [c]);
            using var rows = OrtValue.CreateTensorValueFromMemory(slotRows, [1, 1, scorer.FieldCount, input.MaxValues]);
            last?.Dispose();
            last = scorer.cachedStep.Session.Run(scorer.cachedStep.RunOptions, CachedInputNames,
                [prefixKeys, prefixOutputs, prefixOutputsGru, mask, state, .. encoded, index, rows], CachedOutputs);
            lastCount = c;
            return last[0].GetTensorDataAsSpan<float>().ToArray();
        }

        public void Place(int chosen)
        {
            if (last is null) throw new InvalidOperationException("Place before Score");
            int h = scorer.Heads, d = scorer.StateDim, c = lastCount;
            keys.Add(Column(last[1].GetTensorDataAsSpan<float>(), h, c, scorer.HeadDim, chosen));
            outputs.Add(Column(last[2].GetTensorDataAsSpan<float>(), h, c, d, chosen));
            outputsGru.Add(Column(last[3].GetTensorDataAsSpan<float>(), h, c, 3 * d, chosen));
            hidden = last[4].GetTensorDataAsSpan<float>().Slice(chosen * d, d).ToArray();
            last.Dispose();
            last = null;
        }

        public void Dispose()
        {
            last?.Dispose();
            foreach (var value in encoded) value.Dispose();
        }
    }
}
