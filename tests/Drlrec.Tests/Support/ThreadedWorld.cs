using Drlrec.Distributed;

namespace Drlrec.Tests.Support;

/// <summary>
/// N ranks as N threads of one process, with real collectives (a barrier and shared slots), so that data-parallel code
/// can be checked against one process without MPI. Sums add the ranks' buffers in rank order, as MPICH's reduction of
/// two ranks does.
/// </summary>
public sealed class ThreadedWorld : DataParallel
{
    private readonly Group group;

    private ThreadedWorld(Group group, int rank)
    {
        this.group = group;
        Rank = rank;
    }

    public override int Rank { get; }
    public override int Size => group.Size;

    /// <summary>Runs <paramref name="work"/> on <paramref name="size"/> threads, one rank each; returns each rank's result.</summary>
    public static T[] Run<T>(int size, Func<ThreadedWorld, T> work)
    {
        var group = new Group(size);
        var results = new T[size];
        var errors = new Exception?[size];
        var threads = Enumerable.Range(0, size).Select(rank => new Thread(() =>
        {
            try
            {
                results[rank] = work(new ThreadedWorld(group, rank));
            }
            catch (Exception e)
            {
                errors[rank] = e;
                group.Barrier.RemoveParticipant(); // let the other ranks fail instead of waiting forever
            }
        }, maxStackSize: 16 << 20)).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (errors.FirstOrDefault(e => e is not null) is { } error) throw new AggregateException(error);
        return results;
    }

    protected override void SumInPlace(float[] buffer) => Exchange(buffer, all =>
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            float sum = 0;
            foreach (var part in all) sum += ((float[])part)[i];
            buffer[i] = sum;
        }
    });

    protected override void SumInPlace(double[] buffer) => Exchange(buffer, all =>
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            double sum = 0;
            foreach (var part in all) sum += ((double[])part)[i];
            buffer[i] = sum;
        }
    });

    protected override void MaxInPlace(double[] buffer) => Exchange(buffer, all =>
    {
        for (int i = 0; i < buffer.Length; i++) buffer[i] = all.Max(part => ((double[])part)[i]);
    });

    protected override void Synchronize() => group.Barrier.SignalAndWait();

    protected override float[] Gather(float[] local)
    {
        float[] result = [];
        Exchange(local, all => result = all.SelectMany(part => (float[])part).ToArray());
        return result;
    }

    /// <summary>Every rank posts a copy of its buffer, reads all of them once everyone has posted, and waits until
    /// everyone has read before the slots can be reused.</summary>
    private void Exchange(Array buffer, Action<Array[]> combine)
    {
        group.Slots[Rank] = (Array)buffer.Clone();
        group.Barrier.SignalAndWait();
        combine(group.Slots.ToArray()!);
        group.Barrier.SignalAndWait();
    }

    private sealed class Group(int size)
    {
        public int Size { get; } = size;
        public Barrier Barrier { get; } = new(size);
        public Array?[] Slots { get; } = new Array?[size];
    }
}
