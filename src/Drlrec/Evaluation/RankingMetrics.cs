namespace Drlrec.Evaluation;

/// <summary>Offline ranking metrics. Ties in scores are handled exactly (mid-ranks; expected DCG over tie orders).</summary>
public static class RankingMetrics
{
    /// <summary>
    /// Area under the ROC curve of scores against binary labels (label = reward &gt; 0), by the Mann–Whitney
    /// statistic with mid-ranks for tied scores:
    /// <code>AUC = (Σ_{i ∈ pos} rank_i − n⁺(n⁺ + 1)/2) / (n⁺ · n⁻)</code>
    /// A tie between a positive and a negative counts one half. NaN when a class is absent; a non-finite score is an
    /// error (a broken model), never sorted as if it were a number.
    /// </summary>
    public static double Auc(ReadOnlySpan<double> scores, ReadOnlySpan<float> rewards)
    {
        if (scores.Length != rewards.Length) throw new ArgumentException("scores and rewards differ in length");
        EnsureFinite(scores);
        int n = scores.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = scores.ToArray();
        Array.Sort(keys, order);

        double positiveRankSum = 0;
        long positives = 0;
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end + 1 < n && keys[end + 1] == keys[start]) end++;
            double midRank = (start + end) / 2.0 + 1; // 1-based ranks start+1..end+1
            for (int j = start; j <= end; j++)
                if (rewards[order[j]] > 0) { positiveRankSum += midRank; positives++; }
            start = end + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>
    /// Group AUC: per-user AUC weighted by the user's number of items, over users having both classes:
    /// <code>GAUC = Σ_u n_u · AUC_u / Σ_u n_u</code>
    /// </summary>
    public static double Gauc(ReadOnlySpan<double> scores, ReadOnlySpan<float> rewards, ReadOnlySpan<int> users)
    {
        var groups = new Dictionary<int, List<int>>();
        for (int i = 0; i < users.Length; i++)
        {
            if (!groups.TryGetValue(users[i], out var list)) groups[users[i]] = list = [];
            list.Add(i);
        }
        double weighted = 0, weights = 0;
        foreach (var items in groups.Values)
        {
            var s = new double[items.Count];
            var r = new float[items.Count];
            for (int j = 0; j < items.Count; j++) { s[j] = scores[items[j]]; r[j] = rewards[items[j]]; }
            double auc = Auc(s, r);
            if (double.IsNaN(auc)) continue;
            weighted += items.Count * auc;
            weights += items.Count;
        }
        return weights == 0 ? double.NaN : weighted / weights;
    }

    /// <summary>
    /// NDCG@k of one list ordered by score (gain = reward, discount 1/log2(rank + 1)):
    /// <code>NDCG@k = DCG@k(order by score) / DCG@k(order by reward)</code>
    /// Tied scores get the expected DCG over their orders: every rank of a tie group earns the group's mean
    /// gain. NaN when the list has no positive reward (IDCG = 0).
    /// </summary>
    public static double Ndcg(ReadOnlySpan<double> scores, ReadOnlySpan<float> rewards, int k)
    {
        EnsureFinite(scores);
        int n = scores.Length;
        var order = Enumerable.Range(0, n).ToArray();
        var keys = scores.ToArray();
        Array.Sort(keys, order);
        Array.Reverse(keys);
        Array.Reverse(order);

        double dcg = 0;
        for (int start = 0; start < n && start < k;)
        {
            int end = start;
            while (end + 1 < n && keys[end + 1] == keys[start]) end++;
            double meanGain = 0;
            for (int j = start; j <= end; j++) meanGain += rewards[order[j]];
            meanGain /= end - start + 1;
            for (int rank = start; rank <= end && rank < k; rank++) dcg += meanGain / Math.Log2(rank + 2);
            start = end + 1;
        }

        var ideal = rewards.ToArray();
        Array.Sort(ideal);
        Array.Reverse(ideal);
        double idcg = 0;
        for (int rank = 0; rank < Math.Min(k, n); rank++) idcg += ideal[rank] / Math.Log2(rank + 2);
        return idcg <= 0 ? double.NaN : dcg / idcg;
    }

    /// <summary>Refuses NaN or infinite scores (InvalidDataException naming the first).</summary>
    private static void EnsureFinite(ReadOnlySpan<double> scores)
    {
        for (int i = 0; i < scores.Length; i++)
            if (!double.IsFinite(scores[i]))
                throw new InvalidDataException($"score {i} is {scores[i]}: a model that outputs non-finite scores cannot be evaluated");
    }
}
