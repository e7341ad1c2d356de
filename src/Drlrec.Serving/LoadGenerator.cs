using System.Diagnostics;
using System.Net.Http.Headers;
using Drlrec.Evaluation;

namespace Drlrec.Serving;

/// <summary>What one concurrency level measured. Latencies are of successful requests only, in milliseconds.</summary>
public sealed record LoadLevel(
    int Concurrency, long Requests, long Errors, double Seconds, double RequestsPerSecond,
    double P50Ms, double P95Ms, double P99Ms, double MaxMs, IReadOnlyDictionary<string, long> Statuses)
{
    /// <summary>The answers to the heavy clients sent alongside (<see cref="HeavyLoad"/>), by status; null without them.</summary>
    public IReadOnlyDictionary<string, long>? HeavyStatuses { get; init; }

    /// <summary>The ranker's capacity, cores ÷ slate p50 (requests/s), when the slate's time was given; null otherwise.</summary>
    public double? CapacityRps { get; init; }

    /// <summary>Measured throughput over <see cref="CapacityRps"/>.</summary>
    public double? OfCapacity { get; init; }

    /// <summary>This level's p50 over the slate's p50 (what the HTTP path adds, at concurrency 1).</summary>
    public double? P50OverSlate { get; init; }

    /// <summary>This level beside the ranker's capacity: <paramref name="cores"/> ÷ <paramref name="slateMs"/>.</summary>
    public LoadLevel AgainstCapacity(double slateMs, int cores)
    {
        double capacity = cores * 1000 / slateMs;
        return this with { CapacityRps = capacity, OfCapacity = RequestsPerSecond / capacity, P50OverSlate = P50Ms / slateMs };
    }
}

/// <summary>Extra closed-loop clients that send heavy requests for as long as a level's ordinary clients run.</summary>
public sealed record HeavyLoad(IReadOnlyList<byte[]> Bodies, int Clients);

/// <summary>
/// A closed-loop HTTP load client: <c>concurrency</c> workers each send a request, wait for the answer and send the
/// next, until the duration is up or the request budget is spent. Throughput is answered requests over the wall time.
/// </summary>
public sealed class LoadGenerator(Uri rankUrl, IReadOnlyList<byte[]> bodies)
{
    /// <summary>Runs one level: an unrecorded warm-up (same concurrency), then the measured phase.</summary>
    /// <param name="heavy">Heavy clients sent during the measured phase; their answers are counted apart and their
    /// latencies are not in the level's percentiles (which measure what they do to ordinary requests).</param>
    public async Task<LoadLevel> RunAsync(int concurrency, TimeSpan duration, long maxRequests, TimeSpan warmUp,
        CancellationToken cancel = default, HeavyLoad? heavy = null)
    {
        if (concurrency < 1) throw new ArgumentException("--concurrency: levels must be at least 1");
        if (bodies.Count == 0) throw new ArgumentException("no requests to send");
        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency, // one keep-alive connection per worker, as a pool of callers would hold
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        { Timeout = TimeSpan.FromSeconds(30) };
        if (warmUp > TimeSpan.Zero) await Phase(client, concurrency, warmUp, long.MaxValue, cancel);
        if (heavy is null || heavy.Clients == 0) return await Phase(client, concurrency, duration, maxRequests, cancel);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var heavyStatuses = new Dictionary<string, long>();
        var heavyClients = Enumerable.Range(0, heavy.Clients).Select(h => Task.Run(async () =>
        {
            using var heavyClient = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            for (int i = h; !stop.IsCancellationRequested; i += heavy.Clients)
            {
                string status = await Send(heavyClient, heavy.Bodies[i % heavy.Bodies.Count], stop.Token, _ => { });
                lock (heavyStatuses) heavyStatuses[status] = heavyStatuses.GetValueOrDefault(status) + 1;
            }
        })).ToArray();
        var level = await Phase(client, concurrency, duration, maxRequests, cancel);
        stop.Cancel();
        try
        {
            await Task.WhenAll(heavyClients);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            // A heavy request cut short when the level ended.
        }
        return level with { HeavyStatuses = heavyStatuses };
    }

    /// <summary>One POST; the status as text ("200", "503", "connection error", "timeout"); <paramref name="ok"/> gets
    /// the latency of a success, the whole answer read.</summary>
    private async Task<string> Send(HttpClient client, byte[] body, CancellationToken cancel, Action<double> ok)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        long start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.PostAsync(rankUrl, content, cancel);
            await response.Content.LoadIntoBufferAsync(cancel); // the whole answer counts towards latency
            if (response.IsSuccessStatusCode) ok(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            return ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return "connection error";
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            return "timeout";
        }
    }

    private async Task<LoadLevel> Phase(HttpClient client, int concurrency, TimeSpan duration, long maxRequests, CancellationToken cancel)
    {
        long claimed = -1;
        var perWorker = new List<double>[concurrency];
        var statuses = new Dictionary<string, long>[concurrency];
        var clock = Stopwatch.StartNew();
        async Task Worker(int w)
        {
            var latencies = perWorker[w] = [];
            var counts = statuses[w] = [];
            long i;
            while (clock.Elapsed < duration && (i = Interlocked.Increment(ref claimed)) < maxRequests)
            {
                cancel.ThrowIfCancellationRequested();
                string status = await Send(client, bodies[(int)(i % bodies.Count)], cancel, latencies.Add);
                counts[status] = counts.GetValueOrDefault(status) + 1;
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => Worker(w), cancel)));
        double seconds = clock.Elapsed.TotalSeconds;

        var all = perWorker.SelectMany(l => l).Order().ToArray();
        var merged = statuses.SelectMany(s => s).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Sum(s => s.Value));
        long total = merged.Values.Sum(), errors = total - all.Length;
        // A level where every request failed has no latencies: report zeros beside its error count.
        var (p50, p95, p99, max) = all.Length == 0 ? (0.0, 0.0, 0.0, 0.0)
            : (Percentiles.OfSorted(all, 0.50), Percentiles.OfSorted(all, 0.95), Percentiles.OfSorted(all, 0.99), all[^1]);
        return new LoadLevel(concurrency, total, errors, seconds, all.Length / seconds, p50, p95, p99, max, merged);
    }
}
