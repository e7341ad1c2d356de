using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Drlrec.Distributed;

/// <summary>
/// A rank's stdout and stderr as mpiexec runs it: pipes read by its process manager (Hydra's proxy), which forwards what it
/// reads to mpiexec's own streams. MPI_Abort makes the process manager kill the job at once, and bytes still in a pipe die
/// with it: a failing rank's last lines (its reason) were seen cut to a bare <c>error:</c> or lost whole on a loaded
/// machine. Before aborting, a rank waits until the proxy has read its pipes; what the proxy read it forwards before it
/// reads the abort that follows.
/// </summary>
public static class ForwardedOutput
{
    private const int StandardOutput = 1, StandardError = 2;
    /// <summary>Linux's ioctl request for the bytes waiting in a pipe (either end).</summary>
    private const nuint FionRead = 0x541B;

    /// <summary>Returns once nothing this process wrote to its stdout or stderr pipe is still unread, or after
    /// <paramref name="limit"/> (a reader that has stopped must not hold the abort up for ever). A stream that is not a
    /// pipe (a file, a terminal) has nothing to wait for.</summary>
    public static void AwaitRead(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        foreach (int fd in new[] { StandardOutput, StandardError })
            while (Unread(fd) > 0 && clock.Elapsed < limit) Thread.Sleep(5);
    }

    /// <summary>Bytes written to pipe <paramref name="fd"/> and not yet read; 0 when it is not a pipe or cannot be asked.</summary>
    public static int Unread(int fd)
    {
        if (!OperatingSystem.IsLinux() || !IsPipe(fd)) return 0;
        return ioctl(fd, FionRead, out int bytes) == 0 ? bytes : 0;
    }

    /// <summary>Linux names a pipe's descriptor link <c>pipe:[inode]</c>.</summary>
    private static bool IsPipe(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget?.StartsWith("pipe:", StringComparison.Ordinal) == true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, nuint request, out int bytes);
}
