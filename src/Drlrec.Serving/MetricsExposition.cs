using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Prometheus;

namespace Drlrec.Serving;

/// <summary>
/// GET /metrics: prometheus-net renders, in the Prometheus text format, this host's meters (the service's own
/// <see cref="ServiceMetrics"/>, ASP.NET Core's hosting, routing and Kestrel meters), the runtime's "System.Runtime"
/// meter and prometheus-net's process statistics (<c>process_*</c>, <c>dotnet_*</c>).
/// <para>
/// Everything lives in a registry of this host's own, never prometheus-net's process-wide default registry: tests run
/// many services in one process, and each service's counts must be its own. The meter adapter listens to every meter in
/// the process, so it keeps only the instruments of meters made by this host's <see cref="IMeterFactory"/> (their
/// <see cref="Meter.Scope"/> is that factory) and the runtime's meter, which is the process's and the same for all.
/// </para>
/// </summary>
internal sealed class MetricsExposition : IDisposable
{
    /// <summary>The model_info gauge as the adapter names it: the meter's name, then the instrument's, lower case, '.' as '_'.</summary>
    private const string ModelInfoSeries = "drlrec_serving_model_info";

    /// <summary>The runtime's own meter (GC, JIT, thread pool, CPU, memory), one for the whole process.</summary>
    private const string RuntimeMeter = "System.Runtime";

    private readonly IDisposable adapter;
    private readonly MetricServerMiddleware server;

    public MetricsExposition(IMeterFactory meters, ModelSlot slot)
    {
        var registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(registry);
        DotNetStats.Register(registry);

        // The adapter keeps a gauge's label sets until they expire, so after a reload the previous model would still
        // read 1. Before each collection every label set but the serving model's goes; registered before the adapter's
        // own callback, which then sets the serving model's (so the series is never missing from a scrape).
        var modelInfo = factory.CreateGauge(ModelInfoSeries, "The served model (always 1).", ServiceMetrics.ModelLabels);
        registry.AddBeforeCollectCallback(() => KeepOnly(modelInfo, ServiceMetrics.ModelLabelValues(slot.Current.Info)));

        adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = registry,
            MetricFactory = factory, // the default is the default registry's factory, which would override Registry
            InstrumentFilterPredicate = instrument =>
                ReferenceEquals(instrument.Meter.Scope, meters) || instrument.Meter.Name == RuntimeMeter,
            ResolveHistogramBuckets = BucketsOf,
            // The adapter drops a label set that has not been measured for this long (a counter's then comes back from
            // zero, which rate() reads as a reset). The label sets here are bounded (endpoints, status codes), so keep
            // them as long as the adapter allows: one day (the default is five minutes).
            MetricsExpireAfter = TimeSpan.FromDays(1),
        });
        server = new MetricServerMiddleware(_ => Task.CompletedTask, new MetricServerMiddleware.Settings { Registry = registry });
    }

    /// <summary>Answers a scrape: Prometheus text 0.0.4, or OpenMetrics when the scraper's Accept header asks for it.</summary>
    public Task Write(HttpContext context) => server.Invoke(context);

    public void Dispose() => adapter.Dispose();

    private static void KeepOnly(Gauge gauge, string[] labels)
    {
        foreach (var other in gauge.GetAllLabelValues().Where(values => !values.SequenceEqual(labels)).ToList())
            gauge.RemoveLabelled(other);
    }

    /// <summary>An instrument's advised bucket bounds (ours, ASP.NET Core's), else prometheus-net's default buckets.</summary>
    private static double[] BucketsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds],
        Histogram<int> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
        Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
        _ => MeterAdapterOptions.DefaultHistogramBuckets,
    };
}
