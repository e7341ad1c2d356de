using Drlrec.Data;
using Drlrec.Features;

namespace Drlrec.Ranking;

/// <summary>A request to re-rank: the user's fields, the context's fields, the candidates' item fields, the slate size.</summary>
/// <param name="User">Value set per user field of the schema.</param>
/// <param name="Context">Value set per context field; a context field named "position" is filled per slot (1-based) and may be omitted.</param>
/// <param name="Candidates">Value set per item field, one map per candidate (derived fields are the model's own and are left out).</param>
/// <param name="SlateSize">L, how many candidates to place (at most the number of candidates).</param>
public sealed record SlateRequest(
    IReadOnlyDictionary<string, string[]> User,
    IReadOnlyDictionary<string, string[]> Context,
    IReadOnlyList<IReadOnlyDictionary<string, string[]>> Candidates,
    int SlateSize);

/// <summary>The slate: candidate indices in placement order and the Q-value each had when it was placed.</summary>
public sealed record RankedSlate(int[] Order, float[] Q);

/// <summary>
/// A change to the greedy choice made on top of the model's Q-values, for diagnostics only (e.g. what a hand-written
/// same-category penalty adds to a model: <c>Evaluation/OnlineDiagnostics.cs</c>); serving never uses one.
/// </summary>
public interface ISlateAdjustment
{
    /// <summary>Called once per slate before the first slot.</summary>
    void Begin();

    /// <summary>Changes <paramref name="scores"/> (the Q of each of <paramref name="remaining"/>, candidate indices) in place.</summary>
    void Adjust(IReadOnlyList<int> remaining, float[] scores);

    /// <summary>The candidate placed in the slot just chosen.</summary>
    void Placed(int candidate);
}

/// <summary>
/// Builds a slate greedily, as the Q-network was trained to value it: at each position, score every remaining candidate
/// from the cached prefix state in one batched step, place the best, and extend the cache with that candidate's keys,
/// values and GRU state (returned by the same step, so nothing is recomputed). Used by the service and by online
/// evaluation; the backend (TorchSharp or ONNX Runtime) is an <see cref="IStepScorer"/>, whose session keeps the prefix.
/// </summary>
public sealed class SlateRanker(IStepScorer scorer, FeatureVocabulary vocabulary, ListSchema schema)
{
    /// <summary>Name of the context field the ranker fills with the slot's 1-based position.</summary>
    public const string PositionField = "position";

    public IStepScorer Scorer => scorer;
    public ListSchema Schema => schema;

    /// <summary>Encodes and ranks a request given as field-value maps.</summary>
    /// <exception cref="ArgumentException">A field is missing, unknown, or a value set is empty; the message names it.</exception>
    /// <param name="cancel">Checked between slots: a request whose client left stops there.</param>
    /// <param name="deadline">A <see cref="System.Diagnostics.Stopwatch"/> timestamp, also checked between slots (read from
    /// the clock, so a busy thread pool cannot delay it the way it delays a timer).</param>
    /// <exception cref="OperationCanceledException">Cancelled, or past the deadline, before the slate was complete.</exception>
    public RankedSlate Rank(SlateRequest request, CancellationToken cancel = default, long deadline = long.MaxValue)
    {
        var (slots, items, m) = Encode(request);
        return Rank(slots, items, request.Candidates.Count, Math.Min(request.SlateSize, request.Candidates.Count), m, cancel, deadline);
    }

    /// <summary>The greedy slate with <paramref name="adjustment"/> applied to each slot's scores before the choice (a
    /// diagnostic; always the step-by-step loop). The slate's Q are the model's own, unadjusted.</summary>
    public RankedSlate Rank(SlateRequest request, ISlateAdjustment adjustment)
    {
        var (slots, items, m) = Encode(request);
        return Rank(slots, items, request.Candidates.Count, Math.Min(request.SlateSize, request.Candidates.Count), m, adjustment: adjustment);
    }

    /// <summary>The request as a scorer takes it (what <see cref="Rank(SlateRequest, CancellationToken, long)"/> ranks), for
    /// callers that score its slots themselves; it has min(L, N) slots.</summary>
    /// <exception cref="ArgumentException">A field is missing, unknown, or a value set is empty; the message names it.</exception>
    public SlateInput Input(SlateRequest request)
    {
        var (slots, items, m) = Encode(request);
        return new SlateInput(slots, items, schema.FirstItemField, m);
    }

    /// <summary>The greedy loop on encoded inputs.</summary>
    /// <param name="slotRows">[L][F·M] rows of each slot's user and context fields (item fields are overwritten).</param>
    /// <param name="itemRows">[N][F_item·M] rows of each candidate's item fields.</param>
    public RankedSlate Rank(long[][] slotRows, long[][] itemRows, int candidates, int slateSize, int maxValues,
        CancellationToken cancel = default, long deadline = long.MaxValue, ISlateAdjustment? adjustment = null)
    {
        var input = new SlateInput(slotRows, itemRows[..candidates], schema.FirstItemField, maxValues);
        if (adjustment is null && scorer is IWholeSlateScorer { RanksWholeSlates: true } whole)
        {
            cancel.ThrowIfCancellationRequested();
            if (System.Diagnostics.Stopwatch.GetTimestamp() > deadline) throw new OperationCanceledException("past the deadline");
            return whole.RankSlate(input, slateSize);
        }
        using var session = scorer.Begin(input);
        var remaining = Enumerable.Range(0, candidates).ToList();
        var order = new int[slateSize];
        var q = new float[slateSize];
        adjustment?.Begin();
        for (int t = 0; t < slateSize; t++)
        {
            cancel.ThrowIfCancellationRequested();
            if (System.Diagnostics.Stopwatch.GetTimestamp() > deadline) throw new OperationCanceledException("past the deadline");
            var scores = session.Score(remaining);
            var choice = scores;
            if (adjustment is not null)
            {
                choice = (float[])scores.Clone();
                adjustment.Adjust(remaining, choice);
            }
            int best = Best(choice);
            order[t] = remaining[best];
            q[t] = scores[best];
            adjustment?.Placed(remaining[best]);
            session.Place(best);
            remaining.RemoveAt(best);
        }
        return new RankedSlate(order, q);
    }

    /// <summary>The greedy choice among a slot's scores: the highest, the first of equal ones.</summary>
    public static int Best(float[] scores)
    {
        int best = 0;
        for (int j = 1; j < scores.Length; j++) if (scores[j] > scores[best]) best = j;
        return best;
    }

    // Per ranker, not per request: which fields each part of a request holds (the request path touches every candidate's
    // every field, so nothing per field is looked up or formatted twice, and error texts are made only on errors).
    private readonly FieldSpec[] fields = schema.Fields.ToArray();
    private readonly int[] requestFields = Enumerable.Range(0, schema.Fields.Count)
        .Where(k => schema.Fields[k].Group != FieldGroup.Item && schema.Fields[k].Name != PositionField).ToArray();
    private readonly int[] candidateFields = Enumerable.Range(0, schema.Fields.Count)
        .Where(k => schema.Fields[k].Group == FieldGroup.Item && !schema.Fields[k].Derived).ToArray();

    private (long[][] Slots, long[][] Items, int MaxValues) Encode(SlateRequest request)
    {
        if (request.Candidates.Count == 0) throw new ArgumentException("candidates: at least one candidate is needed");
        if (request.SlateSize < 1) throw new ArgumentException("slate_size: must be at least 1");
        int widest = 1;
        foreach (int k in requestFields) widest = Math.Max(widest, Values(GroupMap(request, fields[k]), fields[k], -1).Length);
        for (int j = 0; j < request.Candidates.Count; j++)
            foreach (int k in candidateFields) widest = Math.Max(widest, Values(request.Candidates[j], fields[k], j).Length);
        int m = vocabulary.SlotsFor(widest);
        var cells = new int[m];

        int count = fields.Length, slate = Math.Min(request.SlateSize, request.Candidates.Count);
        var slots = new long[slate][];
        for (int t = 0; t < slate; t++)
        {
            slots[t] = new long[count * m];
            for (int k = 0; k < count; k++)
            {
                var f = fields[k];
                if (f.Group == FieldGroup.Item) continue;
                var set = f.Group == FieldGroup.Context && f.Name == PositionField
                    ? [(t + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)]
                    : Values(GroupMap(request, f), f, -1);
                Encode(k, set, slots[t].AsSpan(k * m, m), cells, -1);
            }
        }
        int firstItem = schema.FirstItemField, itemCount = schema.ItemCount;
        var items = new long[request.Candidates.Count][];
        for (int j = 0; j < items.Length; j++)
        {
            items[j] = new long[itemCount * m];
            // Derived fields are the model's own training statistics of the candidate, by its key (the first item field).
            var derived = vocabulary.ItemStatistics?.ValuesOf(FieldValues.AsKey(Values(request.Candidates[j], fields[firstItem], j)));
            for (int k = 0, d = 0; k < itemCount; k++)
            {
                var set = fields[firstItem + k].Derived ? derived![d++] : Values(request.Candidates[j], fields[firstItem + k], j);
                Encode(firstItem + k, set, items[j].AsSpan(k * m, m), cells, j);
            }
        }
        return (slots, items, m);
    }

    private static IReadOnlyDictionary<string, string[]> GroupMap(SlateRequest request, FieldSpec field) =>
        field.Group == FieldGroup.User ? request.User : request.Context;

    /// <summary>Where a field's values came from, for messages: the user or context, or candidate <paramref name="candidate"/>.</summary>
    private static string Where(FieldSpec field, int candidate) =>
        candidate >= 0 ? $"candidates[{candidate}]" : field.Group == FieldGroup.User ? "user" : "context";

    /// <summary>One field's value set into its slots (through the int cells the vocabulary writes).</summary>
    /// <param name="candidate">The candidate's index, or -1 for a user or context field (for messages).</param>
    private void Encode(int field, string[] set, Span<long> slots, int[] cells, int candidate)
    {
        Array.Clear(cells);
        try
        {
            vocabulary.Fields[field].Encode(set, cells);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"{Where(fields[field], candidate)}.{fields[field].Name}: {e.Message}", e);
        }
        for (int v = 0; v < cells.Length; v++) slots[v] = cells[v];
    }

    /// <param name="candidate">The candidate's index, or -1 for a user or context field (for messages).</param>
    private static string[] Values(IReadOnlyDictionary<string, string[]> map, FieldSpec field, int candidate)
    {
        if (!map.TryGetValue(field.Name, out var set))
            throw new ArgumentException($"{Where(field, candidate)}.{field.Name}: missing (the model needs every {field.Group.ToString().ToLowerInvariant()} field)");
        if (set is null || set.Length == 0) throw new ArgumentException($"{Where(field, candidate)}.{field.Name}: needs at least one value");
        return set;
    }
}
