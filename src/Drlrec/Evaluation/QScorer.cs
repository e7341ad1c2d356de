using Drlrec.Features;
using Drlrec.Model;
using static TorchSharp.torch;

namespace Drlrec.Evaluation;

/// <summary>Scores logged lists with a Q-network: Q(s_t, i_t) at every position, in eval mode, without gradients.</summary>
public static class QScorer
{
    /// <returns>[N·L] scores aligned with <see cref="EncodedLists.Rewards"/>.</returns>
    public static float[] Score(QNetwork network, EncodedLists data, int batchSize = 512)
    {
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
                var q = network.Forward(batch).Q.contiguous().data<float>().ToArray();
                Array.Copy(q, 0, scores, start * data.MaxLength, q.Length);
            }
        }
        network.train(wasTraining);
        return scores;
    }

    public static OfflineMetrics Evaluate(QNetwork network, EncodedLists data, int batchSize = 512) =>
        OfflineMetrics.Compute(data, Score(network, data, batchSize));
}
