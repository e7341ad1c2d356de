using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Distillation;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Distillation;

public sealed class TeacherSignalsTests
{
    private static readonly DqnConfig Dqn = new(); // γ = 0.4, remaining-list targets

    private static (QNetwork Online, QNetwork Target, EncodedLists Data, FieldLayout Layout) Build()
    {
        var lists = ToyData.Lists(40, seed: 5);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        manual_seed(12);
        var online = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, FieldLayout.Of(lists.Schema), vocabulary.Rows);
        var target = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, FieldLayout.Of(lists.Schema), vocabulary.Rows);
        online.eval();
        target.eval();
        return (online, target, EncodedLists.Encode(lists, vocabulary), FieldLayout.Of(lists.Schema));
    }

    /// <summary>Lists of every length present, in an order that interleaves short and full ones.</summary>
    private static int[] RaggedBatch(EncodedLists data)
    {
        var byLength = Enumerable.Range(0, data.Count).GroupBy(i => data.Lengths[i]).OrderBy(g => g.Key).Select(g => g.First()).ToList();
        Assert.True(byLength.Count >= 4, $"lengths {string.Join(",", byLength.Select(i => data.Lengths[i]))}");
        return [byLength[1], byLength[0], byLength[^1], .. byLength[2..^1]];
    }

    [Fact]
    public void Td_error_of_a_ragged_batch_is_each_lists_brute_force_target_minus_the_teachers_q_and_zero_at_padding()
    {
        var (online, target, data, layout) = Build();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = RaggedBatch(data);

        var view = TeacherView.Compute(online, target, data.Batch(batch), layout, Dqn);

        for (int b = 0; b < batch.Length; b++)
        {
            var alone = online.Forward(data.Batch([batch[b]]));
            var y = BruteForce.RemainingListTargets(online, target, data, batch[b], layout, Dqn.Gamma);
            for (int t = 0; t < data.MaxLength; t++)
            {
                bool real = t < y.Length;
                double q = alone.Q[0, t].item<float>();
                Assert.Equal(q, view.Q[b, t].item<float>(), 4);
                Assert.True(view.Hint[b, t].allclose(alone.Hint[0, t], rtol: 1e-4, atol: 1e-5), $"list {b}, position {t}: hint");
                Assert.Equal(real ? y[t] - q : 0, view.TdError[b, t].item<float>(), 4);
            }
        }
    }

    [Fact]
    public void Cached_signals_of_any_lists_equal_the_view_computed_on_their_batch()
    {
        var (online, target, data, layout) = Build();
        var cache = TeacherSignals.Compute(online, target, data, layout, Dqn, batchSize: 7); // chunks of 7 lists
        using var scope = NewDisposeScope();
        var batch = RaggedBatch(data).Reverse().Concat([data.Count - 1, 8]).ToArray();

        var cached = cache.Batch(batch);
        var fresh = TeacherView.Compute(online, target, data.Batch(batch), layout, Dqn);

        Assert.True(cached.Q.allclose(fresh.Q, rtol: 1e-5, atol: 1e-6));
        Assert.True(cached.Hint.allclose(fresh.Hint, rtol: 1e-5, atol: 1e-6));
        Assert.True(cached.TdError.allclose(fresh.TdError, rtol: 1e-5, atol: 1e-6));
        Assert.True(cached.TdError.abs().sum().item<float>() > 0);
    }
}
