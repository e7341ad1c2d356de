using System.Diagnostics.Metrics;

namespace Drlrec.Serving;

/// <summary>
/// The service's own instruments, on the meter <see cref="MeterName"/> made by the host's <see cref="IMeterFactory"/>:
/// each host (each DI container) gets a meter of its own, so two services in one process never share counts, and any
/// listener (GET /metrics through <see cref="MetricsExposition"/>, OpenTelemetry, dotnet-counters) sees the same series.
/// Endpoints outside the known set share the label "other" so that probing random paths cannot grow the label set
/// without bound. The instrument names are Prometheus names (suffixes included) because the exporter uses them as they
/// are, after the meter's name.
/// </summary>
public sealed class ServiceMetrics
{
    /// <summary>The meter's name; in Prometheus series it becomes the prefix <c>drlrec_serving_</c>.</summary>
    public const string MeterName = "Drlrec.Serving";

    private static readonly string[] KnownEndpoints = ["/v1/rank", "/healthz", "/readyz", "/metrics", "/admin/reload"];

    private readonly Counter<long> requests, errors;
    private readonly Histogram<double> rankSeconds;
    private readonly Histogram<int> rankCandidates;
    private long reloads;

    /// <param name="slot">The model_info gauge reads the model serving at each collection, so it follows reloads.</param>
    public ServiceMetrics(IMeterFactory meters, ModelSlot slot)
    {
        var meter = meters.Create(MeterName);
        requests = meter.CreateCounter<long>("http_requests_total", "{request}", "HTTP requests answered, by endpoint and status code.");
        errors = meter.CreateCounter<long>("http_errors_total", "{request}",
            "HTTP requests answered with a status of 400 or above, by endpoint.");
        // Observed rather than counted: the series then reads 0 before the first reload, and a day without one (when the
        // exporter drops series that were not measured) cannot reset it.
        meter.CreateObservableCounter("model_reloads_total", () => Volatile.Read(ref reloads), "{reload}",
            "Models swapped in by /admin/reload since the service started.");
        rankSeconds = meter.CreateHistogram("rank_duration_seconds", "s", "Time to answer /v1/rank, from arrival to response.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        rankCandidates = meter.CreateHistogram("rank_candidates", "{candidate}", "Candidates per valid /v1/rank request.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] });
        meter.CreateObservableGauge("model_info", () => ModelInfoOf(slot.Current.Info), "{model}", "The served model (always 1).");
    }

    /// <summary>The endpoint label of a request path: one of the known endpoints, or "other".</summary>
    public static string EndpointOf(string path) =>
        Array.Find(KnownEndpoints, e => string.Equals(e, path, StringComparison.OrdinalIgnoreCase)) ?? "other";

    /// <summary>Counts one answered request; statuses of 400 and above also count as errors.</summary>
    public void Answered(string endpoint, int status)
    {
        requests.Add(1, new("endpoint", endpoint), new("code", status));
        if (status >= 400) errors.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));
    }

    /// <summary>Seconds from a /v1/rank request's arrival to its response (all outcomes).</summary>
    public void RankAnswered(double seconds) => rankSeconds.Record(seconds);

    /// <summary>The number of candidates in a valid /v1/rank request.</summary>
    public void RankRead(int candidates) => rankCandidates.Record(candidates);

    /// <summary>Counts a model swapped in by /admin/reload.</summary>
    public void Reloaded() => Interlocked.Increment(ref reloads);

    /// <summary>The model_info series' labels, in the (ordinal) order the exporter sorts them into.</summary>
    internal static readonly string[] ModelLabels = ["backend", "name", "version"];

    /// <summary>The values of <see cref="ModelLabels"/> for <paramref name="model"/>.</summary>
    internal static string[] ModelLabelValues(ModelInfo model) => [model.Backend, model.Name, model.Version];

    private static Measurement<int> ModelInfoOf(ModelInfo model) =>
        new(1, ModelLabels.Zip(ModelLabelValues(model), (label, value) => new KeyValuePair<string, object?>(label, value)));
}
