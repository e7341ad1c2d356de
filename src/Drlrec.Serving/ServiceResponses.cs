using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Drlrec.IO;

namespace Drlrec.Serving;

/// <summary>One placed candidate: its index in the request, its first item field's value, and Q when it was placed.</summary>
public sealed record SlateEntry(int Index, string Item, float Q);

/// <summary>The /v1/rank answer (and a line of <c>drlrec rank</c>'s output).</summary>
public sealed record RankResponse(string RequestId, ModelInfo Model, IReadOnlyList<SlateEntry> Slate, double LatencyMs)
{
    /// <summary>In <c>drlrec rank</c>'s output: the request's line in the input file (from 1), so that answers can be
    /// matched to requests when refused lines were skipped. Absent from the service's answers.</summary>
    public long? Line { get; init; }

    /// <summary>The answer to <paramref name="call"/>: each placed candidate with its first item field's value and its Q.</summary>
    public static RankResponse Of(RankCall call, Ranking.RankedSlate slate, RankerPool pool, double latencyMs)
    {
        string itemField = pool.Schema.Fields[pool.Schema.FirstItemField].Name;
        var entries = new SlateEntry[slate.Order.Length];
        for (int t = 0; t < entries.Length; t++)
            entries[t] = new SlateEntry(slate.Order[t], call.Request.Candidates[slate.Order[t]][itemField][0], slate.Q[t]);
        return new RankResponse(call.RequestId, pool.Info, entries, latencyMs);
    }
}

/// <summary>Every 4xx/5xx answer: what went wrong and, for bad input, the JSON path of the field (e.g. "candidates[3].genres").</summary>
public sealed record ErrorResponse(string Error, string? Field);

/// <summary>The /admin/reload answer: the model now serving and the one before it.</summary>
public sealed record ReloadResponse(string Status, ModelInfo Model, ModelInfo Previous);

/// <summary>The /healthz and /readyz answer.</summary>
public sealed record HealthResponse(string Status, ModelInfo Model, int Workers);

/// <summary>
/// How every answer is written: snake_case keys, absent values left out. One place, because the endpoints and the
/// observing middleware (which turns failures into JSON errors) must answer in the same shape.
/// </summary>
internal static class ServiceResponses
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static Task Write<T>(HttpContext context, T answer) =>
        context.Response.WriteAsJsonAsync(answer, Json, context.RequestAborted);

    public static Task WriteError(HttpContext context, int status, string message, string? field)
    {
        context.Response.StatusCode = status;
        return Write(context, new ErrorResponse(message, field));
    }
}
