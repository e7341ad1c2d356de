using Drlrec.Data;
using Drlrec.Simulation;

namespace Drlrec.Tests.Simulation;

/// <summary>The logs' propensities and unshown candidates (off-policy evaluation reads them; <see cref="LoggedCandidates"/>).</summary>
public sealed class LoggingPropensityTests
{
    private static readonly SyntheticSimulator Simulator = new(new SyntheticConfig { Seed = 4, Users = 300, Items = 1000 });

    /// <summary>Plackett-Luce with weights exp(s/β), written out from the upstream scores without the simulator's code.</summary>
    private static double[] PlackettLuce(SimRequest request, IReadOnlyList<int> order, double beta)
    {
        var scores = Simulator.UpstreamScores(request);
        var left = Enumerable.Range(0, request.Candidates.Length).ToList();
        var result = new double[order.Count];
        for (int p = 0; p < order.Count; p++)
        {
            int k = Array.IndexOf(request.Candidates, order[p]);
            result[p] = Math.Exp(scores[k] / beta) / left.Sum(j => Math.Exp(scores[j] / beta));
            left.Remove(k);
        }
        return result;
    }

    [Fact]
    public void Each_logged_item_carries_the_Plackett_Luce_probability_of_its_place_given_the_items_before_it()
    {
        var rng = new Random(1);
        for (int r = 0; r < 20; r++)
        {
            var request = Simulator.NextRequest(rng);
            var order = Simulator.LoggingPolicyOrder(request, rng);
            var list = Simulator.ToLoggedList(request, order, new float[order.Length]);
            var expected = PlackettLuce(request, order, Simulator.Config.LoggingExploration);
            for (int p = 0; p < order.Length; p++) Assert.Equal(expected[p], list.Items[p].Propensity!.Value, 1e-12);
        }
        var logged = Simulator.GenerateLogs(50).Lists;
        Assert.All(logged, list => Assert.True(list.HasPropensities));
        Assert.All(logged.SelectMany(l => l.Items), item => Assert.InRange(item.Propensity!.Value, 1e-300, 1));
    }

    [Fact]
    public void A_Monte_Carlo_sample_of_the_logging_policy_places_items_as_often_as_the_propensities_say()
    {
        var request = Simulator.NextRequest(new Random(2));
        var rng = new Random(3);
        const int Draws = 40_000;
        var firstCounts = new Dictionary<int, int>();
        var pairCounts = new Dictionary<(int, int), int>();
        for (int d = 0; d < Draws; d++)
        {
            var order = Simulator.LoggingPolicyOrder(request, rng);
            firstCounts[order[0]] = firstCounts.GetValueOrDefault(order[0]) + 1;
            pairCounts[(order[0], order[1])] = pairCounts.GetValueOrDefault((order[0], order[1])) + 1;
        }
        // The most frequent first item and first pair: P(a1) and P(a1) P(a2 | a1) from the propensities.
        foreach (var ((a, b), count) in pairCounts.OrderByDescending(p => p.Value).Take(3))
        {
            var propensities = Simulator.LoggingPropensities(request, [a, b]);
            double first = firstCounts[a] / (double)Draws, pair = count / (double)Draws;
            double p1 = propensities[0], p12 = propensities[0] * propensities[1];
            Assert.InRange(first, p1 - 4 * Math.Sqrt(p1 * (1 - p1) / Draws), p1 + 4 * Math.Sqrt(p1 * (1 - p1) / Draws));
            Assert.InRange(pair, p12 - 4 * Math.Sqrt(p12 * (1 - p12) / Draws), p12 + 4 * Math.Sqrt(p12 * (1 - p12) / Draws));
        }
    }

    [Fact]
    public void Without_exploration_the_upstream_order_has_propensity_one_and_any_other_order_none()
    {
        var deterministic = new SyntheticSimulator(Simulator.Config with { LoggingExploration = 0 });
        var request = deterministic.NextRequest(new Random(5));
        var upstream = deterministic.UpstreamOrder(request);
        Assert.All(deterministic.LoggingPropensities(request, upstream), p => Assert.Equal(1, p));
        var swapped = (int[])upstream.Clone();
        (swapped[0], swapped[1]) = (swapped[1], swapped[0]);
        Assert.Null(deterministic.ToLoggedList(request, swapped, new float[swapped.Length]).Items[0].Propensity);
    }

    [Fact]
    public void A_logged_list_carries_the_requests_other_candidates_with_their_fields_in_upstream_order()
    {
        var rng = new Random(6);
        var request = Simulator.NextRequest(rng);
        var order = Simulator.LoggingPolicyOrder(request, rng);
        var list = Simulator.ToLoggedList(request, order, new float[order.Length]);
        var unshown = list.Unshown.ToList();
        var schema = Simulator.Schema;

        Assert.Equal(request.Candidates.Length - order.Length, unshown.Count);
        Assert.Equal(request.Candidates.Select(SyntheticSimulator.ItemKey).Order(),
            list.Items.Concat(unshown).Select(i => i.ItemKey).Order());
        var ranks = unshown.Select(i => double.Parse(i.Values[schema.IndexOf(SyntheticSimulator.UpstreamRankField)][0],
            System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ranks.Order(), ranks);
        var fields = Simulator.CandidateFieldValues(request);
        int first = schema.FirstItemField;
        for (int u = 0; u < unshown.Count; u++)
        {
            int k = Array.IndexOf(request.Candidates, Simulator.IndexOf(unshown[u].ItemKey));
            for (int f = 0; f < schema.ItemCount; f++) Assert.Equal(fields[k][f], unshown[u].Values[first + f]);
            Assert.Equal([LoggedItem.Missing], unshown[u].Values[schema.IndexOf(SyntheticSimulator.PositionField)]);
            Assert.Equal(list.Items[0].Values[schema.IndexOf(SyntheticSimulator.HourField)], unshown[u].Values[schema.IndexOf(SyntheticSimulator.HourField)]);
            Assert.Null(unshown[u].Propensity);
            Assert.Equal(0f, unshown[u].Reward);
        }
        Assert.Equal(unshown[3].Values, list.Unshown[3].Values); // read one by one or all at once: the same candidates
        Assert.Null(LoggedCandidates.Check(list));
    }
}
