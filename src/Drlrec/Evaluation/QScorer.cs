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
}

/// <summary>Scores logged lists with a Q-network, in eval mode, without gradients.</summary>
public static class QScorer
{
    /// <returns>[N·L] scores aligned with <see cref="EncodedLists.Rewards"/>.</returns>
    public static float[] Score(QNetwork network, EncodedLists data, int batchSize = 512, OfflineScoring scoring = OfflineScoring.Logged,
        Features.FieldLayout? layout = null)
    {
        if (scoring == OfflineScoring.FirstSlot && layout is null) throw new ArgumentException("first-slot scoring needs the field layout");
        bool wasTraining = network.training;
        network.eval();
        var scores = new float[data.Count * data.MaxLength];
        var indices = Enumerable.Range(0, data.Count).ToArray();
        using (no_grad())
        {
            for (int start = 0; start < data.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(batchSize, data.Count - start);
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

    public static OfflineMetrics Evaluate(QNetwork network, EncodedLists data, int batchSize = 512,
        OfflineScoring scoring = OfflineScoring.Logged, Features.FieldLayout? layout = null) =>
        OfflineMetrics.Compute(data, Score(network, data, batchSize, scoring, layout));
}
