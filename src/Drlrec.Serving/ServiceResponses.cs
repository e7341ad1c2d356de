
namespace Drlrec.Serving;

/// <summary>One placed candidate: its index in the request, its first item field's value, and Q when it was placed.</summary>
public sealed record SlateEntry(int Index, string Item, float Q);

/// <summary>The /v1/rank answer.</summary>
public sealed record RankResponse(string RequestId, ModelInfo Model, IReadOnlyList<SlateEntry> Slate, double LatencyMs);

/// <summary>Every 4xx/5xx answer: what went wrong and, for bad input, the JSON path of the field (e.g. "candidates[3].genres").</summary>
public sealed record ErrorResponse(string Error, string? Field);

/// <summary>The /healthz answer.</summary>
public sealed record HealthResponse(string Status, ModelInfo Model, int Workers);
