using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drlrec.Cli.Tests.Support;
using Drlrec.IO;
using Drlrec.Serving;

namespace Drlrec.Cli.Tests.Serving;

/// <summary>Tests against the shared service run one at a time, so metric deltas and timings are their own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServiceCollection : ICollectionFixture<ServiceFixture>
{
    public const string Name = "ranking service";
}

/// <summary>The real service on a free loopback port (real Kestrel, real HTTP), with small limits so limit tests stay cheap.</summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public const int MaxCandidates = 40;
    public const int MaxBodyBytes = 64 * 1024;

    public RankingService Service { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public static ServeOptions Options() => new()
    {
        Model = TinyModel.Folder,
        Urls = "http://127.0.0.1:0",
        Workers = 2,
        MaxCandidates = MaxCandidates,
        MaxBodyBytes = MaxBodyBytes,
        MaxValuesPerField = 8,
    };

    public async Task InitializeAsync()
    {
        Service = RankingService.Create(Options());
        await Service.StartAsync();
        Client = new HttpClient { BaseAddress = Service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Service.DisposeAsync();
    }

    public Task<(HttpStatusCode Status, JsonElement Body)> Rank(JsonNode request) => Rank(request.ToJsonString());

    public async Task<(HttpStatusCode Status, JsonElement Body)> Rank(string body)
    {
        using var response = await Client.PostAsync("/v1/rank", new StringContent(body, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await Json(response));
    }

    public static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}

/// <summary>Valid /v1/rank bodies for <see cref="TinyModel"/>, as mutable JSON so tests can break one part.</summary>
public static class Requests
{
    public static JsonObject Valid(int candidates = 8, int slateSize = 5, int user = 1) => new()
    {
        ["user"] = new JsonObject { ["user_id"] = $"u{user}", ["age"] = new JsonArray($"a{user % 3}") },
        ["context"] = new JsonObject { ["hour"] = "h1" },
        ["candidates"] = new JsonArray([.. Enumerable.Range(0, candidates).Select(Candidate)]),
        ["slate_size"] = slateSize,
        ["request_id"] = "r-1",
    };

    public static JsonNode Candidate(int j) => new JsonObject
    {
        ["item_id"] = $"i{j}",
        ["genres"] = j % 3 == 0 ? new JsonArray("Drama", "War") : new JsonArray(TinyModel.Genre(j)),
    };
}
