using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drlrec.Data;
using Drlrec.Features;
using Drlrec.Ranking;

namespace Drlrec.Serving;

/// <summary>Request bodies for the load client: read from a file, or made up from a model's schema and vocabulary.</summary>
public static class LoadRequests
{
    /// <summary>
    /// Bodies from <paramref name="path"/>: a JSON array of requests, a single request object, or JSON lines (one
    /// request per line). Each is checked to be a JSON object, so a broken file fails here and not as server errors.
    /// </summary>
    public static IReadOnlyList<byte[]> Read(string path)
    {
        string text = File.ReadAllText(path);
        try
        {
            using var whole = JsonDocument.Parse(text);
            if (whole.RootElement.ValueKind == JsonValueKind.Array)
                return whole.RootElement.EnumerateArray().Select((r, i) => Body(r, $"{path}: request {i}")).ToArray();
            return [Body(whole.RootElement, path)];
        }
        catch (JsonException)
        {
            // Not one document: JSON lines.
        }
        var bodies = new List<byte[]>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            try
            {
                using var line = JsonDocument.Parse(lines[i]);
                bodies.Add(Body(line.RootElement, $"{path}:{i + 1}"));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{i + 1}: not a JSON request ({e.Message})", e);
            }
        }
        return bodies.Count > 0 ? bodies : throw new InvalidDataException($"{path}: no requests");
    }

    private static byte[] Body(JsonElement request, string where) => request.ValueKind == JsonValueKind.Object
        ? Encoding.UTF8.GetBytes(request.GetRawText())
        : throw new InvalidDataException($"{where}: a request must be a JSON object");

    /// <summary>
    /// <paramref name="count"/> requests of <paramref name="candidates"/> candidates each, values drawn from the
    /// vocabulary (so they embed to trained rows, as real traffic mostly would), each candidate a different item;
    /// position is left to the ranker.
    /// </summary>
    public static IReadOnlyList<byte[]> Synthesise(ListSchema schema, FeatureVocabulary vocabulary, int count, int candidates,
        int slateSize, int seed)
    {
        if (candidates < 1) throw new ArgumentException("--candidates: must be at least 1");
        if (slateSize < 1) throw new ArgumentException("--slate-size: must be at least 1");
        var rng = new Random(seed);
        string[] Pick(int field)
        {
            var values = vocabulary.Fields[field].Values;
            string One() => values.Count > 0 ? values[rng.Next(values.Count)] : "v" + rng.Next(1000); // hashed fields keep no values
            return rng.NextDouble() < 0.25 ? [One(), One()] : [One()];
        }
        JsonObject Group(FieldGroup group)
        {
            var map = new JsonObject();
            for (int f = 0; f < schema.Count; f++)
                if (schema.Fields[f].Group == group && schema.Fields[f].Name != SlateRanker.PositionField && !schema.Fields[f].Derived)
                    map[schema.Fields[f].Name] = schema.Fields[f].Kind == FieldKind.Dense
                        ? JsonValue.Create(Math.Round(vocabulary.Fields[f].Center!.Value + vocabulary.Fields[f].Scale!.Value * (2 * rng.NextDouble() - 1), 4))
                        : new JsonArray([.. Pick(f).Distinct().Select(v => JsonValue.Create(v))]);
            return map;
        }
        // The item key (the first item field) is distinct within a request, as the service requires: drawn again when
        // taken, and once the vocabulary runs short a made-up value (its out-of-vocabulary row).
        int keyField = schema.FirstItemField;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        string UniqueKey(int j)
        {
            for (int attempt = 0; attempt < 8; attempt++)
                if (Pick(keyField)[0] is var key && keys.Add(key)) return key;
            string made = $"load-item-{j}";
            return keys.Add(made) ? made : Guid.NewGuid().ToString("N");
        }
        var bodies = new byte[count][];
        for (int r = 0; r < count; r++)
        {
            var list = new JsonArray();
            keys.Clear();
            for (int j = 0; j < candidates; j++)
            {
                var item = Group(FieldGroup.Item);
                if (schema.ItemCount > 0 && schema.Fields[keyField].Kind != FieldKind.Dense) item[schema.Fields[keyField].Name] = new JsonArray(UniqueKey(j));
                list.Add(item);
            }
            var request = new JsonObject
            {
                ["user"] = Group(FieldGroup.User),
                ["context"] = Group(FieldGroup.Context),
                ["candidates"] = list,
                ["slate_size"] = slateSize,
                ["request_id"] = $"load-{r}",
            };
            bodies[r] = Encoding.UTF8.GetBytes(request.ToJsonString());
        }
        return bodies;
    }
}
