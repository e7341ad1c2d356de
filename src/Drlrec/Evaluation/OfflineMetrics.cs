using Drlrec.Features;

namespace Drlrec.Evaluation;

/// <summary>The offline report of one scorer on one test set.</summary>
public sealed record OfflineMetrics(double Auc, double Gauc, double Ndcg5, double Ndcg10, int Items, int Lists)
{
    /// <summary>
    /// Scores every real position of <paramref name="data"/>: AUC and GAUC over all items, NDCG@5/@10 of each
    /// list's order by score, averaged over lists with at least one positive reward.
    /// </summary>
    /// <param name="scores">[N, L] one score per position (padded positions ignored).</param>
    public static OfflineMetrics Compute(EncodedLists data, float[] scores)
    {
        int l = data.MaxLength;
        var flatScores = new List<double>(data.ValidItems);
        var flatRewards = new List<float>(data.ValidItems);
        var flatUsers = new List<int>(data.ValidItems);
        double ndcg5 = 0, ndcg10 = 0;
        int rankedLists = 0;
        for (int i = 0; i < data.Count; i++)
        {
            int n = data.Lengths[i];
            var s = new double[n];
            var r = new float[n];
            for (int t = 0; t < n; t++)
            {
                s[t] = scores[i * l + t];
                r[t] = data.Rewards[i * l + t];
                flatScores.Add(s[t]);
                flatRewards.Add(r[t]);
                flatUsers.Add(data.Users[i]);
            }
            double n5 = RankingMetrics.Ndcg(s, r, 5);
            if (double.IsNaN(n5)) continue;
            ndcg5 += n5;
            ndcg10 += RankingMetrics.Ndcg(s, r, 10);
            rankedLists++;
        }
        var allScores = flatScores.ToArray();
        var allRewards = flatRewards.ToArray();
        return new OfflineMetrics(
            RankingMetrics.Auc(allScores, allRewards),
            RankingMetrics.Gauc(allScores, allRewards, flatUsers.ToArray()),
            rankedLists == 0 ? double.NaN : ndcg5 / rankedLists,
            rankedLists == 0 ? double.NaN : ndcg10 / rankedLists,
            allScores.Length, data.Count);
    }
}
