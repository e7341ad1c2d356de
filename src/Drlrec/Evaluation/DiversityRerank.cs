using Drlrec.Simulation;

namespace Drlrec.Evaluation;

/// <summary>
/// The re-ranker a team writes by hand, as a baseline for the learned ones: an MMR-style diversity re-rank of the upstream
/// order. At each slot p it places the remaining candidate with the highest
/// <code>upstream score − λ · Σ over placed items j of the same category decay^(p − j − 1)</code>
/// (the penalty of an earlier same-category item shrinks by <c>decay</c> per item placed in between; decay 0 penalises
/// only the item right before, decay 1 counts every earlier one). λ = 0 is the upstream order itself. It sees what a
/// model sees of a candidate (the upstream score and the category), none of the click model.
/// </summary>
/// <param name="Lambda">λ, upstream-score units per unit of same-category penalty.</param>
/// <param name="Decay">How much an earlier same-category item still weighs per item in between.</param>
public sealed record DiversityRerank(double Lambda, double Decay)
{
    /// <summary>The grid <see cref="Tune"/> searches, λ (upstream-score units): 0 (the upstream order) to 10 (a repeated
    /// category almost always loses to another).</summary>
    public static IReadOnlyList<double> LambdaGrid { get; } = [0, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 10];

    /// <summary>The grid <see cref="Tune"/> searches, decay.</summary>
    public static IReadOnlyList<double> DecayGrid { get; } = [0, 0.25, 0.5, 0.7, 0.85, 1.0];

    /// <summary>Validation requests <see cref="OnlineEvaluation"/> tunes on, per seed.</summary>
    public const int ValidationRequestCount = 500;

    /// <summary>Orders the request's candidates (all of them: pass the window a model re-ranks) into a list of ListLength.</summary>
    public int[] Order(SyntheticSimulator simulator, SimRequest request) =>
        Order(simulator, request, simulator.UpstreamScores(request), Categories(simulator, request));

    /// <summary>
    /// The (λ, decay) of the grid with the most expected clicks per list on <paramref name="validation"/>; ties go to the
    /// smaller λ, then the smaller decay, so a penalty is taken only when it earns clicks.
    /// </summary>
    public static DiversityRerank Tune(SyntheticSimulator simulator, IReadOnlyList<SimRequest> validation)
    {
        if (validation.Count == 0) throw new ArgumentException("tuning needs at least one validation request", nameof(validation));
        var scores = validation.Select(simulator.UpstreamScores).ToArray();
        var categories = validation.Select(r => Categories(simulator, r)).ToArray();
        DiversityRerank best = new(0, 0);
        double bestClicks = double.NegativeInfinity;
        foreach (double lambda in LambdaGrid)
            foreach (double decay in lambda == 0 ? [0.0] : DecayGrid) // λ = 0 ignores the decay
            {
                var candidate = new DiversityRerank(lambda, decay);
                double clicks = 0;
                for (int r = 0; r < validation.Count; r++)
                    clicks += simulator.ExpectedClicks(validation[r], candidate.Order(simulator, validation[r], scores[r], categories[r]));
                if (clicks > bestClicks) { bestClicks = clicks; best = candidate; }
            }
        return best;
    }

    /// <summary>
    /// The validation requests of an online evaluation with reported seed <paramref name="seed"/>: drawn from a generator
    /// of their own (seeded by a hash of the seed and a stream number no other use has), never the reported requests'
    /// generator, cut to the upstream top <paramref name="window"/> when the models re-rank a window.
    /// </summary>
    public static IReadOnlyList<SimRequest> ValidationRequests(SyntheticSimulator simulator, int seed, int count, int? window)
    {
        var rng = new Random(ValidationSeed(seed));
        return Enumerable.Range(0, count).Select(_ =>
        {
            var request = simulator.NextRequest(rng);
            return window is { } n ? request with { Candidates = simulator.UpstreamTop(request, n) } : request;
        }).ToList();
    }

    /// <summary>Seed of the validation requests' generator for a reported seed.</summary>
    public static int ValidationSeed(int seed) => SimRandom.DeriveSeed(seed, SimStreams.ValidationRequests);

    private static int[] Categories(SyntheticSimulator simulator, SimRequest request) =>
        request.Candidates.Select(simulator.CategoryOf).ToArray();

    private int[] Order(SyntheticSimulator simulator, SimRequest request, double[] scores, int[] categories)
    {
        int n = scores.Length;
        var used = new bool[n];
        var load = new CategoryLoad(simulator.Config.Categories, Decay);
        var order = new int[simulator.ListLength];
        for (int p = 0; p < order.Length; p++)
        {
            int best = -1;
            double bestValue = double.NegativeInfinity;
            for (int k = 0; k < n; k++) // candidate order breaks ties, as the upstream rank does
            {
                if (used[k]) continue;
                double value = scores[k] - Lambda * load.Of(categories[k]);
                if (value > bestValue) { bestValue = value; best = k; }
            }
            used[best] = true;
            order[p] = request.Candidates[best];
            load.Place(categories[best]);
        }
        return order;
    }
}
