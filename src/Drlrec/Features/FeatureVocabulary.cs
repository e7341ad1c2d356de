using System.IO.Hashing;
using System.Text;
using System.Text.Json.Serialization;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Evaluation;

namespace Drlrec.Features;

/// <summary>
/// One field's slice of the shared embedding table. A categorical field has an out-of-vocabulary row and a row per
/// known value (or hash bucket). A dense field has two rows, missing (its out-of-vocabulary row) and present, and its
/// number travels beside the present row as a fixed-point code (<see cref="DenseCode"/>), normalised with the training
/// split's median and spread.
/// </summary>
public sealed class FieldVocabulary
{
    [JsonConstructor]
    public FieldVocabulary(string name, FieldGroup group, int offset, bool hashed, int buckets, IReadOnlyList<string> values,
        FieldKind kind = FieldKind.Categorical, double? center = null, double? scale = null)
    {
        Name = name;
        Group = group;
        Offset = offset;
        Hashed = hashed;
        Buckets = buckets;
        Values = values;
        Kind = kind;
        Center = center;
        Scale = scale;
        if (kind == FieldKind.Dense && (center is not { } c || !double.IsFinite(c) || scale is not > 0 || !double.IsFinite(scale.Value)))
            throw new ArgumentException($"dense field '{name}' needs a finite center and a positive finite scale");
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
    /// <summary>Known values in row order (empty when hashed or dense).</summary>
    public IReadOnlyList<string> Values { get; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public FieldKind Kind { get; }

    /// <summary>A dense field's training median: a value x enters as (x − Center) / Scale, clipped to ±<see cref="DenseCode.Clip"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Center { get; }

    /// <summary>A dense field's training spread: the interquartile range / 1.349 (the standard deviation for normal data,
    /// but not moved by outliers), else the standard deviation, else 1.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Scale { get; }

    [JsonIgnore] internal Dictionary<string, int> Lookup { get; }

    /// <summary>Rows this field occupies: the out-of-vocabulary row plus one per value (or bucket); a dense field two.</summary>
    [JsonIgnore] public int Size => 1 + (Kind == FieldKind.Dense ? 1 : Hashed ? Buckets : Values.Count);

    /// <summary>Index slots a value set needs: a dense field's row and its code, else one per value.</summary>
    public int SlotsFor(string[] values) => Kind == FieldKind.Dense ? 2 : values.Length;

    public int Row(string value)
    {
        if (Kind == FieldKind.Dense) return DenseValue.TryRead(value, out _) ? Offset + 1 : Offset;
        if (Hashed) return Offset + 1 + (int)(XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(value)) % (ulong)Buckets);
        return Lookup.TryGetValue(value, out int i) ? Offset + 1 + i : Offset;
    }

    /// <summary>
    /// Writes a value set into a position's index slots (0 = padding): a categorical field's rows, one per value; a dense
    /// field's present (or missing) row and then its fixed-point code.
    /// </summary>
    /// <exception cref="FormatException">A dense value is not a finite number.</exception>
    public void Encode(string[] values, Span<int> slots)
    {
        if (Kind != FieldKind.Dense)
        {
            for (int v = 0; v < values.Length; v++) slots[v] = Row(values[v]);
            return;
        }
        bool present = DenseValue.TryRead(values[0], out double x);
        slots[0] = present ? Offset + 1 : Offset;
        slots[1] = present ? DenseCode.Of((x - Center!.Value) / Scale!.Value) : 0;
    }

    /// <summary>The robust center and spread of a dense field's training values (see <see cref="Center"/>, <see cref="Scale"/>).</summary>
    public static (double Center, double Scale) Statistics(IReadOnlyList<double> values) =>
        StatisticsOfSorted(values.Order().ToArray());

    /// <summary><see cref="Statistics"/> of values already in ascending order (any list that reads like the sorted values).</summary>
    public static (double Center, double Scale) StatisticsOfSorted(IReadOnlyList<double> sorted)
    {
        if (sorted.Count == 0) return (0, 1);
        double Quantile(double q)
        {
            double at = q * (sorted.Count - 1);
            int lo = (int)Math.Floor(at), hi = Math.Min(lo + 1, sorted.Count - 1);
            return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
        }
        double center = Quantile(0.5), spread = (Quantile(0.75) - Quantile(0.25)) / 1.349;
        if (!(spread > 1e-12))
        {
            double mean = sorted.Average();
            spread = Math.Sqrt(sorted.Sum(v => (v - mean) * (v - mean)) / sorted.Count);
        }
        return (center, spread > 1e-12 ? spread : 1);
    }
}

/// <summary>
/// A dense field's normalised value as an integer among the index slots: round(clip(z, ±Clip) · Scale), so that one
/// int tensor carries every input through candidate placement, gathers, the ONNX graphs and the serving protocol. The
/// network reads it back as code / Scale (exact to 10⁻⁶ on the clipped range).
/// </summary>
public static class DenseCode
{
    public const int Scale = 1_000_000;
    public const double Clip = 5;

    public static int Of(double normalised) => (int)Math.Round(Math.Clamp(normalised, -Clip, Clip) * Scale);
}

/// <summary>
/// Maps every (field, value) to a row of one embedding table: row 0 is padding (a zero vector that never
/// learns), then each field owns an out-of-vocabulary row followed by its values' rows.
/// </summary>
public sealed class FeatureVocabulary
{
    [JsonConstructor]
    public FeatureVocabulary(IReadOnlyList<FieldVocabulary> fields, ItemStatistics? itemStatistics = null)
    {
        Fields = fields;
        ItemStatistics = itemStatistics;
    }

    public IReadOnlyList<FieldVocabulary> Fields { get; }

    /// <summary>The training statistics behind the derived item fields (null when the model has none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ItemStatistics? ItemStatistics { get; }

    /// <summary>Rows of the embedding table, padding row included.</summary>
    [JsonIgnore] public int Rows => Fields.Count == 0 ? 1 : Fields[^1].Offset + Fields[^1].Size;

    public int Row(int field, string value) => Fields[field].Row(value);

    /// <summary>True when some field is dense (positions then need at least two index slots).</summary>
    [JsonIgnore] public bool HasDense => Fields.Any(f => f.Kind == FieldKind.Dense);

    /// <summary>Index slots per field for value sets at most <paramref name="widestSet"/> wide.</summary>
    public int SlotsFor(int widestSet) => Math.Max(Math.Max(1, widestSet), HasDense ? 2 : 1);

    /// <param name="itemStatistics">The statistics behind the data's derived item fields, kept with the vocabulary.</param>
    public static FeatureVocabulary Fit(ListDataset train, FeatureConfig config, ItemStatistics? itemStatistics = null)
    {
        // One fitting path for lists in memory and lists streamed from files (VocabularyFitter), so the two cannot drift.
        var fitter = new VocabularyFitter(train.Schema);
        foreach (var list in train.Lists) fitter.Add(list, train.Schema);
        return fitter.Build(config, itemStatistics);
    }

    /// <summary>Checks that a data set's schema is the one this vocabulary was fitted on.</summary>
    public void EnsureMatches(ListSchema schema, string what)
    {
        var expected = Fields.Select(f => $"{f.Group}:{f.Name}{(f.Kind == FieldKind.Dense ? "#" : "")}");
        var actual = schema.Fields.Select(f => $"{f.Group}:{f.Name}{(f.Kind == FieldKind.Dense ? "#" : "")}");
        if (!expected.SequenceEqual(actual))
            throw new InvalidDataException(
                $"{what} has fields [{string.Join(", ", actual)}] but the model was trained on [{string.Join(", ", expected)}]");
    }
}
