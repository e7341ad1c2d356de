using TorchSharp;
using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tests.Support;
using Drlrec.Features;
using TorchSharp.Modules;

namespace Drlrec.Tests.Learning;

public sealed class DqnLearnerTests
{
    private static PreparedData ToyPrepared() => PreparedData.Prepare(ToyData.Lists(240, seed: 4), null, new DataConfig(), new FeatureConfig { ItemStatistics = false });

    [Fact]
    public void Training_steps_leave_no_live_tensors_behind()
    {
        var data = ToyPrepared();
        manual_seed(1);
        using var online = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, data.Layout, data.Vocabulary.Rows);
        using var target = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, data.Layout, data.Vocabulary.Rows);
        using var learner = new DqnLearner(online, target, data.Layout, new DqnConfig());
        void Step(int s)
        {
            using var scope = NewDisposeScope();
            learner.Step(data.Train.Batch(Enumerable.Range(s * 8, 8).ToArray()));
        }
        Step(0); // the optimizer allocates its moment buffers on the first step
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int s = 1; s < 6; s++) Step(s);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private static readonly FeatureVocabulary Vocabulary = FeatureVocabulary.Fit(ToyData.Lists(64, seed: 6), new FeatureConfig());
    private static readonly EncodedLists Data = EncodedLists.Encode(ToyData.Lists(64, seed: 6), Vocabulary);
    private static readonly FieldLayout Layout = FieldLayout.Of(ToyData.Schema);

    /// <summary>A learner on fresh networks from a fixed seed (dropout 0: a step is deterministic).</summary>
    private static DqnLearner Learner(DqnConfig config, int seed = 1)
    {
        manual_seed(seed);
        var small = new QNetworkConfig { EmbeddingDim = 8, Dropout = 0 };
        return new DqnLearner(new QNetwork(small, Layout, Vocabulary.Rows), new QNetwork(small, Layout, Vocabulary.Rows),
            Layout, config);
    }

    private static void DisposeAll(DqnLearner learner)
    {
        learner.Dispose();
        learner.Online.Dispose();
        learner.Target.Dispose();
    }

    private static Tensor[] Snapshot(QNetwork net) => net.parameters().Select(p => p.detach().clone()).ToArray();

    private static bool Same(Tensor[] a, Tensor[] b) => a.Zip(b).All(p => p.First.eq(p.Second).all().item<bool>());

    private static Tensor Flat(IEnumerable<Tensor> tensors) => cat(tensors.Select(t => t.flatten()).ToArray());

    [Fact]
    public void With_sync_every_3_the_target_network_moves_only_on_steps_3_and_6_toward_the_online_network()
    {
        var learner = Learner(new DqnConfig { SyncEvery = 3, Tau = 0.5, LearningRate = 1e-2 });
        try
        {
            using var scope = NewDisposeScope();
            Assert.True(Same(Snapshot(learner.Online), Snapshot(learner.Target))); // they start equal
            var moved = new List<bool>();
            for (int step = 1; step <= 6; step++)
            {
                var before = Snapshot(learner.Target);
                learner.Step(Data.Batch(Enumerable.Range(step * 8, 8).ToArray()));
                var after = Snapshot(learner.Target);
                moved.Add(!Same(before, after));
                if (step % 3 == 0) // Q' ← (1 − τ)·Q' + τ·Q with the online network after this step's update
                    foreach (var (t, (old, online)) in after.Zip(before.Zip(Snapshot(learner.Online))))
                        Assert.True(t.allclose(old * 0.5 + online * 0.5, rtol: 1e-5, atol: 1e-7));
            }
            Assert.Equal([false, false, true, false, false, true], moved);
            Assert.Equal(6, learner.Steps);
        }
        finally
        {
            DisposeAll(learner);
        }
    }

    /// <summary>
    /// ApplyGradients clips the global gradient norm before Adam's update: the gradients it leaves behind are the
    /// unclipped ones scaled to norm GradClip, and the first Adam step moves each weight by −lr·g/(|g| + 1e-8) with
    /// those clipped g. At GradClip = 1e-9 every |g| is below Adam's ε / 10, so no weight moves by more than
    /// lr·1e-9/(1e-9 + 1e-8) = lr/11, whereas without the clip (a twin learner with a huge GradClip) Adam moves some
    /// weights by lr.
    /// </summary>
    [Fact]
    public void Gradients_are_clipped_to_the_global_norm_before_the_adam_update()
    {
        const double clip = 1e-9, lr = 1e-3;
        var clipped = Learner(new DqnConfig { GradClip = clip, LearningRate = lr });
        var free = Learner(new DqnConfig { GradClip = 1e9, LearningRate = lr });
        try
        {
            using var scope = NewDisposeScope();
            var batch = Data.Batch(Enumerable.Range(0, 16).ToArray());
            var start = Flat(Snapshot(clipped.Online));
            Assert.True(start.eq(Flat(Snapshot(free.Online))).all().item<bool>()); // identical twins

            clipped.Step(batch);
            free.Step(batch);

            var g = Flat(clipped.Online.parameters().Select(p => p.grad!));
            var unclipped = Flat(free.Online.parameters().Select(p => p.grad!));
            double norm = g.norm().item<float>(), unclippedNorm = unclipped.norm().item<float>();
            Assert.True(unclippedNorm > 1e4 * clip, $"unclipped norm {unclippedNorm}");
            Assert.InRange(norm, 0.999 * clip, 1.0001 * clip);
            Assert.True(g.allclose(unclipped * (clip / unclippedNorm), rtol: 1e-3, atol: 1e-12));

            var moved = Flat(Snapshot(clipped.Online)) - start;
            var adam = -(g / (g.abs() + 1e-8)) * lr;
            // atol: float32 spacing of weights near 1 (LayerNorm gains start at 1) is 1.2e-7
            Assert.True(moved.allclose(adam, rtol: 1e-2, atol: 3e-7), "first Adam step from the clipped gradient");
            double largest = moved.abs().max().item<float>();
            double largestFree = (Flat(Snapshot(free.Online)) - start).abs().max().item<float>();
            Assert.True(largest < lr / 10 && largestFree > 0.9 * lr, $"largest move {largest} clipped vs {largestFree} not");
        }
        finally
        {
            DisposeAll(clipped);
            DisposeAll(free);
        }
    }

    /// <summary>A NaN loss, or a finite loss whose gradient is infinite (√x at 0), is refused before the weights move.</summary>
    [Fact]
    public void A_non_finite_loss_or_gradient_stops_training_with_the_quantity_named_and_leaves_the_weights_untouched()
    {
        var learner = Learner(new DqnConfig());
        try
        {
            using var scope = NewDisposeScope();
            var start = Flat(Snapshot(learner.Online));
            var weight = learner.Online.parameters().First();

            var nan = Assert.Throws<NonFiniteTrainingException>(() => learner.ApplyGradients(weight.sum() * float.NaN));
            Assert.Contains("the TD loss is NaN", nan.Message);
            Assert.Contains("update 1", nan.Message);

            var zeroButSteep = (weight - weight.detach()).abs().sqrt().sum();            // value 0, gradient 1/(2√0) = ∞
            Assert.Equal(0f, zeroButSteep.item<float>());
            var inf = Assert.Throws<NonFiniteTrainingException>(() => learner.ApplyGradients(zeroButSteep));
            Assert.Contains("the gradient norm", inf.Message);

            Assert.True(Flat(Snapshot(learner.Online)).eq(start).all().item<bool>());
            Assert.Equal(0, learner.Steps);
        }
        finally
        {
            DisposeAll(learner);
        }
    }
}
