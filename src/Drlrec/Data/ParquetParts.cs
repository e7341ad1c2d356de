namespace Drlrec.Data;

/// <summary>
/// The Parquet files a source names: one <c>.parquet</c> file, a folder of part files (its <c>*.parquet</c>), or a
/// pattern such as <c>DIR/part-*.parquet</c> (wildcards <c>*</c> and <c>?</c> in the file name only). Parts are read in
/// natural order of their names (<c>part-2</c> before <c>part-10</c>), which is the order of their rows in the source.
/// </summary>
public static class ParquetParts
{
    /// <summary>True when <paramref name="spec"/> names Parquet data (a file, a folder holding part files, or a pattern).</summary>
    public static bool IsParquet(string spec) =>
        IsPattern(spec)
        || (File.Exists(spec) && HasParquetExtension(spec))
        || (Directory.Exists(spec) && Directory.EnumerateFiles(spec).Any(HasParquetExtension));

    public static bool IsPattern(string spec) => Path.GetFileName(spec).IndexOfAny(['*', '?']) >= 0;

    /// <summary>The files in reading order; an error naming the spec when it names none.</summary>
    public static IReadOnlyList<string> Files(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        if (IsPattern(spec))
        {
            string folder = Path.GetDirectoryName(spec) is { Length: > 0 } d ? d : ".";
            if (folder.IndexOfAny(['*', '?']) >= 0)
                throw new ArgumentException($"'{spec}': wildcards are allowed in the file name only, not in the folder '{folder}'");
            if (!Directory.Exists(folder))
                throw new DirectoryNotFoundException($"'{spec}': folder '{folder}' not found");
            var matched = Ordered(Directory.EnumerateFiles(folder, Path.GetFileName(spec)));
            return matched.Count > 0 ? matched
                : throw new FileNotFoundException($"'{spec}' matches no Parquet file (*.parquet) in '{folder}'", spec);
        }
        if (Directory.Exists(spec))
        {
            var parts = Ordered(Directory.EnumerateFiles(spec));
            return parts.Count > 0 ? parts
                : throw new FileNotFoundException($"folder '{spec}' holds no Parquet part file (*.parquet)", spec);
        }
        if (!File.Exists(spec)) throw new FileNotFoundException($"Parquet source '{spec}' not found", spec);
        return HasParquetExtension(spec) ? [spec]
            : throw new ArgumentException($"'{spec}' is not a Parquet file (*.parquet)");
    }

    /// <summary>The total size of the files in bytes (what decides whether <c>data.streaming: auto</c> streams).</summary>
    public static long TotalBytes(IEnumerable<string> files) => files.Sum(f => new FileInfo(f).Length);

    private static bool HasParquetExtension(string path) => path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);

    private static List<string> Ordered(IEnumerable<string> files) =>
        files.Where(HasParquetExtension)
            .OrderBy(f => Path.GetFileName(f), NaturalStringComparer.Instance)
            .ThenBy(f => f, StringComparer.Ordinal)
            .ToList();
}
