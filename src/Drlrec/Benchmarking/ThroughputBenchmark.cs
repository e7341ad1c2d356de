using System.Diagnostics;
using static TorchSharp.torch;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Distillation;
using Drlrec.Distributed;
using Drlrec.Evaluation;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tensors;

namespace Drlrec.Benchmarking;

/// <summary>Measured training speed of one configuration. With several ranks, <paramref name="BatchSize"/> is the global
/// batch, <paramref name="ListItemsPerSecond"/> counts the global batches' items, <paramref name="AllreduceMsPerStep"/> is the
/// time a step spends in collectives (rank 0's, waiting for the others included), <paramref name="AllreduceTransferMs"/> one
/// all-reduce of the gradient buffer alone (the ranks lined up by a barrier first, median of 20) and
/// <paramref name="PeakRssMbPerRank"/> each rank's peak resident memory (Linux VmHWM; empty elsewhere).</summary>
public sealed record ThroughputResult(
    string Role, TargetActions TargetActions, int BatchSize, int Steps, int Threads, long Parameters,
    double ListItemsPerSecond, double StepMillisecondsMedian, double StepMillisecondsP90,
    int Ranks = 1, double AllreduceMsPerStep = 0, double AllreduceTransferMs = 0, double[]? PeakRssMbPerRank = null)
{
    /// <summary>MACs of one step on this rank's share, counted from the model's dimensions and the batches' padded length
    /// (<see cref="MacCount.TrainingStep"/>: targets, forward, backward as twice the forward), the mean over the timed steps.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("step_macs")] public long StepMacs { get; init; }

    /// <summary>Achieved rate: the timed steps' MACs over their time, in GMAC/s.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("step_gmacs")] public double StepGmacs { get; init; }

    /// <summary>libtorch's GEMM rate at the model's step shapes on B·L rows, same threads, measured after each timed step
    /// (p50), in GMAC/s.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("gemm_peak_gmacs")] public double GemmPeakGmacs { get; init; }

    /// <summary><see cref="StepGmacs"/> / <see cref="GemmPeakGmacs"/>.</summary>
    public double Efficiency { get; init; }
}

/// <summary>
/// Training throughput in list items per second: full Double-DQN steps (targets, forward, backward, Adam, soft
/// update) on real minibatches, timed after warm-up steps so that one-time costs are excluded. Under
/// <c>trainer.distributed = mpi</c> every rank draws the same global minibatches and trains on its share, as in training.
/// A config with <see cref="RunConfig.Distill"/> times the student's distillation steps instead: the frozen teacher's
/// signals computed per batch (as for streamed lists) or looked up, exploring and filtering as configured.
/// </summary>
public static class ThroughputBenchmark
{
    /// <param name="teacher">The teacher to distil from (a distillation config); null times with new, untrained teacher
    /// networks of the default size (the cost of a step does not depend on the weights).</param>
    /// <param name="cacheTeacherSignals">Distillation: a frozen teacher's signals computed once for every training list
    /// before the timed steps (as for lists in memory) instead of per batch (as for streamed lists).</param>
    public static ThroughputResult Measure(RunConfig config, PreparedData data, int warmupSteps, int steps, LoadedModel? teacher = null,
        bool cacheTeacherSignals = false)
    {
        config = config.Resolve();
        var world = DataParallel.Open(config.Trainer.Distributed);
        TorchRuntime.Seed(config.Seed, config.Trainer.Threads);
        if (config.Distill is not null)
        {
            using var parts = DistillParts.Build(config, data, teacher, DataLoader.Catalog(config.Data, data), world, cacheTeacherSignals);
            return Time(config, data, world, "distill", parts.StudentOnline, warmupSteps, steps, (batch, share) => parts.Learner.Step(batch, share));
        }
        using var online = new QNetwork(config.ResolvedModel, data.Layout, data.Vocabulary.Rows, "online");
        using var target = new QNetwork(config.ResolvedModel, data.Layout, data.Vocabulary.Rows, "target");
        using var learner = new DqnLearner(online, target, data.Layout, config.Dqn, world: world);
        return Time(config, data, world, config.Role.ToString().ToLowerInvariant(), online, warmupSteps, steps, (batch, _) => learner.Step(batch));
    }

    /// <summary>Times <paramref name="step"/> on seeded random global batches (this rank's share of each).</summary>
    private static ThroughputResult Time(RunConfig config, PreparedData data, DataParallel world, string role, QNetwork online, int warmupSteps,
        int steps, Func<ListBatch, int[], float> step)
    {
        var rng = new Random(config.Seed);
        int batchSize = Math.Min(config.Trainer.BatchSize, data.Train.Count);
        var times = new List<double>();
        var gemm = new List<double>();
        long items = 0, macs = 0;
        var communicated = TimeSpan.Zero;
        using var probe = new TorchGemmProbe(online, batchSize * data.Train.MaxLength, repeats: 1);
        for (int s = 0; s < warmupSteps + steps; s++)
        {
            var indices = Enumerable.Range(0, batchSize).Select(_ => rng.Next(data.Train.Count)).ToArray();
            if (s == warmupSteps) communicated = world.CommunicationTime;
            long stepMacs;
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                var share = world.ShareOf(indices);
                var batch = data.Train.Batch(share);
                clock.Restart(); // the batch's assembly is the data pipeline's, not the step's arithmetic
                step(batch, share);
                // The student's own Double-DQN step; a distillation step's teacher signals and extra losses are not counted.
                stepMacs = MacCount.TrainingStep(online, (int)batch.Size, (int)batch.Length, config.Dqn.TargetActions);
            }
            double stepMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            probe.Run();
            double gemmMs = clock.Elapsed.TotalMilliseconds;
            if (s < warmupSteps) continue;
            times.Add(stepMs);
            gemm.Add(gemmMs);
            macs += stepMacs;
            items += indices.Sum(i => data.Train.Lengths[i]);
        }
        double allreduceMs = (world.CommunicationTime - communicated).TotalMilliseconds / steps;
        double transferMs = world.Size == 1 ? 0 : TransferMilliseconds(world, online.ParameterCount);
        var peakRss = world.AllGather([(float)PeakResidentMegabytes()]).Select(mb => (double)mb).Where(mb => mb > 0).ToArray();
        double stepGmacs = ModelLatencyBenchmark.Gmacs(macs, times.Sum()), peak = ModelLatencyBenchmark.Gmacs(probe.Macs, Percentiles.Of(gemm, 0.5));
        times.Sort();
        return new ThroughputResult(role, config.Dqn.TargetActions, batchSize, steps,
            get_num_threads(), online.ParameterCount, items / (times.Sum() / 1000), times[times.Count / 2],
            times[(int)(times.Count * 0.9)], world.Size, allreduceMs, transferMs, peakRss)
        {
            StepMacs = macs / steps, StepGmacs = stepGmacs, GemmPeakGmacs = peak, Efficiency = peak > 0 ? stepGmacs / peak : 0,
        };
    }

    /// <summary>Median time of one all-reduce of a gradient-sized buffer, every rank released together by a barrier.</summary>
    private static double TransferMilliseconds(DataParallel world, long parameters)
    {
        var buffer = new float[parameters + 1];
        var times = new List<double>();
        for (int r = 0; r < 20; r++)
        {
            world.Barrier();
            var clock = Stopwatch.StartNew();
            world.AllReduceSum(buffer);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>This process's peak resident set (VmHWM of /proc/self/status) in MB; 0 where there is no /proc.</summary>
    public static double PeakResidentMegabytes()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return 0;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is not null && long.TryParse(line["VmHWM:".Length..].Trim().Split(' ')[0], out long kb) ? kb / 1024.0 : 0;
    }
}
