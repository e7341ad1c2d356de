using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Learning;

public sealed class DoubleDqnTests
{
    private const double Gamma = 0.4;

    private static (QNetwork Online, QNetwork Target, EncodedLists Data, FieldLayout Layout) Build(int count = 12)
    {
        var lists = ToyData.Lists(count, seed: 5);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        manual_seed(11);
        var online = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, FieldLayout.Of(lists.Schema), vocabulary.Rows);
        var target = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, FieldLayout.Of(lists.Schema), vocabulary.Rows);
        online.eval();
        target.eval();
        return (online, target, EncodedLists.Encode(lists, vocabulary), FieldLayout.Of(lists.Schema));
    }

    [Fact]
    public void Remaining_list_targets_match_a_brute_force_argmax_over_the_unplaced_items()
    {
        var (online, target, data, layout) = Build();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < 6; i++)
        {
            var y = DoubleDqn.Targets(online, target, data.Batch([i]), layout, Gamma, TargetActions.RemainingList);
            var expected = BruteForce.RemainingListTargets(online, target, data, i, layout, Gamma);
            for (int t = 0; t < expected.Length; t++) Assert.Equal(expected[t], y[0, t].item<float>(), 4);
            for (int t = expected.Length; t < data.MaxLength; t++) Assert.Equal(0f, y[0, t].item<float>());
        }
    }

    /// <summary>The remaining-list target's encode-once path (each item encoded once per batch, its slot's context added)
    /// gives the per-slot encoding's vectors and target values, to float precision.</summary>
    [Fact]
    public void Encoding_each_item_once_gives_the_per_slot_encodings_vectors_and_targets()
    {
        var (online, target, data, layout) = Build(count: 40);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = data.Batch(Enumerable.Range(0, 16).ToArray());
        var once = DoubleDqn.ItemVectors(online, target, batch, layout, encodeOnce: true);
        var perSlot = DoubleDqn.ItemVectors(online, target, batch, layout, encodeOnce: false);
        var best = zeros(batch.Size, ScalarType.Int64);                                          // the logged item of slot p
        for (int p = 1; p < batch.Length; p++)
        {
            var (a, targetA) = once(p);
            var (e, targetE) = perSlot(p);
            // Padding has no user fields: compare real candidates of lists that reach slot p (the targets mask the rest).
            var slotReal = batch.Mask.select(1, p).view(-1, 1, 1);
            var real = batch.Mask.narrow(1, p, batch.Length - p).unsqueeze(-1).logical_and(slotReal);
            Assert.True(MaxDifference(a, e, real) < 1e-5, $"slot {p}");
            Assert.True(MaxDifference(targetA(best), targetE(best), slotReal) < 1e-5, $"slot {p}, target");
        }
    }

    private static float MaxDifference(Tensor a, Tensor b, Tensor keep) =>
        (a - b).abs().masked_fill(keep.logical_not(), 0).max().item<float>();

    /// <summary>
    /// Lists of different lengths in one batch: each list's argmax runs over its own remaining items only, and each
    /// row's target comes from its own list (a batch-wide argmax, or rows mixed up, would fail).
    /// </summary>
    [Fact]
    public void Remaining_list_targets_of_a_ragged_batch_match_the_brute_force_of_each_list()
    {
        var (online, target, data, layout) = Build(count: 40);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // One list per length, the longest in the middle, so padded rows sit before and after full ones.
        var byLength = Enumerable.Range(0, data.Count).GroupBy(i => data.Lengths[i]).OrderBy(g => g.Key).Select(g => g.First()).ToList();
        Assert.True(byLength.Count >= 4, $"lengths {string.Join(",", byLength.Select(i => data.Lengths[i]))}");
        int[] batch = [byLength[1], byLength[0], byLength[^1], .. byLength[2..^1]];

        var y = DoubleDqn.Targets(online, target, data.Batch(batch), layout, Gamma, TargetActions.RemainingList);

        Assert.Equal(new long[] { batch.Length, data.MaxLength }, y.shape);
        for (int b = 0; b < batch.Length; b++)
        {
            var expected = BruteForce.RemainingListTargets(online, target, data, batch[b], layout, Gamma);
            for (int t = 0; t < data.MaxLength; t++)
                Assert.Equal(t < expected.Length ? expected[t] : 0, y[b, t].item<float>(), 4);
        }
    }

    [Fact]
    public void Logged_next_targets_use_the_target_networks_value_of_the_next_logged_item()
    {
        var (online, target, data, layout) = Build();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = data.Batch(Enumerable.Range(0, data.Count).ToArray());
        var y = DoubleDqn.Targets(online, target, batch, layout, Gamma, TargetActions.LoggedNext);
        var qNext = target.Forward(batch).Q;
        for (int i = 0; i < data.Count; i++)
            for (int t = 0; t < data.Lengths[i]; t++)
            {
                double expected = data.Rewards[i * data.MaxLength + t]
                                  + (t + 1 < data.Lengths[i] ? Gamma * qNext[i, t + 1].item<float>() : 0);
                Assert.Equal(expected, y[i, t].item<float>(), 4);
            }
    }

    [Fact]
    public void Td_loss_is_the_mean_squared_error_over_real_positions_only()
    {
        using var scope = NewDisposeScope();
        var q = tensor(new float[] { 1, 2, 3, 100 }).view(2, 2);
        var y = tensor(new float[] { 0, 2, 1, -100 }).view(2, 2);
        var mask = tensor(new[] { true, true, true, false }).view(2, 2);
        // (1² + 0² + 2²) / 3
        Assert.Equal(5f / 3, DoubleDqn.TdLoss(q, y, mask).item<float>(), 5);
    }

    [Fact]
    public void Soft_update_moves_the_target_a_fraction_tau_toward_the_online_network()
    {
        var (online, target, _, _) = Build();
        var before = target.parameters().First().detach().clone();
        var source = online.parameters().First().detach().clone();
        DqnLearner.SoftUpdate(target, online, 0.25);
        var after = target.parameters().First();
        Assert.True(after.allclose(before * 0.75 + source * 0.25, rtol: 1e-5, atol: 1e-6));
    }
}
