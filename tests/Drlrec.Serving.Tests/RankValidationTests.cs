using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Drlrec.Serving.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests;

/// <summary>Every class of bad input is a 4xx whose JSON names the field; none is a 500.</summary>
[Collection(ServiceCollection.Name)]
public sealed class RankValidationTests(ServiceFixture fixture)
{
    private static string Broken(Action<JsonObject> breakIt)
    {
        var request = Requests.Valid();
        breakIt(request);
        return request.ToJsonString();
    }

    private static JsonNode Candidate(JsonObject request, int j) => request["candidates"]![j]!;

    /// <summary>Case name → (body, field the error must name).</summary>
    private static readonly Dictionary<string, (string Body, string Field)> Cases = new()
    {
        ["malformed JSON"] = ("""{"user": {"user_id": "u1" """, "body"),
        ["empty body"] = ("", "body"),
        ["not an object"] = ("[1, 2]", "body"),
        ["too deeply nested"] = (new string('[', 40) + new string(']', 40), "body"),
        ["unknown top-level key"] = (Broken(r => r["slate"] = 3), "slate"),
        ["repeated top-level key"] = (Requests.Valid().ToJsonString().Replace("\"slate_size\":5", "\"slate_size\":5,\"slate_size\":6"), "slate_size"),
        ["missing user"] = (Broken(r => r.Remove("user")), "user"),
        ["missing context"] = (Broken(r => r.Remove("context")), "context"),
        ["missing candidates"] = (Broken(r => r.Remove("candidates")), "candidates"),
        ["missing slate_size"] = (Broken(r => r.Remove("slate_size")), "slate_size"),
        ["user not an object"] = (Broken(r => r["user"] = "u1"), "user"),
        ["context null"] = (Broken(r => r["context"] = null), "context"),
        ["candidates not an array"] = (Broken(r => r["candidates"] = new JsonObject()), "candidates"),
        ["candidate not an object"] = (Broken(r => r["candidates"]![3] = "i3"), "candidates[3]"),
        ["slate_size a string"] = (Broken(r => r["slate_size"] = "5"), "slate_size"),
        ["slate_size fractional"] = (Broken(r => r["slate_size"] = 2.5), "slate_size"),
        ["slate_size beyond int"] = (Broken(r => r["slate_size"] = 1e12), "slate_size"),
        ["slate_size zero"] = (Broken(r => r["slate_size"] = 0), "slate_size"),
        ["slate_size negative"] = (Broken(r => r["slate_size"] = -3), "slate_size"),
        ["request_id a number"] = (Broken(r => r["request_id"] = 7), "request_id"),
        ["unknown user field"] = (Broken(r => r["user"]!["country"] = "fr"), "user.country"),
        ["item field given as user field"] = (Broken(r => r["user"]!["genres"] = "Drama"), "user.genres"),
        ["unknown candidate field"] = (Broken(r => Candidate(r, 3)["rating"] = "5"), "candidates[3].rating"),
        ["field names are case-sensitive"] = (Broken(r => { r["user"]!.AsObject().Remove("age"); r["user"]!["Age"] = "a1"; }), "user.Age"),
        ["missing user field"] = (Broken(r => r["user"]!.AsObject().Remove("age")), "user.age"),
        ["missing context field"] = (Broken(r => r["context"]!.AsObject().Remove("hour")), "context.hour"),
        ["missing candidate field"] = (Broken(r => Candidate(r, 3).AsObject().Remove("genres")), "candidates[3].genres"),
        ["repeated candidate field"] = ("""{"user":{"user_id":"u1","age":"a1"},"context":{"hour":"h1"},"candidates":[{"item_id":"i1","genres":"Drama","item_id":"i2"}],"slate_size":1}""", "candidates[0].item_id"),
        ["empty value set"] = (Broken(r => Candidate(r, 3)["genres"] = new JsonArray()), "candidates[3].genres"),
        ["number value"] = (Broken(r => r["user"]!["age"] = 30), "user.age"),
        ["number in a value array"] = (Broken(r => Candidate(r, 3)["genres"] = new JsonArray("Drama", 1)), "candidates[3].genres"),
        ["null value"] = (Broken(r => r["context"]!["hour"] = null), "context.hour"),
        ["boolean value"] = (Broken(r => Candidate(r, 1)["item_id"] = true), "candidates[1].item_id"),
        ["nested value array"] = (Broken(r => Candidate(r, 3)["genres"] = new JsonArray(new JsonArray("Drama"))), "candidates[3].genres"),
        ["too many values in a field"] = (Broken(r => Candidate(r, 3)["genres"] = new JsonArray([.. Enumerable.Range(0, 9).Select(g => JsonValue.Create($"g{g}"))])), "candidates[3].genres"),
        ["empty candidate list"] = (Broken(r => r["candidates"] = new JsonArray()), "candidates"),
        ["lone surrogate escape in a value"] = (Requests.Valid().ToJsonString().Replace("\"h1\"", "\"\\ud800\""), "context.hour"),
        ["lone surrogate escape in a value array"] = (Requests.Valid().ToJsonString().Replace("\"War\"", "\"W\\udc00r\""), "candidates[0].genres[1]"),
        ["lone surrogate escape in a key"] = (Requests.Valid().ToJsonString().Replace("\"hour\"", "\"\\ud800\""), "context"),
        ["candidates x slots over the work limit"] = (Requests.Valid(candidates: TinyService.MaxCandidates, slateSize: 16).ToJsonString(), "slate_size"),
        ["more candidates than the limit"] = (Requests.Valid(candidates: TinyService.MaxCandidates + 1).ToJsonString(), "candidates"),
        ["the same item twice"] = (Broken(r => Candidate(r, 5)["item_id"] = "i2"), "candidates[5].item_id"),
        ["five copies of one candidate"] = (Copies(5, slateSize: 5), "candidates[1].item_id"),
    };

    /// <summary>A request whose candidates are <paramref name="copies"/> copies of one.</summary>
    private static string Copies(int copies, int slateSize)
    {
        var request = Requests.Valid(candidates: 1, slateSize: slateSize);
        request["candidates"] = new JsonArray([.. Enumerable.Range(0, copies).Select(_ => Requests.Candidate(0))]);
        return request.ToJsonString();
    }

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Bad_input_is_a_400_naming_the_field(string name)
    {
        var (body, field) = Cases[name];

        var (status, answer) = await fixture.Rank(body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(field, answer.GetProperty("field").GetString());
        Assert.StartsWith(field + ": ", answer.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("1099511627776", "slate_size: 1099511627776 is out of range: must be an integer from 1 to 2147483647")]
    [InlineData("2.5", "slate_size: must be an integer, not 2.5")]
    [InlineData("\"5\"", "slate_size: must be an integer, not a string")]
    [InlineData("0", "slate_size: must be at least 1")]
    public async Task A_bad_slate_size_says_what_is_wrong_with_it(string size, string error)
    {
        var (status, answer) = await fixture.Rank(Requests.Valid().ToJsonString().Replace("\"slate_size\":5", $"\"slate_size\":{size}"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(error, answer.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Invalid_utf8_bytes_are_a_400_naming_the_field()
    {
        var valid = Encoding.UTF8.GetBytes(Requests.Valid().ToJsonString());
        int at = Encoding.UTF8.GetBytes(Requests.Valid().ToJsonString().Split("\"h1\"")[0]).Length + 1;   // inside "h1"
        var body = valid.ToArray();
        body[at] = 0xFF;                                                                                    // never valid UTF-8
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await fixture.Client.PostAsync("/v1/rank", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var answer = await TinyService.Json(response);
        Assert.Contains(answer.GetProperty("field").GetString(), new[] { "body", "context.hour" });
    }

    [Theory]
    [InlineData("GET", "/nowhere", HttpStatusCode.NotFound)]
    [InlineData("POST", "/healthz", HttpStatusCode.MethodNotAllowed)]
    [InlineData("GET", "/v1/rank", HttpStatusCode.MethodNotAllowed)]
    public async Task Unknown_paths_and_wrong_methods_answer_with_the_json_error_shape(string method, string path, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await fixture.Client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(path, (await TinyService.Json(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_limit_on_candidates_is_inclusive()
    {
        var (status, _) = await fixture.Rank(Requests.Valid(candidates: TinyService.MaxCandidates, slateSize: 2));

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task The_work_limit_is_inclusive_and_named_when_passed()
    {
        var (ok, _) = await fixture.Rank(Requests.Valid(candidates: TinyService.MaxCandidates, slateSize: 15));
        var (status, answer) = await fixture.Rank(Requests.Valid(candidates: TinyService.MaxCandidates, slateSize: 16));

        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains($"640 candidate scorings, over the limit of {TinyService.MaxSlateWork} (--max-slate-work)", answer.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_without_being_read()
    {
        string body = Requests.Padded(TinyService.MaxBodyBytes + 1);

        var (status, answer) = await fixture.Rank(body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("body", answer.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_a_413_too()
    {
        // No Content-Length: Kestrel's body-size limit stops the read part-way.
        using var request = Requests.Chunked(Requests.Padded(TinyService.MaxBodyBytes * 2));

        using var response = await fixture.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("body", (await TinyService.Json(response)).GetProperty("field").GetString());
        // The unread rest of the body ends the connection: the answer says so, so that no client reuses it.
        Assert.True(response.Headers.ConnectionClose, "Connection: close");
    }

    /// <summary>The cases: five copies of one candidate into five slots answered that item five times, and one
    /// copied candidate among others took two slots. An item is a candidate once: the 400 names both indices.</summary>
    [Fact]
    public async Task Duplicate_candidates_are_a_400_naming_both_indices_so_no_slate_holds_an_item_twice()
    {
        var (status, answer) = await fixture.Rank(Copies(5, slateSize: 5));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("candidates[1].item_id: 'i0' is already candidates[0].item_id: each item may be a candidate once (item_id, " +
                     "the first item field, is the item's key; a slate never places one item twice)", answer.GetProperty("error").GetString());

        // The same key with other fields is the same item; the first repeat is named, with the index it repeats.
        var request = Requests.Valid(candidates: 8);
        request["candidates"]![6] = Requests.Candidate(1);
        request["candidates"]![6]!["genres"] = "Horror";
        (status, answer) = await fixture.Rank(request);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("candidates[6].item_id", answer.GetProperty("field").GetString());
        Assert.StartsWith("candidates[6].item_id: 'i1' is already candidates[1].item_id:", answer.GetProperty("error").GetString());

        // Distinct items, each placed once.
        (status, answer) = await fixture.Rank(Requests.Valid(candidates: 8, slateSize: 8));
        Assert.Equal(HttpStatusCode.OK, status);
        var items = answer.GetProperty("slate").EnumerateArray().Select(e => e.GetProperty("item").GetString()).ToArray();
        Assert.Equal(8, items.Distinct().Count());
    }

    /// <summary>The load test's made-up requests must be ones the service takes: their items differ within a request, also
    /// when a request asks for more candidates than the model knows items (the tiny model knows 30).</summary>
    [Fact]
    public async Task Made_up_load_requests_never_repeat_an_item_and_are_all_taken()
    {
        using var model = Checkpoints.ModelCheckpoint.Load(TinyModel.Folder);
        var bodies = LoadRequests.Synthesise(model.Schema, model.Vocabulary, 4, TinyService.MaxCandidates, 5, seed: 7);

        foreach (var body in bodies)
        {
            var items = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("candidates").EnumerateArray()
                .Select(c => string.Join(',', c.GetProperty("item_id").EnumerateArray().Select(v => v.GetString()))).ToArray();
            Assert.Equal(TinyService.MaxCandidates, items.Distinct().Count());
            var (status, answer) = await fixture.Rank(Encoding.UTF8.GetString(body));
            Assert.True(status == HttpStatusCode.OK, answer.ToString());
        }
    }

    [Fact]
    public async Task A_body_just_under_the_limit_is_parsed()
    {
        var (status, _) = await fixture.Rank(Requests.Padded(TinyService.MaxBodyBytes));

        Assert.Equal(HttpStatusCode.OK, status);
    }
}
