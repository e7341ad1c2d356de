using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drlrec.Checkpoints;
using Drlrec.Ranking;
using Drlrec.Serving.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests;

[Collection(ServiceCollection.Name)]
public sealed class RankEndpointTests(ServiceFixture fixture)
{
    /// <summary>The same request through SlateRanker in this process, on a separately loaded copy of the model.</summary>
    private static RankedSlate Direct(JsonObject request)
    {
        static Dictionary<string, string[]> Map(JsonNode? node) => node!.AsObject().ToDictionary(
            p => p.Key, p => p.Value is JsonArray a ? a.Select(v => v!.GetValue<string>()).ToArray() : [p.Value!.GetValue<string>()]);
        using var model = ModelCheckpoint.Load(TinyModel.Folder);
        using var scorer = new TorchStepScorer(model.Online);
        var ranker = new SlateRanker(scorer, model.Vocabulary, model.Schema);
        return ranker.Rank(new SlateRequest(Map(request["user"]), Map(request["context"]),
            request["candidates"]!.AsArray().Select(c => (IReadOnlyDictionary<string, string[]>)Map(c)).ToList(),
            request["slate_size"]!.GetValue<int>()));
    }

    [Theory]
    [InlineData(12, 5)]
    [InlineData(6, 6)]
    [InlineData(1, 1)]
    public async Task A_valid_request_gets_the_slate_SlateRanker_builds(int candidates, int slateSize)
    {
        var request = Requests.Valid(candidates, slateSize);

        var (status, body) = await fixture.Rank(request);

        Assert.Equal(HttpStatusCode.OK, status);
        var slate = body.GetProperty("slate").EnumerateArray().ToArray();
        Assert.Equal(Math.Min(slateSize, candidates), slate.Length);
        var indices = slate.Select(e => e.GetProperty("index").GetInt32()).ToArray();
        Assert.Equal(indices.Length, indices.Distinct().Count());
        Assert.All(indices, i => Assert.InRange(i, 0, candidates - 1));
        Assert.Equal(indices.Select(i => $"i{i}"), slate.Select(e => e.GetProperty("item").GetString()));
        var expected = Direct(request);
        Assert.Equal(expected.Order, indices);
        Assert.Equal(expected.Q, slate.Select(e => e.GetProperty("q").GetSingle()), (a, b) => Math.Abs(a - b) < 1e-5f);
    }

    /// <summary>The served model is the re-ranker network of the defaults (issue 29): the round trip train → checkpoint →
    /// service above runs its list features (genres against the placed items) and its dense skip (the item statistics).</summary>
    [Fact]
    public void The_served_model_is_the_reranker_network_with_list_features_and_the_dense_skip()
    {
        using var model = ModelCheckpoint.Load(TinyModel.Folder);
        Assert.True(model.Header.Model.PrefixMatch && model.Header.Model.DenseSkip);
        Assert.Equal(3, model.Online.MatchFeatures);                                            // genres × 3 decays
        Assert.Equal(2, model.Online.SkipFields.Length);                                        // the item statistics
    }

    [Fact]
    public async Task The_answer_names_the_request_model_and_latency()
    {
        var (status, body) = await fixture.Rank(Requests.Valid());

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("r-1", body.GetProperty("request_id").GetString());
        var model = body.GetProperty("model");
        Assert.Equal("tiny", model.GetProperty("name").GetString());
        Assert.Equal("torch", model.GetProperty("backend").GetString());
        Assert.Matches("^tiny-e1-[0-9a-f]{12}$", model.GetProperty("version").GetString());
        Assert.True(body.GetProperty("latency_ms").GetDouble() > 0);
    }

    [Fact]
    public async Task A_request_without_an_id_gets_a_fresh_one()
    {
        var request = Requests.Valid();
        request.Remove("request_id");

        var first = (await fixture.Rank(request)).Body.GetProperty("request_id").GetString();
        var second = (await fixture.Rank(request)).Body.GetProperty("request_id").GetString();

        Assert.Matches("^[0-9a-f]{32}$", first);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task A_slate_larger_than_the_candidates_places_every_candidate()
    {
        var (status, body) = await fixture.Rank(Requests.Valid(candidates: 3, slateSize: 10));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([0, 1, 2], body.GetProperty("slate").EnumerateArray().Select(e => e.GetProperty("index").GetInt32()).Order());
    }

    [Fact]
    public async Task Unknown_values_rank_on_the_out_of_vocabulary_rows()
    {
        var request = Requests.Valid(candidates: 5, slateSize: 3);
        request["user"]!["user_id"] = "never-seen";
        request["context"]!["hour"] = new JsonArray("h99", "");
        request["candidates"]![2]!["genres"] = new JsonArray("Noir", "Western");

        var (status, body) = await fixture.Rank(request);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Direct(request).Order, body.GetProperty("slate").EnumerateArray().Select(e => e.GetProperty("index").GetInt32()));
    }

    [Fact]
    public async Task A_single_string_is_the_same_as_a_one_value_array()
    {
        var strings = Requests.Valid();
        var arrays = Requests.Valid();
        arrays["user"]!["user_id"] = new JsonArray("u1");
        strings["user"]!["age"] = "a1";

        var a = await fixture.Rank(strings);
        var b = await fixture.Rank(arrays);

        SameSlate(a.Body, b.Body);
    }

    [Fact]
    public async Task A_given_position_is_accepted_and_filled_per_slot_anyway()
    {
        var with = Requests.Valid();
        with["context"]!["position"] = "7";

        var a = await fixture.Rank(with);
        var b = await fixture.Rank(Requests.Valid());

        Assert.Equal(HttpStatusCode.OK, a.Status);
        SameSlate(b.Body, a.Body);
    }

    /// <summary>Same placements, and Q-values equal up to float noise (workers may differ in the last bits).</summary>
    private static void SameSlate(JsonElement expected, JsonElement actual)
    {
        static (int Index, float Q)[] Entries(JsonElement body) => body.GetProperty("slate").EnumerateArray()
            .Select(e => (e.GetProperty("index").GetInt32(), e.GetProperty("q").GetSingle())).ToArray();
        var (x, y) = (Entries(expected), Entries(actual));
        Assert.Equal(x.Select(e => e.Index), y.Select(e => e.Index));
        Assert.Equal(x.Select(e => e.Q), y.Select(e => e.Q), (a, b) => Math.Abs(a - b) < 1e-5f);
    }
}
