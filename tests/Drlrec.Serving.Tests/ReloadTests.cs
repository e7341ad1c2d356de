using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Drlrec.Serving.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests;

/// <summary>POST /admin/reload swaps the model under load without a failed request; a bad checkpoint changes nothing.</summary>
public sealed class ReloadTests
{
    [Fact]
    public async Task Reload_swaps_models_under_load_with_no_failed_request_and_a_bad_checkpoint_keeps_the_old_one()
    {
        using var folder = new TemporaryFolder();
        TinyModel.Train(folder["other"], seed: 6);
        string corrupted = folder["corrupted.ckpt"];
        var bytes = File.ReadAllBytes(Path.Combine(folder["other"], "model.ckpt"));
        bytes[bytes.Length / 3] ^= 0x01;
        File.WriteAllBytes(corrupted, bytes);

        await using var service = RankingService.Create(TinyService.Options());
        await service.StartAsync();
        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        string first = service.Model.Version;

        // Four clients rank continuously while the model is swapped; every answer must be a 200 naming a model.
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentBag<string>();
        var versions = new ConcurrentQueue<string>();
        int answered = 0;
        var load = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsJsonAsync("/v1/rank", Requests.Valid(candidates: 10, slateSize: 5, user: c));
                var body = await TinyService.Json(response);
                if (response.StatusCode != HttpStatusCode.OK) failures.Add($"{(int)response.StatusCode} {body}");
                else versions.Enqueue(body.GetProperty("model").GetProperty("version").GetString()!);
                Interlocked.Increment(ref answered);
            }
        })).ToArray();
        await Task.Delay(300);

        using var reloaded = await Reload(client, $$"""{"model": "{{folder["other"].Replace("\\", "\\\\")}}"}""");
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        var swap = await TinyService.Json(reloaded);
        string second = swap.GetProperty("model").GetProperty("version").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal(first, swap.GetProperty("previous").GetProperty("version").GetString());
        Assert.Equal(second, service.Model.Version);
        await Task.Delay(300);

        using var refused = await Reload(client, $$"""{"model": "{{corrupted.Replace("\\", "\\\\")}}"}""");
        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        string error = (await TinyService.Json(refused)).GetProperty("error").GetString()!;
        Assert.Contains("checksum", error);
        Assert.Contains($"{second} keeps serving", error);
        Assert.Equal(second, service.Model.Version);
        using var malformed = await Reload(client, """{"model": 3}""");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        await Task.Delay(300);

        stop.Cancel();
        await Task.WhenAll(load);
        Assert.Empty(failures);
        var seen = versions.ToArray();
        Assert.True(answered > 20, $"{answered} requests answered");
        Assert.Contains(first, seen);
        Assert.Contains(second, seen);
        Assert.Equal(second, seen[^1]);
        var metrics = new PrometheusText(await client.GetStringAsync("/metrics"));
        Assert.Equal(1, metrics["drlrec_serving_model_reloads_total"]);                 // the refused checkpoint is no reload
        var info = Assert.Single(metrics.Series("drlrec_serving_model_info"));          // the replaced model's series is gone
        Assert.Equal(($$"""drlrec_serving_model_info{backend="torch",name="tiny",version="{{second}}"}""", 1.0), (info.Key, info.Value));
    }

    private static Task<HttpResponseMessage> Reload(HttpClient client, string body) =>
        client.PostAsync("/admin/reload", new StringContent(body, Encoding.UTF8, "application/json"));
}
