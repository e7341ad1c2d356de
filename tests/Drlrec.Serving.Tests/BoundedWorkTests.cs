using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Drlrec.Serving.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests;

/// <summary>One slow request never holds the service: a deadline checked between slots, and a bounded queue.</summary>
public sealed class BoundedWorkTests
{
    /// <summary>A service whose scorers pause before every slot; the count is the slots scored so far, by every scorer.</summary>
    private static async Task<(RankingService Service, StrongBox<int> Slots)> Start(ServeOptions options, TimeSpan pause)
    {
        var slots = new StrongBox<int>();
        var torch = ScorerBackends.Resolve(ScorerBackends.Torch);
        var service = RankingService.Create(options, (model, o) => new HookedScorer(torch(model, o), () =>
        {
            Thread.Sleep(pause);
            Interlocked.Increment(ref slots.Value);
        }));
        await service.StartAsync();
        return (service, slots);
    }

    [Fact]
    public async Task A_request_past_its_deadline_is_a_503_and_its_ranker_stops_between_slots()
    {
        var (service, slots) = await Start(TinyService.Options() with { Workers = 1, Deadline = TimeSpan.FromMilliseconds(300) },
            TimeSpan.FromMilliseconds(100));
        await using var _ = service;
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        int before = Volatile.Read(ref slots.Value);                                            // the warm-up's slots

        using var response = await client.PostAsJsonAsync("/v1/rank", Requests.Valid(candidates: 12, slateSize: 10));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("deadline of 300 ms", (await TinyService.Json(response)).GetProperty("error").GetString());
        await Task.Delay(300);
        int scored = Volatile.Read(ref slots.Value) - before;
        Assert.InRange(scored, 1, 5);                                             // 10 slots asked; about 3 fit in 300 ms
    }

    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after_at_once_and_the_queued_request_is_served()
    {
        var (service, _) = await Start(TinyService.Options() with { Workers = 1, MaxQueue = 1, Deadline = TimeSpan.FromSeconds(30) },
            TimeSpan.FromMilliseconds(300));
        await using var _s = service;
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        var request = Requests.Valid(candidates: 6, slateSize: 5);                // 5 slots: 1.5 s on the one scorer

        var first = client.PostAsJsonAsync("/v1/rank", request);
        await Task.Delay(300);                                                    // the first holds the scorer
        var second = client.PostAsJsonAsync("/v1/rank", request);
        await Task.Delay(300);                                                    // the second waits in the queue
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var third = await client.PostAsJsonAsync("/v1/rank", request);
        var refused = clock.Elapsed;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
        Assert.Equal("1", third.Headers.GetValues("Retry-After").Single());
        Assert.Contains("--max-queue", (await TinyService.Json(third)).GetProperty("error").GetString());
        Assert.True(refused < TimeSpan.FromMilliseconds(900), $"refused after {refused.TotalMilliseconds:0} ms");
        using var a = await first;
        using var b = await second;
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (a.StatusCode, b.StatusCode));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task A_heavy_request_runs_in_its_own_lane_and_never_holds_the_ordinary_scorer(int heavyWorkers)
    {
        // One ordinary scorer; 100 ms per slot. The heavy request (12 x 10 = 120 scorings, over 50) takes about 1 s.
        var (service, _) = await Start(TinyService.Options() with
        {
            Workers = 1, HeavyWorkers = heavyWorkers, HeavyWork = 50, Deadline = TimeSpan.FromSeconds(30),
        }, TimeSpan.FromMilliseconds(100));
        await using var _s = service;
        using var client = new HttpClient { BaseAddress = service.BaseAddress };

        var heavy = client.PostAsJsonAsync("/v1/rank", Requests.Valid(candidates: 12, slateSize: 10));
        await Task.Delay(200);                                                    // the heavy request is being ranked
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var ordinary = await client.PostAsJsonAsync("/v1/rank", Requests.Valid(candidates: 6, slateSize: 2));
        var waited = clock.Elapsed;
        using var heavyAnswer = await heavy;

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (ordinary.StatusCode, heavyAnswer.StatusCode));
        if (heavyWorkers > 0)
            Assert.True(waited < TimeSpan.FromMilliseconds(700), $"the ordinary request took {waited.TotalMilliseconds:0} ms");
        else // without a lane it waits for the heavy request's scorer: the case the lane exists for
            Assert.True(waited > TimeSpan.FromMilliseconds(700), $"the ordinary request took {waited.TotalMilliseconds:0} ms");
    }
}
