using System.Diagnostics;
using Drlrec.Configuration;

namespace Drlrec.Distributed;

/// <summary>
/// The processes that train one run together, and the few collectives data-parallel training needs: a sum over ranks
/// of a buffer (gradients, batch counts) and a gather of arrays (validation scores). <see cref="Single"/> is the world of
/// one process, so the training code is the same with or without MPI; <see cref="MpiWorld"/> runs them over MPI.
/// <see cref="CommunicationTime"/> adds up the time spent inside collectives, for the per-step all-reduce cost.
/// </summary>
public abstract class DataParallel
{
    private readonly Stopwatch communication = new();

    /// <summary>This process's index, 0 ≤ rank &lt; size; rank 0 writes the run's files.</summary>
    public abstract int Rank { get; }

    /// <summary>How many processes train together.</summary>
    public abstract int Size { get; }

    /// <summary>True on the one process that writes files and prints (rank 0).</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>Time spent in collectives so far (waiting for the slowest rank included).</summary>
    public TimeSpan CommunicationTime => communication.Elapsed;

    /// <summary>The one-process world: collectives return their input.</summary>
    public static DataParallel Single { get; } = new SingleProcess();

    /// <summary>The world of <paramref name="mode"/>: <see cref="Single"/>, or the process-wide MPI world (initialised on
    /// first use, finalised when the process exits).</summary>
    /// <exception cref="MpiUnavailableException">mpi was asked for and MPICH's library cannot be loaded.</exception>
    public static DataParallel Open(DistributedMode mode) => mode == DistributedMode.Mpi ? MpiWorld.Shared : Single;

    /// <summary>Replaces each element by its sum over all ranks (in place).</summary>
    public void AllReduceSum(float[] buffer) => Timed(() => SumInPlace(buffer));

    /// <inheritdoc cref="AllReduceSum(float[])"/>
    public void AllReduceSum(double[] buffer) => Timed(() => SumInPlace(buffer));

    /// <summary>Waits until every rank is here (not counted in <see cref="CommunicationTime"/>: benchmarks use it to time a
    /// collective apart from the wait for the slowest rank).</summary>
    public void Barrier()
    {
        if (Size > 1) Synchronize();
    }

    /// <summary>
    /// Rank 0 runs <paramref name="work"/> while the other ranks wait for it; every rank returns rank 0's result (e.g. rank 0
    /// prepares data and writes them for the others to read). Not counted in <see cref="CommunicationTime"/>.
    /// </summary>
    public bool RootFirst(Func<bool> work)
    {
        if (Size == 1) return work();
        return FromRoot(IsRoot && work());
    }

    /// <summary>Rank 0's <paramref name="value"/> on every rank (the others' are ignored). By default a sum in which only
    /// rank 0's counts; <see cref="MpiWorld"/> waits for it without spinning a core.</summary>
    protected virtual bool FromRoot(bool value)
    {
        var buffer = new double[] { IsRoot && value ? 1 : 0 };
        SumInPlace(buffer);
        return buffer[0] > 0;
    }

    /// <summary>Replaces each element by its maximum over all ranks (in place).</summary>
    public void AllReduceMax(double[] buffer) => Timed(() => MaxInPlace(buffer));

    /// <summary>Every rank's <paramref name="local"/> (lengths may differ), concatenated in rank order, on every rank.</summary>
    public float[] AllGather(float[] local)
    {
        float[] result = [];
        Timed(() => result = Gather(local));
        return result;
    }

    /// <summary>The contiguous part of <paramref name="total"/> ordered items that this rank takes (see <see cref="Shares"/>).</summary>
    public (int Start, int Count) ShareOf(int total) => Shares.Of(total, Rank, Size);

    /// <summary>This rank's contiguous share of a global minibatch, so that the ranks' shares in rank order are the batch.</summary>
    public int[] ShareOf(ReadOnlySpan<int> globalBatch)
    {
        var (start, count) = ShareOf(globalBatch.Length);
        return globalBatch.Slice(start, count).ToArray();
    }

    protected abstract void SumInPlace(float[] buffer);
    protected abstract void SumInPlace(double[] buffer);
    protected abstract void MaxInPlace(double[] buffer);
    protected abstract void Synchronize();
    protected abstract float[] Gather(float[] local);

    private void Timed(Action collective)
    {
        if (Size == 1)
        {
            collective();
            return;
        }
        communication.Start();
        try
        {
            collective();
        }
        finally
        {
            communication.Stop();
        }
    }

    private sealed class SingleProcess : DataParallel
    {
        public override int Rank => 0;
        public override int Size => 1;
        protected override void SumInPlace(float[] buffer) { }
        protected override void SumInPlace(double[] buffer) { }
        protected override void MaxInPlace(double[] buffer) { }
        protected override void Synchronize() { }
        protected override float[] Gather(float[] local) => local;
    }
}

/// <summary>How N ranks split an ordered set of items (a global minibatch, the validation lists).</summary>
public static class Shares
{
    /// <summary>
    /// Rank r of N takes items [⌊total·r/N⌋, ⌊total·(r+1)/N⌋): contiguous, in rank order, sizes differing by at most one,
    /// together exactly the whole (so that concatenating the ranks' results in rank order gives one process's order).
    /// </summary>
    public static (int Start, int Count) Of(int total, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        if (size < 1 || rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {size}");
        int start = (int)((long)total * rank / size), end = (int)((long)total * (rank + 1) / size);
        return (start, end - start);
    }
}
