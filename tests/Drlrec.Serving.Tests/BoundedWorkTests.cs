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
        var service = await Start(options, () =>
        {
            Thread.Sleep(pause);
            Interlocked.Increment(ref slots.Value);
        });
        return (service, slots);
    }

    /// <summary>A service whose scorers call <paramref name="beforeSlot"/> before every slot, warm-up included.</summary>
    private static async Task<RankingService> Start(ServeOptions options, Action beforeSlot)
    {
        var torch = ScorerBackends.Resolve(ScorerBackends.Torch);
        var service = RankingService.Create(options, (model, o) => new HookedScorer(torch(model, o), beforeSlot));
        await service.StartAsync();
        return service;
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
        // The one scorer is held by the first request until the gate opens: no timing decides who waits.
        using var gate = new ManualResetEventSlim(true);                          // open for the warm-up
        using var holding = new SemaphoreSlim(0);
        var service = await Start(TinyService.Options() with { Workers = 1, MaxQueue = 1, Deadline = TimeSpan.FromSeconds(30) }, () =>
        {
            if (gate.IsSet) return;
            holding.Release();
            gate.Wait();
        });
        await using var _s = service;
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        var request = Requests.Valid(candidates: 6, slateSize: 5);
        gate.Reset();

        var first = client.PostAsJsonAsync("/v1/rank", request);
        Task<HttpResponseMessage> queued;
        try
        {
            Assert.True(await holding.WaitAsync(TimeSpan.FromSeconds(20)), "the first request never reached the scorer");
            // One of the next two waits in the queue (MaxQueue 1); the other finds it full and is refused at once.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var next = new[] { client.PostAsJsonAsync("/v1/rank", request), client.PostAsJsonAsync("/v1/rank", request) };
            var refusedTask = await Task.WhenAny(next);
            var refused = clock.Elapsed;
            using var third = await refusedTask;
            queued = next.Single(t => t != refusedTask);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
            Assert.Equal("1", third.Headers.GetValues("Retry-After").Single());
            Assert.Contains("--max-queue", (await TinyService.Json(third)).GetProperty("error").GetString());
            Assert.True(refused < TimeSpan.FromSeconds(5), $"refused after {refused.TotalMilliseconds:0} ms");
            Assert.False(queued.IsCompleted, "the queued request was answered while the scorer was held");
        }
        finally
        {
            gate.Set();                                                           // never leave a request stuck on the gate
        }
        using var a = await first;
        using var b = await queued;
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (a.StatusCode, b.StatusCode));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task A_heavy_request_runs_in_its_own_lane_and_never_holds_the_ordinary_scorer(int heavyWorkers)
    {
        // One ordinary scorer; 100 ms per slot. The heavy request (12 x 10 = 120 scorings, over 50) takes about 1 s.
        var (service, slots) = await Start(TinyService.Options() with
        {
            Workers = 1, HeavyWorkers = heavyWorkers, HeavyWork = 50, Deadline = TimeSpan.FromSeconds(30),
        }, TimeSpan.FromMilliseconds(100));
        await using var _s = service;
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        int before = Volatile.Read(ref slots.Value);                              // the warm-up's slots

        var heavy = client.PostAsJsonAsync("/v1/rank", Requests.Valid(candidates: 12, slateSize: 10));
        while (Volatile.Read(ref slots.Value) == before && !heavy.IsCompleted)   // the heavy request holds a scorer
            await Task.Delay(10);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var ordinary = await client.PostAsJsonAsync("/v1/rank", Requests.Valid(candidates: 6, slateSize: 2));
        var waited = clock.Elapsed;
        bool heavyStillRunning = !heavy.IsCompleted;
        using var heavyAnswer = await heavy;

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (ordinary.StatusCode, heavyAnswer.StatusCode));
        if (heavyWorkers > 0) // answered while the heavy request still ranks: it never waited for that scorer
            Assert.True(heavyStillRunning, $"the ordinary request took {waited.TotalMilliseconds:0} ms, after the heavy one ended");
        else // without a lane it waits for the heavy request's scorer: the case the lane exists for
            Assert.True(waited > TimeSpan.FromMilliseconds(700), $"the ordinary request took {waited.TotalMilliseconds:0} ms");
    }
}
