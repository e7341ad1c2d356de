using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Model;

namespace Drlrec.Learning;

/// <summary>
/// Trains one Q-network with Double DQN: online network, soft-updated target network, Adam, gradient clipping.
/// One call of <see cref="Step"/> is one minibatch; the caller owns the dispose scope of the step. Its whole state
/// (both networks, Adam's moments, the step count that paces target updates) is saved for resuming.
/// </summary>
public sealed class DqnLearner : IDisposable, IResumableLearner
{
    private readonly OptimizerHelper optimizer;
    private readonly Parameter[] trained;
    private long steps;

    /// <param name="extraParameters">Parameters trained alongside the online network (e.g. a hint projection).</param>
    public DqnLearner(QNetwork online, QNetwork target, FieldLayout layout, DqnConfig config,
        IEnumerable<Parameter>? extraParameters = null)
    {
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

    /// <summary>One Double-DQN update; returns the TD loss before the update.</summary>
    public float Step(ListBatch batch)
    {
        var y = Targets(batch);                                   // [B, L], no grad
        Online.train();
        var q = Online.Forward(batch).Q;                          // [B, L]
        var loss = DoubleDqn.TdLoss(q, y, batch.Mask);
        ApplyGradients(loss);
        return loss.item<float>();
    }

    /// <summary>Backpropagates a loss into the online network and advances the target network. A non-finite loss or
    /// gradient norm stops training (<see cref="NonFiniteTrainingException"/>) before the weights change.</summary>
    /// <param name="term">The loss's name in the error message.</param>
    public void ApplyGradients(Tensor loss, string term = "the TD loss")
    {
        NonFiniteTrainingException.Check(loss.item<float>(), term, steps + 1);
        optimizer.zero_grad();
        loss.backward();
        double norm = nn.utils.clip_grad_norm_(trained, Config.GradClip);
        NonFiniteTrainingException.Check(norm, "the gradient norm", steps + 1);
        optimizer.step();
        if (++steps % Config.SyncEvery == 0) SoftUpdate(Target, Online, Config.Tau);
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
        Checkpoints.CheckpointZip.WriteJson(zip, prefix + "learner.json", new LearnerState(steps));
    }

    public void RestoreState(System.IO.Compression.ZipArchive zip, string path, string prefix = "")
    {
        Checkpoints.CheckpointZip.ReadModule(zip, path, prefix + "online.weights", Online);
        Checkpoints.CheckpointZip.ReadModule(zip, path, prefix + "target.weights", Target);
        Checkpoints.CheckpointZip.ReadOptimizer(zip, path, prefix + "optimizer.state", optimizer);
        steps = Checkpoints.CheckpointZip.ReadJson<LearnerState>(zip, path, prefix + "learner.json").Steps;
    }

    private sealed record LearnerState(long Steps);

    public void Dispose() => optimizer.Dispose();
}
