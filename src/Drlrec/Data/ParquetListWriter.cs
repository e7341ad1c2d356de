using Parquet;
using Parquet.Schema;
using Drlrec.IO;


namespace Drlrec.Data;

/// <summary>
/// Writes logged lists in the Parquet long format read by <see cref="ParquetListReader"/>. Every column the reader
/// could default is written explicitly, every categorical field is a list of strings and every dense field a nullable
/// double, so reading the file back gives the same lists, keys, timestamps and values. The file is written atomically (see <see cref="AtomicFile"/>).
/// Lists with propensities or unshown candidates are written with the off-policy columns (<see cref="ParquetListFormat.Propensity"/>;
/// position and reward nullable; a list's unshown candidates as rows after its shown items); others exactly as before.
/// </summary>
public static class ParquetListWriter
{
    /// <summary>Rows per row group: large enough for fast scans, small enough to keep memory bounded.</summary>
    public const int DefaultRowsPerGroup = 100_000;

    public static void Write(ListDataset data, string path, int rowsPerGroup = DefaultRowsPerGroup) =>
        Task.Run(() => WriteAsync(data, path, rowsPerGroup, CancellationToken.None)).GetAwaiter().GetResult();

    public static async Task WriteAsync(ListDataset data, string path, int rowsPerGroup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (rowsPerGroup < 1) throw new ArgumentException($"rows per group must be at least 1 (got {rowsPerGroup})");
        var columns = new Columns(data.Schema, data.Lists.Any(CarriesCandidates));
        await AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await using var writer = await ParquetWriter.CreateAsync(columns.FileSchema, stream, cancellationToken: ct);
            foreach (var group in RowGroups(data.Lists, rowsPerGroup))
            {
                ct.ThrowIfCancellationRequested();
                using var rowGroup = writer.CreateRowGroup();
                await columns.WriteAsync(rowGroup, group, ct);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Writes lists given row group by row group (each group's lists become one row group, so a list never spans two),
    /// holding only the group being written: <paramref name="rowGroups"/> may be produced lazily, e.g. by a generator.
    /// The file appears only when complete.
    /// </summary>
    /// <param name="candidates">Write the off-policy columns (propensities, unshown candidates), decided before any list is
    /// seen: the columns of a file are fixed when it starts.</param>
    public static void WriteRowGroups(ListSchema schema, IEnumerable<IReadOnlyList<LoggedList>> rowGroups, string path, bool candidates = false) =>
        Task.Run(() => WriteRowGroupsAsync(schema, rowGroups, path, CancellationToken.None, candidates)).GetAwaiter().GetResult();

    public static async Task WriteRowGroupsAsync(ListSchema schema, IEnumerable<IReadOnlyList<LoggedList>> rowGroups, string path,
        CancellationToken cancellationToken, bool candidates = false)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(rowGroups);
        var columns = new Columns(schema, candidates);
        await AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await using var writer = await ParquetWriter.CreateAsync(columns.FileSchema, stream, cancellationToken: ct);
            foreach (var group in rowGroups)
            {
                ct.ThrowIfCancellationRequested();
                if (group.Count == 0) continue;
                using var rowGroup = writer.CreateRowGroup();
                await columns.WriteAsync(rowGroup, group, ct);
            }
        }, cancellationToken);
    }

    /// <summary>Whether a list has what only the off-policy columns can hold.</summary>
    private static bool CarriesCandidates(LoggedList list) => list.Unshown.Count > 0 || list.Items.Any(item => item.Propensity is not null);

    /// <summary>Whole lists per row group, closing a group once it holds at least <paramref name="rowsPerGroup"/> rows.</summary>
    private static IEnumerable<List<LoggedList>> RowGroups(IReadOnlyList<LoggedList> lists, int rowsPerGroup)
    {
        var group = new List<LoggedList>();
        int rows = 0;
        foreach (var list in lists)
        {
            group.Add(list);
            rows += list.Items.Count;
            if (rows < rowsPerGroup) continue;
            yield return group;
            group = [];
            rows = 0;
        }
        if (group.Count > 0) yield return group;
    }

    /// <summary>The file's columns for one schema, and how to fill them from lists.</summary>
    private sealed class Columns
    {
        private readonly ListSchema schema;
        private readonly bool candidates;
        private readonly DataField listId = new DataField<string>(ParquetListFormat.ListId, nullable: false);
        private readonly DataField positionField, reward;
        private readonly DataField propensity = new DataField<double?>(ParquetListFormat.Propensity);
        private readonly DataField userKey = new DataField<string>(ParquetListFormat.UserKey, nullable: false);
        private readonly DataField timestamp = new DataField<long>(ParquetListFormat.Timestamp);
        private readonly DataField itemKey = new DataField<string>(ParquetListFormat.ItemKey, nullable: false);
        private readonly Field[] fields;

        public Columns(ListSchema schema, bool candidates)
        {
            this.schema = schema;
            this.candidates = candidates;
            positionField = candidates ? new DataField<int?>(ParquetListFormat.Position) : new DataField<int>(ParquetListFormat.Position);
            reward = candidates ? new DataField<float?>(ParquetListFormat.Reward) : new DataField<float>(ParquetListFormat.Reward);
            fields = schema.Fields
                .Select(f => f.Kind == FieldKind.Dense
                    ? (Field)new DataField<double?>(ParquetListFormat.ColumnOf(f))
                    : new ListField(ParquetListFormat.ColumnOf(f), new DataField<string>(ListField.ElementName, nullable: false)))
                .ToArray();
            Field[] fixedColumns = candidates
                ? [listId, positionField, reward, propensity, userKey, timestamp, itemKey]
                : [listId, positionField, reward, userKey, timestamp, itemKey];
            FileSchema = new ParquetSchema(fixedColumns.Concat(fields));
        }

        public ParquetSchema FileSchema { get; }

        public async Task WriteAsync(ParquetRowGroupWriter rowGroup, IReadOnlyList<LoggedList> lists, CancellationToken ct)
        {
            // A list's shown items (position 1..), then, with the off-policy columns, its unshown candidates (position null).
            var rows = lists.SelectMany(list => list.Items.Select((item, i) => (list, item, position: (int?)(i + 1)))
                    .Concat(candidates ? list.Unshown.Select(item => (list, item, position: (int?)null)) : []))
                .ToList();
            foreach (var (list, item, position) in rows)
                if (item.Values.Length != schema.Count)
                    throw new ArgumentException($"list '{list.ListId}', {(position is { } p ? $"position {p}" : $"unshown candidate '{item.ItemKey}'")}: " +
                                                $"the item has {item.Values.Length} field values but the schema has {schema.Count} fields");
            await rowGroup.WriteAsync(listId, rows.Select(r => r.list.ListId).ToList());
            if (candidates)
            {
                await rowGroup.WriteAsync<int>(positionField, rows.Select(r => r.position).ToArray().AsMemory(), cancellationToken: ct);
                await rowGroup.WriteAsync<float>(reward, rows.Select(r => r.position is null ? null : (float?)r.item.Reward).ToArray().AsMemory(), cancellationToken: ct);
                await rowGroup.WriteAsync<double>(propensity, rows.Select(r => r.position is null ? null : r.item.Propensity).ToArray().AsMemory(), cancellationToken: ct);
            }
            else
            {
                await rowGroup.WriteAsync<int>(positionField, rows.Select(r => r.position!.Value).ToArray().AsMemory(), cancellationToken: ct);
                await rowGroup.WriteAsync<float>(reward, rows.Select(r => r.item.Reward).ToArray().AsMemory(), cancellationToken: ct);
            }
            await rowGroup.WriteAsync(userKey, rows.Select(r => r.list.UserKey).ToList());
            await rowGroup.WriteAsync<long>(timestamp, rows.Select(r => r.list.Timestamp).ToArray().AsMemory(), cancellationToken: ct);
            await rowGroup.WriteAsync(itemKey, rows.Select(r => r.item.ItemKey).ToList());
            for (int f = 0; f < fields.Length; f++)
            {
                if (fields[f] is DataField dense)
                {
                    var numbers = rows.Select(r => DenseValue.TryRead(r.item.Values[f][0], out double v) ? v : (double?)null).ToArray();
                    await rowGroup.WriteAsync<double>(dense, numbers.AsMemory(), cancellationToken: ct);
                    continue;
                }
                var values = new List<string>(rows.Count);
                var repetitions = new List<int>(rows.Count);
                foreach (var (_, item, _) in rows)
                {
                    string[] set = item.Values[f].Length > 0 ? item.Values[f] : [LoggedItem.Missing];
                    for (int v = 0; v < set.Length; v++)
                    {
                        values.Add(set[v]);
                        repetitions.Add(v == 0 ? 0 : 1);
                    }
                }
                await rowGroup.WriteAsync((DataField)((ListField)fields[f]).Item, values, repetitions.ToArray().AsMemory());
            }
        }
    }
}
