using Drlrec.Ranking;
using Drlrec.Simulation;

namespace Drlrec.Evaluation;

/// <summary>
/// A diagnostic, never a product: a model's greedy slate with a hand-written same-category penalty on top of its Q,
/// <code>Q(s_p, i) − λ · Σ over placed items j of i's category decay^(p − j − 1)</code>
/// (the <see cref="DiversityRerank"/>'s penalty, in Q units). Tuned on validation requests like the diversity re-rank,
/// its gain over the model alone is the list effect (same-category fatigue) the network did not learn from the logs.
/// </summary>
/// <param name="Lambda">λ, Q units per unit of same-category load.</param>
/// <param name="Decay">How much an earlier same-category item still weighs per item in between.</param>
public sealed record CategoryPenalty(double Lambda, double Decay)
{
    /// <summary>λ searched (Q units: a Q-value is about a slot's expected clicks, 0.05 to 1).</summary>
    public static IReadOnlyList<double> LambdaGrid { get; } = [0, 0.02, 0.05, 0.1, 0.2, 0.4];

    /// <summary>Decays searched.</summary>
    public static IReadOnlyList<double> DecayGrid { get; } = [0.5, 0.7, 1.0];

    /// <summary>Validation requests a tuning ranks per grid point (fewer than the diversity re-rank's: each is a model's slate).</summary>
    public const int ValidationRequestCount = 200;

    /// <summary>The model's slate of a request under this penalty (candidate indices of <paramref name="shown"/>).</summary>
    public int[] Order(SyntheticSimulator simulator, SlateRanker ranker, SimRequest shown, SlateRequest asked)
    {
        var categories = shown.Candidates.Select(simulator.CategoryOf).ToArray();
        return ranker.Rank(asked, new Adjustment(this, categories, simulator.Config.Categories)).Order;
    }

    /// <summary>The grid point with the most expected clicks on <paramref name="validation"/> (ties: smaller λ, then decay).</summary>
    /// <param name="asked">Each validation request as the model receives it.</param>
    public static CategoryPenalty Tune(SyntheticSimulator simulator, SlateRanker ranker, IReadOnlyList<SimRequest> validation,
        IReadOnlyList<SlateRequest> asked)
    {
        CategoryPenalty best = new(0, 0);
        double bestClicks = double.NegativeInfinity;
        foreach (double lambda in LambdaGrid)
            foreach (double decay in lambda == 0 ? [0.0] : DecayGrid)
            {
                var candidate = new CategoryPenalty(lambda, decay);
                double clicks = 0;
                for (int r = 0; r < validation.Count; r++)
                {
                    var order = candidate.Order(simulator, ranker, validation[r], asked[r]);
                    clicks += simulator.ExpectedClicks(validation[r], order.Select(i => validation[r].Candidates[i]).ToArray());
                }
                if (clicks > bestClicks) { bestClicks = clicks; best = candidate; }
            }
        return best;
    }

    private sealed class Adjustment(CategoryPenalty penalty, int[] categories, int categoryCount) : ISlateAdjustment
    {
        private readonly CategoryLoad load = new(categoryCount, penalty.Decay);

        public void Begin() => load.Clear();

        public void Adjust(IReadOnlyList<int> remaining, float[] scores)
        {
            for (int j = 0; j < scores.Length; j++) scores[j] -= (float)(penalty.Lambda * load.Of(categories[remaining[j]]));
        }

        public void Placed(int candidate) => load.Place(categories[candidate]);
    }
}
