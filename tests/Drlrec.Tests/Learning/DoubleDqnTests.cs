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

    private static (QNetwork Online, QNetwork Target, EncodedLists Data, FieldLayout Layout) Build()
    {
        var lists = ToyData.Lists(12, seed: 5);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        manual_seed(11);
        var online = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, lists.Schema.Count, vocabulary.Rows);
        var target = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, lists.Schema.Count, vocabulary.Rows);
        online.eval();
        target.eval();
        return (online, target, EncodedLists.Encode(lists, vocabulary), FieldLayout.Of(lists.Schema));
    }

    /// <summary>Q(s_p, item j) by brute force: put item j's item fields into slot p and run the full forward pass.</summary>
    private static double QWithItemAt(QNetwork net, ListBatch one, FieldLayout layout, int p, int j)
    {
        var rows = one.Rows.clone();
        rows.select(1, p).narrow(1, layout.UserFields, layout.ItemFields).copy_(
            one.Rows.select(1, j).narrow(1, layout.UserFields, layout.ItemFields));
        return net.Forward(rows).Q[0, p].item<float>();
    }

    [Fact]
    public void Remaining_list_targets_match_a_brute_force_argmax_over_the_unplaced_items()
    {
        var (online, target, data, layout) = Build();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < 6; i++)
        {
            var one = data.Batch([i]);
            var y = DoubleDqn.Targets(online, target, one, layout, Gamma, TargetActions.RemainingList);
            int n = data.Lengths[i];
            for (int t = 0; t < n; t++)
            {
                double expected = data.Rewards[i * data.MaxLength + t];
                if (t + 1 < n)
                {
                    int p = t + 1;
                    int best = Enumerable.Range(p, n - p).MaxBy(j => QWithItemAt(online, one, layout, p, j));
                    expected += Gamma * QWithItemAt(target, one, layout, p, best);
                }
                Assert.Equal(expected, y[0, t].item<float>(), 4);
            }
            for (int t = n; t < data.MaxLength; t++) Assert.Equal(0f, y[0, t].item<float>());
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
