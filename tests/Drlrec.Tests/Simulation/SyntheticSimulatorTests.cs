using System.Text.Json;
using Drlrec.Data;
using Drlrec.Simulation;

namespace Drlrec.Tests.Simulation;

/// <summary>Determinism, catalog, schema and request generation.</summary>
public sealed class SyntheticSimulatorTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private readonly SyntheticSimulator simulator = fixture.Simulator;

    private static string Serialise(ListDataset data) => JsonSerializer.Serialize(data.Lists);

    [Fact]
    public void The_same_seed_gives_identical_logs()
    {
        var config = new SyntheticConfig { Seed = 5, Items = 2000, Users = 300 };
        string first = Serialise(new SyntheticSimulator(config).GenerateLogs(300));
        string second = Serialise(new SyntheticSimulator(config).GenerateLogs(300));
        Assert.Equal(first, second);
    }

    [Fact]
    public void A_different_seed_gives_different_logs()
    {
        var config = new SyntheticConfig { Seed = 5, Items = 2000, Users = 300 };
        string first = Serialise(new SyntheticSimulator(config).GenerateLogs(300));
        string other = Serialise(new SyntheticSimulator(config with { Seed = 6 }).GenerateLogs(300));
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Logs_have_the_asked_count_increasing_time_and_the_synthetic_source()
    {
        var logs = fixture.Logs;
        Assert.Equal("synthetic", logs.Source);
        Assert.Same(simulator.Schema, logs.Schema);
        Assert.Equal(SimulatorFixture.LoggedLists, logs.Lists.Count);
        Assert.Equal(logs.Lists.Count, logs.Report.ListsRead);
        Assert.All(logs.Lists, l => Assert.Equal(simulator.ListLength, l.Items.Count));
        for (int k = 1; k < logs.Lists.Count; k++) Assert.True(logs.Lists[k - 1].Timestamp <= logs.Lists[k].Timestamp);
        Assert.Equal(logs.Lists.Count, logs.Lists.Select(l => l.ListId).Distinct().Count());
        long first = logs.Lists[0].Timestamp, last = logs.Lists[^1].Timestamp;
        Assert.InRange(first, SyntheticSimulator.Epoch, SyntheticSimulator.Epoch + 86_400L * SyntheticSimulator.LogDays);
        Assert.InRange(last, first + 86_400L * (SyntheticSimulator.LogDays - 2), SyntheticSimulator.Epoch + 86_400L * SyntheticSimulator.LogDays);
        Assert.Empty(simulator.GenerateLogs(0).Lists);
        Assert.Equal(7, new SyntheticSimulator(new SyntheticConfig { Items = 1000, Lists = 7 }).GenerateLogs().Lists.Count);
    }

    [Fact]
    public void The_schema_has_the_user_item_and_context_fields_in_order()
    {
        Assert.Equal(
            "U:user_id, U:age, U:gender, U:region, I:item_id, I:category, I:tags, I:price, I:upstream_score#, I:upstream_rank#, " +
            "C:position, C:hour, C:device",
            simulator.Schema.ToString());
        Assert.Equal(4, simulator.Schema.FirstItemField);
    }

    [Fact]
    public void Every_logged_field_is_a_non_empty_set_consistent_with_the_schema_and_the_catalog()
    {
        var schema = simulator.Schema;
        int userId = schema.IndexOf("user_id"), itemId = schema.IndexOf("item_id"), position = schema.IndexOf("position");
        int tags = schema.IndexOf("tags"), hour = schema.IndexOf("hour");
        foreach (var list in fixture.Logs.Lists.Take(500))
        {
            for (int p = 0; p < list.Items.Count; p++)
            {
                var item = list.Items[p];
                Assert.Equal(schema.Count, item.Values.Length);
                Assert.All(item.Values, set =>
                {
                    Assert.NotEmpty(set);
                    Assert.All(set, v => Assert.False(string.IsNullOrEmpty(v)));
                    Assert.Equal(set.Length, set.Distinct().Count());
                });
                Assert.Equal(list.UserKey, Assert.Single(item.Values[userId]));
                Assert.Equal(item.ItemKey, Assert.Single(item.Values[itemId]));
                Assert.Equal((p + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(item.Values[position]));
                Assert.InRange(item.Values[tags].Length, 1, SyntheticSimulator.MaxTagsPerItem);
                Assert.Equal($"h{SyntheticSimulator.HourBucketOf(list.Timestamp)}", Assert.Single(item.Values[hour]));
                Assert.True(item.Reward is 0f or 1f);
                var fromCatalog = simulator.ItemFieldValues(simulator.IndexOf(item.ItemKey));
                for (int f = 0; f < 4; f++) Assert.Equal(fromCatalog[f], item.Values[schema.FirstItemField + f]); // not the upstream ones
            }
        }
    }

    [Fact]
    public void Field_values_for_any_candidate_at_any_position_match_what_a_logged_list_would_hold()
    {
        var rng = new Random(11);
        var request = simulator.NextRequest(rng);
        var order = simulator.RandomOrder(request, rng);
        var clicks = simulator.Respond(request, order, rng);
        var list = simulator.ToLoggedList(request, order, clicks);
        Assert.Equal(request.RequestId, list.ListId);
        Assert.Equal(SyntheticSimulator.UserKey(request.User), list.UserKey);
        Assert.Equal(request.Timestamp, list.Timestamp);
        for (int p = 0; p < order.Length; p++)
        {
            Assert.Equal(clicks[p], list.Items[p].Reward);
            Assert.Equal(simulator.FieldValues(request, order[p], p + 1), list.Items[p].Values);
        }
        // A candidate that was not shown, at the last position.
        int unseen = request.Candidates.First(c => !order.Contains(c));
        var values = simulator.FieldValues(request, unseen, simulator.ListLength);
        Assert.Equal(SyntheticSimulator.ItemKey(unseen), Assert.Single(values[simulator.Schema.IndexOf("item_id")]));
        Assert.Equal("10", Assert.Single(values[simulator.Schema.IndexOf("position")]));
        Assert.Throws<ArgumentOutOfRangeException>(() => simulator.FieldValues(request, unseen, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => simulator.FieldValues(request, unseen, simulator.ListLength + 1));
        Assert.Throws<ArgumentException>(() => simulator.ToLoggedList(request, order, clicks[..3]));
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(10_000)]
    public void Catalogs_of_several_sizes_build_and_their_keys_round_trip(int items)
    {
        var sim = new SyntheticSimulator(new SyntheticConfig { Items = items, Users = 100 });
        Assert.Equal(items, sim.Count);
        for (int i = 0; i < items; i += 7) Assert.Equal(i, sim.IndexOf(sim.KeyOf(i)));
        Assert.Equal(items - 1, sim.IndexOf(sim.KeyOf(items - 1)));
        Assert.Equal("i123", sim.KeyOf(123));
        Assert.Equal(123, sim.IndexOf("i123"));
        Assert.Equal(-1, sim.IndexOf($"i{items}"));
        Assert.Throws<ArgumentOutOfRangeException>(() => sim.KeyOf(items));
    }

    [Theory]
    [InlineData("")]
    [InlineData("i")]
    [InlineData("i01")]
    [InlineData("I1")]
    [InlineData("u1")]
    [InlineData("i-1")]
    [InlineData("i 1")]
    [InlineData("i99999999")]
    [InlineData("i123456789012")]
    public void Keys_the_catalog_does_not_hold_are_not_found(string key) => Assert.Equal(-1, simulator.IndexOf(key));

    [Fact]
    public void Item_fields_are_computed_from_the_index_and_categories_partition_the_catalog()
    {
        for (int i = 0; i < simulator.Count; i += 13)
        {
            var values = simulator.ItemFieldValues(i);
            Assert.Equal(6, values.Length);
            Assert.Equal([[LoggedItem.Missing], [LoggedItem.Missing]], values[4..]); // upstream score and rank exist only in a request
            Assert.Equal([$"i{i}"], values[0]);
            Assert.Equal([$"c{simulator.CategoryOf(i)}"], values[1]);
            Assert.InRange(values[2].Length, 1, 3);
            Assert.All(values[2], t => Assert.Matches("^t[0-9]+$", t));
            Assert.Matches("^p[0-4]$", Assert.Single(values[3]));
            Assert.Equal(values, simulator.ItemFieldValues(i));
        }
        var all = Enumerable.Range(0, simulator.Config.Categories).SelectMany(c => simulator.ItemsInCategory(c).Select(i => (c, i))).ToList();
        Assert.Equal(simulator.Count, all.Count);
        Assert.All(all, p => Assert.Equal(p.c, simulator.CategoryOf(p.i)));
        // Category popularity is skewed: the first category is several times the last.
        Assert.True(simulator.ItemsInCategory(0).Count > 4 * simulator.ItemsInCategory(simulator.Config.Categories - 1).Count);
        // Tags vary across items: all sixty-four are in use.
        var tags = Enumerable.Range(0, simulator.Count).SelectMany(i => simulator.ItemFieldValues(i)[2]).Distinct().Count();
        Assert.Equal(SyntheticSimulator.Tags, tags);
    }

    [Fact]
    public void Candidate_sets_are_distinct_items_of_the_asked_size_with_popular_items_over_represented()
    {
        var rng = new Random(3);
        var shown = new int[simulator.Count];
        for (int k = 0; k < 2000; k++)
        {
            var request = simulator.NextRequest(rng);
            Assert.Equal(simulator.Config.CandidatesPerRequest, request.Candidates.Length);
            Assert.Equal(request.Candidates.Length, request.Candidates.Distinct().Count());
            Assert.All(request.Candidates, c => Assert.InRange(c, 0, simulator.Count - 1));
            Assert.InRange(request.User, 0, simulator.UserCount - 1);
            Assert.Equal(SyntheticSimulator.HourBucketOf(request.Timestamp), request.Hour);
            Assert.InRange(request.Device, 0, SyntheticSimulator.Devices - 1);
            foreach (int c in request.Candidates) shown[c]++;
        }
        // 100,000 candidate draws over 5,000 items: uniform would give 20 each; the head of a Zipf-like
        // popularity gets far more.
        Assert.True(shown.Max() > 200, $"most shown item appeared {shown.Max()} times");
    }

    [Fact]
    public void Candidate_sets_stay_distinct_when_they_are_half_the_catalog()
    {
        var sim = new SyntheticSimulator(new SyntheticConfig { Items = 1000, Users = 50, CandidatesPerRequest = 500, Categories = 3 });
        var rng = new Random(4);
        for (int k = 0; k < 20; k++)
        {
            var candidates = sim.NextRequest(rng).Candidates;
            Assert.Equal(500, candidates.Distinct().Count());
        }
    }

    [Fact]
    public void Each_candidate_of_a_request_carries_the_upstream_score_and_its_rank_and_the_upstream_order_is_the_top_by_score()
    {
        var rng = new Random(21);
        for (int r = 0; r < 20; r++)
        {
            var request = simulator.NextRequest(rng);
            var values = simulator.CandidateFieldValues(request);
            var scores = values.Select(v => double.Parse(v[4][0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var ranks = values.Select(v => int.Parse(v[5][0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(Enumerable.Range(1, request.Candidates.Length), ranks.Order());
            for (int a = 0; a < scores.Length; a++)
                for (int b = 0; b < scores.Length; b++)
                    if (scores[a] > scores[b]) Assert.True(ranks[a] < ranks[b]);
            var byRank = Enumerable.Range(0, ranks.Length).OrderBy(k => ranks[k]).Select(k => request.Candidates[k]);
            Assert.Equal(byRank.Take(simulator.ListLength), simulator.UpstreamOrder(request));
        }
    }

    [Fact]
    public void Logged_items_carry_their_requests_upstream_score_and_rank_and_exploration_shows_lower_ranks_too()
    {
        var schema = simulator.Schema;
        int score = schema.IndexOf(SyntheticSimulator.UpstreamScoreField), rank = schema.IndexOf(SyntheticSimulator.UpstreamRankField);
        var ranks = new List<int>();
        foreach (var list in fixture.Logs.Lists.Take(300))
        {
            var pairs = list.Items.Select(i => (Score: double.Parse(Assert.Single(i.Values[score]), System.Globalization.CultureInfo.InvariantCulture),
                Rank: int.Parse(Assert.Single(i.Values[rank]), System.Globalization.CultureInfo.InvariantCulture))).ToList();
            Assert.Equal(pairs.Count, pairs.Select(p => p.Rank).Distinct().Count());
            foreach (var a in pairs)
                foreach (var b in pairs)
                    if (a.Score > b.Score) Assert.True(a.Rank < b.Rank);
            ranks.AddRange(pairs.Select(p => p.Rank));
        }
        Assert.InRange(ranks.Min(), 1, 1);
        Assert.True(ranks.Max() > simulator.ListLength, "exploration also logs candidates the upstream ranked below the top 10");
        Assert.True(ranks.Max() <= simulator.Config.CandidatesPerRequest);
    }
}
