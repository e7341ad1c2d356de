namespace Drlrec.Simulation;

/// <summary>
/// The behaviour policy that produced the logs: the upstream ranker, then exploration.
/// <para>The upstream ranker scores each candidate by a relevance estimate with a fixed per-(user, item) error of
/// standard deviation LoggingNoise, plus popularity; it ignores context, price and fatigue. Its score and its rank among
/// the request's candidates are what a re-ranker sees of it (<see cref="Upstream"/>). The logging policy adds Gumbel
/// noise of scale LoggingExploration per request to that score before taking its top ListLength items; the upstream
/// order (<see cref="UpstreamOrder"/>) takes them without the noise, as production would serve them.</para>
/// </summary>
internal sealed class LoggingPolicy(SyntheticConfig config, ClickModel clicks)
{
    private readonly SyntheticConfig config = config;
    private readonly ClickModel clicks = clicks;
    private readonly ulong errorHashSeed = SimRandom.Mix((ulong)SimRandom.DeriveSeed(config.Seed, SimStreams.ErrorHash));

    /// <summary>
    /// The behaviour policy that produced the logs: noisy relevance estimate plus popularity, Gumbel exploration,
    /// top ListLength candidates in score order. Blind to context, price and fatigue.
    /// </summary>
    public int[] Order(SimRequest request, Random rng)
    {
        SimArguments.CheckRequest(config, request);
        ArgumentNullException.ThrowIfNull(rng);
        var candidates = request.Candidates;
        var negativeScores = new double[candidates.Length];
        for (int k = 0; k < candidates.Length; k++)
            negativeScores[k] = -(Score(request.User, candidates[k]) + config.LoggingExploration * SimRandom.Gumbel(rng));
        return TopByKey(negativeScores, candidates);
    }

    /// <summary>The upstream ranker's deterministic order: its top ListLength candidates by score, no exploration.</summary>
    public int[] UpstreamOrder(SimRequest request)
    {
        SimArguments.CheckRequest(config, request);
        var candidates = request.Candidates;
        var negativeScores = new double[candidates.Length];
        for (int k = 0; k < candidates.Length; k++) negativeScores[k] = -Score(request.User, candidates[k]);
        return TopByKey(negativeScores, candidates);
    }

    /// <summary>
    /// What the upstream ranker says of each candidate of a request: its score (the estimate before exploration noise)
    /// and its 1-based rank among the request's candidates by that score (ties: earlier candidate first).
    /// </summary>
    public Dictionary<int, (double Score, int Rank)> Upstream(SimRequest request)
    {
        var candidates = request.Candidates;
        var scores = Scores(request);
        var order = Enumerable.Range(0, candidates.Length)
            .OrderByDescending(k => scores[k]).ThenBy(k => k).ToArray();
        var result = new Dictionary<int, (double, int)>(candidates.Length);
        for (int r = 0; r < order.Length; r++) result[candidates[order[r]]] = (scores[order[r]], r + 1);
        return result;
    }

    /// <summary>
    /// The exact propensity of each item of <paramref name="order"/> under this policy: adding Gumbel noise of scale β
    /// (LoggingExploration) to the scores s and taking the top items samples a Plackett-Luce ranking with weights
    /// exp(s/β), so the probability that item a_k is placed at position k given the items a_1..a_(k−1) before it is
    /// <code>P(a_k | a_1..a_(k−1)) = exp(s_(a_k)/β) / Σ over candidates j not among a_1..a_(k−1) of exp(s_j/β)</code>
    /// (computed with the largest remaining s/β subtracted). With β = 0 the policy is deterministic: 1 for the upstream
    /// ranker's own choice, 0 for any other. Draws nothing: no random stream moves.
    /// </summary>
    public double[] Propensities(SimRequest request, IReadOnlyList<int> order)
    {
        var candidates = request.Candidates;
        var scores = Scores(request);
        var index = new Dictionary<int, int>(candidates.Length);
        for (int k = 0; k < candidates.Length; k++) index[candidates[k]] = k;
        var placed = new bool[candidates.Length];
        var propensities = new double[order.Count];
        double beta = config.LoggingExploration;
        for (int p = 0; p < order.Count; p++)
        {
            int chosen = index.TryGetValue(order[p], out int at) ? at
                : throw new ArgumentException($"item {order[p]} is not a candidate of request {request.RequestId}", nameof(order));
            if (beta == 0)
            {
                int best = -1;
                for (int k = 0; k < scores.Length; k++) if (!placed[k] && (best < 0 || scores[k] > scores[best])) best = k;
                propensities[p] = best == chosen ? 1 : 0;
            }
            else
            {
                double top = double.NegativeInfinity;
                for (int k = 0; k < scores.Length; k++) if (!placed[k]) top = Math.Max(top, scores[k] / beta);
                double total = 0;
                for (int k = 0; k < scores.Length; k++) if (!placed[k]) total += Math.Exp(scores[k] / beta - top);
                propensities[p] = Math.Exp(scores[chosen] / beta - top) / total;
            }
            placed[chosen] = true;
        }
        return propensities;
    }

    /// <summary>The upstream score of each of a request's candidates, in candidate order.</summary>
    public double[] Scores(SimRequest request) => request.Candidates.Select(item => Score(request.User, item)).ToArray();

    /// <summary>The upstream score: the noisy relevance estimate plus popularity.</summary>
    private double Score(int user, int item) =>
        clicks.InterestMatch(user, item) + config.LoggingNoise * EstimateError(user, item) + clicks.PopularityUnchecked(item);

    /// <summary>The behaviour policy's fixed error for a (user, item) pair: a standard normal value from a hash.</summary>
    public double EstimateError(int user, int item) =>
        SimRandom.HashGaussian(errorHashSeed ^ (((ulong)(uint)user << 32) | (uint)item));

    /// <summary>The values at the ListLength smallest keys, in increasing key order (ties: earlier candidate first).</summary>
    private int[] TopByKey(double[] keys, int[] values)
    {
        var indices = new int[keys.Length];
        for (int k = 0; k < indices.Length; k++) indices[k] = k;
        Array.Sort(indices, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        var top = new int[config.ListLength];
        for (int p = 0; p < top.Length; p++) top[p] = values[indices[p]];
        return top;
    }
}

/// <summary>A ranker blind to the user, the items and the context: uniformly random lists.</summary>
internal sealed class RandomPolicy(SyntheticConfig config)
{
    private readonly SyntheticConfig config = config;

    /// <summary>ListLength candidates in uniformly random order: the floor any useful ranker must beat.</summary>
    public int[] Order(SimRequest request, Random rng)
    {
        SimArguments.CheckRequest(config, request);
        ArgumentNullException.ThrowIfNull(rng);
        var pool = (int[])request.Candidates.Clone();
        int length = config.ListLength;
        for (int p = 0; p < length; p++)
        {
            int pick = p + rng.Next(pool.Length - p);
            (pool[p], pool[pick]) = (pool[pick], pool[p]);
        }
        return pool[..length];
    }
}

/// <summary>
/// A ranker that knows the true attractiveness, fatigue and session exit of the <see cref="ClickModel"/>: the ceiling to
/// compare with.
/// </summary>
internal sealed class OraclePolicy(SyntheticConfig config, SimCatalog catalog, ClickModel clicks, LoggingPolicy upstream)
{
    private readonly SyntheticConfig config = config;
    private readonly SimCatalog catalog = catalog;
    private readonly ClickModel clicks = clicks;
    private readonly LoggingPolicy upstream = upstream;

    /// <summary>
    /// A ranker that knows the click model: at each position it places the remaining candidate with the highest true
    /// click probability given the fatigue from the items already placed (the highest attractiveness: examination and
    /// the probability of still browsing are the same for every candidate of a position). Myopic: it ignores what a
    /// click costs through session exit. Greedy, so a strong reference, not a proven optimum.
    /// </summary>
    /// <param name="believesUpstream">A diagnostic: the oracle takes the upstream ranker's relevance estimate for the truth
    /// (its attractiveness logit carries the upstream's per-(user, item) error) and knows everything else (price, context,
    /// fatigue): what a learner that learnt every effect the upstream ranker ignores, but no better relevance, would place.</param>
    public int[] Order(SimRequest request, bool believesUpstream = false)
    {
        SimArguments.CheckRequest(config, request);
        var candidates = Candidates(request);
        if (believesUpstream)
            for (int k = 0; k < candidates.Logits.Length; k++)
                candidates.Logits[k] += config.LoggingNoise * upstream.EstimateError(request.User, request.Candidates[k]);
        var picks = new int[config.ListLength];
        GreedyCompletion(0, candidates, new ListState(candidates.Logits.Length, config.Categories), picks);
        return picks.Select(k => request.Candidates[k]).ToArray();
    }

    /// <summary>
    /// A diagnostic oracle that knows each candidate's true attractiveness but not the list effect: its ListLength most
    /// attractive candidates before fatigue, most attractive first. Its gain over the upstream order is what relevance
    /// knowledge alone is worth; the greedy oracle's gain over it, what the list's fatigue adds.
    /// </summary>
    public int[] RelevanceOrder(SimRequest request)
    {
        SimArguments.CheckRequest(config, request);
        var logits = Candidates(request).Logits;
        return Enumerable.Range(0, logits.Length).OrderByDescending(k => logits[k]).ThenBy(k => k)
            .Take(config.ListLength).Select(k => request.Candidates[k]).ToArray();
    }

    /// <summary>
    /// The greedy oracle improved by one step of lookahead (a rollout): at each position it places the candidate whose
    /// list, completed by the greedy oracle, has the most expected clicks (exact, session exit included). Never below
    /// <see cref="Order"/> (the greedy choice is one of those it compares); the gap between the two is what planning
    /// ahead — the future clicks a γ &gt; 0 learner is trained to weigh — can win in this world, with perfect knowledge
    /// of the click model.
    /// </summary>
    /// <param name="knowsItemQuality">False: the oracle plans with what a learner could at best know of the exit
    /// (<see cref="ClickModel.LeaveAfterClickKnowableUnchecked"/>: every item's own quality at its mean), and its list is
    /// then scored with the true clicks like any other. The gap between it and the greedy oracle is the planning a
    /// learner can win at most; the rest of the full lookahead's gap needs each item's own quality.</param>
    public int[] LookaheadOrder(SimRequest request, bool knowsItemQuality = true)
    {
        SimArguments.CheckRequest(config, request);
        var candidates = Candidates(request, knowsItemQuality);
        var state = new ListState(candidates.Logits.Length, config.Categories);
        var order = new int[config.ListLength];
        for (int p = 0; p < order.Length; p++)
        {
            int best = -1;
            double bestClicks = double.NegativeInfinity;
            for (int k = 0; k < candidates.Logits.Length; k++)
            {
                if (state.Used[k]) continue;
                var after = state.Clone();
                double total = Place(k, p, candidates, after) + GreedyCompletion(p + 1, candidates, after);
                if (total > bestClicks) { bestClicks = total; best = k; }
            }
            Place(best, p, candidates, state);
            order[p] = request.Candidates[best];
        }
        return order;
    }

    /// <summary>What the oracle knows of each candidate: its attractiveness logit before fatigue, its category and the
    /// probability of leaving the list after a click on it (0 without exit).</summary>
    private sealed record CandidateTruth(double[] Logits, int[] Categories, double[] Leave);

    /// <summary>A partly built list: the candidates used, each category's fatigue load at the next position, and the
    /// probability that the user is still browsing there.</summary>
    private sealed class ListState(int candidates, int categories)
    {
        public bool[] Used { get; private init; } = new bool[candidates];
        public double[] Load { get; private init; } = new double[categories];
        public double Browsing { get; set; } = 1;

        public ListState Clone() => new(0, 0) { Used = (bool[])Used.Clone(), Load = (double[])Load.Clone(), Browsing = Browsing };
    }

    private CandidateTruth Candidates(SimRequest request, bool knowsItemQuality = true)
    {
        var candidates = request.Candidates;
        var logits = new double[candidates.Length];
        var categories = new int[candidates.Length];
        var leave = new double[candidates.Length];
        for (int k = 0; k < candidates.Length; k++)
        {
            logits[k] = clicks.AttractionLogitUnchecked(request, candidates[k]);
            categories[k] = catalog.CategoryOf(candidates[k]);
            leave[k] = knowsItemQuality
                ? clicks.LeaveAfterClickUnchecked(request.User, candidates[k])
                : clicks.LeaveAfterClickKnowableUnchecked(request.User, candidates[k]);
        }
        return new CandidateTruth(logits, categories, leave);
    }

    /// <summary>
    /// Fills the positions from <paramref name="from"/> on greedily — at each, the remaining candidate with the highest
    /// true attractiveness given the fatigue from the items already placed — and returns their expected clicks.
    /// The chosen candidate indices go to <paramref name="picks"/> when given.
    /// </summary>
    private double GreedyCompletion(int from, CandidateTruth candidates, ListState state, int[]? picks = null)
    {
        double total = 0;
        for (int p = from; p < config.ListLength; p++)
        {
            int best = -1;
            double bestValue = double.NegativeInfinity;
            for (int k = 0; k < candidates.Logits.Length; k++)
            {
                if (state.Used[k]) continue;
                double value = candidates.Logits[k] - config.Fatigue * state.Load[candidates.Categories[k]];
                if (value > bestValue) { bestValue = value; best = k; }
            }
            total += Place(best, p, candidates, state);
            if (picks is not null) picks[p] = best;
        }
        return total;
    }

    /// <summary>
    /// Places candidate k at 0-based position p: returns its probability of a click, B_p c_p, and moves the state to
    /// position p + 1 (fatigue loads, B_(p+1) = B_p (1 − c_p leave_k)).
    /// </summary>
    private double Place(int k, int p, CandidateTruth candidates, ListState state)
    {
        int category = candidates.Categories[k];
        double click = clicks.Examination(p + 1) * SimRandom.Sigmoid(candidates.Logits[k] - config.Fatigue * state.Load[category]);
        double probability = state.Browsing * click;
        state.Browsing *= 1 - click * candidates.Leave[k];
        state.Used[k] = true;
        // Loads one position later: every earlier item is one step further away, the placed one counts fully.
        for (int c = 0; c < state.Load.Length; c++) state.Load[c] *= config.FatigueDecay;
        state.Load[category] += 1;
        return probability;
    }
}
