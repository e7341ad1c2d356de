using Parquet;
using Parquet.Schema;
using Drlrec.IO;


namespace Drlrec.Data;

/// <summary>
/// Writes logged lists in the Parquet long format read by <see cref="ParquetListReader"/>. Every column the reader
/// could default is written explicitly, every categorical field is a list of strings and every dense field a nullable
/// double, so reading the file back gives the same lists, keys, timestamps and values. The file is written atomically (see <see cref="AtomicFile"/>).
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
        var columns = new Columns(data.Schema);
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
    public static void WriteRowGroups(ListSchema schema, IEnumerable<IReadOnlyList<LoggedList>> rowGroups, string path) =>
        Task.Run(() => WriteRowGroupsAsync(schema, rowGroups, path, CancellationToken.None)).GetAwaiter().GetResult();

    public static async Task WriteRowGroupsAsync(ListSchema schema, IEnumerable<IReadOnlyList<LoggedList>> rowGroups, string path,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(rowGroups);
        var columns = new Columns(schema);
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
        private readonly DataField listId = new DataField<string>(ParquetListFormat.ListId, nullable: false);
        private readonly DataField positionField = new DataField<int>(ParquetListFormat.Position);
        private readonly DataField reward = new DataField<float>(ParquetListFormat.Reward);
        private readonly DataField userKey = new DataField<string>(ParquetListFormat.UserKey, nullable: false);
        private readonly DataField timestamp = new DataField<long>(ParquetListFormat.Timestamp);
        private readonly DataField itemKey = new DataField<string>(ParquetListFormat.ItemKey, nullable: false);
        private readonly Field[] fields;

        public Columns(ListSchema schema)
        {
            this.schema = schema;
            fields = schema.Fields
                .Select(f => f.Kind == FieldKind.Dense
                    ? (Field)new DataField<double?>(ParquetListFormat.ColumnOf(f))
                    : new ListField(ParquetListFormat.ColumnOf(f), new DataField<string>(ListField.ElementName, nullable: false)))
                .ToArray();
            FileSchema = new ParquetSchema(new Field[] { listId, positionField, reward, userKey, timestamp, itemKey }.Concat(fields));
        }

        public ParquetSchema FileSchema { get; }

        public async Task WriteAsync(ParquetRowGroupWriter rowGroup, IReadOnlyList<LoggedList> lists, CancellationToken ct)
        {
            var rows = lists.SelectMany(list => list.Items.Select((item, i) => (list, item, position: i + 1))).ToList();
            foreach (var (list, item, position) in rows)
                if (item.Values.Length != schema.Count)
                    throw new ArgumentException($"list '{list.ListId}', position {position}: the item has {item.Values.Length} " +
                                                $"field values but the schema has {schema.Count} fields");
            await rowGroup.WriteAsync(listId, rows.Select(r => r.list.ListId).ToList());
            await rowGroup.WriteAsync<int>(positionField, rows.Select(r => r.position).ToArray().AsMemory(), cancellationToken: ct);
            await rowGroup.WriteAsync<float>(reward, rows.Select(r => r.item.Reward).ToArray().AsMemory(), cancellationToken: ct);
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
