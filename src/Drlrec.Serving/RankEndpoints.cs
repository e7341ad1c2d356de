using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Drlrec.Ranking;

namespace Drlrec.Serving;

/// <summary>
/// The handlers behind POST /v1/rank, GET /healthz, GET /readyz, GET /metrics and POST /admin/reload (mapped by
/// <see cref="RankingComposition.MapRankEndpoints"/>), over the services <see cref="RankingComposition.AddDrlrecRanking"/>
/// registers. Plain <see cref="RequestDelegate"/>s rather than minimal-API parameter binding: the body is read
/// and checked by <see cref="RankRequestReader"/>, whose errors name the field, not by a model binder.
/// </summary>
internal sealed class RankEndpoints(ModelSlot slot, ServiceMetrics metrics, MetricsExposition exposition, ServeOptions options)
{
    public Task Health(HttpContext context) => Status(context, "ok");

    /// <summary>
    /// Readiness (Kubernetes' readinessProbe; /healthz is the livenessProbe): the model is loaded and every scorer warm.
    /// The port opens only after that, and closes as soon as shutdown begins, so an answer is always 200 "ready" with the
    /// serving model; a refused connection is "not ready".
    /// </summary>
    public Task Ready(HttpContext context) => Status(context, "ready");

    private Task Status(HttpContext context, string status)
    {
        var model = slot.Current;
        return ServiceResponses.Write(context, new HealthResponse(status, model.Info, model.Pool.Workers));
    }

    public Task Metrics(HttpContext context) => exposition.Write(context);

    public async Task Rank(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        // The model this request started with stays loaded until it is answered, whatever a reload does meanwhile.
        using var lease = slot.Acquire();
        var (pool, reader) = (lease.Model.Pool, lease.Model.Reader);
        RankCall call;
        try
        {
            call = await Read(context, reader, context.RequestAborted);
        }
        catch (RequestError e)
        {
            // A refused upload (413, 408) leaves the rest of its body unread, so the server closes the connection after
            // answering; say so, or a client may send its next request on a connection that is going away.
            if (e.Status is 413 or 408) context.Response.Headers.Connection = "close";
            await ServiceResponses.WriteError(context, e.Status, e.Message, e.Field);
            return;
        }
        metrics.RankRead(call.Request.Candidates.Count);
        context.Items[RankObservation.RequestIdItem] = call.RequestId;
        context.Items[RankObservation.ModelVersionItem] = lease.Model.Info.Version;

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
            await ServiceResponses.WriteError(context, 400, e.Message, RankRequestReader.FieldOf(e));
            return;
        }
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        await ServiceResponses.Write(context, RankResponse.Of(call, slate, pool, ms));
    }

    /// <summary>
    /// Loads a checkpoint (the body's <c>model</c> path, or the served path again) and swaps it in once it is warm;
    /// requests in flight finish on the old model. With the onnx backend the graph is the body's <c>onnx</c> path, or the
    /// served one read again, and must have been exported from that checkpoint. Answered only to loopback clients (403
    /// otherwise); a body with an unknown key is a 400; a checkpoint that does not load, or a graph that is not its own, is
    /// a 422 and the current model keeps serving.
    /// </summary>
    public async Task Reload(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is null || !IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
        {
            await ServiceResponses.WriteError(context, 403, "/admin/reload is answered only to clients on this machine (loopback)", null);
            return;
        }
        ReloadRequest request;
        try
        {
            request = await ReadReload(context);
        }
        catch (RequestError e)
        {
            await ServiceResponses.WriteError(context, e.Status, e.Message, e.Field);
            return;
        }
        var previous = slot.Current.Info;
        try
        {
            var info = await slot.ReloadAsync(request.Model, request.Onnx, context.RequestAborted);
            metrics.Reloaded();
            await ServiceResponses.Write(context, new ReloadResponse("reloaded", info, previous));
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or IOException
                                       or ArgumentException or UnauthorizedAccessException)
        {
            // A graph that is not the new checkpoint's: say how a reload names the right one. Any failure to open the graph
            // (corrupted, missing, not loadable) is the graph's field, not the checkpoint's.
            bool binding = Onnx.OnnxBinding.IsRefusal(e);
            string how = binding ? "; a reload names the new model's graph with {\"model\": \"DIR\", \"onnx\": \"FILE\"}" : "";
            await ServiceResponses.WriteError(context, 422, $"model not reloaded, {previous.Version} keeps serving: {e.Message}{how}",
                binding || ScorerBackends.IsGraphFailure(e) ? "onnx" : "model");
        }
    }

    /// <summary>The optional body of /admin/reload: the checkpoint and, for the onnx backend, its graph.</summary>
    private sealed record ReloadRequest(string? Model, string? Onnx);

    /// <summary>The optional body <c>{"model": "path", "onnx": "path"}</c>, either key optional; an empty body reloads the
    /// served paths. Unknown keys are refused as <c>/v1/rank</c> refuses them (<see cref="RankRequestReader.Members"/>).</summary>
    private async Task<ReloadRequest> ReadReload(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (buffer.Length == 0) return new ReloadRequest(null, null);
        try
        {
            using var body = JsonDocument.Parse(buffer.ToArray(), RankRequestReader.BodyJson);
            if (body.RootElement.ValueKind != JsonValueKind.Object)
                throw new RequestError(400, "body", "body: expected a JSON object such as {\"model\": \"runs/student\"}, or no body");
            var members = RankRequestReader.Members(body.RootElement, "body", "model", "onnx");
            string? model = PathMember(members, "model", "the path of a run folder or model.ckpt");
            string? onnx = PathMember(members, "onnx", "the path of the new model's exported step graph (NAME.onnx)");
            if (onnx is not null && ScorerBackends.GraphRefusal(options.Backend, "onnx") is { } refusal)
                throw new RequestError(400, "onnx", refusal);
            return new ReloadRequest(model, onnx);
        }
        catch (JsonException e)
        {
            throw new RequestError(400, "body", $"body: malformed JSON ({e.Message})");
        }
    }

    /// <summary>A non-empty string member, or null when the key is absent.</summary>
    private static string? PathMember(Dictionary<string, JsonElement> members, string key, string expected)
    {
        if (!members.TryGetValue(key, out var value)) return null;
        return value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new RequestError(400, key, $"{key}: expected {expected}");
    }

    private async Task<RankCall> Read(HttpContext context, RankRequestReader reader, CancellationToken cancel)
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
            using var body = await JsonDocument.ParseAsync(request.Body, RankRequestReader.BodyJson, cancel);
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
