using System.Diagnostics;
using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tensors;

namespace Drlrec.Benchmarking;

/// <summary>Measured training speed of one configuration.</summary>
public sealed record ThroughputResult(
    string Role, TargetActions TargetActions, int BatchSize, int Steps, int Threads, long Parameters,
    double ListItemsPerSecond, double StepMillisecondsMedian, double StepMillisecondsP90);

/// <summary>
/// Training throughput in list items per second: full Double-DQN steps (targets, forward, backward, Adam, soft
/// update) on real minibatches, timed after warm-up steps so that one-time costs are excluded.
/// </summary>
public static class ThroughputBenchmark
{
    public static ThroughputResult Measure(RunConfig config, PreparedData data, int warmupSteps, int steps)
    {
        config = config.Resolve();
        TorchRuntime.Seed(config.Seed, config.Trainer.Threads);
        using var online = new QNetwork(config.ResolvedModel, data.Layout, data.Vocabulary.Rows, "online");
        using var target = new QNetwork(config.ResolvedModel, data.Layout, data.Vocabulary.Rows, "target");
        using var learner = new DqnLearner(online, target, data.Layout, config.Dqn);
        var rng = new Random(config.Seed);
        int batchSize = Math.Min(config.Trainer.BatchSize, data.Train.Count);
        var times = new List<double>();
        long items = 0;
        for (int s = 0; s < warmupSteps + steps; s++)
        {
            var indices = Enumerable.Range(0, batchSize).Select(_ => rng.Next(data.Train.Count)).ToArray();
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
                learner.Step(data.Train.Batch(indices));
            if (s < warmupSteps) continue;
            times.Add(clock.Elapsed.TotalMilliseconds);
            items += indices.Sum(i => data.Train.Lengths[i]);
        }
        times.Sort();
        return new ThroughputResult(config.Role.ToString().ToLowerInvariant(), config.Dqn.TargetActions, batchSize, steps,
            get_num_threads(), online.ParameterCount, items / (times.Sum() / 1000), times[times.Count / 2],
            times[(int)(times.Count * 0.9)]);
    }
}
