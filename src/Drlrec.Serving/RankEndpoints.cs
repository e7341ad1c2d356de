using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Drlrec.Ranking;

namespace Drlrec.Serving;

/// <summary>
/// The handlers behind POST /v1/rank, GET /healthz and GET /metrics (mapped by
/// <see cref="RankingComposition.MapRankEndpoints"/>), over the services <see cref="RankingComposition.AddDrlrecRanking"/>
/// registers. Plain <see cref="RequestDelegate"/>s rather than minimal-API parameter binding: the body is read
/// and checked by <see cref="RankRequestReader"/>, whose errors name the field, not by a model binder.
/// </summary>
internal sealed class RankEndpoints(RankerPool pool, RankRequestReader reader, ServiceMetrics metrics, ServeOptions options)
{
    // The request shape is four levels deep; anything much deeper is not a rank request.
    private static readonly JsonDocumentOptions BodyJson = new() { MaxDepth = 16 };

    private readonly string itemField = pool.Schema.Fields[pool.Schema.FirstItemField].Name;

    public Task Health(HttpContext context) =>
        ServiceResponses.Write(context, new HealthResponse("ok", pool.Info, pool.Workers));

    public Task Metrics(HttpContext context)
    {
        context.Response.ContentType = ServiceMetrics.ContentType;
        return context.Response.WriteAsync(metrics.Render(pool.Info), context.RequestAborted);
    }

    public async Task Rank(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        RankCall call;
        try
        {
            call = await Read(context, context.RequestAborted);
        }
        catch (RequestError e)
        {
            // A refused upload (413, 408) leaves the rest of its body unread, so the server closes the connection after
            // answering; say so, or a client may send its next request on a connection that is going away.
            if (e.Status is 413 or 408) context.Response.Headers.Connection = "close";
            await ServiceResponses.WriteError(context, e.Status, e.Message, e.Field);
            return;
        }
        metrics.RankCandidates.Observe(call.Request.Candidates.Count);

        RankedSlate slate;
        // One deadline, two ways to meet it: a timer cancels the wait for a scorer; the ranker reads the clock between slots.
        long deadlineAt = start + (long)(options.Deadline.TotalSeconds * Stopwatch.Frequency);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadlineAt);
        deadline.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            slate = await pool.RankAsync(call.Request, deadline.Token, deadlineAt);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Past the deadline (waiting for a scorer or ranking); a client that left is the middleware's 499.
            await ServiceResponses.WriteError(context, 503,
                $"the request took longer than the deadline of {options.Deadline.TotalMilliseconds:0} ms (--deadline-ms)", null);
            return;
        }
        catch (PoolBusyException e)
        {
            context.Response.Headers.RetryAfter = "1";
            await ServiceResponses.WriteError(context, 503, e.Message, null);
            return;
        }
        catch (ArgumentException e)
        {
            // The reader checks everything the ranker does; this keeps any check it misses a 400, not a 500.
            int colon = e.Message.IndexOf(':');
            await ServiceResponses.WriteError(context, 400, e.Message, colon > 0 ? e.Message[..colon] : null);
            return;
        }
        var entries = new SlateEntry[slate.Order.Length];
        for (int t = 0; t < entries.Length; t++)
            entries[t] = new SlateEntry(slate.Order[t], call.Request.Candidates[slate.Order[t]][itemField][0], slate.Q[t]);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        await ServiceResponses.Write(context, new RankResponse(call.RequestId, pool.Info, entries, ms));
    }

    private async Task<RankCall> Read(HttpContext context, CancellationToken cancel)
    {
        var request = context.Request;
        if (request.ContentLength > options.MaxBodyBytes)
            throw new RequestError(413, "body", $"body: {request.ContentLength} bytes, over the limit of {options.MaxBodyBytes} (--max-body-bytes)");
        // A chunked body has no length up front: the server stops reading it at this limit. Set here, per request, so
        // the limit holds in any host the endpoints are mapped into, not only where the server-wide limit is set to it.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
            bodyLimit.MaxRequestBodySize = options.MaxBodyBytes;
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
            // The server's own limits while reading: 413 past the body limit (chunked bodies), 408/400 for broken uploads.
            throw new RequestError(e.StatusCode, "body", $"body: {e.Message}");
        }
    }
}
