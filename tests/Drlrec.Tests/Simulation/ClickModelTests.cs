using Drlrec.Simulation;

namespace Drlrec.Tests.Simulation;

/// <summary>The click model (examination × attractiveness with same-category fatigue) and the policies.</summary>
public sealed class ClickModelTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private readonly SyntheticSimulator simulator = fixture.Simulator;

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void The_logged_click_through_rate_is_in_a_sane_band()
    {
        double ctr = fixture.Logs.Lists.SelectMany(l => l.Items).Average(i => i.Reward);
        Assert.InRange(ctr, 0.15, 0.35);
    }

    [Fact]
    public void The_empirical_click_through_rate_falls_with_position()
    {
        int length = simulator.ListLength;
        var ctr = new double[length];
        foreach (var list in fixture.Logs.Lists)
            for (int p = 0; p < length; p++) ctr[p] += list.Items[p].Reward / (double)fixture.Logs.Lists.Count;
        // Neighbouring positions may only tie within sampling noise (4,000 lists: a standard error below 0.008).
        for (int p = 1; p < length; p++) Assert.True(ctr[p] < ctr[p - 1] + 0.015, $"CTR at {p + 1} ({ctr[p]:F3}) above {p} ({ctr[p - 1]:F3})");
        Assert.True(ctr[0] > 2 * ctr[2] && ctr[2] > 1.5 * ctr[length - 1], string.Join(" ", ctr.Select(c => c.ToString("F3"))));
    }

    [Fact]
    public void Examination_decays_with_position_as_a_power_law()
    {
        Assert.Equal(1, simulator.Examination(1));
        Assert.Equal(Math.Pow(10, -simulator.Config.PositionBias), simulator.Examination(10), 12);
        for (int p = 2; p <= 10; p++) Assert.True(simulator.Examination(p) < simulator.Examination(p - 1));
        var flat = new SyntheticSimulator(new SyntheticConfig { Items = 1000, Users = 10, PositionBias = 0 });
        Assert.Equal(1, flat.Examination(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => simulator.Examination(0));
    }

    [Fact]
    public void Click_probabilities_are_examination_times_attractiveness_with_decayed_same_category_fatigue()
    {
        var request = simulator.NextRequest(new Random(5));
        var (same, other) = SameAndOtherCategoryItems(simulator, 2, 1);
        int[] order = [same[0], other[0], same[1]];
        var probabilities = simulator.ClickProbabilities(request, order);
        double fatigue = simulator.Config.Fatigue, decay = simulator.Config.FatigueDecay;
        Assert.Equal(Sigmoid(simulator.AttractionLogit(request, order[0])), probabilities[0], 12);
        Assert.Equal(simulator.Examination(2) * Sigmoid(simulator.AttractionLogit(request, order[1])), probabilities[1], 12);
        // One other item in between: the earlier same-category item weighs decay^1.
        Assert.Equal(simulator.Examination(3) * Sigmoid(simulator.AttractionLogit(request, order[2]) - fatigue * decay), probabilities[2], 12);
        Assert.Equal(probabilities.Sum(), simulator.ExpectedClicks(request, order), 12);
    }

    [Fact]
    public void Fatigue_makes_a_block_of_one_category_worth_less_than_the_same_items_interleaved_and_only_then()
    {
        // Without position bias only fatigue can make the order matter.
        var config = new SyntheticConfig { PositionBias = 0 };
        var tiring = new SyntheticSimulator(config);
        var untiring = new SyntheticSimulator(config with { Fatigue = 0 });
        var countOnly = new SyntheticSimulator(config with { FatigueDecay = 1 });
        var request = tiring.NextRequest(new Random(8));
        var (same, other) = SameAndOtherCategoryItems(tiring, 5, 5);
        int[] block = [.. same, .. other];
        int[] interleaved = [same[0], other[0], same[1], other[1], same[2], other[2], same[3], other[3], same[4], other[4]];

        double blockClicks = tiring.ExpectedClicks(request, block), interleavedClicks = tiring.ExpectedClicks(request, interleaved);
        Assert.True(blockClicks < interleavedClicks - 0.01, $"block {blockClicks:F4}, interleaved {interleavedClicks:F4}");
        Assert.Equal(untiring.ExpectedClicks(request, block), untiring.ExpectedClicks(request, interleaved), 12);
        // With FatigueDecay = 1 the load is the plain count of earlier same-category items: interleaving cannot help.
        Assert.Equal(countOnly.ExpectedClicks(request, block), countOnly.ExpectedClicks(request, interleaved), 12);

        // A list of a single category loses clicks to fatigue; one of ten categories loses none.
        var oneCategory = tiring.ItemsInCategory(0).Take(10).ToArray();
        Assert.True(tiring.ExpectedClicks(request, oneCategory) < untiring.ExpectedClicks(request, oneCategory) - 0.5);
        var tenCategories = Enumerable.Range(0, 10).Select(c => tiring.ItemsInCategory(c)[0]).ToArray();
        Assert.Equal(untiring.ExpectedClicks(request, tenCategories), tiring.ExpectedClicks(request, tenCategories), 12);
    }

    [Fact]
    public void Position_bias_alone_makes_the_order_matter()
    {
        var untiring = new SyntheticSimulator(new SyntheticConfig { Fatigue = 0 });
        var request = untiring.NextRequest(new Random(9));
        var byAttraction = request.Candidates.OrderByDescending(i => untiring.AttractionLogit(request, i)).Take(10).ToArray();
        double best = untiring.ExpectedClicks(request, byAttraction);
        Assert.True(best > untiring.ExpectedClicks(request, byAttraction.Reverse().ToArray()) + 0.1);
    }

    [Fact]
    public void Sampled_clicks_match_the_click_probabilities()
    {
        var rng = new Random(12);
        var request = simulator.NextRequest(rng);
        var order = simulator.LoggingPolicyOrder(request, rng);
        var probabilities = simulator.ClickProbabilities(request, order);
        const int draws = 20_000;
        var sums = new double[order.Length];
        for (int k = 0; k < draws; k++)
        {
            var clicks = simulator.Respond(request, order, rng);
            for (int p = 0; p < clicks.Length; p++) sums[p] += clicks[p];
        }
        for (int p = 0; p < order.Length; p++)
        {
            double tolerance = 4.5 * Math.Sqrt(probabilities[p] * (1 - probabilities[p]) / draws) + 1e-3;
            Assert.InRange(sums[p] / draws, probabilities[p] - tolerance, probabilities[p] + tolerance);
        }
    }

    [Fact]
    public void The_logging_policy_beats_random_and_a_ranker_that_knows_attractiveness_beats_logging()
    {
        var rng = new Random(13);
        double random = 0, logging = 0, byAttraction = 0, oracle = 0;
        const int requests = 400;
        for (int k = 0; k < requests; k++)
        {
            var request = simulator.NextRequest(rng);
            random += simulator.ExpectedClicks(request, simulator.RandomOrder(request, rng)) / requests;
            logging += simulator.ExpectedClicks(request, simulator.LoggingPolicyOrder(request, rng)) / requests;
            var sorted = request.Candidates.OrderByDescending(i => simulator.AttractionLogit(request, i)).Take(simulator.ListLength).ToArray();
            byAttraction += simulator.ExpectedClicks(request, sorted) / requests;
            oracle += simulator.ExpectedClicks(request, simulator.OracleOrder(request)) / requests;
        }
        string summary = $"random {random:F3}, logging {logging:F3}, by attraction {byAttraction:F3}, oracle {oracle:F3}";
        Assert.True(logging > 1.3 * random, summary);
        Assert.True(byAttraction > 1.1 * logging, summary); // room for a learned re-ranker
        Assert.True(oracle > byAttraction, summary);         // and more for one that sees the earlier items
    }

    [Fact]
    public void The_lookahead_oracle_is_never_below_the_greedy_oracle_and_beats_it_where_fatigue_rewards_planning()
    {
        var rng = new Random(16);
        for (int k = 0; k < 100; k++)
        {
            var request = simulator.NextRequest(rng);
            double greedy = simulator.ExpectedClicks(request, simulator.OracleOrder(request));
            Assert.True(simulator.ExpectedClicks(request, simulator.LookaheadOracleOrder(request)) >= greedy - 1e-12);
        }
        // Strong, slowly decaying fatigue and no position bias: the greedy oracle spends a category's best items early
        // and pays for the fatigue later; looking ahead interleaves categories.
        var tiring = new SyntheticSimulator(new SyntheticConfig { Fatigue = 3, FatigueDecay = 1, PositionBias = 0, Categories = 3 });
        double gain = 0;
        for (int k = 0; k < 100; k++)
        {
            var request = tiring.NextRequest(rng);
            gain += tiring.ExpectedClicks(request, tiring.LookaheadOracleOrder(request)) - tiring.ExpectedClicks(request, tiring.OracleOrder(request));
        }
        Assert.True(gain > 0, $"lookahead − greedy over 100 requests: {gain}");
    }

    [Fact]
    public void Policies_return_distinct_candidates_of_list_length()
    {
        var rng = new Random(14);
        for (int k = 0; k < 50; k++)
        {
            var request = simulator.NextRequest(rng);
            foreach (var order in new[] { simulator.LoggingPolicyOrder(request, rng), simulator.RandomOrder(request, rng),
                         simulator.OracleOrder(request), simulator.LookaheadOracleOrder(request) })
            {
                Assert.Equal(simulator.ListLength, order.Length);
                Assert.Equal(order.Length, order.Distinct().Count());
                Assert.All(order, i => Assert.Contains(i, request.Candidates));
            }
        }
    }

    [Fact]
    public void The_logging_policy_is_deterministic_for_a_seeded_random_and_random_without_exploration_noise()
    {
        var request = simulator.NextRequest(new Random(15));
        Assert.Equal(simulator.LoggingPolicyOrder(request, new Random(1)), simulator.LoggingPolicyOrder(request, new Random(1)));
        var greedy = new SyntheticSimulator(new SyntheticConfig { LoggingExploration = 0 });
        Assert.Equal(greedy.LoggingPolicyOrder(request, new Random(1)), greedy.LoggingPolicyOrder(request, new Random(2)));
        Assert.NotEqual(simulator.LoggingPolicyOrder(request, new Random(1)), simulator.LoggingPolicyOrder(request, new Random(2)));
    }

    [Fact]
    public void Malformed_lists_are_refused()
    {
        var request = simulator.NextRequest(new Random(16));
        var c = request.Candidates;
        Assert.Throws<ArgumentException>(() => simulator.ClickProbabilities(request, []));
        Assert.Throws<ArgumentException>(() => simulator.ClickProbabilities(request, [c[0], c[1], c[0]]));
        Assert.Throws<ArgumentException>(() => simulator.ClickProbabilities(request, c[..11]));
        Assert.Throws<ArgumentOutOfRangeException>(() => simulator.ClickProbabilities(request, [c[0], simulator.Count]));
        Assert.Throws<ArgumentException>(() => simulator.ClickProbabilities(request with { Hour = SyntheticSimulator.HourBuckets }, [c[0]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => simulator.ClickProbabilities(request with { User = -1 }, [c[0]]));
    }

    /// <summary>Items of the biggest category, and items of other categories, each of a different one.</summary>
    private static (int[] Same, int[] Other) SameAndOtherCategoryItems(SyntheticSimulator sim, int same, int other) =>
        (sim.ItemsInCategory(0).Take(same).ToArray(), Enumerable.Range(1, other).Select(c => sim.ItemsInCategory(c)[0]).ToArray());
}
