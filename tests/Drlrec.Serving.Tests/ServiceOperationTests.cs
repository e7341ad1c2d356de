using System.Net;
using Drlrec.Serving.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests;

[Collection(ServiceCollection.Name)]
public sealed class ServiceOperationTests(ServiceFixture fixture)
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
}
