using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Drlrec.IO;

/// <summary>JSON conventions of configs, checkpoints and reports: snake_case names, enums as strings,
/// unknown and repeated config keys rejected (a typo must not silently fall back to a default).</summary>
public static class Json
{
    public static JsonSerializerOptions Options { get; } = Create(strict: true);
    public static JsonSerializerOptions Lenient { get; } = Create(strict: false);
    /// <summary>One JSON document per line (metrics.jsonl).</summary>
    public static JsonSerializerOptions Line { get; } = new(Create(strict: false)) { WriteIndented = false };

    private static JsonSerializerOptions Create(bool strict)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            UnmappedMemberHandling = strict ? JsonUnmappedMemberHandling.Disallow : JsonUnmappedMemberHandling.Skip,
            // A key given twice is a mistake (which value did the user mean?), refused with its path like an unknown key.
            AllowDuplicateProperties = !strict,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Writes <paramref name="value"/> as an indented JSON file, atomically.</summary>
    public static void WriteFile<T>(string path, T value) => AtomicFile.WriteAllText(path, Serialize(value) + "\n");

    /// <summary>Reads a config file; errors name the file and the JSON path.</summary>
    public static T ReadFile<T>(string path) => Parse<T>(File.ReadAllText(path), path);

    /// <summary>A config file's text as <typeparamref name="T"/>; errors name <paramref name="path"/> and the JSON path.</summary>
    public static T Parse<T>(string text, string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(text, Options) ?? throw new InvalidDataException($"{path}: empty JSON document");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {Where(e)}{Problem(e)}", e);
        }
    }

    /// <summary>System.Text.Json's message without the place (<see cref="Where"/> says it), a repeated key in plain words.</summary>
    private static string Problem(JsonException e)
    {
        if (e.Message.StartsWith("Duplicate property", StringComparison.Ordinal)) return "the key appears twice (only one value can be meant)";
        int place = e.Message.IndexOf(" Path: $", StringComparison.Ordinal);
        return place > 0 ? e.Message[..place] : e.Message;
    }

    /// <summary>"line N, key a.b: " for a JSON error that knows its place (System.Text.Json counts lines from 0).</summary>
    private static string Where(JsonException e)
    {
        string line = e.LineNumber is { } n ? $"line {n + 1}" : "";
        string key = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? $"key {p[2..]}" : "";
        string place = string.Join(", ", new[] { line, key }.Where(part => part.Length > 0));
        return place.Length > 0 ? place + ": " : "";
    }

    /// <summary>
    /// Reads a config file meant as a layer over defaults (any subset of <typeparamref name="T"/>'s keys), checked
    /// against <typeparamref name="T"/> as <see cref="ReadFile{T}"/> checks it, so that a typo or a wrong type fails here
    /// with the file and the JSON path. The file is read once, so a pipe (<c>--config &lt;(echo ...)</c>) works.
    /// </summary>
    public static JsonObject ReadLayer<T>(string path)
    {
        string text = File.ReadAllText(path);
        Parse<T>(text, path);
        return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        }) as JsonObject ?? throw new InvalidDataException($"{path}: a config file must be a JSON object");
    }

    /// <summary>
    /// <paramref name="defaults"/> with a layer on top: every key the layer has replaces the default's value, except that
    /// two objects merge key by key (so <c>{"trainer": {"epochs": 3}}</c> changes the epochs and keeps the batch size).
    /// </summary>
    public static T Overlay<T>(T defaults, JsonObject layer)
    {
        var merged = JsonSerializer.SerializeToNode(defaults, Options) as JsonObject
                     ?? throw new ArgumentException("defaults must serialise to a JSON object", nameof(defaults));
        Merge(merged, layer);
        return merged.Deserialize<T>(Options)!;
    }

    private static void Merge(JsonObject target, JsonObject layer)
    {
        foreach (var (key, value) in layer)
        {
            if (value is JsonObject inner && target[key] is JsonObject existing) Merge(existing, inner);
            else target[key] = value?.DeepClone();
        }
    }
}
