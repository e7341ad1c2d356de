namespace Drlrec.OffPolicy;

/// <summary>
/// A target policy run over one logged list: its greedy slate g, and what the estimators read (<see cref="ListTerms"/>):
/// the target's probability of each logged item after the logged prefix, and the click model's values along the logged
/// prefix, along g and in expectation under the target.
/// </summary>
public static class TargetTerms
{
    /// <summary>The terms of <paramref name="policy"/> on <paramref name="slate"/>, re-ranking <paramref name="window"/>.</summary>
    /// <param name="dmSamples">Slates drawn from a smoothed target per list for the direct method (a greedy target's is its slate).</param>
    /// <param name="rng">The draws of those slates.</param>
    /// <param name="greedy">The policy's greedy slate when already built (<see cref="IManySlatesPolicy"/>); null builds it here.</param>
    /// <returns>The terms and the greedy slate (candidate indices).</returns>
    public static (ListTerms Terms, int[] Greedy) Of(LoggedSlate slate, int[] window, ISlatePolicy policy, TargetSmoothing smoothing,
        IListClicks clicks, int dmSamples, Random rng, int[]? greedy = null)
    {
        int length = slate.Shown;
        if (window.Length < length)
            throw new ArgumentException($"list '{slate.ListId}': {window.Length} candidates to re-rank cannot fill its {length} positions");
        greedy ??= Slate(policy, slate, window, length, scores => Ranking.SlateRanker.Best(scores));
        var greedyClicks = new double[length];
        for (int l = 0; l < length; l++) greedyClicks[l] = clicks.Click(greedy[..l], greedy[l]);
        var tail = new double[length + 1];
        for (int l = length - 1; l >= 0; l--) tail[l] = tail[l + 1] + greedyClicks[l];
        int matched = 0;
        while (matched < length && greedy[matched] == matched) matched++; // logged item l is candidate l

        var logged = Enumerable.Range(0, length).ToArray();
        var loggedClicks = new double[length];
        for (int l = 0; l < length; l++) loggedClicks[l] = clicks.Click(logged[..l], l);
        var target = new double[length];
        var expected = new double[length];
        var continuation = new double[length];
        double direct;
        if (smoothing.Deterministic)
        {
            // The logged prefix is the target's own up to `matched`; past the first difference every weight is 0.
            for (int l = 0; l <= Math.Min(matched, length - 1); l++)
            {
                target[l] = greedy[l] == l ? 1 : 0;
                expected[l] = greedyClicks[l];
                continuation[l] = tail[l + 1];
            }
            direct = tail[0];
        }
        else
        {
            using (var session = policy.Begin(slate, window))
            {
                var remaining = window.ToList();
                for (int l = 0; l < length; l++)
                {
                    var probabilities = smoothing.Probabilities(session.Score(remaining));
                    for (int j = 0; j < remaining.Count; j++)
                        if (probabilities[j] > 0) expected[l] += probabilities[j] * clicks.Click(logged[..l], remaining[j]);
                    int at = remaining.IndexOf(l);
                    if (at < 0) break; // the logged item is outside the window: the target never places it, every weight is 0 on
                    target[l] = probabilities[at];
                    if (target[l] == 0) break;
                    session.Place(l);
                    remaining.RemoveAt(at);
                }
            }
            // The slates drawn from the target give the direct method and the continuation: the mean value of the rest of
            // a drawn slate after position l, the same whatever the logged prefix (a function of nothing logged keeps the
            // control variate's mean 0), close to the target's own continuation when the prefix matters little.
            var sampledTail = new double[length + 1];
            for (int s = 0; s < dmSamples; s++)
            {
                var sample = Slate(policy, slate, window, length, scores => Draw(smoothing.Probabilities(scores), rng));
                double rest = 0;
                for (int l = length - 1; l >= 0; l--) sampledTail[l] += (rest += clicks.Click(sample[..l], sample[l])) / dmSamples;
            }
            for (int l = 0; l < length; l++) continuation[l] = sampledTail[l + 1];
            direct = sampledTail[0];
        }
        return (new ListTerms(slate.Rewards, slate.Propensities, target, loggedClicks, expected, continuation, direct), greedy);
    }

    /// <summary>
    /// The logging policy as its own target (the sanity row): every weight 1, the expectation under it replaced by the
    /// logged item's q̂ (its one-sample value), no continuation; the direct method is the click model's value of the logged
    /// slates, Σ_l q̂(a_1..a_l), which the logged clicks should match.
    /// </summary>
    public static ListTerms Logging(LoggedSlate slate, IListClicks clicks)
    {
        int length = slate.Shown;
        var logged = Enumerable.Range(0, length).ToArray();
        var loggedClicks = logged.Select(l => clicks.Click(logged[..l], l)).ToArray();
        var propensities = slate.Propensities ?? Enumerable.Repeat(1.0, length).ToArray();
        return new ListTerms(slate.Rewards, propensities, propensities, loggedClicks, loggedClicks, new double[length], loggedClicks.Sum());
    }

    /// <summary>A slate of <paramref name="length"/> candidates of <paramref name="window"/>, each slot's choice made by
    /// <paramref name="choose"/> from the policy's scores of the candidates left.</summary>
    public static int[] Slate(ISlatePolicy policy, LoggedSlate slate, int[] window, int length, Func<float[], int> choose)
    {
        using var session = policy.Begin(slate, window);
        var remaining = window.ToList();
        var order = new int[length];
        for (int l = 0; l < length; l++)
        {
            int pick = choose(session.Score(remaining));
            order[l] = remaining[pick];
            session.Place(order[l]);
            remaining.RemoveAt(pick);
        }
        return order;
    }

    /// <summary>An index drawn with the given probabilities.</summary>
    public static int Draw(double[] probabilities, Random rng)
    {
        double u = rng.NextDouble(), sum = 0;
        for (int j = 0; j < probabilities.Length; j++)
            if ((sum += probabilities[j]) > u) return j;
        return Array.FindLastIndex(probabilities, p => p > 0);
    }
}
