using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Distributed;
using Drlrec.Features;
using Drlrec.IO;
using Drlrec.Model;
using Drlrec.Tensors;

namespace Drlrec.Learning;

/// <summary>
/// Trains one Q-network with Double DQN: online network, soft-updated target network, Adam, gradient clipping.
/// One call of <see cref="Step"/> is one minibatch; the caller owns the dispose scope of the step. Its whole state
/// (both networks, Adam's moments, the step count that paces target updates) is saved for resuming.
/// Data-parallel (<see cref="DataParallel"/>), the minibatch is this rank's share of a global one: the loss is weighted by
/// the rank's share of the global batch (<see cref="Shares"/>) and the gradients are summed over ranks before clipping
/// and Adam, which then run identically on every rank, so the weights stay equal everywhere.
/// </summary>
public sealed class DqnLearner : IDisposable, IResumableLearner
{
    private readonly OptimizerHelper optimizer;
    private readonly Parameter[] trained;
    private readonly DataParallel world;
    private float[]? gradientBuffer;
    private long steps;

    /// <param name="extraParameters">Parameters trained alongside the online network (e.g. a hint projection).</param>
    /// <param name="world">The processes training together; default one.</param>
    public DqnLearner(QNetwork online, QNetwork target, FieldLayout layout, DqnConfig config,
        IEnumerable<Parameter>? extraParameters = null, DataParallel? world = null)
    {
        this.world = world ?? DataParallel.Single;
        Online = online;
        Target = target;
        Layout = layout;
        Config = config;
        SoftUpdate(Target, Online, tau: 1.0); // start equal
        Target.eval();
        trained = Online.parameters().Concat(extraParameters ?? []).ToArray();
        optimizer = config.WeightDecay > 0
            ? optim.AdamW(trained, config.LearningRate, weight_decay: config.WeightDecay)
            : optim.Adam(trained, config.LearningRate);
    }

    public QNetwork Online { get; }
    public QNetwork Target { get; }
    public FieldLayout Layout { get; }
    public DqnConfig Config { get; }
    public long Steps => steps;

    /// <summary>TD targets from the current networks (eval mode, no gradients).</summary>
    public Tensor Targets(ListBatch batch)
    {
        Online.eval();
        return DoubleDqn.Targets(Online, Target, batch, Layout, Config.Gamma, Config.TargetActions);
    }

    /// <summary>The processes training together.</summary>
    public DataParallel World => world;

    /// <summary>One Double-DQN update; returns the TD loss before the update (of the global batch when data-parallel).</summary>
    public float Step(ListBatch batch)
    {
        if (batch.Size == 0) return StepWithoutLists();
        var y = Targets(batch);                                   // [B, L], no grad
        Online.train();
        var q = Online.Forward(batch).Q;                          // [B, L]
        var loss = DoubleDqn.TdLoss(q, y, batch.Mask);            // mean over this batch's items
        var (weights, global) = GlobalMeans([ValidItems(batch)], [loss.item<float>()]);
        NonFiniteTrainingException.Check(global[0], "the TD loss", steps + 1);
        ApplyGradients(loss.Times(weights[0]));
        return (float)global[0];
    }

    /// <summary>A rank whose share of a short global batch is empty (fewer lists than ranks) still takes part in the
    /// step's collectives, with nothing to add, and applies the same update as the others.</summary>
    private float StepWithoutLists()
    {
        var (_, global) = GlobalMeans([0], [0]);
        NonFiniteTrainingException.Check(global[0], "the TD loss", steps + 1);
        ApplyGradients(null);
        return (float)global[0];
    }

    /// <summary>Real (unpadded) positions of a batch.</summary>
    public static double ValidItems(ListBatch batch) => batch.Mask.sum().item<long>();

    /// <summary>
    /// For loss terms that are means over this rank's part of the global batch, term k over <paramref name="counts"/>[k]
    /// elements (items, lists): the weights n_r / n that turn each into its share of the global mean
    /// (L = Σ_r (n_r / n) · L_r), and the global means themselves. One all-reduce of [n_r, n_r·L_r] per term; on one
    /// process the weights are 1 and the means the given ones. A term nobody has (n = 0) gets weight 0.
    /// </summary>
    public (double[] Weights, double[] Means) GlobalMeans(double[] counts, double[] means)
    {
        if (world.Size == 1) return (counts.Select(_ => 1.0).ToArray(), means.ToArray());
        int k = counts.Length;
        var buffer = new double[2 * k];
        for (int i = 0; i < k; i++) (buffer[i], buffer[k + i]) = (counts[i], counts[i] == 0 ? 0 : counts[i] * means[i]);
        world.AllReduceSum(buffer);
        var weights = new double[k];
        var global = new double[k];
        for (int i = 0; i < k; i++)
            (weights[i], global[i]) = buffer[i] == 0 ? (0, 0) : (counts[i] / buffer[i], buffer[k + i] / buffer[i]);
        return (weights, global);
    }

    /// <summary>Backpropagates a loss into the online network and advances the target network. A non-finite loss or
    /// gradient norm stops training (<see cref="NonFiniteTrainingException"/>) before the weights change. Data-parallel,
    /// <paramref name="loss"/> is this rank's weighted share (<see cref="GlobalMeans"/>), already checked finite over all
    /// ranks by the caller, so that every rank stops or none does.</summary>
    /// <param name="loss">Null on a rank with no lists in this step (it adds no gradient).</param>
    /// <param name="term">The loss's name in the error message.</param>
    public void ApplyGradients(Tensor? loss, string term = "the TD loss")
    {
        if (loss is null && world.Size == 1) throw new ArgumentNullException(nameof(loss), "one process needs a loss to step on");
        if (loss is not null) NonFiniteTrainingException.Check(loss.item<float>(), term, steps + 1);
        optimizer.zero_grad();
        loss?.backward();
        SumGradientsOverRanks();
        double norm = nn.utils.clip_grad_norm_(trained, Config.GradClip);
        NonFiniteTrainingException.Check(norm, "the gradient norm", steps + 1);
        optimizer.step();
        if (++steps % Config.SyncEvery == 0) SoftUpdate(Target, Online, Config.Tau);
    }

    /// <summary>
    /// The global norm ‖∇L‖ of a loss's gradient over the trained parameters, without a step: the graph is kept for the step's
    /// own backward and the gradients are left zeroed. Data-parallel, <paramref name="loss"/> is this rank's weighted share
    /// and the gradients are summed over the ranks first (every rank calls it, a rank without lists with null).
    /// </summary>
    public double GradientNorm(Tensor? loss)
    {
        optimizer.zero_grad();
        loss?.backward(retain_graph: true);
        SumGradientsOverRanks();
        double squares = 0;
        using (no_grad())
            foreach (var p in trained)
                if (p.grad is { } grad) squares += grad.square().sum().item<float>();
        optimizer.zero_grad();
        return Math.Sqrt(squares);
    }

    /// <summary>
    /// The data-parallel gradient g = Σ_r (n_r / n) ∇L_r = ∇L (the global batch's loss): each rank's backward ran on its
    /// loss weighted by n_r / n, so summing the ranks' gradients gives the one-process gradient of the whole batch. All
    /// trained parameters' gradients travel in one flat buffer (one all-reduce per step), followed by one flag per
    /// parameter counting the ranks whose loss reached it: a parameter no rank's loss reached keeps no gradient (Adam
    /// skips it, as on one process); one reached elsewhere but not here contributes zeros. Nothing to do on one process.
    /// </summary>
    private void SumGradientsOverRanks()
    {
        if (world.Size == 1) return;
        using var noGrad = no_grad();
        long values = trained.Sum(p => p.numel());
        // One buffer for the run: a fresh megabyte per step would keep the garbage collector busy (see Tensors.Scalars).
        var buffer = gradientBuffer ??= new float[values + trained.Length];
        Array.Clear(buffer);
        int offset = 0;
        for (int k = 0; k < trained.Length; k++)
        {
            var p = trained[k];
            if (p.grad is { } grad)
            {
                grad.contiguous().data<float>().CopyTo(buffer, offset, 0);
                buffer[values + k] = 1;
            }
            offset += (int)p.numel();
        }
        world.AllReduceSum(buffer);
        offset = 0;
        for (int k = 0; k < trained.Length; k++)
        {
            var p = trained[k];
            int n = (int)p.numel();
            if (buffer[values + k] > 0)
            {
                if (p.grad is null) p.grad = zeros_like(p);
                using var target = p.grad.data<float>();
                target.CopyFrom(new ReadOnlySpan<float>(buffer, offset, n));
            }
            offset += n;
        }
    }

    /// <summary>Q' ← (1 − τ)·Q' + τ·Q, parameter by parameter.</summary>
    public static void SoftUpdate(QNetwork target, QNetwork online, double tau)
    {
        using var noGrad = no_grad();
        using var keep = (1 - tau).ToScalar();
        using var move = tau.ToScalar();
        foreach (var (t, o) in target.parameters().Zip(online.parameters()))
            t.mul_(keep).add_(o, alpha: move);
    }

    public void SaveState(System.IO.Compression.ZipArchive zip, string prefix = "")
    {
        Checkpoints.CheckpointZip.WriteModule(zip, prefix + "online.weights", Online);
        Checkpoints.CheckpointZip.WriteModule(zip, prefix + "target.weights", Target);
        Checkpoints.CheckpointZip.WriteOptimizer(zip, prefix + "optimizer.state", optimizer);
        ChecksummedZip.WriteJson(zip, prefix + "learner.json", new LearnerState(steps));
    }

    public void RestoreState(System.IO.Compression.ZipArchive zip, string path, string prefix = "")
    {
        Checkpoints.CheckpointZip.ReadModule(zip, path, prefix + "online.weights", Online);
        Checkpoints.CheckpointZip.ReadModule(zip, path, prefix + "target.weights", Target);
        Checkpoints.CheckpointZip.ReadOptimizer(zip, path, prefix + "optimizer.state", optimizer);
        steps = ChecksummedZip.ReadJson<LearnerState>(zip, path, prefix + "learner.json").Steps;
    }

    private sealed record LearnerState(long Steps);

    public void Dispose() => optimizer.Dispose();
}
