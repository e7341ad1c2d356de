using System.Text.Json;
using System.Text.Json.Serialization;

namespace Drlrec.Configuration;

/// <summary>JSON conventions of configs, checkpoints and reports: snake_case names, enums as strings,
/// unknown config keys rejected (a typo must not silently fall back to a default).</summary>
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
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Reads a config file; errors name the file and the JSON path.</summary>
    public static T ReadFile<T>(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
                   ?? throw new InvalidDataException($"{path}: empty JSON document");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
