namespace Drlrec.Testing;

/// <summary>
/// Locates the shared real data sets (never committed: MovieLens' licence forbids redistribution).
/// CI lays <c>shared/</c> beside the clone, so the default is <c>../shared</c> from the repository root;
/// <c>DRLREC_SHARED_DATA</c> overrides the data folder. Under <c>CI=true</c> a missing copy fails the test.
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

    /// <summary>The MovieLens-100K folder, or null when it is absent outside CI (the test then returns early).</summary>
    public static string? MovieLens100K
    {
        get
        {
            string path = Path.Combine(DataFolder, "ml-100k");
            if (File.Exists(Path.Combine(path, "u.data"))) return path;
            if (IsCi) throw new InvalidOperationException($"MovieLens-100K not found at {path} (CI=true: a missing copy is a failure)");
            return null;
        }
    }
}
