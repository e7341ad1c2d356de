using Drlrec.Distributed;
using Drlrec.Features;
using Drlrec.Model;
using static TorchSharp.torch;

namespace Drlrec.Evaluation;

/// <summary>Which Q-value stands for an item in offline metrics.</summary>
public enum OfflineScoring
{
    /// <summary>Q(s_t, i_t) along the logged list: each item scored where it was shown, after the items shown before it
    /// (the reference code's evaluation, and the default).</summary>
    Logged,
    /// <summary>Every item of a list scored in the same state: placed first (empty prefix, the first slot's user and
    /// context fields). Removes the episodic offset of Q (earlier positions carry more future value), so items of
    /// different positions compare as a re-ranker compares candidates.</summary>
    FirstSlot,
    /// <summary>Logged, minus the mean Q of the item's position over reference lists (the validation lists, never the
    /// evaluated ones): Q(s_t, i_t) = r_t + γ·V(s_{t+1}) carries a future value that shrinks with the positions left, an
    /// offset a re-ranker never compares across (it ranks candidates of one slot) but that pooled AUC does. Keeps the
    /// prefix each item was shown after.</summary>
    PositionCentred,
}

/// <summary>Scores logged lists with a Q-network, in eval mode, without gradients.</summary>
public static class QScorer
{
    /// <returns>[N·L] scores aligned with <see cref="EncodedLists.Rewards"/>.</returns>
    public static float[] Score(QNetwork network, EncodedLists data, int batchSize = 512, OfflineScoring scoring = OfflineScoring.Logged,
        Features.FieldLayout? layout = null) => Score(network, data, 0, data.Count, batchSize, scoring, layout);

    /// <summary>Scores lists [<paramref name="first"/>, first + <paramref name="count"/>) of <paramref name="data"/>.</summary>
    /// <returns>[count·L] scores aligned with those lists' part of <see cref="EncodedLists.Rewards"/>.</returns>
    public static float[] Score(QNetwork network, EncodedLists data, int first, int count, int batchSize = 512,
        OfflineScoring scoring = OfflineScoring.Logged, Features.FieldLayout? layout = null)
    {
        if (scoring == OfflineScoring.FirstSlot && layout is null) throw new ArgumentException("first-slot scoring needs the field layout");
        bool wasTraining = network.training;
        network.eval();
        var scores = new float[count * data.MaxLength];
        var indices = Enumerable.Range(first, count).ToArray();
        using (no_grad())
        {
            for (int start = 0; start < count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(batchSize, count - start);
                var batch = data.Batch(indices.AsSpan(start, n));
                var q = (scoring == OfflineScoring.Logged
                    ? network.Forward(batch).Q
                    : network.ScoreCandidates(network.EmptyPrefix(n),
                        layout!.Place(batch.Rows.select(1, 0), layout.ItemPart(batch.Rows, 2))).Q).contiguous().data<float>().ToArray();
                Array.Copy(q, 0, scores, start * data.MaxLength, q.Length);
            }
        }
        network.train(wasTraining);
        return scores;
    }

    /// <summary>
    /// Logged-position metrics computed by several ranks together: each scores its contiguous share of the lists, the
    /// scores are gathered in rank order (every rank holds the same lists, hence the same labels and users), and every
    /// rank computes the same AUC, GAUC and NDCG as one process scoring them all.
    /// </summary>
    public static OfflineMetrics Evaluate(QNetwork network, EncodedLists data, DataParallel world, int batchSize = 512)
    {
        if (world.Size == 1) return Evaluate(network, data, batchSize);
        var (first, count) = world.ShareOf(data.Count);
        return OfflineMetrics.Compute(data, world.AllGather(Score(network, data, first, count, batchSize)));
    }

    /// <param name="reference">For <see cref="OfflineScoring.PositionCentred"/>: the lists the per-position mean Q comes from.</param>
    public static OfflineMetrics Evaluate(QNetwork network, EncodedLists data, int batchSize = 512,
        OfflineScoring scoring = OfflineScoring.Logged, Features.FieldLayout? layout = null, EncodedLists? reference = null)
    {
        if (scoring != OfflineScoring.PositionCentred) return OfflineMetrics.Compute(data, Score(network, data, batchSize, scoring, layout));
        if (reference is null) throw new ArgumentException("position-centred scoring needs reference lists (the validation lists)");
        var offsets = PositionMeans(reference, Score(network, reference, batchSize));
        var scores = Score(network, data, batchSize);
        for (int i = 0; i < data.Count; i++)
            for (int t = 0; t < data.Lengths[i]; t++)
                scores[i * data.MaxLength + t] -= t < offsets.Length ? offsets[t] : offsets[^1];
        return OfflineMetrics.Compute(data, scores);
    }

    /// <summary>Mean score of each position over the real positions of <paramref name="data"/>.</summary>
    public static float[] PositionMeans(EncodedLists data, float[] scores)
    {
        var sum = new double[data.MaxLength];
        var count = new int[data.MaxLength];
        for (int i = 0; i < data.Count; i++)
            for (int t = 0; t < data.Lengths[i]; t++)
            {
                sum[t] += scores[i * data.MaxLength + t];
                count[t]++;
            }
        int known = Math.Max(1, count.Count(c => c > 0));
        return Enumerable.Range(0, known).Select(t => count[t] == 0 ? 0f : (float)(sum[t] / count[t])).ToArray();
    }
}
