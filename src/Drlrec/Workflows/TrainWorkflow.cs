using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Distributed;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tensors;
using Drlrec.Training;

namespace Drlrec.Workflows;

/// <summary><c>drlrec train</c> as a library call: one Q-network trained alone with Double DQN.</summary>
public static class TrainWorkflow
{
    /// <summary>
    /// Trains the network <paramref name="config"/> describes (the teacher, or the student without a teacher) on
    /// <paramref name="data"/> (in memory or streamed) into the run folder <paramref name="folder"/>: seeded libtorch, online and target
    /// networks, the Double-DQN learner, the epoch loop with early stopping, the run's files, the best epoch
    /// evaluated on the test lists.
    /// </summary>
    /// <param name="name">Display name of the model; default the role ("teacher", "student").</param>
    /// <param name="resume">Continue the killed run in <paramref name="folder"/> from its <c>resume.ckpt</c> (the same
    /// config and data); it ends where an uninterrupted run would.</param>
    /// <remarks>With <c>trainer.distributed = mpi</c> every process started by mpiexec calls this with the same config and
    /// data; they train data-parallel (each on its share of the in-memory batches, or its row groups when streaming) and
    /// only rank 0 writes the run folder (see <see cref="RunRecorder"/>).</remarks>
    public static TrainResult Run(RunConfig config, ITrainingData data, string folder, ITrainingObserver? observer = null,
        string? name = null, bool resume = false)
    {
        config = config.Resolve();
        config.Validate();
        var world = DataParallel.Open(config.Trainer.Distributed);
        config = config with { Trainer = config.Trainer with { WorldSize = world.Size } };
        name ??= config.Role.ToString().ToLowerInvariant();
        TorchRuntime.Seed(config.Seed, config.Trainer.Threads);
        using var online = new QNetwork(config.ResolvedModel, data.Layout, data.Vocabulary.Rows, "online");
        using var target = new QNetwork(config.ResolvedModel, data.Layout, data.Vocabulary.Rows, "target");
        using var learner = new DqnLearner(online, target, data.Layout, config.Dqn, world: world);
        var progress = resume ? ResumeCheckpoint.Restore(ResumeCheckpoint.In(folder), learner) : null;
        var recorder = new RunRecorder(new RunFolder(folder, create: world.IsRoot), config, data, name, online, target, learner, progress, world: world);
        var fit = Trainer.For(config, data.Vocabulary, world).Fit(data.TrainingBatches(config, world), data.Validation, online, (batch, _) => learner.Step(batch),
            recorder, observer, name, progress);
        return recorder.Finish(fit);
    }
}
