namespace Drlrec.Testing;

/// <summary>
/// Locates the shared real data sets (never committed: MovieLens' licence forbids redistribution).
/// CI lays <c>shared/</c> beside the clone, so the default is <c>../shared</c> from the repository root;
/// <c>DRLREC_SHARED_DATA</c> overrides the data folder. A test that needs the data is a <see cref="MovieLensFactAttribute"/>:
/// skipped with the reason when the copy is absent, except under <c>CI=true</c>, where it runs and fails.
/// </summary>
public static class SharedData
{
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "drlrec.slnx"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (drlrec.slnx)");
        }
    }

    public static string DataFolder =>
        Environment.GetEnvironmentVariable("DRLREC_SHARED_DATA") is { Length: > 0 } env
            ? env
            : Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "data"));

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string MovieLensPath => Path.Combine(DataFolder, "ml-100k");

    /// <summary>True when the shared MovieLens-100K copy is there.</summary>
    public static bool HasMovieLens100K => File.Exists(Path.Combine(MovieLensPath, "u.data"));

    /// <summary>The MovieLens-100K folder; a missing copy throws (a <see cref="MovieLensFactAttribute"/> test is
    /// skipped before it gets here, unless under CI).</summary>
    public static string MovieLens100K => HasMovieLens100K
        ? MovieLensPath
        : throw new InvalidOperationException($"MovieLens-100K not found at {MovieLensPath} (CI=true: a missing copy is a failure)");
}

/// <summary>A test on the shared MovieLens-100K copy: skipped, with the reason, when the copy is absent outside CI.</summary>
public sealed class MovieLensFactAttribute : FactAttribute
{
    public MovieLensFactAttribute()
    {
        if (!SharedData.HasMovieLens100K && !SharedData.IsCi)
            Skip = $"MovieLens-100K not found under {SharedData.DataFolder} (set DRLREC_SHARED_DATA, or 'drlrec data download movielens-100k')";
    }
}

/// <summary>A test of Linux-only behaviour (ELF files, the loader): skipped, with the reason, on other systems.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "Linux only: the libstdc++ patch applies to ELF libraries";
    }
}
