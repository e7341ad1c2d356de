using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drlrec.Serving;

/// <summary>
/// Middleware (<see cref="RankingComposition.UseRankObservation"/>): counts every answer by endpoint and status, times
/// /v1/rank, and turns unexpected failures into a JSON 500. A middleware rather than an endpoint filter because it must
/// also see what no endpoint answers (404s of unknown paths, Kestrel's verdicts on malformed requests). With
/// <see cref="ServeOptions.LogRequests"/> it also logs one line per request (method, path, status, milliseconds, the
/// request's <c>request_id</c> and the model version it was ranked with, Kestrel's trace id).
/// </summary>
internal sealed class RankObservation(RequestDelegate next, ServiceMetrics metrics, ILoggerFactory loggers)
{
    private readonly ILogger log = loggers.CreateLogger("Drlrec.Serving");

    /// <summary><see cref="HttpContext.Items"/> keys the rank endpoint fills for the request log.</summary>
    public const string RequestIdItem = "drlrec.request_id", ModelVersionItem = "drlrec.model_version";

    public async Task InvokeAsync(HttpContext context)
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
            await ServiceResponses.WriteError(context, e.StatusCode, $"body: {e.Message}", "body");
        }
        catch (Exception e)
        {
            log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            if (context.Response.HasStarted) throw;
            context.Response.Clear();
            await ServiceResponses.WriteError(context, 500, "internal error", null);
        }
        // What no endpoint answered (an unknown path, a wrong method) gets the same JSON error shape as everything else.
        if (status is null && context.Response is { StatusCode: 404 or 405, HasStarted: false, ContentLength: null })
        {
            string message = context.Response.StatusCode == 404
                ? $"no endpoint at {context.Request.Path} (POST /v1/rank, GET /healthz, GET /readyz, GET /metrics, POST /admin/reload)"
                : $"{context.Request.Method} is not allowed on {context.Request.Path}";
            await ServiceResponses.WriteError(context, context.Response.StatusCode, message, null);
        }
        status ??= context.Response.StatusCode;
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        metrics.Answered(endpoint, status.Value);
        if (endpoint == "/v1/rank") metrics.RankAnswered(seconds);
        if (log.IsEnabled(LogLevel.Information))
            log.LogInformation("{Method} {Path} {Status} {Milliseconds:F2} ms request_id={RequestId} model={ModelVersion} trace={TraceId}",
                context.Request.Method, context.Request.Path.Value, status.Value, seconds * 1000,
                context.Items.TryGetValue(RequestIdItem, out var id) ? id : null,
                context.Items.TryGetValue(ModelVersionItem, out var version) ? version : null, context.TraceIdentifier);
    }
}
