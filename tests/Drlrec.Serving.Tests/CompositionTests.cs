using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Drlrec.Serving.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests;

/// <summary>
/// The composition API on its own: a minimal <see cref="WebApplication"/> of the test's making with
/// <see cref="RankingComposition.AddDrlrecRanking"/>, <see cref="RankingComposition.UseRankObservation"/> and
/// <see cref="RankingComposition.MapRankEndpoints"/>, and none of <see cref="RankingService"/>'s Kestrel settings.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class CompositionTests
{
    private static WebApplication Compose(ScorerFactory? factory = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddDrlrecRanking(TinyService.Options() with { Workers = 1 }, factory);
        var app = builder.Build();
        app.UseRankObservation();
        app.MapRankEndpoints();
        return app;
    }

    private static HttpClient ClientOf(WebApplication app) =>
        new() { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task A_minimal_web_application_ranks_reports_health_and_counts()
    {
        await using var app = Compose();
        await app.StartAsync();
        using var client = ClientOf(app);

        using var rank = await client.PostAsync("/v1/rank", new StringContent(Requests.Valid().ToJsonString(), Encoding.UTF8, "application/json"));
        using var health = await client.GetAsync("/healthz");
        var metrics = new PrometheusText(await client.GetStringAsync("/metrics"));

        Assert.Equal(HttpStatusCode.OK, rank.StatusCode);
        var slate = await TinyService.Json(rank);
        Assert.Equal("r-1", slate.GetProperty("request_id").GetString());
        Assert.Equal(5, slate.GetProperty("slate").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var status = await TinyService.Json(health);
        Assert.Equal("ok", status.GetProperty("status").GetString());
        Assert.Equal("tiny", status.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(1, status.GetProperty("workers").GetInt32());
        Assert.Equal(1, metrics["""drlrec_serving_http_requests_total{endpoint="/v1/rank",code="200"}"""]);
        Assert.Equal(1, metrics["""drlrec_serving_http_requests_total{endpoint="/healthz",code="200"}"""]);
        Assert.Equal(1, metrics["drlrec_serving_rank_candidates_count"]);
        await app.StopAsync();
    }

    [Fact]
    public async Task The_scorers_are_made_and_warmed_up_as_the_host_starts_before_the_port_is_bound()
    {
        var torch = ScorerBackends.Resolve(ScorerBackends.Torch);
        var urlsWhenMade = new List<string[]>();
        WebApplication? app = null;
        // The pool warms each scorer up right after making it, so when the factory runs is when warm-up runs.
        await using var composed = app = Compose((model, options) =>
        {
            urlsWhenMade.Add(app!.Urls.ToArray());
            return torch(model, options);
        });
        Assert.Empty(urlsWhenMade);

        await app.StartAsync();

        Assert.Equal(2, urlsWhenMade.Count); // the one worker and the heavy lane's scorer
        // Until Kestrel binds, the server's addresses are empty or still the configured port 0.
        Assert.All(urlsWhenMade.SelectMany(made => made), url => Assert.EndsWith(":0", url));
        Assert.DoesNotContain(":0", app.Urls.Single());
        await app.StopAsync();
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_a_413_without_a_server_wide_limit()
    {
        // Kestrel's own limit stays at its 30 MB default here: the endpoint sets --max-body-bytes per request.
        await using var app = Compose();
        await app.StartAsync();
        using var client = ClientOf(app);

        using var request = Requests.Chunked(Requests.Padded(TinyService.MaxBodyBytes * 2));
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("body", (await TinyService.Json(response)).GetProperty("field").GetString());
        await app.StopAsync();
    }
}
