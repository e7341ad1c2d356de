using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Drlrec.Serving.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests;

[Collection(ServiceCollection.Name)]
public sealed partial class ServiceOperationTests(ServiceFixture fixture)
{
    [Fact]
    public async Task Healthz_reports_ok_and_the_model()
    {
        using var response = await fixture.Client.GetAsync("/healthz");
        var body = await TinyService.Json(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal(fixture.Service.Model.Version, body.GetProperty("model").GetProperty("version").GetString());
        Assert.Equal(2, body.GetProperty("workers").GetInt32());
    }

    [Fact]
    public async Task Readyz_reports_ready_with_the_serving_model()
    {
        using var response = await fixture.Client.GetAsync("/readyz");
        var body = await TinyService.Json(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal(fixture.Service.Model.Version, body.GetProperty("model").GetProperty("version").GetString());
    }

    [Fact]
    public async Task Metrics_count_requests_errors_latency_and_candidates()
    {
        var before = await Scrape();

        await fixture.Rank(Requests.Valid(candidates: 7));
        await fixture.Rank("{}");
        using (await fixture.Client.GetAsync("/no-such-path")) { }
        var after = await Scrape();

        double Delta(string series) => after.GetValueOrDefault(series) - before.GetValueOrDefault(series);
        Assert.Equal(1, Delta("""drlrec_http_requests_total{endpoint="/v1/rank",code="200"}"""));
        Assert.Equal(1, Delta("""drlrec_http_requests_total{endpoint="/v1/rank",code="400"}"""));
        Assert.Equal(1, Delta("""drlrec_http_requests_total{endpoint="other",code="404"}"""));
        Assert.Equal(1, Delta("""drlrec_http_errors_total{endpoint="/v1/rank"}"""));
        Assert.Equal(2, Delta("drlrec_rank_duration_seconds_count"));
        Assert.True(Delta("drlrec_rank_duration_seconds_sum") > 0);
        Assert.Equal(1, Delta("drlrec_rank_candidates_count"));
        Assert.Equal(7, Delta("drlrec_rank_candidates_sum"));
        Assert.Equal(1, Delta("""drlrec_rank_candidates_bucket{le="10"}"""));
        Assert.Equal(0, Delta("""drlrec_rank_candidates_bucket{le="1"}"""));
        Assert.Equal(1, after[$$"""drlrec_model_info{name="tiny",version="{{fixture.Service.Model.Version}}",backend="torch"}"""]);
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_consistent_histograms()
    {
        await fixture.Rank(Requests.Valid());
        using var response = await fixture.Client.GetAsync("/metrics");
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var samples = Parse(text);
        foreach (string histogram in new[] { "drlrec_rank_duration_seconds", "drlrec_rank_candidates" })
        {
            Assert.Contains($"# TYPE {histogram} histogram", text);
            var buckets = samples.Where(s => s.Key.StartsWith(histogram + "_bucket{", StringComparison.Ordinal)).ToList();
            Assert.True(buckets.Count >= 5);
            Assert.Equal(buckets.Select(b => b.Value).Order(), buckets.Select(b => b.Value)); // cumulative, in order of le
            Assert.Equal(samples[$"{histogram}_bucket{{le=\"+Inf\"}}"], samples[$"{histogram}_count"]);
        }
    }

    [Fact]
    public async Task A_burst_of_concurrent_requests_is_answered_without_errors()
    {
        var statuses = new HttpStatusCode[256];
        var lengths = new int[statuses.Length];
        await Parallel.ForAsync(0, statuses.Length, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            var (status, body) = await fixture.Rank(Requests.Valid(candidates: 6 + i % 10, slateSize: 4, user: i % 10));
            statuses[i] = status;
            if (status == HttpStatusCode.OK) lengths[i] = body.GetProperty("slate").GetArrayLength();
        });

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.All(lengths, n => Assert.Equal(4, n));
    }

    /// <summary>Every sample line parsed ("name{labels}" → value); throws on a line that is not one.</summary>
    private static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal)) continue;
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            samples.Add(match.Groups[1].Value, double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
        }
        return samples;
    }

    private async Task<Dictionary<string, double>> Scrape() => Parse(await fixture.Client.GetStringAsync("/metrics"));

    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) ([-+0-9.eE]+|\+Inf|NaN)$""")]
    private static partial Regex SampleLine();
}
