using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Drlrec.Ranking;

namespace Drlrec.Serving;

/// <summary>
/// The re-ranking HTTP service on Kestrel: POST /v1/rank, GET /healthz, GET /metrics. Owns its ranker pool.
/// <see cref="WaitForShutdownAsync"/> serves until SIGTERM or Ctrl+C; shutdown lets in-flight requests finish
/// (up to <see cref="ServeOptions.ShutdownTimeout"/>). Tests start it on http://127.0.0.1:0 and read <see cref="Urls"/>.
/// </summary>
public sealed class RankingService : IAsyncDisposable
{
    private static readonly JsonSerializerOptions ResponseJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // The request shape is four levels deep; anything much deeper is not a rank request.
    private static readonly JsonDocumentOptions BodyJson = new() { MaxDepth = 16 };

    private readonly WebApplication app;
    private readonly RankerPool pool;
    private readonly ServeOptions options;
    private readonly RankRequestReader reader;
    private readonly string itemField;
    private readonly ILogger log;

    private RankingService(ServeOptions options, RankerPool pool)
    {
        this.options = options;
        this.pool = pool;
        reader = new RankRequestReader(pool.Schema, options);
        itemField = pool.Schema.Fields[pool.Schema.FirstItemField].Name;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "drlrec" });
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes; // also covers chunked bodies, which have no length up front
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        // Per-request logs at Information would cost more than scoring a small model; the CLI prints its own start line.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        app = builder.Build();
        log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Drlrec.Serving");

        app.Use(Observe);
        app.MapPost("/v1/rank", Rank);
        app.MapGet("/healthz", context => context.Response.WriteAsJsonAsync(
            new HealthResponse("ok", pool.Info, pool.Workers), ResponseJson, context.RequestAborted));
        app.MapGet("/metrics", context =>
        {
            context.Response.ContentType = ServiceMetrics.ContentType;
            return context.Response.WriteAsync(Metrics.Render(pool.Info), context.RequestAborted);
        });
    }

    /// <summary>Loads the model into a pool of <see cref="ServeOptions.Workers"/> scorers and builds (does not start) the service.</summary>
    /// <param name="factory">Makes the scorers; default: the backend named by <see cref="ServeOptions.Backend"/>.</param>
    public static RankingService Create(ServeOptions options, ScorerFactory? factory = null)
    {
        options.Validate();
        if (options.TorchThreads is { } threads) TorchSharp.torch.set_num_threads(threads); // before the pool's warm-up runs
        var pool = new RankerPool(options, factory);
        try
        {
            return new RankingService(options, pool);
        }
        catch
        {
            pool.Dispose();
            throw;
        }
    }

    public ModelInfo Model => pool.Info;
    public int Workers => pool.Workers;
    public ServiceMetrics Metrics { get; } = new();

    /// <summary>The addresses listened on, with real ports once started (port 0 becomes the bound port).</summary>
    public IReadOnlyList<string> Urls => app.Urls.ToArray();

    public Uri BaseAddress => new(Urls[0]);

    public Task StartAsync(CancellationToken cancel = default) => app.StartAsync(cancel);

    /// <summary>Graceful stop: no new connections, in-flight requests finish.</summary>
    public Task StopAsync(CancellationToken cancel = default) => app.StopAsync(cancel);

    /// <summary>After <see cref="StartAsync"/>: serves until SIGTERM/Ctrl+C (or <see cref="StopAsync"/>), then shuts down gracefully.</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        pool.Dispose();
    }

    /// <summary>Counts every answer by endpoint and status, times /v1/rank, and turns unexpected failures into a JSON 500.</summary>
    private async Task Observe(HttpContext context, RequestDelegate next)
    {
        long start = Stopwatch.GetTimestamp();
        string endpoint = ServiceMetrics.EndpointOf(context.Request.Path);
        int? status = null;
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            status = 499; // the client went away; nobody reads an answer
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // Kestrel's own verdict on a malformed or oversized request, wherever it surfaces: the client's fault.
            await Error(context, e.StatusCode, $"body: {e.Message}", "body");
        }
        catch (Exception e)
        {
            log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            if (context.Response.HasStarted) throw;
            context.Response.Clear();
            await Error(context, 500, "internal error", null);
        }
        status ??= context.Response.StatusCode;
        Metrics.Record(endpoint, status.Value);
        if (endpoint == "/v1/rank") Metrics.RankSeconds.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private async Task Rank(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        RankCall call;
        try
        {
            call = await Read(context.Request, context.RequestAborted);
        }
        catch (RequestError e)
        {
            await Error(context, e.Status, e.Message, e.Field);
            return;
        }
        Metrics.RankCandidates.Observe(call.Request.Candidates.Count);

        RankedSlate slate;
        try
        {
            slate = await pool.RankAsync(call.Request, context.RequestAborted);
        }
        catch (ArgumentException e)
        {
            // The reader checks everything the ranker does; this keeps any check it misses a 400, not a 500.
            int colon = e.Message.IndexOf(':');
            await Error(context, 400, e.Message, colon > 0 ? e.Message[..colon] : null);
            return;
        }
        var entries = new SlateEntry[slate.Order.Length];
        for (int t = 0; t < entries.Length; t++)
            entries[t] = new SlateEntry(slate.Order[t], call.Request.Candidates[slate.Order[t]][itemField][0], slate.Q[t]);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        await context.Response.WriteAsJsonAsync(new RankResponse(call.RequestId, pool.Info, entries, ms), ResponseJson,
            context.RequestAborted);
    }

    private async Task<RankCall> Read(HttpRequest request, CancellationToken cancel)
    {
        if (request.ContentLength > options.MaxBodyBytes)
            throw new RequestError(413, "body", $"body: {request.ContentLength} bytes, over the limit of {options.MaxBodyBytes} (--max-body-bytes)");
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body, BodyJson, cancel);
            return reader.Read(body.RootElement);
        }
        catch (JsonException e)
        {
            throw new RequestError(400, "body", $"body: malformed JSON ({e.Message})");
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own limits while reading: 413 past MaxRequestBodySize (chunked bodies), 408/400 for broken uploads.
            throw new RequestError(e.StatusCode, "body", $"body: {e.Message}");
        }
    }

    private static Task Error(HttpContext context, int status, string message, string? field)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(message, field), ResponseJson, context.RequestAborted);
    }
}
