namespace Drlrec.Ranking;

/// <summary>
/// One greedy step's input for a single request: the cached prefix (T items placed so far) and C candidates placed
/// in the next slot (the ONNX step graph's inputs).
/// </summary>
/// <param name="PrefixLength">T, 0 for the first slot.</param>
/// <param name="PrefixKeys">[h, T, dh] sequence-attention keys of the placed items.</param>
/// <param name="PrefixValues">[h, T, dh].</param>
/// <param name="Hidden">[D] GRU state after the prefix (zeros for T = 0).</param>
/// <param name="Rows">[C, F, M] embedding rows of the candidates in the slot (0 = padding).</param>
/// <param name="Candidates">C.</param>
/// <param name="MaxValues">M.</param>
/// <param name="PrefixRows">[T, F, M] the placed items' rows, for a model with list features (only their item fields are
/// read); null for the others.</param>
public sealed record StepInput(int PrefixLength, float[] PrefixKeys, float[] PrefixValues, float[] Hidden, long[] Rows,
    int Candidates, int MaxValues, long[]? PrefixRows = null);

/// <summary>Scores of one step, and what each candidate would add to the cache if placed.</summary>
/// <param name="Q">[C] Q(s, candidate).</param>
/// <param name="Keys">[h, C, dh].</param>
/// <param name="Values">[h, C, dh].</param>
/// <param name="States">[C, D] GRU state after placing the candidate.</param>
public sealed record StepScores(float[] Q, float[] Keys, float[] Values, float[] States);

/// <summary>One request's encoded inputs.</summary>
/// <param name="SlotRows">[L][F·M] each slot's user and context rows (its item fields are not read).</param>
/// <param name="ItemRows">[N][F_item·M] each candidate's item rows.</param>
/// <param name="FirstItemField">Index of the first item field among the F.</param>
/// <param name="MaxValues">M.</param>
public sealed record SlateInput(long[][] SlotRows, long[][] ItemRows, int FirstItemField, int MaxValues)
{
    public int Candidates => ItemRows.Length;

    /// <summary>[C, F, M] rows of <paramref name="candidates"/> placed in slot <paramref name="slot"/>.</summary>
    public long[] Rows(int slot, IReadOnlyList<int> candidates)
    {
        int width = SlotRows[slot].Length, itemWidth = ItemRows.Length == 0 ? 0 : ItemRows[0].Length;
        var rows = new long[candidates.Count * width];
        for (int j = 0; j < candidates.Count; j++)
        {
            Array.Copy(SlotRows[slot], 0, rows, j * width, width);
            Array.Copy(ItemRows[candidates[j]], 0, rows, j * width + FirstItemField * MaxValues, itemWidth);
        }
        return rows;
    }
}

/// <summary>
/// Ranking one request on a backend: the prefix placed so far lives in the session (in the backend's memory), so a step
/// passes only which candidates remain and returns only their Q-values.
/// </summary>
public interface ISlateSession : IDisposable
{
    /// <summary>Q of each of <paramref name="candidates"/> (indices into the request's candidates) in the next slot.</summary>
    float[] Score(IReadOnlyList<int> candidates);

    /// <summary>Places the <paramref name="chosen"/>-th candidate of the last <see cref="Score"/> call in that slot.</summary>
    void Place(int chosen);
}

/// <summary>
/// A serving backend (TorchSharp, or ONNX Runtime on an exported graph): opens a session per request. The greedy loop
/// around it is <see cref="SlateRanker"/>. One scorer serves one request at a time.
/// </summary>
public interface IStepScorer : IDisposable
{
    /// <summary>"torch" or "onnx".</summary>
    string Backend { get; }

    /// <summary>F, the fields per item.</summary>
    int FieldCount { get; }

    /// <summary>What decides the scores besides the checkpoint, for the served version (<c>model.version</c>): null for the
    /// checkpoint's own network; for an ONNX export its precision and its step graph's own hash, so that the float32 and
    /// int8 exports of one checkpoint never answer under one version.</summary>
    string? Variant => null;

    ISlateSession Begin(SlateInput input);
}

/// <summary>
/// A backend that can also rank a whole slate in one call (ONNX Runtime on the slate graph: the greedy loop inside the
/// graph). <see cref="SlateRanker"/> uses it when <see cref="RanksWholeSlates"/>; the result must equal the step-by-step
/// loop's. A whole-slate call cannot stop between slots, so the ranker checks cancellation and the deadline only before it.
/// </summary>
public interface IWholeSlateScorer
{
    /// <summary>True when <see cref="RankSlate"/> is available (e.g. the slate graph was exported).</summary>
    bool RanksWholeSlates { get; }

    /// <summary>The greedy slate of <paramref name="slateSize"/> (≤ the candidates) slots.</summary>
    RankedSlate RankSlate(SlateInput input, int slateSize);
}

/// <summary>
/// A backend that builds many requests' greedy slates at once: each slot of a batch of requests is one batched step, so
/// the per-call cost of the backend is paid once per slot and batch instead of once per slot and request (off-policy
/// evaluation runs every model over thousands of logged lists). The slates must equal the step-by-step loop's
/// (<see cref="SlateRanker"/>) on each request, up to floating-point ties.
/// </summary>
public interface IManySlatesScorer
{
    /// <summary>The greedy slate of each input: <paramref name="slateSizes"/>[i] candidate indices of
    /// <paramref name="inputs"/>[i], in placement order.</summary>
    int[][] RankMany(IReadOnlyList<SlateInput> inputs, IReadOnlyList<int> slateSizes);
}
