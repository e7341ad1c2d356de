using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drlrec.Serving;

/// <summary>
/// The re-ranking HTTP service on Kestrel, as <c>drlrec serve</c> runs it: a slim <see cref="WebApplication"/> with the
/// <see cref="RankingComposition"/> parts, the body limit, the shutdown timeout and quiet logging.
/// <see cref="WaitForShutdownAsync"/> serves until SIGTERM or Ctrl+C; shutdown lets in-flight requests finish
/// (up to <see cref="ServeOptions.ShutdownTimeout"/>). Tests start it on http://127.0.0.1:0 and read <see cref="Urls"/>.
/// </summary>
public sealed class RankingService : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ModelSlot slot;

    private readonly ServeOptions options;

    private RankingService(WebApplication app, ServeOptions options)
    {
        this.app = app;
        this.options = options;
        // Built here, not at start: Create fails on a model that cannot load, and Model is known before listening.
        slot = app.Services.GetRequiredService<ModelSlot>();
    }

    /// <summary>Loads the model into a pool of <see cref="ServeOptions.Workers"/> scorers and builds (does not start) the service.</summary>
    /// <param name="factory">Makes the scorers; default: the backend named by <see cref="ServeOptions.Backend"/>.</param>
    public static RankingService Create(ServeOptions options, ScorerFactory? factory = null)
    {
        options.Validate();
        ReserveThreads(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "drlrec" });
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes; // every endpoint, not only /v1/rank
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        // Per-request logs at Information would cost more than scoring a small model: only on request. The CLI prints its
        // own start line in text mode; with JSON logs the start line is a log record (see StartAsync).
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (options.JsonLogs)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
            builder.Logging.AddFilter(typeof(RankingService).FullName, LogLevel.Information);
        }
        if (options.LogRequests) builder.Logging.AddFilter("Drlrec.Serving", LogLevel.Information);
        // A failed start (port in use, bad address) reaches the caller as an exception; the host's own log of it is a
        // stack trace the user does not need.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Services.AddDrlrecRanking(options, factory);

        var app = builder.Build();
        app.UseRankObservation();
        app.MapRankEndpoints();
        try
        {
            return new RankingService(app, options);
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
    }

    /// <summary>
    /// Ranking runs synchronously on thread-pool threads and holds each for the whole request, so with the pool's
    /// default minimum (one thread per core) busy scorers leave nothing for Kestrel's I/O and the pool adds threads only
    /// about twice a second: requests that should wait in the queue or be refused at once waited for thread injection
    /// instead (seen as 0.5-1 s stalls). The minimum covers every scorer plus one thread per core.
    /// </summary>
    private static void ReserveThreads(ServeOptions options)
    {
        ThreadPool.GetMinThreads(out int worker, out int io);
        int needed = options.Workers + options.HeavyWorkers + Environment.ProcessorCount;
        if (worker < needed) ThreadPool.SetMinThreads(needed, io);
    }

    /// <summary>The model serving now (it changes with <c>POST /admin/reload</c>).</summary>
    public ModelInfo Model => slot.Current.Info;
    public int Workers => slot.Current.Pool.Workers;

    /// <summary>The addresses listened on, with real ports once started (port 0 becomes the bound port).</summary>
    public IReadOnlyList<string> Urls => app.Urls.ToArray();

    public Uri BaseAddress => new(Urls[0]);

    /// <exception cref="IOException">The address cannot be bound (for example, the port is in use).</exception>
    /// <exception cref="ArgumentException">Kestrel cannot read an address.</exception>
    public async Task StartAsync(CancellationToken cancel = default)
    {
        try
        {
            await app.StartAsync(cancel);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"--urls: {e.Message}", e);
        }
        var model = Model;
        app.Services.GetRequiredService<ILogger<RankingService>>().LogInformation(
            "serving {Model} version {ModelVersion} ({Role}, {Parameters} parameters), backend {Backend}, {Workers} workers + {HeavyWorkers} heavy, {Threads} threads, listening on {Urls}",
            model.Name, model.Version, model.Role, model.Parameters, model.Backend, Workers, options.HeavyWorkers,
            options.TorchThreads?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default", string.Join(" ", Urls));
    }

    /// <summary>Graceful stop: no new connections, in-flight requests finish.</summary>
    public Task StopAsync(CancellationToken cancel = default) => app.StopAsync(cancel);

    /// <summary>After <see cref="StartAsync"/>: serves until SIGTERM/Ctrl+C (or <see cref="StopAsync"/>), then shuts down gracefully.</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    /// <summary>Stops the server and disposes the container, which disposes the pool after the server (reverse order of creation).</summary>
    public ValueTask DisposeAsync() => app.DisposeAsync();
}
