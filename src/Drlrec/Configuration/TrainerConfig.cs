namespace Drlrec.Configuration;

/// <summary>The validation metric that picks the epoch to keep (and drives early stopping).</summary>
public enum SelectionMetric
{
    /// <summary>Pooled AUC over every validation item (the reference's choice).</summary>
    Auc,
    /// <summary>Per-user AUC weighted by items (GAUC): rewards ordering each user's items, not telling users apart.</summary>
    Gauc,
    /// <summary>No early stopping: every epoch is kept over the one before, so the checkpoint is the last epoch's (a fixed
    /// number of epochs; the validation metrics are still computed and logged).</summary>
    Last,
}

/// <summary>How the processes of one run share its training (<c>trainer.distributed</c>).</summary>
public enum DistributedMode
{
    /// <summary>One process trains alone.</summary>
    None,
    /// <summary>Data-parallel over MPI (MPICH): start with <c>mpiexec -n N</c>; each process trains on its share of every
    /// global minibatch and the gradients are summed. Started without mpiexec, the process is a world of one.</summary>
    Mpi,
}

/// <summary>Epochs, batches and early stopping.</summary>
public sealed record TrainerConfig
{
    /// <summary>Maximum passes over the training lists. Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Lists per minibatch, over all processes (the global batch: under <c>distributed = mpi</c> each of N processes
    /// takes a contiguous share of about batch_size / N lists, so a run's updates do not depend on N). Default 32: on MovieLens-100K (7.5k training lists) larger batches left too few
    /// updates per epoch (validation AUC 0.691 at 128 after 12 epochs vs 0.701 at 32 after 7).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Stop after this many epochs without a better validation AUC; the best epoch's weights are kept. Default 3.</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Validation metric that picks the best epoch and drives early stopping: auc (default) or gauc.</summary>
    public SelectionMetric SelectBy { get; init; } = SelectionMetric.Auc;

    /// <summary>Steps per epoch at most (an epoch then ends early; validation and early stopping follow as after a whole pass),
    /// so that very large (streamed) data train in epochs of a fixed size. Default 0: every epoch is one whole pass.</summary>
    public int MaxStepsPerEpoch { get; init; }

    /// <summary>Lists per batch when scoring for evaluation. Default 512.</summary>
    public int EvalBatchSize { get; init; } = 512;

    /// <summary>CPU threads for tensor operations; 0 keeps libtorch's default (all cores). Default 0.</summary>
    public int Threads { get; init; }

    /// <summary>Also write TensorBoard event files into the run folder (losses and distillation's loss terms as means over
    /// every 10 steps, validation metrics per epoch): <c>tensorboard --logdir runs</c>. Default on.</summary>
    public bool Tensorboard { get; init; } = true;

    /// <summary>none (one process, the default) or mpi (data-parallel across the processes <c>mpiexec</c> started).</summary>
    public DistributedMode Distributed { get; init; } = DistributedMode.None;

    /// <summary>Recorded, not read: how many processes trained the run (1 unless <c>distributed = mpi</c> under
    /// <c>mpiexec -n N</c>). A run writes it into its config.json; a value in a config file is replaced.</summary>
    public int WorldSize { get; init; } = 1;
}
