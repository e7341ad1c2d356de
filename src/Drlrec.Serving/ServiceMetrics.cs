using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Drlrec.Serving;

/// <summary>
/// The service's counters and histograms, rendered in the Prometheus text exposition format (version 0.0.4).
/// Hand-rolled because the service needs only a few series; endpoints outside the known set share the label "other"
/// so that probing random paths cannot grow the label set without bound.
/// </summary>
public sealed class ServiceMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly string[] KnownEndpoints = ["/v1/rank", "/healthz", "/readyz", "/metrics", "/admin/reload"];

    private readonly ConcurrentDictionary<(string Endpoint, int Code), Counter> requests = new();
    private readonly ConcurrentDictionary<string, Counter> errors = new();

    /// <summary>Seconds from the request's arrival to its response, /v1/rank only (all outcomes).</summary>
    public Histogram RankSeconds { get; } = new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

    /// <summary>Models swapped in by /admin/reload.</summary>
    public Counter Reloads { get; } = new();

    /// <summary>Candidates per valid /v1/rank request.</summary>
    public Histogram RankCandidates { get; } = new([1, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]);

    public static string EndpointOf(string path) =>
        Array.Find(KnownEndpoints, e => string.Equals(e, path, StringComparison.OrdinalIgnoreCase)) ?? "other";

    /// <summary>Counts one answered request; statuses of 400 and above also count as errors.</summary>
    public void Record(string endpoint, int status)
    {
        requests.GetOrAdd((endpoint, status), _ => new Counter()).Increment();
        if (status >= 400) errors.GetOrAdd(endpoint, _ => new Counter()).Increment();
    }

    public string Render(ModelInfo model)
    {
        var text = new StringBuilder();
        Header(text, "drlrec_model_info", "gauge", "The served model (always 1).");
        text.Append(CultureInfo.InvariantCulture,
            $"drlrec_model_info{{name=\"{Escape(model.Name)}\",version=\"{Escape(model.Version)}\",backend=\"{Escape(model.Backend)}\"}} 1\n");

        Header(text, "drlrec_http_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
        foreach (var ((endpoint, code), counter) in requests.OrderBy(r => r.Key.Endpoint, StringComparer.Ordinal).ThenBy(r => r.Key.Code))
            text.Append(CultureInfo.InvariantCulture, $"drlrec_http_requests_total{{endpoint=\"{Escape(endpoint)}\",code=\"{code}\"}} {counter.Value}\n");

        Header(text, "drlrec_http_errors_total", "counter", "HTTP requests answered with a status of 400 or above, by endpoint.");
        foreach (var (endpoint, counter) in errors.OrderBy(e => e.Key, StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"drlrec_http_errors_total{{endpoint=\"{Escape(endpoint)}\"}} {counter.Value}\n");

        Header(text, "drlrec_model_reloads_total", "counter", "Models swapped in by /admin/reload since the service started.");
        text.Append(CultureInfo.InvariantCulture, $"drlrec_model_reloads_total {Reloads.Value}\n");

        RankSeconds.Render(text, "drlrec_rank_duration_seconds", "Time to answer /v1/rank, from arrival to response, in seconds.");
        RankCandidates.Render(text, "drlrec_rank_candidates", "Candidates per valid /v1/rank request.");
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    public sealed class Counter
    {
        private long value;
        public long Value => Interlocked.Read(ref value);
        public void Increment() => Interlocked.Increment(ref value);
    }

    /// <summary>A histogram with fixed upper bounds; rendered cumulatively with the implicit +Inf bucket.</summary>
    public sealed class Histogram(double[] bounds)
    {
        private readonly long[] counts = new long[bounds.Length + 1]; // the last slot is above every bound
        private readonly Lock gate = new();
        private double sum;

        public void Observe(double value)
        {
            int slot = 0;
            while (slot < bounds.Length && value > bounds[slot]) slot++;
            lock (gate)
            {
                counts[slot]++;
                sum += value;
            }
        }

        public void Render(StringBuilder text, string name, string help)
        {
            long[] snapshot;
            double total;
            lock (gate)
            {
                snapshot = (long[])counts.Clone();
                total = sum;
            }
            Header(text, name, "histogram", help);
            long cumulative = 0;
            for (int i = 0; i < bounds.Length; i++)
            {
                cumulative += snapshot[i];
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{bounds[i]}\"}} {cumulative}\n");
            }
            cumulative += snapshot[^1];
            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"+Inf\"}} {cumulative}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_sum {total}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_count {cumulative}\n");
        }
    }
}
