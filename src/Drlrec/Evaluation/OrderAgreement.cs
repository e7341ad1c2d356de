using Drlrec.Ranking;

namespace Drlrec.Evaluation;

/// <summary>
/// How a scorer orders candidates against a reference scorer of the same model in the same states (an int8 export
/// against its float32 self, <c>drlrec evaluate --online --backend onnx --quantize int8</c>). Along the reference's
/// greedy slate of each request, both score every remaining candidate of each slot after the same placed items; the
/// error of a score is |q − q_reference|, and a pair of candidates of one slot is <b>reordered</b> when the scorer puts
/// them the other way round (or ties them) while the reference does not tie them. A pair whose reference Q-values differ
/// by more than the error cannot be reordered by the error of one candidate alone, so reorders among such pairs say that
/// the two candidates' errors pull apart (are not one shared offset), which a per-call activation scale would do.
/// </summary>
/// <param name="Requests">Requests compared.</param>
/// <param name="SameSlates">Requests whose slate (each scorer ranking greedily on its own) is identical.</param>
/// <param name="SameFirst">Requests whose first slot holds the same item.</param>
/// <param name="Scores">Candidate scores compared (every remaining candidate in every slot).</param>
/// <param name="ErrorP50">Median error |q − q_reference| over the scores.</param>
/// <param name="ErrorP99">99th percentile of the error.</param>
/// <param name="ErrorMax">Largest error.</param>
/// <param name="Pairs">Pairs of candidates of one slot compared.</param>
/// <param name="Reordered">Of <paramref name="Pairs"/>, reordered.</param>
/// <param name="PairsBeyondP99">Pairs whose reference Q-values differ by more than <paramref name="ErrorP99"/>.</param>
/// <param name="ReorderedBeyondP99">Of those, reordered.</param>
/// <param name="PairsBeyondMax">Pairs whose reference Q-values differ by more than <paramref name="ErrorMax"/>.</param>
/// <param name="ReorderedBeyondMax">Of those, reordered.</param>
public sealed record OrderAgreement(int Requests, int SameSlates, int SameFirst, long Scores, double ErrorP50, double ErrorP99,
    double ErrorMax, long Pairs, long Reordered, long PairsBeyondP99, long ReorderedBeyondP99, long PairsBeyondMax, long ReorderedBeyondMax)
{
    /// <summary>Compares <paramref name="other"/> with <paramref name="reference"/> on <paramref name="requests"/>; both must
    /// rank the same model's inputs (same schema and vocabulary).</summary>
    /// <exception cref="ArgumentException">No requests.</exception>
    public static OrderAgreement Measure(SlateRanker reference, SlateRanker other, IReadOnlyList<SlateRequest> requests)
    {
        if (requests.Count == 0) throw new ArgumentException("order agreement: no requests to compare");
        int sameSlates = 0, sameFirst = 0;
        var slots = new List<(float[] Reference, float[] Other)>();
        foreach (var request in requests)
        {
            var (a, b) = (reference.Rank(request).Order, other.Rank(request).Order);
            if (a.SequenceEqual(b)) sameSlates++;
            if (a[0] == b[0]) sameFirst++;
            slots.AddRange(AlongReference(reference.Scorer, other.Scorer, reference.Input(request)));
        }

        var errors = slots.SelectMany(s => s.Reference.Zip(s.Other, (r, o) => (double)Math.Abs(o - r))).Order().ToArray();
        double p50 = Percentiles.OfSorted(errors, 0.5), p99 = Percentiles.OfSorted(errors, 0.99), max = errors[^1];
        long pairs = 0, reordered = 0, beyondP99 = 0, reorderedP99 = 0, beyondMax = 0, reorderedMax = 0;
        foreach (var (q, o) in slots)
            for (int i = 0; i < q.Length; i++)
                for (int j = i + 1; j < q.Length; j++)
                {
                    float gap = q[i] - q[j];
                    if (gap == 0) continue; // the reference has no order to keep
                    bool swapped = Math.Sign(o[i] - o[j]) != Math.Sign(gap);
                    pairs++;
                    if (swapped) reordered++;
                    if (Math.Abs(gap) > p99)
                    {
                        beyondP99++;
                        if (swapped) reorderedP99++;
                    }
                    if (Math.Abs(gap) > max)
                    {
                        beyondMax++;
                        if (swapped) reorderedMax++;
                    }
                }
        return new OrderAgreement(requests.Count, sameSlates, sameFirst, errors.Length, p50, p99, max, pairs, reordered,
            beyondP99, reorderedP99, beyondMax, reorderedMax);
    }

    /// <summary>Each slot's scores of the remaining candidates by both scorers, the slot filled with the reference's choice
    /// in both (so both score the same states).</summary>
    private static List<(float[], float[])> AlongReference(IStepScorer reference, IStepScorer other, SlateInput input)
    {
        var result = new List<(float[], float[])>();
        using var a = reference.Begin(input);
        using var b = other.Begin(input);
        var remaining = Enumerable.Range(0, input.Candidates).ToList();
        for (int t = 0; t < input.SlotRows.Length; t++)
        {
            float[] q = a.Score(remaining), o = b.Score(remaining);
            result.Add((q, o));
            int best = SlateRanker.Best(q);
            a.Place(best);
            b.Place(best);
            remaining.RemoveAt(best);
        }
        return result;
    }
}
