using Drlrec.Features;

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
}
