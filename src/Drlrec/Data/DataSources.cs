namespace Drlrec.Data;

/// <summary>
/// Opens a data set named on the command line: a MovieLens-100K folder, a reference TSV file, or Parquet data (a file,
/// a folder of part files or a pattern of them, see <see cref="ParquetParts"/>), chosen by what the path is. (The word <c>synthetic</c> is resolved by the caller before this is reached.)
/// </summary>
public static class DataSources
{
    /// <summary>The accepted forms of a source, for help texts and error messages.</summary>
    public const string AcceptedForms =
        "a MovieLens-100K folder (holding u.data, or an ml-100k folder that does), a reference TSV file (*.tsv, *.txt), " +
        "Parquet data (a *.parquet file, a folder of *.parquet part files, or a pattern such as DIR/part-*.parquet), " +
        "or the word 'synthetic'";

    public static ListDataset Load(string spec, ReadOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        return NotEmpty(Read(spec, options), spec);
    }

    /// <summary>A source that yields no list (every record skipped under --skip-bad-records) is an error, not a success.</summary>
    private static ListDataset NotEmpty(ListDataset data, string spec) => data.Lists.Count > 0 ? data : throw NoLists(spec, data.Report);

    /// <summary>The error for a source without lists, saying why when its records were all skipped.</summary>
    internal static DataFormatException NoLists(string spec, DataReport report) =>
        new(spec, "file", report.RecordsSkipped > 0
            ? $"no list is left: every record was skipped ({report.RecordsSkipped}); the first problem was: {report.SkippedExamples[0]}"
            : "no lists");

    private static ListDataset Read(string spec, ReadOptions options)
    {
        if (ParquetParts.IsPattern(spec)) return ParquetListReader.ReadMany(ParquetParts.Files(spec), options, spec);
        if (Directory.Exists(spec))
        {
            if (MovieLensFolder(spec) is { } folder) return MovieLensReader.Read(folder, options);
            if (ParquetParts.IsParquet(spec)) return ParquetListReader.ReadMany(ParquetParts.Files(spec), options, spec);
            throw new FileNotFoundException(
                $"folder '{spec}' holds no MovieLens u.data (nor an ml-100k folder that does) and no Parquet part file (*.parquet); " +
                $"expected {AcceptedForms}", Path.Combine(spec, MovieLensReader.RatingsFile));
        }
        if (!File.Exists(spec))
            throw new FileNotFoundException($"data source '{spec}' not found; expected {AcceptedForms}. " +
                                            "'drlrec data download movielens-100k' fetches MovieLens-100K.", spec);
        return Path.GetExtension(spec).ToLowerInvariant() switch
        {
            ".tsv" or ".txt" => ReferenceTsvReader.Read(spec, options),
            ".parquet" => ParquetListReader.Read(spec, options),
            var extension => throw new ArgumentException(
                $"cannot tell the format of '{spec}' from its extension '{extension}'; expected {AcceptedForms}"),
        };
    }

    /// <summary>A short multi-line summary of a data set (source, schema by family, sizes, report counts).</summary>
    public static string Describe(ListDataset data) => DataSummary.Of(data).ToString();

    /// <summary>The MovieLens folder a path stands for: itself, or its ml-100k subfolder (where download puts it).</summary>
    private static string? MovieLensFolder(string folder)
    {
        if (File.Exists(Path.Combine(folder, MovieLensReader.RatingsFile))) return folder;
        string nested = Path.Combine(folder, MovieLensDownloader.FolderName);
        return File.Exists(Path.Combine(nested, MovieLensReader.RatingsFile)) ? nested : null;
    }
}
