using System.Runtime.InteropServices;
using MPI;

namespace Drlrec.Distributed;

/// <summary>
/// MPI's world communicator through MPI.NET, on MPICH. MPI.NET binds its native calls to Microsoft MPI's name
/// (<c>msmpi</c>); on Linux the same C API is MPICH's <c>libmpich.so.12</c>, so the name is resolved to it. Open MPI
/// implements the API with a different handle ABI (pointers instead of MPICH's integers), which MPI.NET's compiled-in
/// constants do not match, so it is not supported. A process not started by mpiexec initialises as a world of one
/// (MPI's singleton start). MPI can be initialised once per process: the world is process-wide and is finalised when
/// the process exits.
/// </summary>
public sealed class MpiWorld : DataParallel
{
    /// <summary>The MPICH library MPI.NET is bound to.</summary>
    public const string Library = "libmpich.so.12";

    private static readonly Lock Gate = new();
    private static MpiWorld? shared;
    private static bool resolverSet;

    private readonly MPI.Environment environment;
    private readonly Intracommunicator world;
    // Reused receive buffers, one per length: a step's gradient sum would otherwise allocate a large array each time,
    // and garbage collections are what expose TorchSharp's temporary-scalar race (see Tensors.Scalars).
    private readonly Dictionary<int, float[]> floatSums = [];
    private readonly Dictionary<int, double[]> doubleSums = [];

    private MpiWorld()
    {
        string[] args = [];
        environment = new MPI.Environment(ref args);
        world = Communicator.world;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (!MPI.Environment.Finalized) environment.Dispose();
        };
        // A rank that dies must take the job down: finalizing MPI on the way out (ProcessExit) would leave the other
        // ranks waiting in their next collective for ever.
        AppDomain.CurrentDomain.UnhandledException += (_, e) => AbortIfRunning(1, e.ExceptionObject.ToString() ?? "unhandled exception");
    }

    /// <summary>
    /// Ends every rank of a running MPI job (MPI_Abort) after writing <paramref name="reason"/> to this rank's standard
    /// error, so that a failure on one rank is seen and does not leave the others blocked in a collective. Nothing happens
    /// outside MPI or in a world of one. The abort waits (up to <see cref="ForwardingLimit"/>) until mpiexec has read
    /// what this rank wrote: the abort kills the job with whatever is still in its pipes.
    /// </summary>
    public static void AbortIfRunning(int exitCode, string reason)
    {
        var running = shared;
        if (running is null || MPI.Environment.Finalized || running.Size < 2) return;
        Console.Out.Flush();
        Console.Error.WriteLine($"rank {running.Rank} of {running.Size} failed, aborting the job: {reason}");
        Console.Error.Flush();
        ForwardedOutput.AwaitRead(ForwardingLimit);
        running.world.Abort(exitCode);
    }

    /// <summary>How long a failing rank waits for mpiexec to read its last output before aborting.</summary>
    private static readonly TimeSpan ForwardingLimit = TimeSpan.FromSeconds(5);

    /// <summary>The process's MPI world, initialised on first use.</summary>
    /// <exception cref="MpiUnavailableException">MPICH's library cannot be loaded.</exception>
    public static MpiWorld Shared
    {
        get
        {
            lock (Gate)
            {
                if (shared is not null) return shared;
                BindToMpich();
                shared = new MpiWorld();
                return shared;
            }
        }
    }

    public override int Rank => world.Rank;
    public override int Size => world.Size;

    protected override void SumInPlace(float[] buffer)
    {
        var sum = Receiver(floatSums, buffer.Length);
        world.Allreduce(buffer, Operation<float>.Add, ref sum);
        sum.CopyTo(buffer, 0);
    }

    protected override void SumInPlace(double[] buffer)
    {
        var sum = Receiver(doubleSums, buffer.Length);
        world.Allreduce(buffer, Operation<double>.Add, ref sum);
        sum.CopyTo(buffer, 0);
    }

    private static T[] Receiver<T>(Dictionary<int, T[]> buffers, int length)
    {
        if (!buffers.TryGetValue(length, out var buffer)) buffers[length] = buffer = new T[length];
        return buffer;
    }

    protected override void MaxInPlace(double[] buffer)
    {
        var max = world.Allreduce(buffer, Operation<double>.Max);
        max.CopyTo(buffer, 0);
    }

    protected override void Synchronize() => world.Barrier();

    /// <summary>MPICH's blocking calls poll, so a rank waiting minutes in one (while rank 0 prepares data) would take a core
    /// from it: the others post a receive and check it every few milliseconds, sleeping in between.</summary>
    protected override bool FromRoot(bool value)
    {
        const int tag = 24;
        if (IsRoot)
        {
            for (int rank = 1; rank < Size; rank++) world.Send(value ? 1 : 0, rank, tag); // an int: MPI.NET has no MPI type for bool
            return value;
        }
        var request = world.ImmediateReceive<int>(0, tag);
        while (request.Test() is null) Thread.Sleep(20);
        return (int)request.GetValue() != 0;
    }

    protected override float[] Gather(float[] local)
    {
        int[] counts = world.Allgather(local.Length);
        return world.AllgatherFlattened(local, counts);
    }

    /// <summary>Loads MPICH's library (<paramref name="library"/>, default <see cref="Library"/>).</summary>
    /// <exception cref="MpiUnavailableException">It cannot be loaded: the message says what to install.</exception>
    public static IntPtr LoadMpich(string library = Library) =>
        NativeLibrary.TryLoad(library, out var handle)
            ? handle
            : throw new MpiUnavailableException(
                $"distributed = mpi needs MPICH's {library}, which could not be loaded. Install Debian's/Ubuntu's 'mpich' package " +
                "(apt-get install mpich) and start the run with its mpiexec. Open MPI does not work with MPI.NET (a different handle ABI).");

    /// <summary>Resolves MPI.NET's <c>msmpi</c> to MPICH, or fails with what to install.</summary>
    private static void BindToMpich()
    {
        var handle = LoadMpich();
        if (resolverSet) return;
        NativeLibrary.SetDllImportResolver(typeof(Communicator).Assembly, (name, _, _) =>
            name.StartsWith("msmpi", StringComparison.OrdinalIgnoreCase) ? handle : IntPtr.Zero);
        resolverSet = true;
    }
}

/// <summary>MPI was asked for but its library is not installed.</summary>
public sealed class MpiUnavailableException(string message) : InvalidOperationException(message);
