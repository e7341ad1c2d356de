using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Drlrec.Serving;

/// <summary>
/// The re-ranking service as ASP.NET Core parts, so that it can live in any <see cref="WebApplication"/>:
/// <code>
/// builder.Services.AddDrlrecRanking(options);
/// var app = builder.Build();
/// app.UseRankObservation();   // metrics, 499 on client abort, JSON 500s
/// app.MapRankEndpoints();     // POST /v1/rank, GET /healthz, GET /readyz, GET /metrics, POST /admin/reload (loopback only)
/// </code>
/// <see cref="RankingService"/> is exactly this on a Kestrel host with the service's limits and shutdown.
/// </summary>
public static class RankingComposition
{
    /// <summary>
    /// Registers the model slot (the model loaded into <see cref="ServeOptions.Workers"/> scorers, each warmed up, with its
    /// request reader; replaceable by <c>POST /admin/reload</c>), the metrics (<see cref="ServiceMetrics"/>, the meter
    /// "Drlrec.Serving" from the host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>), their Prometheus exposition
    /// on GET /metrics and the endpoint handlers, all singletons. The model is loaded and the metrics start listening
    /// when the host starts, before the server listens, so no client waits for the model and no request goes uncounted;
    /// the container disposes them.
    /// </summary>
    /// <param name="factory">Makes the scorers; default: the backend named by <see cref="ServeOptions.Backend"/>.</param>
    public static IServiceCollection AddDrlrecRanking(this IServiceCollection services, ServeOptions options,
        ScorerFactory? factory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(_ => LoadModel(options, factory));
        services.AddMetrics(); // IMeterFactory; a WebApplication has it already
        services.AddSingleton<ServiceMetrics>();
        services.AddSingleton<MetricsExposition>();
        services.AddSingleton<RankEndpoints>();
        services.AddHostedService<PoolWarmUp>();
        return services;
    }

    /// <summary>
    /// The observing middleware: counts every answer by endpoint and status in <see cref="ServiceMetrics"/>, times
    /// /v1/rank, answers 499 when the client went away and a JSON 500 on an unexpected failure. Call it before
    /// <see cref="MapRankEndpoints"/>.
    /// </summary>
    public static IApplicationBuilder UseRankObservation(this IApplicationBuilder app) =>
        app.UseMiddleware<RankObservation>();

    /// <summary>Maps POST /v1/rank, GET /healthz (liveness), GET /readyz (readiness), GET /metrics and POST /admin/reload
    /// (answered only to loopback clients); the returned builder adds conventions (authorization, CORS, ...) to all.</summary>
    public static IEndpointConventionBuilder MapRankEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("");
        group.MapPost("/v1/rank", context => Handlers(context).Rank(context));
        group.MapGet("/healthz", context => Handlers(context).Health(context));
        group.MapGet("/readyz", context => Handlers(context).Ready(context));
        group.MapGet("/metrics", context => Handlers(context).Metrics(context));
        group.MapPost("/admin/reload", context => Handlers(context).Reload(context));
        return group;
    }

    private static RankEndpoints Handlers(HttpContext context) => context.RequestServices.GetRequiredService<RankEndpoints>();

    /// <summary>--threads is process-wide and must be set before the pool's warm-up runs the first tensor operations.</summary>
    private static ModelSlot LoadModel(ServeOptions options, ScorerFactory? factory)
    {
        if (options.TorchThreads is { } threads) TorchSharp.torch.set_num_threads(threads);
        return new ModelSlot(options, factory);
    }

    /// <summary>
    /// Builds the pool while the host is starting: <see cref="IHostedLifecycleService.StartingAsync"/> runs before any
    /// hosted service starts, the web server included, so the model is loaded and warm before the port opens, and a
    /// model that cannot load stops the start instead of failing the first request. The metrics start listening then
    /// too: a measurement made while nothing listens is lost, and Kestrel's connection counts would go negative when a
    /// connection opened before the listener closes after it.
    /// </summary>
    private sealed class PoolWarmUp(IServiceProvider services) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<ModelSlot>();
            services.GetRequiredService<ServiceMetrics>();
            services.GetRequiredService<MetricsExposition>();
            return Task.CompletedTask;
        }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
