namespace Drlrec.Configuration;

/// <summary>Which actions the Double-DQN target maximises over at the next state.</summary>
public enum TargetActions
{
    /// <summary>The items of the same list not yet placed (positions t+1..L): the default.</summary>
    RemainingList,
    /// <summary>Only the logged next item i_{t+1} (the reference code's target).</summary>
    LoggedNext,
}

/// <summary>Double-DQN learner settings (docs/method.md; reference values unless noted).</summary>
public sealed record DqnConfig
{
    /// <summary>γ, the discount of the next position's value. Default 0.4 (reference).</summary>
    public double Gamma { get; init; } = 0.4;

    /// <summary>Adam learning rate. Default 1e-3 (the reference's 2e-4 suits billions of logs; on the MovieLens
    /// validation split 1e-3 beat 3e-3, 0.701 vs 0.695 AUC).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Decoupled weight decay (AdamW) on every parameter; 0 is plain Adam. Default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Global gradient-norm clip. Default 5 (reference).</summary>
    public double GradClip { get; init; } = 5;

    /// <summary>τ of the soft target update Q' ← (1-τ)Q' + τQ. Default 0.01 every batch (the reference's 0.005 every
    /// 10 batches leaves the target near its random start after a few thousand updates on a small data set; validation
    /// AUC 0.701 either way on MovieLens).</summary>
    public double Tau { get; init; } = 0.01;

    /// <summary>Batches between soft target updates. Default 1.</summary>
    public int SyncEvery { get; init; } = 1;

    /// <summary>Action set of the target: RemainingList (default) or LoggedNext (reference code).</summary>
    public TargetActions TargetActions { get; init; } = TargetActions.RemainingList;
}
