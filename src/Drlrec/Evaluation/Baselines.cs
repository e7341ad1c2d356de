using Drlrec.Data;
using Drlrec.Features;
using Drlrec.Simulation;

namespace Drlrec.Evaluation;

/// <summary>Non-learned scorers evaluated by the same code as the models.</summary>
public static class Baselines
{
    /// <summary>Prior strength of the popularity baseline's smoothing toward the global like-rate.</summary>
    public const double PopularityPrior = 5;

    /// <summary>
    /// Item popularity: each item's like-rate in the training split, smoothed toward the global rate p̄ so that
    /// an item seen once is not scored 0 or 1:
    /// <code>score(i) = (clicks_i + α·p̄) / (impressions_i + α),  α = 5;  unseen items score p̄</code>
    /// </summary>
    public static float[] ItemPopularity(EncodedLists train, EncodedLists test)
    {
        var clicks = new Dictionary<string, double>(StringComparer.Ordinal);
        var shown = new Dictionary<string, double>(StringComparer.Ordinal);
        double totalClicks = 0, total = 0;
        for (int i = 0; i < train.Count; i++)
            for (int t = 0; t < train.Lengths[i]; t++)
            {
                string key = train.ItemKeys[train.Items[i * train.MaxLength + t]];
                double liked = train.Rewards[i * train.MaxLength + t] > 0 ? 1 : 0;
                clicks[key] = clicks.GetValueOrDefault(key) + liked;
                shown[key] = shown.GetValueOrDefault(key) + 1;
                totalClicks += liked;
                total += 1;
            }
        double prior = total == 0 ? 0 : totalClicks / total;
        var scores = new float[test.Count * test.MaxLength];
        for (int i = 0; i < test.Count; i++)
            for (int t = 0; t < test.Lengths[i]; t++)
            {
                string key = test.ItemKeys[test.Items[i * test.MaxLength + t]];
                scores[i * test.MaxLength + t] = shown.TryGetValue(key, out double n)
                    ? (float)((clicks[key] + PopularityPrior * prior) / (n + PopularityPrior))
                    : (float)prior;
            }
        return scores;
    }

    /// <summary>Uniform random scores from a seeded generator (AUC ≈ 0.5).</summary>
    public static float[] Random(EncodedLists test, int seed)
    {
        var rng = new Random(seed);
        var scores = new float[test.Count * test.MaxLength];
        for (int i = 0; i < scores.Length; i++) scores[i] = (float)rng.NextDouble();
        return scores;
    }

    /// <summary>The item field that carries the upstream ranker's score (a dense item field of this name).</summary>
    public const string UpstreamScoreField = SyntheticSimulator.UpstreamScoreField;

    /// <summary>
    /// The upstream ranker's score as given with each item (the dense item field <c>upstream_score</c>): the order a
    /// re-ranker receives, so the bar its relevance estimate must clear. An item whose score is missing ranks below every
    /// scored item (it gets the lowest score of the data minus 1). Null when the lists have no such field.
    /// </summary>
    /// <param name="maxLength">L of the [N, L] score layout (the encoded lists' maximum length).</param>
    public static float[]? UpstreamScore(ListDataset lists, int maxLength)
    {
        if (!lists.Schema.Contains(UpstreamScoreField)) return null;
        int field = lists.Schema.IndexOf(UpstreamScoreField);
        if (lists.Schema.Fields[field] is not { Kind: FieldKind.Dense, Group: FieldGroup.Item }) return null;
        var scores = new float[lists.Lists.Count * maxLength];
        var missing = new List<int>();
        float lowest = float.PositiveInfinity;
        for (int i = 0; i < lists.Lists.Count; i++)
            for (int t = 0; t < lists.Lists[i].Items.Count; t++)
            {
                int at = i * maxLength + t;
                if (DenseValue.TryRead(lists.Lists[i].Items[t].Values[field][0], out double value))
                {
                    scores[at] = (float)value;
                    lowest = Math.Min(lowest, scores[at]);
                }
                else missing.Add(at);
            }
        foreach (int at in missing) scores[at] = float.IsFinite(lowest) ? lowest - 1 : 0;
        return scores;
    }

    /// <summary>The simulator's true click probability of each logged item (<see cref="SyntheticSimulator.ClickProbabilitiesOf"/>):
    /// the best any scorer can do on the simulator's logs, whose clicks are draws from these.</summary>
    public static float[] TrueClickProbability(ListDataset lists, SyntheticSimulator world, int maxLength)
    {
        var scores = new float[lists.Lists.Count * maxLength];
        for (int i = 0; i < lists.Lists.Count; i++)
        {
            var p = world.ClickProbabilitiesOf(lists.Lists[i], lists.Schema);
            for (int t = 0; t < p.Length; t++) scores[i * maxLength + t] = (float)p[t];
        }
        return scores;
    }
}
