using System.Text.Json;
using Drlrec.Data;
using Drlrec.Ranking;

namespace Drlrec.Serving;

/// <summary>A request the service refuses: the HTTP status, the offending field (a JSON path) and why.</summary>
public sealed class RequestError(int status, string field, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Field { get; } = field;
}

/// <summary>A valid /v1/rank request.</summary>
public sealed record RankCall(SlateRequest Request, string RequestId);

/// <summary>
/// Turns a /v1/rank JSON body into a <see cref="SlateRequest"/> the model can take, or a <see cref="RequestError"/>
/// naming the field. Strict on shape (unknown or repeated keys, wrong types, missing fields are errors, so a typo never
/// silently drops a feature) and lenient on values (an unseen value maps to its field's out-of-vocabulary row).
/// A categorical field's values are strings; numbers are refused rather than converted, because "1990" and 1990.0 would
/// differ silently. A dense field's value is one JSON number (null when missing); a string, or a number beyond the
/// double range, is refused. Two candidates with the same item key (the first item field) are refused, naming both.
/// </summary>
public sealed class RankRequestReader(ListSchema schema, ServeOptions options)
{
    /// <summary>How request bodies are parsed: the request shape is four levels deep; anything much deeper is not a rank request.</summary>
    public static readonly JsonDocumentOptions BodyJson = new() { MaxDepth = 16 };

    /// <summary>The field a ranker's <see cref="ArgumentException"/> names (its message starts "field: ..."), or null. The
    /// reader checks everything the ranker does; this keeps any check it misses the request's fault (a 400), not a 500.</summary>
    public static string? FieldOf(ArgumentException e)
    {
        int colon = e.Message.IndexOf(':');
        return colon > 0 ? e.Message[..colon] : null;
    }

    private readonly string[] userFields = Names(schema, FieldGroup.User);
    private readonly string[] itemFields = Names(schema, FieldGroup.Item);
    // The ranker fills "position" per slot, so clients may leave it out (a given value is ignored).
    private readonly string[] contextFields = Names(schema, FieldGroup.Context);
    // Derived item fields are the model's own training statistics: clients leave them out (given values are ignored).
    private readonly HashSet<string> derived = schema.Fields.Where(f => f.Derived).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
    // Whether each field is dense, by name (looked up for every candidate's every field).
    private readonly Dictionary<string, bool> dense = schema.Fields.ToDictionary(f => f.Name, f => f.Kind == FieldKind.Dense, StringComparer.Ordinal);

    /// <summary>A value's JSON path, made into text only for an error message (the request path reads every candidate's
    /// every field; formatting each path would cost more than reading the value).</summary>
    private readonly record struct FieldPath(string Where, int Candidate = -1, string? Name = null, int Value = -1)
    {
        public FieldPath Field(string name) => this with { Name = name };
        public FieldPath At(int value) => this with { Value = value };

        public override string ToString() =>
            (Candidate >= 0 ? $"{Where}[{Candidate}]" : Where) + (Name is null ? "" : "." + Name) + (Value >= 0 ? $"[{Value}]" : "");
    }

    public RankCall Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw Bad("body", $"must be a JSON object, not {Kind(body)}");
        var members = Members(body, "body", "user", "context", "candidates", "slate_size", "request_id");
        JsonElement? Member(string key) => members.TryGetValue(key, out var value) ? value : null;
        JsonElement? user = Member("user"), context = Member("context"), candidates = Member("candidates"),
            slateSize = Member("slate_size"), requestId = Member("request_id");

        var userMap = Fields(Required(user, "user"), new FieldPath("user"), FieldGroup.User, userFields);
        var contextMap = Fields(Required(context, "context"), new FieldPath("context"), FieldGroup.Context, contextFields);
        var list = Candidates(Required(candidates, "candidates"));
        var size = Required(slateSize, "slate_size");
        int slate = SlateSize(size);
        long work = (long)list.Count * Math.Min(slate, list.Count);
        if (work > options.MaxSlateWork)
            throw Bad("slate_size", $"{list.Count} candidates into {Math.Min(slate, list.Count)} slots is {work} candidate scorings, over the limit of {options.MaxSlateWork} (--max-slate-work)");
        string id = requestId switch
        {
            null => Guid.NewGuid().ToString("N"),
            { ValueKind: JsonValueKind.String } s => Text(s, "request_id"),
            { } other => throw Bad("request_id", $"must be a string, not {Kind(other)}"),
        };
        return new RankCall(new SlateRequest(userMap, contextMap, list, slate), id);
    }

    /// <summary>
    /// The members of the JSON object <paramref name="body"/> by key, each key one of <paramref name="known"/> and present
    /// at most once: a misspelt key is a 400 naming it, never a setting silently dropped. Every JSON body the service reads
    /// (/v1/rank, /admin/reload) is checked here.
    /// </summary>
    /// <param name="where">What the object is, for a key that is not valid text.</param>
    /// <exception cref="RequestError">An unknown, repeated or unreadable key (400).</exception>
    public static Dictionary<string, JsonElement> Members(JsonElement body, string where, params string[] known)
    {
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            string name = Name(property, where);
            if (Array.IndexOf(known, name) < 0) throw Bad(name, $"unknown field (expected {string.Join(", ", known)})");
            if (!members.TryAdd(name, property.Value)) throw Bad(name, "appears twice");
        }
        return members;
    }

    /// <summary>An integer from 1 to <see cref="int.MaxValue"/>, written as one (5, not 5.0 or "5"); a larger one is out of
    /// range, which the message says with the range.</summary>
    private static int SlateSize(JsonElement size)
    {
        if (size.ValueKind != JsonValueKind.Number) throw Bad("slate_size", $"must be an integer, not {Kind(size)}");
        if (size.TryGetInt32(out int slate)) return slate >= 1 ? slate : throw Bad("slate_size", "must be at least 1");
        if (size.TryGetInt64(out _) || (size.TryGetDouble(out double value) && value == Math.Floor(value) && Math.Abs(value) > int.MaxValue))
            throw Bad("slate_size", $"{size.GetRawText()} is out of range: must be an integer from 1 to {int.MaxValue}");
        throw Bad("slate_size", $"must be an integer, not {size.GetRawText()}");
    }

    private List<IReadOnlyDictionary<string, string[]>> Candidates(JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array) throw Bad("candidates", $"must be an array of objects, not {Kind(array)}");
        int count = array.GetArrayLength();
        if (count == 0) throw Bad("candidates", "at least one candidate is needed");
        if (count > options.MaxCandidates)
            throw Bad("candidates", $"{count} candidates, over the limit of {options.MaxCandidates} (--max-candidates)");
        var list = new List<IReadOnlyDictionary<string, string[]>>(count);
        // Candidate j's item (its key: the first item field's values) → j. A slate places each item at most once, so the
        // same item twice is a client's mistake, refused rather than ranked as two items.
        var seen = new Dictionary<string, int>(count, StringComparer.Ordinal);
        int j = 0;
        foreach (var candidate in array.EnumerateArray())
        {
            var fields = Fields(candidate, new FieldPath("candidates", j), FieldGroup.Item, itemFields);
            if (itemFields.Length > 0 && fields.TryGetValue(itemFields[0], out var values)
                && FieldValues.AsKey(values) is var key && !seen.TryAdd(key, j))
                throw Bad(new FieldPath("candidates", j, itemFields[0]).ToString(),
                    $"'{key}' is already candidates[{seen[key]}].{itemFields[0]}: each item may be a candidate once " +
                    $"({itemFields[0]}, the first item field, is the item's key; a slate never places one item twice)");
            list.Add(fields);
            j++;
        }
        return list;
    }

    /// <summary>One group's field map: every key a field of the group, every field of the group present (but "position").</summary>
    private Dictionary<string, string[]> Fields(JsonElement map, FieldPath where, FieldGroup group, string[] expected)
    {
        if (map.ValueKind != JsonValueKind.Object) throw Bad(where.ToString(), $"must be an object of {GroupName(group)} fields, not {Kind(map)}");
        var result = new Dictionary<string, string[]>(expected.Length, StringComparer.Ordinal);
        foreach (var property in map.EnumerateObject())
        {
            string name = Name(property, where);
            var field = where.Field(name);
            if (Array.IndexOf(expected, name) < 0)
                throw Bad(field.ToString(), $"not a {GroupName(group)} field of this model ({Listed(expected)})");
            if (result.ContainsKey(name)) throw Bad(field.ToString(), "appears twice");
            result[name] = dense[name] ? Number(property.Value, field) : Values(property.Value, field);
        }
        if (result.Count < expected.Length)
            foreach (string name in expected)
                if (!result.ContainsKey(name) && !(group == FieldGroup.Context && name == SlateRanker.PositionField) && !derived.Contains(name))
                    throw Bad(where.Field(name).ToString(), $"missing (the model needs every {GroupName(group)} field: {Listed(expected)})");
        return result;
    }

    private static string GroupName(FieldGroup group) => group switch
    {
        FieldGroup.User => "user",
        FieldGroup.Item => "item",
        _ => "context",
    };

    private static string[] Number(JsonElement value, FieldPath field)
    {
        if (value.ValueKind == JsonValueKind.Null) return DenseValue.Set(null);
        if (value.ValueKind != JsonValueKind.Number)
            throw Bad(field.ToString(), $"must be a number (a dense field) or null when missing, not {Kind(value)}");
        if (!value.TryGetDouble(out double number) || !double.IsFinite(number))
            throw Bad(field.ToString(), $"{value.GetRawText()} is not a finite number");
        return DenseValue.Set(number);
    }

    private string[] Values(JsonElement value, FieldPath field)
    {
        if (value.ValueKind == JsonValueKind.String) return [Text(value, field)];
        if (value.ValueKind != JsonValueKind.Array)
            throw Bad(field.ToString(), $"must be a string or an array of strings, not {Kind(value)}");
        int count = value.GetArrayLength();
        if (count == 0) throw Bad(field.ToString(), "needs at least one value");
        if (count > options.MaxValuesPerField)
            throw Bad(field.ToString(), $"{count} values, over the limit of {options.MaxValuesPerField} (--max-values-per-field)");
        var values = new string[count];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw Bad(field.ToString(), $"value {i} must be a string, not {Kind(item)}");
            values[i] = Text(item, field.At(i));
            i++;
        }
        return values;
    }

    /// <summary>A string value; invalid UTF-8 or a lone surrogate escape (<c>\ud800</c>) cannot become text, and is the
    /// client's error, not the server's.</summary>
    private static string Text(JsonElement value, string field) => Text(value, new FieldPath(field));

    private static string Text(JsonElement value, FieldPath field)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Bad(field.ToString(), NotText);
        }
    }

    private static string Name(JsonProperty property, string where) => Name(property, new FieldPath(where));

    private static string Name(JsonProperty property, FieldPath where)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            throw Bad(where.ToString(), $"a key {NotText}");
        }
    }

    private const string NotText = "is not valid text (invalid UTF-8 bytes or a lone surrogate escape such as \\ud800)";

    private static JsonElement Required(JsonElement? element, string field) =>
        element ?? throw Bad(field, "missing");

    private static RequestError Bad(string field, string message) => new(400, field, $"{field}: {message}");

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string Listed(string[] names) => names.Length == 0 ? "none" : string.Join(", ", names);

    private static string[] Names(ListSchema schema, FieldGroup group) =>
        schema.Fields.Where(f => f.Group == group).Select(f => f.Name).ToArray();
}
