using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
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
/// intra-op threads default 1 for latency). Thread-safe: ONNX Runtime sessions may run concurrently. With the slate
/// graph beside the step graph it ranks a whole slate in one call (<see cref="IWholeSlateScorer"/>).
/// </summary>
public sealed class OnnxStepScorer : IStepScorer, IWholeSlateScorer
{
    private static readonly string[] SlateInputNames = [OnnxNames.Rows, OnnxNames.SlotRows];
    private static readonly string[] SlateOutputs = [OnnxNames.Order, OnnxNames.Q];

    private static readonly string[] InputNames =
        [OnnxNames.PrefixKeys, OnnxNames.PrefixValues, OnnxNames.PrefixMask, OnnxNames.Hidden, OnnxNames.Rows];
    private static readonly string[] ServingOutputs = [OnnxNames.Q, OnnxNames.Keys, OnnxNames.Values, OnnxNames.States];
    private static readonly string[] AllOutputs = [.. ServingOutputs, OnnxNames.Hint];

    private static readonly string[] CachedInputNames =
        [OnnxNames.PrefixKeys, OnnxNames.PrefixValues, OnnxNames.PrefixMask, OnnxNames.Hidden, OnnxNames.Items,
         OnnxNames.Projections, OnnxNames.Candidates, OnnxNames.SlotRows];
    private static readonly string[] EncodeOutputs = [OnnxNames.Items, OnnxNames.Projections];
    // A model with list features (QNetworkConfig.PrefixMatch): the step graph takes the placed items' rows, and the cached
    // step the placed candidates' indices. What the encode graph gives beyond the item vectors and projections (the compared
    // fields' rows, the dense values) is held for the request and handed to every cached step under the same name.
    private static readonly string[] MatchInputNames = [.. InputNames, OnnxNames.PrefixRows];

    private readonly OnnxSession onnx;
    // The serving split, when exported beside the step graph: encode once per request, then cached steps.
    private readonly OnnxSession? encode, cachedStep;
    // The whole greedy slate in one call, when exported beside the step graph (and wanted).
    private readonly OnnxSession? slate;

    /// <param name="path">A step graph (<c>NAME.onnx</c> of <see cref="OnnxExporter"/>); the encode and cached step graphs
    /// beside it, when there, serve requests (each candidate encoded once per request) and must be of the same model.
    /// Paired with a checkpoint, open it with <see cref="OnnxServing.OpenFor"/>, which checks that it is that model's.</param>
    /// <param name="intraOpThreads">ONNX Runtime threads per operator.</param>
    /// <param name="wholeSlates">Rank a whole slate in one call on the slate graph beside the step graph, when there
    /// (false: one call per slot on the cached step graph).</param>
    /// <exception cref="InvalidDataException">The encode, cached step or slate graph beside it is another export's (another
    /// model's, or another precision's).</exception>
    public OnnxStepScorer(string path, int intraOpThreads = 1, bool wholeSlates = true)
    {
        onnx = new OnnxSession(path, OnnxGraphKind.Step, intraOpThreads);
        try
        {
            MatchesPrefix = onnx.Session.InputMetadata.ContainsKey(OnnxNames.PrefixRows);
            string encodePath = OnnxExporter.EncodePathFor(path), cachedPath = OnnxExporter.CachedStepPathFor(path);
            if (File.Exists(encodePath) && File.Exists(cachedPath))
            {
                encode = new OnnxSession(encodePath, OnnxGraphKind.Encode, intraOpThreads);
                cachedStep = new OnnxSession(cachedPath, OnnxGraphKind.CachedStep, intraOpThreads);
                // Requests would run on these two, not on the step graph: they must be of the same export.
                OnnxBinding.EnsureSameExport(encodePath, encode.Info, path, onnx.Info);
                OnnxBinding.EnsureSameExport(cachedPath, cachedStep.Info, path, onnx.Info);
            }
            string slatePath = OnnxExporter.SlatePathFor(path);
            if (wholeSlates && File.Exists(slatePath))
            {
                slate = new OnnxSession(slatePath, OnnxGraphKind.Slate, intraOpThreads);
                OnnxBinding.EnsureSameExport(slatePath, slate.Info, path, onnx.Info);
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

    /// <summary>The model has list features: a step needs the placed items' rows (<see cref="StepInput.PrefixRows"/>).</summary>
    public bool MatchesPrefix { get; }

    public OnnxModelInfo Info => onnx.Info;
    public string Backend => "onnx";

    /// <summary>"fp32-" or "int8-" and the first 12 hex digits of the step graph file's SHA-256 (<c>sha256sum NAME.onnx</c>).</summary>
    public string Variant => $"{OnnxPrecisions.Name(Info.Precision)}-{Checkpoints.ModelFingerprint.Short(onnx.FileSha256)}";
    public int FieldCount => Info.Fields;
    public int Heads => Info.Heads;
    public int HeadDim => Info.HeadDim;
    public int StateDim => Info.StateDim;

    public ISlateSession Begin(SlateInput input) =>
        cachedStep is not null ? new CachedSession(this, input) : new StepSession(this, input);

    public bool RanksWholeSlates => slate is not null;

    /// <summary>The slate graph: the candidates' rows in slot 0 and every slot's rows in, the order and Q-values out.</summary>
    public RankedSlate RankSlate(SlateInput input, int slateSize)
    {
        if (slate is null) throw new InvalidOperationException("no slate graph beside the step graph");
        int n = input.Candidates, m = input.MaxValues, f = FieldCount, width = f * m;
        if (n < 1 || slateSize < 1 || slateSize > n || input.SlotRows.Length < slateSize)
            throw new ArgumentException($"slate input: {n} candidates, {input.SlotRows.Length} slots' rows for a slate of {slateSize}");
        var rows = input.Rows(0, Enumerable.Range(0, n).ToArray());
        var slotRows = new long[slateSize * width];
        for (int t = 0; t < slateSize; t++) input.SlotRows[t].AsSpan(0, width).CopyTo(slotRows.AsSpan(t * width));
        slate.EnsureRows(rows, m);
        slate.EnsureRows(slotRows, m);
        using var rowsValue = OrtValue.CreateTensorValueFromMemory(rows, [1, n, f, m]);
        using var slotValue = OrtValue.CreateTensorValueFromMemory(slotRows, [1, slateSize, f, m]);
        using var outputs = slate.Session.Run(slate.RunOptions, SlateInputNames, [rowsValue, slotValue], SlateOutputs);
        var order = outputs[0].GetTensorDataAsSpan<long>();
        var q = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        var placed = new int[order.Length];
        for (int t = 0; t < placed.Length; t++) placed[t] = (int)order[t];
        return new RankedSlate(placed, q);
    }

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
        if (!MatchesPrefix)
            return RunStep(onnx, InputNames, t, input.PrefixKeys, input.PrefixValues, prefixMask ?? AllReal(t), input.Hidden, [rows], outputNames);
        using var placed = OrtValue.CreateTensorValueFromMemory(input.PrefixRows!, [1, t, FieldCount, m]);
        return RunStep(onnx, MatchInputNames, t, input.PrefixKeys, input.PrefixValues, prefixMask ?? AllReal(t), input.Hidden, [rows, placed],
            outputNames);
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
        if (MatchesPrefix)
        {
            if (input.PrefixRows is null) throw new ArgumentException("step input: this model's list features need the placed items' rows");
            Expect(input.PrefixRows.Length, t * FieldCount * m, "prefix rows");
            onnx.EnsureRows(input.PrefixRows, m);
        }
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
        slate?.Dispose();
    }

    /// <summary>One request's prefix (keys, values and state of the placed items) and the greedy step's bookkeeping.</summary>
    private abstract class PrefixSession(OnnxStepScorer scorer) : ISlateSession
    {
        private readonly List<float[]> keys = [];   // per placed item: [h·dh]
        private readonly List<float[]> values = [];
        private readonly List<int> placed = [];     // the placed candidates, in slot order
        private float[] hidden = new float[scorer.StateDim];
        private StepScores? last;

        protected OnnxStepScorer Scorer => scorer;

        /// <summary>The candidates placed so far, in slot order.</summary>
        protected IReadOnlyList<int> Placed => placed;

        /// <summary>Runs a step of <paramref name="candidates"/> after the prefix (T = <paramref name="slot"/> items).</summary>
        protected abstract StepScores Run(IReadOnlyList<int> candidates, int slot, float[] prefixKeys, float[] prefixValues, float[] state);

        private IReadOnlyList<int>? scored;

        public float[] Score(IReadOnlyList<int> candidates)
        {
            int h = scorer.Heads, dh = scorer.HeadDim;
            last = Run(candidates, keys.Count, Stack(keys, h, dh), Stack(values, h, dh), hidden);
            scored = candidates.ToArray();
            return last.Q;
        }

        public void Place(int chosen)
        {
            if (last is null) throw new InvalidOperationException("Place before Score");
            int h = scorer.Heads, dh = scorer.HeadDim, d = scorer.StateDim, c = last.Q.Length;
            keys.Add(Column(last.Keys, h, c, dh, chosen));
            values.Add(Column(last.Values, h, c, dh, chosen));
            hidden = last.States.AsSpan(chosen * d, d).ToArray();
            placed.Add(scored![chosen]);
            last = null;
        }

        public virtual void Dispose()
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

    /// <summary>One request on the step graph: every step sends the remaining candidates' rows in the slot.</summary>
    private sealed class StepSession(OnnxStepScorer scorer, SlateInput input) : PrefixSession(scorer)
    {
        protected override StepScores Run(IReadOnlyList<int> candidates, int slot, float[] prefixKeys, float[] prefixValues, float[] state) =>
            Scorer.Score(new StepInput(slot, prefixKeys, prefixValues, state, input.Rows(slot, candidates), candidates.Count, input.MaxValues,
                Scorer.MatchesPrefix ? input.Rows(0, Placed) : null));
    }

    /// <summary>
    /// One request on the serving split: the encode graph runs once over every candidate; each step sends the remaining
    /// candidates' indices and the slot's rows, with the request's encodings held in ONNX Runtime values for the request.
    /// </summary>
    private sealed class CachedSession : PrefixSession
    {
        private readonly SlateInput input;
        private readonly OrtValue items, projections;
        // The encode graph's other outputs, each an input of the cached step of the same name.
        private readonly string[] extraNames;
        private readonly OrtValue[] extras;
        private readonly bool wantsPlaced;
        private readonly int candidateCount;

        public CachedSession(OnnxStepScorer scorer, SlateInput input) : base(scorer)
        {
            this.input = input;
            int n = input.Candidates, m = input.MaxValues, f = scorer.FieldCount, d = scorer.StateDim;
            var rows = input.Rows(0, Enumerable.Range(0, n).ToArray());
            scorer.encode!.EnsureRows(rows, m);
            float[] itemData, projectionData;
            extraNames = scorer.encode.Session.OutputMetadata.Keys.Except(EncodeOutputs).ToArray();
            wantsPlaced = scorer.cachedStep!.Session.InputMetadata.ContainsKey(OnnxNames.Placed);
            using (var rowsValue = OrtValue.CreateTensorValueFromMemory(rows, [1, n, f, m]))
            using (var outputs = scorer.encode.Session.Run(scorer.encode.RunOptions, [OnnxNames.Rows], [rowsValue], [.. EncodeOutputs, .. extraNames]))
            {
                itemData = outputs[0].GetTensorDataAsSpan<float>().ToArray();
                projectionData = outputs[1].GetTensorDataAsSpan<float>().ToArray();
                extras = outputs.Skip(2).Select(Copy).ToArray();
            }
            items = OrtValue.CreateTensorValueFromMemory(itemData, [1, n, d]);
            projections = OrtValue.CreateTensorValueFromMemory(projectionData, [1, n, 3 * d]);
            candidateCount = n;
        }

        protected override StepScores Run(IReadOnlyList<int> candidates, int slot, float[] prefixKeys, float[] prefixValues, float[] state)
        {
            var scorer = Scorer;
            int c = candidates.Count;
            var indices = new long[c];
            for (int j = 0; j < c; j++)
            {
                if ((uint)candidates[j] >= (uint)candidateCount) throw new ArgumentOutOfRangeException(nameof(candidates));
                indices[j] = candidates[j];
            }
            var slotRows = input.SlotRows[slot];
            scorer.cachedStep!.EnsureRows(slotRows, input.MaxValues);
            using var index = OrtValue.CreateTensorValueFromMemory(indices, [c]);
            using var rows = OrtValue.CreateTensorValueFromMemory(slotRows, [1, 1, scorer.FieldCount, input.MaxValues]);
            using var placed = wantsPlaced ? OrtValue.CreateTensorValueFromMemory(Placed.Select(i => (long)i).ToArray(), [Placed.Count]) : null;
            string[] names = [.. CachedInputNames, .. extraNames, .. (wantsPlaced ? new[] { OnnxNames.Placed } : [])];
            OrtValue[] rest = [items, projections, index, rows, .. extras, .. (placed is null ? Array.Empty<OrtValue>() : [placed])];
            var result = scorer.RunStep(scorer.cachedStep, names, slot, prefixKeys, prefixValues, AllReal(slot), state, rest, ServingOutputs);
            return new StepScores(result[0], result[1], result[2], result[3]);
        }

        /// <summary>An output copied into a value of its own (the run's outputs are freed with it).</summary>
        private static OrtValue Copy(OrtValue output)
        {
            var info = output.GetTensorTypeAndShape();
            return info.ElementDataType == TensorElementType.Int64
                ? OrtValue.CreateTensorValueFromMemory(output.GetTensorDataAsSpan<long>().ToArray(), info.Shape)
                : OrtValue.CreateTensorValueFromMemory(output.GetTensorDataAsSpan<float>().ToArray(), info.Shape);
        }

        public override void Dispose()
        {
            items.Dispose();
            projections.Dispose();
            foreach (var extra in extras) extra.Dispose();
        }
    }
}
