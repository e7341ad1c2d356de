using System.Net;
using System.Text;
using Drlrec.Serving.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests;

/// <summary>
/// GET /metrics of services of the tests' own, started while other tests' services run in the same process: the counts
/// are exact, not deltas, so a service that counted another's requests (one registry or meter for the process) fails.
/// </summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task A_scrape_is_prometheus_text_with_the_services_own_counts_the_runtime_and_kestrel()
    {
        await using var service = RankingService.Create(TinyService.Options());
        await service.StartAsync();
        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        foreach (int candidates in new[] { 7, 8, 9 })
            Assert.Equal(HttpStatusCode.OK, await Rank(client, Requests.Valid(candidates: candidates).ToJsonString()));
        Assert.Equal(HttpStatusCode.BadRequest, await Rank(client, "{}"));
        using (var unknown = await client.GetAsync("/no-such-path")) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var response = await client.GetAsync("/metrics");
        var scrape = new PrometheusText(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(3, scrape["""drlrec_serving_http_requests_total{endpoint="/v1/rank",code="200"}"""]);
        Assert.Equal(1, scrape["""drlrec_serving_http_requests_total{endpoint="/v1/rank",code="400"}"""]);
        Assert.Equal(1, scrape["""drlrec_serving_http_requests_total{endpoint="other",code="404"}"""]);
        Assert.Equal(3, scrape.Series("drlrec_serving_http_requests_total").Count); // this scrape is counted once answered
        Assert.Equal(1, scrape["""drlrec_serving_http_errors_total{endpoint="/v1/rank"}"""]);
        Assert.Equal(1, scrape["""drlrec_serving_http_errors_total{endpoint="other"}"""]);
        Assert.Equal(0, scrape["drlrec_serving_model_reloads_total"]);
        Assert.Equal(1, scrape[$$"""drlrec_serving_model_info{name="tiny",version="{{service.Model.Version}}",backend="torch"}"""]);

        Assert.Equal(4, scrape["drlrec_serving_rank_duration_seconds_count"]);
        Assert.True(scrape["drlrec_serving_rank_duration_seconds_sum"] > 0);
        Assert.Equal(3, scrape["drlrec_serving_rank_candidates_count"]);
        Assert.Equal(7 + 8 + 9, scrape["drlrec_serving_rank_candidates_sum"]);
        Assert.Equal(3, scrape["""drlrec_serving_rank_candidates_bucket{le="10"}"""]);
        Assert.Equal(0, scrape["""drlrec_serving_rank_candidates_bucket{le="1"}"""]);
        // Today's bucket bounds, from the instruments' advice.
        Assert.Equal(["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"],
            Buckets(scrape, "drlrec_serving_rank_duration_seconds").Select(b => b.Le));
        Assert.Equal(["1", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "+Inf"],
            Buckets(scrape, "drlrec_serving_rank_candidates").Select(b => b.Le));
        foreach (string histogram in new[] { "drlrec_serving_rank_duration_seconds", "drlrec_serving_rank_candidates" })
        {
            Assert.Equal("histogram", scrape.Types[histogram]);
            var counts = Buckets(scrape, histogram).Select(b => b.Count).ToList();
            Assert.Equal(counts.Order(), counts); // cumulative
            Assert.Equal(scrape[histogram + "_count"], counts[^1]);
        }

        // The runtime: prometheus-net's process statistics and the runtime's own meter.
        Assert.True(scrape["process_cpu_seconds_total"] > 0);
        Assert.True(scrape["process_working_set_bytes"] > 0);
        Assert.Contains(scrape.Names, name => name.StartsWith("system_runtime_dotnet_gc_", StringComparison.Ordinal));
        // ASP.NET Core's hosting and Kestrel meters, of this host only: its 4 /v1/rank requests, its 1 connection.
        Assert.Equal(4, scrape.Series("microsoft_aspnetcore_hosting_http_server_request_duration_count")
            .Where(s => s.Key.Contains("http_route=\"/v1/rank\"", StringComparison.Ordinal)).Sum(s => s.Value));
        Assert.Equal(1, scrape.Series("microsoft_aspnetcore_server_kestrel_kestrel_active_connections").Sum(s => s.Value));
    }

    [Fact]
    public async Task Reading_the_scrape_is_counted_and_an_openmetrics_scraper_gets_openmetrics()
    {
        await using var service = RankingService.Create(TinyService.Options() with { Workers = 1 });
        await service.StartAsync();
        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");

        using var openMetrics = await client.SendAsync(request);
        var scrape = new PrometheusText(await client.GetStringAsync("/metrics"));

        Assert.Equal("application/openmetrics-text", openMetrics.Content.Headers.ContentType!.MediaType);
        Assert.EndsWith("# EOF\n", await openMetrics.Content.ReadAsStringAsync());
        Assert.Equal(1, scrape["""drlrec_serving_http_requests_total{endpoint="/metrics",code="200"}"""]);
    }

    [Fact]
    public async Task A_client_that_goes_away_is_counted_as_499()
    {
        using var gate = new ManualResetEventSlim(true);                          // open for the warm-up
        using var holding = new SemaphoreSlim(0);
        var torch = ScorerBackends.Resolve(ScorerBackends.Torch);
        await using var service = RankingService.Create(TinyService.Options() with { Workers = 1 }, (model, options) =>
            new HookedScorer(torch(model, options), () =>
            {
                if (gate.IsSet) return;
                holding.Release();
                gate.Wait(TimeSpan.FromSeconds(30));
            }));
        await service.StartAsync();
        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        gate.Reset();

        using (var leave = new CancellationTokenSource())
        {
            var abandoned = client.PostAsync("/v1/rank", Json(Requests.Valid().ToJsonString()), leave.Token);
            try
            {
                Assert.True(await holding.WaitAsync(TimeSpan.FromSeconds(20)), "the request never reached the scorer");
                leave.Cancel();                                                    // the client goes away mid-ranking
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
            }
            finally
            {
                gate.Set();                                                        // the ranker sees the abort at its next slot
            }
        }

        // The middleware counts the request once its ranker has stopped; poll (bounded) until then.
        PrometheusText scrape;
        int attempts = 0;
        do
        {
            await Task.Delay(50);
            scrape = new PrometheusText(await client.GetStringAsync("/metrics"));
        } while (scrape.ValueOrZero("""drlrec_serving_http_requests_total{endpoint="/v1/rank",code="499"}""") == 0 && ++attempts < 200);

        Assert.Equal(1, scrape["""drlrec_serving_http_requests_total{endpoint="/v1/rank",code="499"}"""]);
        Assert.Equal(1, scrape["""drlrec_serving_http_errors_total{endpoint="/v1/rank"}"""]);
        Assert.Equal(1, scrape["drlrec_serving_rank_duration_seconds_count"]);
    }

    private static async Task<HttpStatusCode> Rank(HttpClient client, string body)
    {
        using var response = await client.PostAsync("/v1/rank", Json(body));
        return response.StatusCode;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>A histogram's buckets in the order of the scrape, with their upper bounds as written.</summary>
    private static List<(string Le, double Count)> Buckets(PrometheusText scrape, string histogram) =>
        scrape.Series(histogram + "_bucket").Select(s => (s.Key.Split("le=\"")[1].Split('"')[0], s.Value)).ToList();
}
