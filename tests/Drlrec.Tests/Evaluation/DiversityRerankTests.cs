using Drlrec.Evaluation;
using Drlrec.Simulation;

namespace Drlrec.Tests.Evaluation;

/// <summary>The hand-written diversity re-rank baseline and its tuning on validation requests.</summary>
public sealed class DiversityRerankTests
{
    private static readonly SyntheticSimulator Simulator = new(new SyntheticConfig { Users = 500, Items = 2000 });

    [Fact]
    public void Lambda_zero_is_the_upstream_order_on_the_whole_request_and_on_a_window()
    {
        var rng = new Random(1);
        var upstream = new DiversityRerank(0, 0.5);
        for (int k = 0; k < 20; k++)
        {
            var request = Simulator.NextRequest(rng);
            Assert.Equal(Simulator.UpstreamOrder(request), upstream.Order(Simulator, request));
            var window = request with { Candidates = Simulator.UpstreamTop(request, 25) };
            Assert.Equal(Simulator.UpstreamOrder(request), upstream.Order(Simulator, window));
        }
    }

    [Fact]
    public void The_penalty_is_lambda_times_the_decayed_count_of_earlier_same_category_items()
    {
        var request = Simulator.NextRequest(new Random(2));
        var scores = Simulator.UpstreamScores(request);
        var categories = request.Candidates.Select(Simulator.CategoryOf).ToArray();
        foreach (var rerank in new[] { new DiversityRerank(0.7, 0.5), new DiversityRerank(3, 1), new DiversityRerank(1.5, 0) })
        {
            var order = rerank.Order(Simulator, request);
            Assert.Equal(order.Length, order.Distinct().Count());
            // Each slot holds the best remaining candidate by score − λ Σ decay^(p − j − 1), recomputed from scratch.
            for (int p = 0; p < order.Length; p++)
            {
                double Value(int k) => scores[k] - rerank.Lambda * Enumerable.Range(0, p)
                    .Where(j => Simulator.CategoryOf(order[j]) == categories[k]).Sum(j => Math.Pow(rerank.Decay, p - j - 1));
                int placed = Array.IndexOf(request.Candidates, order[p]);
                var remaining = Enumerable.Range(0, request.Candidates.Length).Where(k => !order[..p].Contains(request.Candidates[k]));
                Assert.Equal(remaining.Max(Value), Value(placed), 12);
            }
        }
        // A large penalty that never fades spreads the categories: no category twice while another one is left.
        var spread = new DiversityRerank(100, 1).Order(Simulator, request).Select(Simulator.CategoryOf).ToList();
        Assert.Equal(Math.Min(spread.Count, categories.Distinct().Count()), spread.Distinct().Count());
    }

    [Fact]
    public void Tuning_picks_the_grid_point_with_the_most_validation_clicks_so_never_below_the_upstream_order_there()
    {
        var validation = DiversityRerank.ValidationRequests(Simulator, seed: 3, count: 60, window: 25);
        var tuned = DiversityRerank.Tune(Simulator, validation);
        double Clicks(DiversityRerank r) => validation.Sum(q => Simulator.ExpectedClicks(q, r.Order(Simulator, q)));
        double best = Clicks(tuned);
        foreach (double lambda in DiversityRerank.LambdaGrid)
            foreach (double decay in DiversityRerank.DecayGrid)
                Assert.True(Clicks(new DiversityRerank(lambda, decay)) <= best + 1e-9, $"λ {lambda}, decay {decay} beats the tuned {tuned}");
        Assert.True(best > Clicks(new DiversityRerank(0, 0)), $"tuned {tuned} does not beat the upstream order on validation"); // fatigue rewards it
        Assert.All(validation, q => Assert.Equal(25, q.Candidates.Length));
    }

    [Fact]
    public void Online_evaluation_tunes_on_requests_of_their_own_never_on_the_reported_ones()
    {
        const int seed = 11;
        // The reported requests come from Random(seed); the validation requests from Random(ValidationSeed(seed)).
        Assert.NotEqual(seed, DiversityRerank.ValidationSeed(seed));
        var reportedRng = new Random(seed);
        var reported = Enumerable.Range(0, 200).Select(_ => Simulator.NextRequest(reportedRng).RequestId).ToHashSet();
        var validation = DiversityRerank.ValidationRequests(Simulator, seed, DiversityRerank.ValidationRequestCount, null);
        Assert.DoesNotContain(validation, q => reported.Contains(q.RequestId));

        // The tuned parameters depend on the seed's validation stream alone: not on how many requests are reported.
        var few = OnlineEvaluation.Measure(Simulator, [], 3, [seed], rerankTop: 25);
        var many = OnlineEvaluation.Measure(Simulator, [], 40, [seed], rerankTop: 25);
        var expected = DiversityRerank.Tune(Simulator, DiversityRerank.ValidationRequests(Simulator, seed, DiversityRerank.ValidationRequestCount, 25));
        Assert.Equal(expected, Assert.Single(few.DiversityTuned));
        Assert.Equal(expected, Assert.Single(many.DiversityTuned));

        // And the reported clicks are the tuned re-rank's on the window of each reported request.
        var rng = new Random(seed);
        var clicks = many.Of(OnlineEvaluation.Diversity);
        for (int r = 0; r < 40; r++)
        {
            var request = Simulator.NextRequest(rng);
            var window = request with { Candidates = Simulator.UpstreamTop(request, 25) };
            Assert.Equal(Simulator.ExpectedClicks(window, expected.Order(Simulator, window)), clicks[r]);
            Simulator.LoggingPolicyOrder(request, rng); // the draws Measure makes per request, in its order
            Simulator.RandomOrder(request, rng);
        }
    }
}
