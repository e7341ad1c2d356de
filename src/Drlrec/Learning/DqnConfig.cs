namespace Drlrec.Learning;

/// <summary>Double-DQN learner settings (METHOD.md; reference values unless noted).</summary>
public sealed record DqnConfig
{
    /// <summary>γ, the discount of the next position's value. Default 0.4 (reference).</summary>
    public double Gamma { get; init; } = 0.4;

    /// <summary>Adam learning rate. Default 1e-3 (reference 2e-4 was set for billions of logs; chosen on the
    /// MovieLens validation split).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Global gradient-norm clip. Default 5 (reference).</summary>
    public double GradClip { get; init; } = 5;

    /// <summary>τ of the soft target update Q' ← (1-τ)Q' + τQ. Default 0.01.</summary>
    public double Tau { get; init; } = 0.01;

    /// <summary>Batches between soft target updates. Default 1.</summary>
    public int SyncEvery { get; init; } = 1;

    /// <summary>Action set of the target: RemainingList (default) or LoggedNext (reference code).</summary>
    public TargetActions TargetActions { get; init; } = TargetActions.RemainingList;
}
