using System.Diagnostics;
using System.Net.Http.Headers;
using Drlrec.Benchmarking;

namespace Drlrec.Serving;

/// <summary>What one concurrency level measured. Latencies are of successful requests only, in milliseconds.</summary>
public sealed record LoadLevel(
    int Concurrency, long Requests, long Errors, double Seconds, double RequestsPerSecond,
    double P50Ms, double P95Ms, double P99Ms, double MaxMs, IReadOnlyDictionary<string, long> Statuses);

/// <summary>
/// A closed-loop HTTP load client: <c>concurrency</c> workers each send a request, wait for the answer and send the
/// next, until the duration is up or the request budget is spent. Throughput is answered requests over the wall time.
/// </summary>
public sealed class LoadGenerator(Uri rankUrl, IReadOnlyList<byte[]> bodies)
{
    /// <summary>Runs one level: an unrecorded warm-up (same concurrency), then the measured phase.</summary>
    public async Task<LoadLevel> RunAsync(int concurrency, TimeSpan duration, long maxRequests, TimeSpan warmUp,
        CancellationToken cancel = default)
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
        return await Phase(client, concurrency, duration, maxRequests, cancel);
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
                using var content = new ByteArrayContent(bodies[(int)(i % bodies.Count)]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                long start = Stopwatch.GetTimestamp();
                string status;
                try
                {
                    using var response = await client.PostAsync(rankUrl, content, cancel);
                    await response.Content.LoadIntoBufferAsync(cancel); // the whole answer counts towards latency
                    status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (response.IsSuccessStatusCode) latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (HttpRequestException)
                {
                    status = "connection error";
                }
                catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
                {
                    status = "timeout";
                }
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
