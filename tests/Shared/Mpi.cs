namespace Drlrec.Testing;

/// <summary>MPICH's launcher, for the tests that start data-parallel runs.</summary>
public static class Mpi
{
    /// <summary>mpiexec's full path, or null when it is not on PATH.</summary>
    public static string? Mpiexec =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "mpiexec")).FirstOrDefault(File.Exists);

    /// <summary>True when MPICH's library (what MPI.NET is bound to) can be loaded.</summary>
    public static bool HasMpich => System.Runtime.InteropServices.NativeLibrary.TryLoad("libmpich.so.12", out _);
}

/// <summary>
/// A test that starts <c>mpiexec</c>: skipped, with the reason, when MPICH (its mpiexec and libmpich.so.12) is not
/// installed. CI installs it first (<c>.ci/run</c>) and says so visibly when it cannot.
/// </summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (Mpi.Mpiexec is null || !Mpi.HasMpich)
            Skip = "MPICH not installed (no mpiexec on PATH or no libmpich.so.12): apt-get install mpich";
    }
}
