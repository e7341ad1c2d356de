using Drlrec.Configuration;
using Drlrec.Data;

namespace Drlrec.Features;

/// <summary>
/// Fits a vocabulary from lists given a few at a time (a streaming pass over files) or all at once
/// (<see cref="FeatureVocabulary.Fit"/> is this fitter over lists in memory): a row per categorical value seen at least
/// <c>features.min_count</c> times (or hash buckets), the dense fields' centres and scales. Categorical fields keep a
/// count per distinct value. A dense field keeps a count per distinct number until it has
/// <see cref="DistinctLimit"/> of them, and from then on every number (8 bytes each): the quantiles must be exact, and
/// most dense fields (derived counts and rates, ranks) take few distinct values.
/// </summary>
public sealed class VocabularyFitter
{
    /// <summary>Distinct numbers a dense field counts before it keeps every number instead.</summary>
    public const int DistinctLimit = 1 << 20;

    private readonly ListSchema schema;
    private readonly Dictionary<string, int>?[] counts;
    private readonly DenseValues?[] dense;
    private ListSchema? mappedSchema;
    private int[] mapping = [];

    /// <param name="schema">The schema of the fitted data, derived fields included.</param>
    public VocabularyFitter(ListSchema schema)
    {
        this.schema = schema;
        counts = schema.Fields.Select(f => f.Kind == FieldKind.Dense ? null : new Dictionary<string, int>(StringComparer.Ordinal)).ToArray();
        dense = schema.Fields.Select(f => f.Kind == FieldKind.Dense ? new DenseValues() : null).ToArray();
    }

    /// <summary>
    /// Counts every item of a list whose schema is <paramref name="listSchema"/>: a subset of the fitted schema (fields
    /// matched by name), so that derived fields the list does not carry can be counted with <see cref="AddDense"/>.
    /// </summary>
    public void Add(LoggedList list, ListSchema listSchema)
    {
        if (!ReferenceEquals(listSchema, mappedSchema))
        {
            mapping = listSchema.Fields.Select(f => schema.Contains(f.Name) && schema.Fields[schema.IndexOf(f.Name)].Kind == f.Kind
                ? schema.IndexOf(f.Name)
                : throw new ArgumentException($"field '{f.Name}' ({f.Kind}) is not in the fitted schema")).ToArray();
            mappedSchema = listSchema;
        }
        foreach (var item in list.Items)
            for (int k = 0; k < mapping.Length; k++)
            {
                int f = mapping[k];
                if (counts[f] is { } seen)
                {
                    foreach (string v in item.Values[k]) seen[v] = seen.GetValueOrDefault(v) + 1;
                }
                else if (DenseValue.TryRead(item.Values[k][0], out double x))
                {
                    dense[f]!.Add(x, 1);
                }
            }
    }

    /// <summary>Counts a dense field's value (as its value set holds it) <paramref name="times"/> times.</summary>
    public void AddDense(string field, string[] valueSet, long times)
    {
        int f = schema.Contains(field) ? schema.IndexOf(field) : -1;
        if (f < 0 || dense[f] is null) throw new ArgumentException($"'{field}' is not a dense field of the fitted schema");
        if (times > 0 && DenseValue.TryRead(valueSet[0], out double x)) dense[f]!.Add(x, times);
    }

    /// <summary>The vocabulary <see cref="FeatureVocabulary.Fit"/> would fit on the lists counted so far.</summary>
    public FeatureVocabulary Build(FeatureConfig config, ItemStatistics? itemStatistics = null)
    {
        var fields = new List<FieldVocabulary>();
        int offset = 1;
        for (int f = 0; f < schema.Count; f++)
        {
            var spec = schema.Fields[f];
            if (dense[f] is { } numbers)
            {
                var (center, scale) = numbers.Statistics();
                fields.Add(new FieldVocabulary(spec.Name, spec.Group, offset, false, 0, [], FieldKind.Dense, center, scale));
                offset += 2;
                continue;
            }
            var seen = counts[f]!;
            bool hashed = config.HashBuckets > 0 && seen.Count > config.HashBuckets;
            var values = hashed
                ? []
                : seen.Where(kv => kv.Value >= config.MinCount).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            var field = new FieldVocabulary(spec.Name, spec.Group, offset, hashed, hashed ? config.HashBuckets : 0, values);
            fields.Add(field);
            offset += field.Size;
        }
        return new FeatureVocabulary(fields, itemStatistics);
    }

    /// <summary>A dense field's numbers: counted while few are distinct, else kept one by one.</summary>
    private sealed class DenseValues
    {
        private Dictionary<double, long>? distinct = [];
        private List<double>? all;

        public void Add(double x, long times)
        {
            if (distinct is not null)
            {
                distinct[x] = distinct.GetValueOrDefault(x) + times;
                if (distinct.Count <= DistinctLimit) return;
                all = [];
                foreach (var (value, n) in distinct)
                    for (long i = 0; i < n; i++) all.Add(value);
                distinct = null;
                return;
            }
            for (long i = 0; i < times; i++) all!.Add(x);
        }

        public (double Center, double Scale) Statistics() =>
            distinct is not null
                ? FieldVocabulary.StatisticsOfSorted(new CountedSorted(distinct))
                : FieldVocabulary.Statistics(all!);
    }

    /// <summary>Sorted distinct numbers with their counts, read as the sorted list of every number (nothing expanded).</summary>
    private sealed class CountedSorted : IReadOnlyList<double>
    {
        private readonly double[] values;
        private readonly long[] ends; // ends[i]: index one past the last copy of values[i]

        public CountedSorted(Dictionary<double, long> counts)
        {
            values = counts.Keys.Order().ToArray();
            ends = new long[values.Length];
            long end = 0;
            for (int i = 0; i < values.Length; i++) ends[i] = end += counts[values[i]];
            Count = checked((int)end);
        }

        public int Count { get; }

        public double this[int index]
        {
            get
            {
                int at = Array.BinarySearch(ends, (long)index);
                // ends holds exclusive bounds: a hit means the index is the first copy of the next value.
                return values[at >= 0 ? at + 1 : ~at];
            }
        }

        public IEnumerator<double> GetEnumerator()
        {
            long start = 0;
            for (int i = 0; i < values.Length; i++)
            {
                for (long k = start; k < ends[i]; k++) yield return values[i];
                start = ends[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
