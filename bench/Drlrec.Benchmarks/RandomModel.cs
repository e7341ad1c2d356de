using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Ranking;

namespace Drlrec.Benchmarks;

/// <summary>
/// A Q-network with random weights on a MovieLens-100K-sized schema (5 user, 3 item, 3 context fields, vocabularies of
/// the data set's sizes), and requests for it. Latency does not depend on what the weights learned, so no training.
/// </summary>
public sealed class RandomModel : IDisposable
{
    private static readonly (FieldSpec Field, int Values)[] Fields =
    [
        (new("user_id", FieldGroup.User), 943), (new("gender", FieldGroup.User), 2), (new("age", FieldGroup.User), 7),
        (new("occupation", FieldGroup.User), 21), (new("zip", FieldGroup.User), 795),
        (new("item_id", FieldGroup.Item), 1682), (new("genres", FieldGroup.Item), 19), (new("year", FieldGroup.Item), 72),
        (new("position", FieldGroup.Context), 10), (new("weekday", FieldGroup.Context), 7), (new("hour", FieldGroup.Context), 24),
    ];

    public RandomModel(QNetworkConfig config, int seed = 1)
    {
        Schema = new ListSchema(Fields.Select(f => f.Field));
        var vocabularies = new List<FieldVocabulary>();
        int offset = 1; // row 0 is padding
        foreach (var (field, count) in Fields)
        {
            var values = Enumerable.Range(0, count).Select(v => Value(field.Name, v)).ToList();
            vocabularies.Add(new FieldVocabulary(field.Name, field.Group, offset, hashed: false, buckets: 0, values));
            offset += 1 + count;
        }
        Vocabulary = new FeatureVocabulary(vocabularies);
        manual_seed(seed);
        Network = new QNetwork(config, FieldLayout.Of(Schema), Vocabulary.Rows, "online");
        Network.eval();
    }

    public ListSchema Schema { get; }
    public FeatureVocabulary Vocabulary { get; }
    public QNetwork Network { get; }

    /// <summary>A request of <paramref name="candidates"/> distinct items (1–3 genres each) for one user and context.</summary>
    public SlateRequest Request(int candidates, int slateSize, int seed = 7)
    {
        var rng = new Random(seed);
        Dictionary<string, string[]> Group(FieldGroup group) => Fields
            .Where(f => f.Field.Group == group && f.Field.Name != SlateRanker.PositionField)
            .ToDictionary(f => f.Field.Name, f => new[] { Value(f.Field.Name, rng.Next(f.Values)) });
        var items = Enumerable.Range(0, 1682).OrderBy(_ => rng.Next()).Take(candidates).Select(item =>
            (IReadOnlyDictionary<string, string[]>)new Dictionary<string, string[]>
            {
                ["item_id"] = [Value("item_id", item)],
                ["genres"] = Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => Value("genres", rng.Next(19))).Distinct().ToArray(),
                ["year"] = [Value("year", rng.Next(72))],
            }).ToList();
        return new SlateRequest(Group(FieldGroup.User), Group(FieldGroup.Context), items, slateSize);
    }

    private static string Value(string field, int index) => $"{field}{index}";

    public void Dispose() => Network.Dispose();
}
