using System.IO.Hashing;
using System.Text;
using System.Text.Json.Serialization;
using Drlrec.Configuration;
using Drlrec.Data;

namespace Drlrec.Features;

/// <summary>One field's slice of the shared embedding table.</summary>
public sealed class FieldVocabulary
{
    [JsonConstructor]
    public FieldVocabulary(string name, FieldGroup group, int offset, bool hashed, int buckets, IReadOnlyList<string> values)
    {
        Name = name;
        Group = group;
        Offset = offset;
        Hashed = hashed;
        Buckets = buckets;
        Values = values;
        Lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < values.Count; i++) Lookup[values[i]] = i;
    }

    public string Name { get; }
    public FieldGroup Group { get; }
    /// <summary>Row of this field's out-of-vocabulary value; its known values follow it.</summary>
    public int Offset { get; }
    public bool Hashed { get; }
    /// <summary>Rows used by a hashed field (besides the out-of-vocabulary row).</summary>
    public int Buckets { get; }
    /// <summary>Known values in row order (empty when hashed).</summary>
    public IReadOnlyList<string> Values { get; }

    [JsonIgnore] internal Dictionary<string, int> Lookup { get; }

    /// <summary>Rows this field occupies: the out-of-vocabulary row plus one per value (or bucket).</summary>
    [JsonIgnore] public int Size => 1 + (Hashed ? Buckets : Values.Count);

    public int Row(string value)
    {
        if (Hashed) return Offset + 1 + (int)(XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(value)) % (ulong)Buckets);
        return Lookup.TryGetValue(value, out int i) ? Offset + 1 + i : Offset;
    }
}

/// <summary>
/// Maps every (field, value) to a row of one embedding table: row 0 is padding (a zero vector that never
/// learns), then each field owns an out-of-vocabulary row followed by its values' rows.
/// </summary>
public sealed class FeatureVocabulary
{
    [JsonConstructor]
    public FeatureVocabulary(IReadOnlyList<FieldVocabulary> fields) => Fields = fields;

    public IReadOnlyList<FieldVocabulary> Fields { get; }

    /// <summary>Rows of the embedding table, padding row included.</summary>
    [JsonIgnore] public int Rows => Fields.Count == 0 ? 1 : Fields[^1].Offset + Fields[^1].Size;

    public int Row(int field, string value) => Fields[field].Row(value);

    public static FeatureVocabulary Fit(ListDataset train, FeatureConfig config)
    {
        var schema = train.Schema;
        var counts = schema.Fields.Select(_ => new Dictionary<string, int>(StringComparer.Ordinal)).ToArray();
        foreach (var item in train.Lists.SelectMany(l => l.Items))
            for (int f = 0; f < schema.Count; f++)
                foreach (string v in item.Values[f])
                    counts[f][v] = counts[f].GetValueOrDefault(v) + 1;

        var fields = new List<FieldVocabulary>();
        int offset = 1;
        for (int f = 0; f < schema.Count; f++)
        {
            var spec = schema.Fields[f];
            bool hashed = config.HashBuckets > 0 && counts[f].Count > config.HashBuckets;
            var values = hashed
                ? []
                : counts[f].Where(kv => kv.Value >= config.MinCount).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            var field = new FieldVocabulary(spec.Name, spec.Group, offset, hashed, hashed ? config.HashBuckets : 0, values);
            fields.Add(field);
            offset += field.Size;
        }
        return new FeatureVocabulary(fields);
    }

    /// <summary>Checks that a data set's schema is the one this vocabulary was fitted on.</summary>
    public void EnsureMatches(ListSchema schema, string what)
    {
        var expected = Fields.Select(f => $"{f.Group}:{f.Name}");
        var actual = schema.Fields.Select(f => $"{f.Group}:{f.Name}");
        if (!expected.SequenceEqual(actual))
            throw new InvalidDataException(
                $"{what} has fields [{string.Join(", ", actual)}] but the model was trained on [{string.Join(", ", expected)}]");
    }
}
