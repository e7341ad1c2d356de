using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests.Support;

/// <summary>Tests against the shared service run one at a time, so metric deltas and timings are their own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServiceCollection : ICollectionFixture<ServiceFixture>
{
    public const string Name = "ranking service";
}

/// <summary>One <see cref="RankingService"/> of <see cref="TinyModel"/> (<see cref="TinyService.Options"/>) for the whole collection.</summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public RankingService Service { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Service = RankingService.Create(TinyService.Options());
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
        return (response.StatusCode, await TinyService.Json(response));
    }
}
