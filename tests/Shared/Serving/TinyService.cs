using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drlrec.IO;
using Drlrec.Serving;

namespace Drlrec.Testing;

/// <summary>
/// How tests serve <see cref="TinyModel"/>: on a free loopback port (real Kestrel, real HTTP), with small limits so
/// limit tests stay cheap. Shared by the serving tests and the CLI tests, which start services of their own.
/// </summary>
public static class TinyService
{
    public const int MaxCandidates = 40;
    public const int MaxBodyBytes = 64 * 1024;

    public static ServeOptions Options() => new()
    {
        Model = TinyModel.Folder,
        Urls = "http://127.0.0.1:0",
        Workers = 2,
        MaxCandidates = MaxCandidates,
        MaxBodyBytes = MaxBodyBytes,
        MaxValuesPerField = 8,
        MaxSlateWork = MaxSlateWork,
    };

    /// <summary>Candidates × slots one request may cost: the largest request (40 candidates) may place 15.</summary>
    public const int MaxSlateWork = MaxCandidates * 15;

    /// <summary>The answer's JSON body; <c>default</c> when it is empty (a status-only answer).</summary>
    public static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}

/// <summary>Valid /v1/rank bodies for <see cref="TinyModel"/>, as mutable JSON so tests can break one part.</summary>
public static class Requests
{
    public static JsonObject Valid(int candidates = 8, int slateSize = 5, int user = 1) => new()
    {
        ["user"] = new JsonObject { ["user_id"] = $"u{user}", ["age"] = new JsonArray($"a{user % 3}") },
        ["context"] = new JsonObject { ["hour"] = "h1" },
        ["candidates"] = new JsonArray([.. Enumerable.Range(0, candidates).Select(Candidate)]),
        ["slate_size"] = slateSize,
        ["request_id"] = "r-1",
    };

    public static JsonNode Candidate(int j) => new JsonObject
    {
        ["item_id"] = $"i{j}",
        ["genres"] = j % 3 == 0 ? new JsonArray("Drama", "War") : new JsonArray(TinyModel.Genre(j)),
    };

    /// <summary>A valid request padded with spaces to exactly <paramref name="bytes"/> bytes.</summary>
    public static string Padded(int bytes)
    {
        string json = Valid().ToJsonString();
        return json + new string(' ', bytes - json.Length);
    }

    /// <summary>A POST of <paramref name="body"/> to /v1/rank without Content-Length (chunked), so only reading it finds its size.</summary>
    public static HttpRequestMessage Chunked(string body)
    {
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/rank") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        return request;
    }
}
