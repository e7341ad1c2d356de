using System.Globalization;
using Drlrec.Data;

namespace Drlrec.Simulation;

/// <summary>
/// The simulator's logged lists written as Parquet part files (<c>part-00000.parquet</c>, <c>part-00001.parquet</c>, ...)
/// in the long format, made and written a row group at a time, so that memory stays bounded by one row group whatever
/// the number of lists. Read back as one source (a folder of parts), they are the lists of
/// <see cref="SyntheticSimulator.GenerateLogs"/> for the same settings and count, in the same order.
/// </summary>
public static class SyntheticParquetParts
{
    public const int DefaultListsPerFile = 100_000;
    /// <summary>Lists per row group: the unit a streaming reader holds at once (about 100,000 rows of 10-item lists).</summary>
    public const int DefaultListsPerRowGroup = 10_000;

    /// <summary>The name of part <paramref name="index"/>; natural and ordinal order agree up to 100,000 parts.</summary>
    public static string PartName(int index) => "part-" + index.ToString("D5", CultureInfo.InvariantCulture) + ".parquet";

    /// <summary>Writes <paramref name="lists"/> lists into <paramref name="folder"/>, which must hold no Parquet file yet.</summary>
    /// <param name="listsWritten">Called after each row group with the lists written so far (for progress).</param>
    /// <param name="candidates">Write each shown item's logging propensity and each list's unshown candidates (what
    /// off-policy evaluation needs: <see cref="ParquetListFormat.Propensity"/>); false writes the shown items alone, the
    /// format before it (a fifth of the rows at the default 50 candidates per request).</param>
    /// <returns>The part files, in order.</returns>
    public static IReadOnlyList<string> Write(SyntheticSimulator simulator, int lists, string folder,
        int listsPerFile = DefaultListsPerFile, int listsPerRowGroup = DefaultListsPerRowGroup, Action<long>? listsWritten = null,
        bool candidates = true)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        if (lists < 1) throw new ArgumentException($"the number of lists must be at least 1 (got {lists})");
        if (listsPerFile < 1) throw new ArgumentException($"lists per file must be at least 1 (got {listsPerFile})");
        if (listsPerRowGroup < 1) throw new ArgumentException($"lists per row group must be at least 1 (got {listsPerRowGroup})");
        if (Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.parquet").FirstOrDefault() is { } existing)
            throw new IOException($"'{folder}' already holds Parquet files (e.g. '{Path.GetFileName(existing)}'); " +
                                  "generated parts would mix with them when the folder is read: choose an empty or new folder");
        Directory.CreateDirectory(folder);

        using var source = simulator.StreamLogs(lists).GetEnumerator();
        var files = new List<string>();
        long written = 0;
        for (int part = 0; written < lists; part++)
        {
            int inFile = (int)Math.Min(listsPerFile, lists - written);
            string path = Path.Combine(folder, PartName(part));
            ParquetListWriter.WriteRowGroups(simulator.Schema, RowGroups(inFile), path, candidates);
            files.Add(path);
        }
        return files;

        IEnumerable<IReadOnlyList<LoggedList>> RowGroups(int count)
        {
            for (int done = 0; done < count;)
            {
                int size = Math.Min(listsPerRowGroup, count - done);
                var group = new List<LoggedList>(size);
                while (group.Count < size && source.MoveNext())
                    group.Add(candidates ? source.Current : source.Current with { Items = source.Current.Items.Select(i => i with { Propensity = null }).ToArray(), Unshown = [] });
                yield return group;
                done += size;
                written += size;
                listsWritten?.Invoke(written);
            }
        }
    }
}
