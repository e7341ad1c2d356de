using System.Security.Cryptography;
using Drlrec.Simulation;

namespace Drlrec.Tests.Simulation;

/// <summary>Session exit (<see cref="SyntheticConfig.Exit"/>): exact expected clicks, sampled logs, the oracles, and today's world when off.</summary>
public sealed class SessionExitTests
{
    private static readonly SyntheticConfig ExitWorld = new() { Exit = 1.5 };

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// Fingerprints of the worlds before session exit existed, recorded with <see cref="WorldFingerprint"/> at commit
    /// 926ef2b (main) on linux-x64: logs, every policy's order, click probabilities, expected and sampled clicks. With
    /// exit off, the exit settings may take any value and the world is the same bit for bit. (The simulator's
    /// exponentials and logarithms come from the platform's maths library; another platform may differ in the last bits.)
    /// </summary>
    [Fact]
    public void With_exit_off_the_world_is_todays_bit_for_bit_whatever_the_other_exit_settings()
    {
        const string Default = "f51a87b12a6e304b409f79bd15d32483e4b74120fe46589ab501afe863a7dfad";
        const string Small = "46484f098ed9320e7e53619dc36b03dd53b8106609c6924c6808d7e0a0700b28";
        var small = new SyntheticConfig { Seed = 3, Users = 300, Items = 1000, Fatigue = 2, FatigueDecay = 0.9 };
        Assert.Equal(Default, WorldFingerprint.Of(new SyntheticSimulator(new SyntheticConfig())));
        Assert.Equal(Default, WorldFingerprint.Of(new SyntheticSimulator(new SyntheticConfig { Exit = 0, ExitBias = 4, SatisfactionCorrelation = -0.9 })));
        Assert.Equal(Small, WorldFingerprint.Of(new SyntheticSimulator(small with { SatisfactionCorrelation = 0.5 })));
        Assert.NotEqual(Default, WorldFingerprint.Of(new SyntheticSimulator(new SyntheticConfig { Exit = 0.5 })));
    }

    [Fact]
    public void Click_probabilities_with_exit_are_the_probability_of_still_browsing_times_the_click_probability_there()
    {
        var exit = new SyntheticSimulator(ExitWorld);
        var off = new SyntheticSimulator(ExitWorld with { Exit = 0 });
        var rng = new Random(3);
        var request = exit.NextRequest(rng);
        var order = exit.LoggingPolicyOrder(request, rng);
        var click = off.ClickProbabilities(request, order);      // c_p: the same world without exit
        var marginal = exit.ClickProbabilities(request, order);
        double browsing = 1;
        for (int p = 0; p < order.Length; p++)
        {
            Assert.Equal(browsing * click[p], marginal[p], 14);
            double leave = exit.LeaveAfterClick(request.User, order[p]);
            Assert.Equal(Sigmoid(ExitWorld.ExitBias - ExitWorld.Exit * exit.Satisfaction(request.User, order[p])), leave, 14);
            browsing *= 1 - click[p] * leave;
        }
        Assert.True(marginal.Sum() < click.Sum() - 0.05, $"exit {marginal.Sum():F3}, without {click.Sum():F3}");
        Assert.Equal(0, off.LeaveAfterClick(request.User, order[0]));
    }

    [Fact]
    public void Satisfaction_mixes_the_items_own_quality_with_its_attractiveness_by_the_correlation()
    {
        var independent = new SyntheticSimulator(ExitWorld with { SatisfactionCorrelation = 0 });
        var attracted = new SyntheticSimulator(ExitWorld with { SatisfactionCorrelation = 1 });
        var rng = new Random(4);
        var (a, b) = (attracted.NextRequest(rng), attracted.NextRequest(rng));
        Assert.NotEqual(a.User, b.User);
        int item = a.Candidates[0];
        // ρ = 0: the item's own quality, the same for every user.
        Assert.Equal(independent.Satisfaction(a.User, item), independent.Satisfaction(b.User, item));
        // ρ = 1: the attractiveness before context over 1.5, so two items of one category differ as their logits do.
        var category = attracted.ItemsInCategory(0);
        double logitGap = attracted.AttractionLogit(a, category[0]) - attracted.AttractionLogit(a, category[1]);
        Assert.Equal(logitGap / 1.5, attracted.Satisfaction(a.User, category[0]) - attracted.Satisfaction(a.User, category[1]), 10);
        // Over many items the item quality is about standard normal.
        var qualities = Enumerable.Range(0, 4000).Select(i => independent.Satisfaction(0, i)).ToArray();
        Assert.InRange(qualities.Average(), -0.06, 0.06);
        Assert.InRange(Math.Sqrt(qualities.Average(q => q * q)), 0.95, 1.05);
    }

    [Fact]
    public void Exact_expected_clicks_with_exit_equal_a_Monte_Carlo_estimate_within_its_error()
    {
        var simulator = new SyntheticSimulator(ExitWorld with { SatisfactionCorrelation = -0.5 });
        var rng = new Random(5);
        const int draws = 40_000;
        for (int r = 0; r < 3; r++)
        {
            var request = simulator.NextRequest(rng);
            foreach (var order in new[] { simulator.UpstreamOrder(request), simulator.LookaheadOracleOrder(request) })
            {
                var probabilities = simulator.ClickProbabilities(request, order);
                double sum = 0, sumSquares = 0;
                var perPosition = new double[order.Length];
                for (int k = 0; k < draws; k++)
                {
                    var clicks = simulator.Respond(request, order, rng);
                    double total = clicks.Sum();
                    sum += total;
                    sumSquares += total * total;
                    for (int p = 0; p < clicks.Length; p++) perPosition[p] += clicks[p];
                }
                double mean = sum / draws, standardError = Math.Sqrt((sumSquares / draws - mean * mean) / draws);
                double exact = simulator.ExpectedClicks(request, order);
                Assert.True(Math.Abs(mean - exact) < 4.5 * standardError, $"exact {exact:F4}, sampled {mean:F4} ± {standardError:F4}");
                for (int p = 0; p < order.Length; p++)
                {
                    double q = probabilities[p], tolerance = 4.5 * Math.Sqrt(q * (1 - q) / draws) + 1e-3;
                    Assert.InRange(perPosition[p] / draws, q - tolerance, q + tolerance);
                }
            }
        }
    }

    /// <summary>A generator that returns scripted uniform draws.</summary>
    private sealed class Scripted(params double[] draws) : Random
    {
        private int next;
        public override double NextDouble() => draws[next++];
    }

    [Fact]
    public void After_an_exit_the_positions_are_shown_but_never_clicked_and_the_generator_advances_as_without_exit()
    {
        var simulator = new SyntheticSimulator(ExitWorld);
        var off = new SyntheticSimulator(ExitWorld with { Exit = 0 });
        var request = simulator.NextRequest(new Random(6));
        var order = simulator.UpstreamOrder(request);
        var click = off.ClickProbabilities(request, order);
        double leave0 = simulator.LeaveAfterClick(request.User, order[0]), leave1 = simulator.LeaveAfterClick(request.User, order[1]);
        // Position 1: a click that stays (u between c leave and c); position 2: a click that leaves (u below c leave);
        // then draws of 0 that would all be clicks without exit. One draw per position either way.
        var draws = new double[order.Length + 1];
        draws[0] = click[0] * (1 + leave0) / 2;
        draws[1] = click[1] * leave1 / 2;
        draws[^1] = 0.123; // the draw after the list: proves every position took exactly one
        var scripted = new Scripted(draws);
        var clicks = simulator.Respond(request, order, scripted);
        Assert.Equal([1f, 1f, .. Enumerable.Repeat(0f, order.Length - 2)], clicks);
        Assert.Equal(0.123, scripted.NextDouble());
        Assert.Equal(Enumerable.Repeat(1f, order.Length), off.Respond(request, order, new Scripted(new double[order.Length])));
    }

    [Fact]
    public void Exit_logs_are_todays_logs_with_each_lists_clicks_cut_after_an_exit_and_carry_nothing_else_of_it()
    {
        const int lists = 2000;
        var exit = new SyntheticSimulator(ExitWorld).GenerateLogs(lists).Lists;
        var off = new SyntheticSimulator(ExitWorld with { Exit = 0 }).GenerateLogs(lists).Lists;
        int cut = 0;
        for (int l = 0; l < lists; l++)
        {
            Assert.Equal((off[l].ListId, off[l].UserKey, off[l].Timestamp), (exit[l].ListId, exit[l].UserKey, exit[l].Timestamp));
            var (e, o) = (exit[l].Items, off[l].Items);
            Assert.Equal(o.Select(i => i.ItemKey), e.Select(i => i.ItemKey));
            for (int p = 0; p < o.Count; p++)
                Assert.Equal(o[p].Values.Select(v => string.Join("|", v)), e[p].Values.Select(v => string.Join("|", v))); // no field of the exit
            // The clicks agree up to the last click of the exit list; after it none (the user left there, or never clicked again).
            int last = e.Select((item, p) => item.Reward > 0 ? p : -1).Max();
            for (int p = 0; p <= last; p++) Assert.Equal(o[p].Reward, e[p].Reward);
            if (o.Skip(last + 1).Any(i => i.Reward > 0)) cut++;
        }
        double clicksExit = exit.Average(l => l.Items.Sum(i => i.Reward)), clicksOff = off.Average(l => l.Items.Sum(i => i.Reward));
        Assert.True(cut > lists / 10, $"{cut} lists lost clicks to an exit");
        Assert.True(clicksExit < 0.9 * clicksOff, $"clicks per list {clicksExit:F3} with exit, {clicksOff:F3} without");
    }

    [Theory]
    [InlineData(0.5, -0.3)]
    [InlineData(1.0, 0.0)]
    [InlineData(1.5, -0.6)]
    public void The_lookahead_oracle_is_never_below_the_greedy_oracle_and_gains_where_exit_rewards_planning(double exit, double correlation)
    {
        var simulator = new SyntheticSimulator(new SyntheticConfig { Exit = exit, SatisfactionCorrelation = correlation });
        var rng = new Random(8);
        double greedyTotal = 0, lookaheadTotal = 0;
        for (int k = 0; k < 100; k++)
        {
            var request = simulator.NextRequest(rng);
            double greedy = simulator.ExpectedClicks(request, simulator.OracleOrder(request));
            double lookahead = simulator.ExpectedClicks(request, simulator.LookaheadOracleOrder(request));
            Assert.True(lookahead >= greedy - 1e-12, $"request {k}: lookahead {lookahead}, greedy {greedy}");
            greedyTotal += greedy;
            lookaheadTotal += lookahead;
        }
        Assert.True(lookaheadTotal > 1.03 * greedyTotal, $"lookahead {lookaheadTotal / 100:F3}, greedy {greedyTotal / 100:F3} per list");
    }

    [Fact]
    public void The_greedy_oracle_is_myopic_its_order_does_not_change_with_exit()
    {
        var exit = new SyntheticSimulator(ExitWorld);
        var off = new SyntheticSimulator(ExitWorld with { Exit = 0 });
        var rng = new Random(9);
        for (int k = 0; k < 20; k++)
        {
            var request = exit.NextRequest(rng);
            Assert.Equal(off.OracleOrder(request), exit.OracleOrder(request));
        }
    }
}

/// <summary>A SHA-256 over the bits of what a world produces: logs, the policies' orders, click probabilities, expected and sampled clicks.</summary>
internal static class WorldFingerprint
{
    public static string Of(SyntheticSimulator simulator, int lists = 2000, int requests = 200)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Int(long v) => hash.AppendData(BitConverter.GetBytes(v));
        void Double(double v) => Int(BitConverter.DoubleToInt64Bits(v));
        void Text(string s) => hash.AppendData(System.Text.Encoding.UTF8.GetBytes(s + "\n"));
        foreach (var list in simulator.GenerateLogs(lists).Lists)
        {
            Text(list.ListId);
            Int(list.Timestamp);
            foreach (var item in list.Items) { Text(item.ItemKey); Double(item.Reward); }
        }
        var rng = new Random(7);
        for (int r = 0; r < requests; r++)
        {
            var request = simulator.NextRequest(rng);
            foreach (var order in new[] { simulator.UpstreamOrder(request), simulator.LoggingPolicyOrder(request, rng), simulator.RandomOrder(request, rng),
                         simulator.OracleOrder(request), simulator.LookaheadOracleOrder(request) })
            {
                foreach (int item in order) Int(item);
                foreach (double p in simulator.ClickProbabilities(request, order)) Double(p);
                Double(simulator.ExpectedClicks(request, order));
                foreach (float click in simulator.Respond(request, order, rng)) Double(click);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
