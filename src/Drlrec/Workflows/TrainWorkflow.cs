using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
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
    public static TrainResult Run(RunConfig config, ITrainingData data, string folder, ITrainingObserver? observer = null,
        string? name = null, bool resume = false)
    {
        config = config.Resolve();
        config.Validate();
        name ??= config.Role.ToString().ToLowerInvariant();
        TorchRuntime.Seed(config.Seed, config.Trainer.Threads);
        using var online = new QNetwork(config.ResolvedModel, data.Layout, data.Vocabulary.Rows, "online");
        using var target = new QNetwork(config.ResolvedModel, data.Layout, data.Vocabulary.Rows, "target");
        using var learner = new DqnLearner(online, target, data.Layout, config.Dqn);
        var progress = resume ? ResumeCheckpoint.Restore(ResumeCheckpoint.In(folder), learner) : null;
        var recorder = new RunRecorder(new RunFolder(folder), config, data, name, online, target, learner, progress);
        var fit = Trainer.For(config, data.Vocabulary).Fit(data.TrainingBatches(config), data.Validation, online, (batch, _) => learner.Step(batch),
            recorder, observer, name, progress);
        return recorder.Finish(fit);
    }
}
