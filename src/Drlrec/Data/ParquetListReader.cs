using Parquet;
using Parquet.Schema;

namespace Drlrec.Data;

/// <summary>
/// Reads logged lists from the Parquet long format described by <see cref="ParquetListFormat"/>: one row per item,
/// rows of a list anywhere in the file, items ordered by <c>position</c>. Field columns are strings, integers
/// (read as invariant strings) or lists of strings (multi-valued fields); a null or empty value is
/// <see cref="LoggedItem.Missing"/>.
/// </summary>
public static class ParquetListReader
{
    public static ListDataset Read(string path, ReadOptions options) => ReadMany([path], options, path);

    public static Task<ListDataset> ReadAsync(string path, ReadOptions options, CancellationToken cancellationToken) =>
        ReadManyAsync([path], options, path, cancellationToken);

    /// <summary>
    /// Part files of one source read as one file holding their rows in order: the lists are the same as those of a
    /// single file with the same rows (a list's rows may even sit in different parts; a missing timestamp is the index
    /// of the list's first row across the parts). Every part must have the same columns as the first.
    /// </summary>
    /// <param name="source">The name the data set reports (the folder or pattern the parts came from).</param>
    public static ListDataset ReadMany(IReadOnlyList<string> paths, ReadOptions options, string source) =>
        Task.Run(() => ReadManyAsync(paths, options, source, CancellationToken.None)).GetAwaiter().GetResult();

    public static async Task<ListDataset> ReadManyAsync(IReadOnlyList<string> paths, ReadOptions options, string source,
        CancellationToken cancellationToken)
    {
        ListCutter.Validate(options);
        if (paths.Count == 0) throw new ArgumentException($"{source}: no Parquet file to read");
        var report = new DataReport();
        var bad = new BadRecords(options, report);
        var rows = new List<Row>();
        ParquetListFile? first = null;
        long firstRow = 0;
        try
        {
            foreach (string path in paths)
            {
                var file = await ParquetListFile.OpenAsync(path, cancellationToken);
                try
                {
                    if (first is not null) file.EnsureSameColumns(first);
                    for (int g = 0; g < file.RowGroupCount; g++)
                        firstRow += await file.ReadRowsAsync(g, firstRow, rows, bad, cancellationToken);
                }
                catch
                {
                    file.Dispose();
                    throw;
                }
                if (first is null) first = file;
                else file.Dispose();
            }
            var lists = first!.ToLists(rows, bad);
            return new ListDataset(first.Schema, ListCutter.Cut(lists, options.MaxListLength, report), source, report);
        }
        finally
        {
            first?.Dispose();
        }
    }

    /// <summary>Failures of the Parquet library on a damaged file (it throws many kinds); ours pass through.</summary>
    private static bool IsLibraryFailure(Exception e) =>
        e is not (DataFormatException or OperationCanceledException or OutOfMemoryException);

    /// <summary>What a streaming pass keeps of a list: its user, time, item count and count of items with a positive reward.</summary>
    public readonly record struct ListMetadata(string UserKey, long Timestamp, int Items, int Liked);

    /// <summary>Where a row is: its file, row group and row, and its index among all rows of the source.</summary>
    internal readonly record struct RowPlace(string File, int RowGroup, int Row, long Index)
    {
        public override string ToString() => $"row group {RowGroup}, row {Row}";
    }

    /// <summary>
    /// One open Parquet file of the long format, read a row group at a time: what a streaming reader uses to hold one
    /// row group's lists at once. The columns are checked against the format when the file is opened.
    /// </summary>
    public sealed class ParquetListFile : IDisposable
    {
        private readonly Stream stream;
        private readonly ParquetReader reader;
        private readonly ColumnPlan plan;

        private ParquetListFile(string path, Stream stream, ParquetReader reader, ColumnPlan plan)
        {
            Path = path;
            this.stream = stream;
            this.reader = reader;
            this.plan = plan;
        }

        public string Path { get; }
        public ListSchema Schema => plan.Schema;
        public int RowGroupCount => reader.RowGroupCount;

        public static ParquetListFile Open(string path) =>
            Task.Run(() => OpenAsync(path, CancellationToken.None)).GetAwaiter().GetResult();

        public static async Task<ParquetListFile> OpenAsync(string path, CancellationToken cancellationToken)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"Parquet file not found: {path}", path);
            var stream = File.OpenRead(path);
            try
            {
                ParquetReader reader;
                try
                {
                    reader = await ParquetReader.CreateAsync(stream, new ParquetOptions { TreatByteArrayAsString = true },
                                                             leaveStreamOpen: true, cancellationToken);
                }
                catch (Exception e) when (IsLibraryFailure(e))
                {
                    throw new DataFormatException(path, "file", $"not a readable Parquet file ({e.Message})");
                }
                try
                {
                    return new ParquetListFile(path, stream, reader, ColumnPlan.Create(reader.Schema, path));
                }
                catch
                {
                    await reader.DisposeAsync();
                    throw;
                }
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }
        }

        /// <summary>Rows in row group <paramref name="rowGroup"/> (from the file's metadata, nothing decoded).</summary>
        public long RowCount(int rowGroup) => reader.RowGroups[rowGroup].RowCount;

        /// <summary>Stops with this file named when its columns are not those of <paramref name="first"/> (parts of one source share a schema).</summary>
        public void EnsureSameColumns(ParquetListFile first)
        {
            string mine = plan.Describe(), theirs = first.plan.Describe();
            if (mine != theirs)
                throw new DataFormatException(Path, "file",
                    $"its columns [{mine}] differ from those of the first part '{first.Path}' [{theirs}]: every part of a source must have the same columns");
        }

        /// <summary>
        /// The lists of one row group, in the order of their first rows, cut to <paramref name="options"/>' maximum length.
        /// Every list must have all its rows in this row group (<paramref name="seen"/> holds a 64-bit hash of every list id
        /// read before; a repeat is an error naming the row group, as the streaming reader cannot join a list's parts).
        /// </summary>
        /// <param name="firstRow">Index of the group's first row among all rows of the source (default timestamps).</param>
        public IReadOnlyList<LoggedList> ReadLists(int rowGroup, long firstRow, ReadOptions options, DataReport report, HashSet<ulong>? seen = null)
        {
            var bad = new BadRecords(options, report);
            var rows = new List<Row>();
            Task.Run(() => ReadRowsAsync(rowGroup, firstRow, rows, bad, CancellationToken.None)).GetAwaiter().GetResult();
            var lists = ToLists(rows, bad);
            if (seen is not null)
                foreach (var list in lists)
                    if (!seen.Add(System.IO.Hashing.XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(list.ListId))))
                        throw SpansRowGroups(Path, rowGroup, list.ListId);
            return ListCutter.Cut(lists, options.MaxListLength, report);
        }

        /// <summary>
        /// What a streaming pass keeps of each list of one row group (user, time, items, liked items), in the order and with
        /// the cutting of <see cref="ReadLists"/>, reading only the columns that carry them when it can (no bad record to
        /// skip): several times faster than reading the lists.
        /// </summary>
        public IReadOnlyList<ListMetadata> ReadMetadata(int rowGroup, long firstRow, ReadOptions options, DataReport report, HashSet<ulong>? seen = null)
        {
            if (options.SkipBadRecords || !plan.ReadsMetadataAlone)
                return ReadLists(rowGroup, firstRow, options, report, seen)
                    .Select(l => new ListMetadata(l.UserKey, l.Timestamp, l.Items.Count, l.Items.Count(i => i.Reward > 0))).ToList();
            return Task.Run(async () =>
            {
                using var group = reader.OpenRowGroupReader(rowGroup);
                int rowCount = checked((int)group.RowCount);
                var cells = new ParquetColumnCells?[plan.Columns.Count];
                foreach (int c in plan.MetadataColumns)
                {
                    try
                    {
                        cells[c] = await ParquetColumnCells.ReadAsync(group, plan.Columns[c].Data, rowCount, CancellationToken.None);
                    }
                    catch (Exception e) when (IsLibraryFailure(e))
                    {
                        throw new DataFormatException(Path, $"row group {rowGroup}",
                            $"column '{plan.Columns[c].Name}' cannot be read ({e.Message}); the file may be truncated or corrupt");
                    }
                }
                var lists = plan.Metadata(this, cells, rowGroup, firstRow, options.MaxListLength, seen);
                foreach (var list in lists)
                {
                    report.ListsRead++;
                    report.ItemsRead += list.Items;
                    if (list.Items < options.MaxListLength) report.ShortLists++;
                }
                return lists;
            }).GetAwaiter().GetResult();
        }

        internal static DataFormatException SpansRowGroups(string path, int rowGroup, string listId) =>
            new(path, $"row group {rowGroup}",
                $"list '{listId}' has rows in an earlier row group too; streaming reads a row group at a time, " +
                "so every list must have all its rows in one row group (write with drlrec data convert or data generate, " +
                "or set data.streaming to off)");

        /// <summary>Reads and validates the rows of one row group into <paramref name="rows"/>; returns the group's row count.</summary>
        internal async Task<long> ReadRowsAsync(int g, long firstRow, List<Row> rows, BadRecords bad, CancellationToken cancellationToken)
        {
            using var rowGroup = reader.OpenRowGroupReader(g);
            int rowCount = checked((int)rowGroup.RowCount);
            var cells = new ParquetColumnCells[plan.Columns.Count];
            for (int c = 0; c < cells.Length; c++)
            {
                var column = plan.Columns[c];
                try
                {
                    cells[c] = await ParquetColumnCells.ReadAsync(rowGroup, column.Data, rowCount, cancellationToken);
                }
                catch (Exception e) when (IsLibraryFailure(e))
                {
                    throw new DataFormatException(Path, $"row group {g}",
                        $"column '{column.Name}' cannot be read ({e.Message}); the file may be truncated or corrupt");
                }
            }
            for (int r = 0; r < rowCount; r++)
            {
                try
                {
                    rows.Add(plan.ToRow(cells, r, new RowPlace(Path, g, r, firstRow + r)));
                }
                catch (RowProblem problem)
                {
                    bad.Handle(new DataFormatException(Path, new RowPlace(Path, g, r, 0).ToString(), problem.Message));
                }
            }
            return rowCount;
        }

        /// <summary>Rows grouped into lists by id, in the order of each list's first row.</summary>
        internal List<LoggedList> ToLists(List<Row> rows, BadRecords bad)
        {
            var lists = new List<LoggedList>();
            foreach (var rowsOfList in rows.GroupBy(row => row.ListId, StringComparer.Ordinal))
            {
                try
                {
                    lists.Add(plan.ToList(rowsOfList.Key, rowsOfList.ToList()));
                }
                catch (ListProblem problem)
                {
                    bad.Handle(new DataFormatException(problem.Place.File, problem.Place.ToString(), problem.Message));
                }
            }
            return lists;
        }

        public void Dispose()
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            stream.Dispose();
        }
    }

    /// <summary>One item row, validated.</summary>
    /// <param name="Position">Null on an unshown candidate's row.</param>
    internal sealed record Row(string ListId, long? Position, float Reward, string? UserKey, long? Timestamp, string? ItemKey,
                              string[][] Values, RowPlace Place, double? Propensity);

    internal sealed class RowProblem(string message) : Exception(message);

    internal sealed class ListProblem(RowPlace place, string message) : Exception(message)
    {
        public RowPlace Place { get; } = place;
    }

    internal enum Role { ListId, Position, Reward, UserKey, Timestamp, ItemKey, Propensity, Field }

    internal sealed record PlannedColumn(string Name, Role Role, DataField Data, int FieldIndex);

    /// <summary>
    /// What each column of the file is, checked against the format once, before any data is read:
    /// unknown columns, missing required columns and wrong types are whole-file problems.
    /// </summary>
    internal sealed class ColumnPlan
    {
        private ColumnPlan(ListSchema schema, IReadOnlyList<PlannedColumn> columns)
        {
            Schema = schema;
            Columns = columns;
            int Find(Role role) => columns.ToList().FindIndex(c => c.Role == role);
            listIdColumn = Find(Role.ListId);
            positionColumn = Find(Role.Position);
            rewardColumn = Find(Role.Reward);
            userKeyColumn = Find(Role.UserKey);
            timestampColumn = Find(Role.Timestamp);
            itemKeyColumn = Find(Role.ItemKey);
            propensityColumn = Find(Role.Propensity);
            fields = columns.Select((c, i) => (c, i)).Where(p => p.c.Role == Role.Field).ToArray()
                .OrderBy(p => p.c.FieldIndex).Select(p => p.i).ToArray();
        }

        private readonly int listIdColumn, positionColumn, rewardColumn, userKeyColumn, timestampColumn, itemKeyColumn, propensityColumn;
        private readonly int[] fields; // column index of each schema field, in schema order

        public ListSchema Schema { get; }
        public IReadOnlyList<PlannedColumn> Columns { get; }

        /// <summary>
        /// Whether <see cref="Metadata"/> can read a row group's lists from a few columns: it needs the first user field
        /// (the default user key) to be categorical when there is no user_key column.
        /// </summary>
        public bool ReadsMetadataAlone => userKeyColumn >= 0 || Schema.UserCount == 0 || Schema.Fields[0].Kind == FieldKind.Categorical;

        /// <summary>The columns <see cref="Metadata"/> reads (list id, position, reward, user key or first user field, timestamp).</summary>
        public int[] MetadataColumns =>
            new[] { listIdColumn, positionColumn, rewardColumn, userKeyColumn >= 0 ? userKeyColumn : Schema.UserCount > 0 ? fields[0] : -1, timestampColumn }
                .Where(c => c >= 0).Distinct().ToArray();

        /// <summary>
        /// The lists of one row group as <see cref="ToList"/> and <see cref="ListCutter"/> would make them, reduced to what
        /// a streaming pass keeps of each (user, time, items, liked items), from the metadata columns only: no field value
        /// is read. Problems are thrown (the caller reads every column instead when bad records are to be skipped).
        /// </summary>
        public List<ListMetadata> Metadata(ParquetListFile file, ParquetColumnCells?[] cells, int g, long firstRow, int maxLength, HashSet<ulong>? seen)
        {
            int rowCount = cells[listIdColumn]!.RowCount;
            var groups = new List<List<int>>();
            var groupOf = new Dictionary<string, int>(StringComparer.Ordinal);
            var ids = new List<string>();
            var positions = new long[rowCount];
            var rewards = new float[rowCount];
            for (int r = 0; r < rowCount; r++)
            {
                string place = new RowPlace(file.Path, g, r, 0).ToString();
                string listId = cells[listIdColumn]!.StringAt(r)
                    ?? throw new DataFormatException(file.Path, place, $"column '{ParquetListFormat.ListId}' is null");
                if (cells[positionColumn]!.Int64At(r) is not { } position) continue; // an unshown candidate: training never reads it
                positions[r] = position;
                double reward = cells[rewardColumn]!.DoubleAt(r)
                    ?? throw new DataFormatException(file.Path, place, $"column '{ParquetListFormat.Reward}' is null");
                if (!double.IsFinite(reward) || !float.IsFinite((float)reward))
                    throw new DataFormatException(file.Path, place, $"column '{ParquetListFormat.Reward}' must be a finite float, found {reward}");
                rewards[r] = (float)reward;
                if (!groupOf.TryGetValue(listId, out int group))
                {
                    groupOf[listId] = group = groups.Count;
                    groups.Add([]);
                    ids.Add(listId);
                }
                groups[group].Add(r);
            }

            var result = new List<ListMetadata>(groups.Count);
            for (int k = 0; k < groups.Count; k++)
            {
                string listId = ids[k];
                if (seen is not null && !seen.Add(System.IO.Hashing.XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(listId))))
                    throw ParquetListFile.SpansRowGroups(file.Path, g, listId);
                var rows = groups[k];
                var ordered = rows.OrderBy(r => positions[r]).ToList(); // stable: equal positions keep file order
                for (int i = 1; i < ordered.Count; i++)
                    if (positions[ordered[i]] == positions[ordered[i - 1]])
                        throw new DataFormatException(file.Path, new RowPlace(file.Path, g, ordered[i], 0).ToString(),
                            $"list '{listId}': column '{ParquetListFormat.Position}' value {positions[ordered[i]]} appears twice " +
                            $"(also at {new RowPlace(file.Path, g, ordered[i - 1], 0)})");
                string userKey = Agreed(file.Path, g, rows, r => userKeyColumn >= 0 ? cells[userKeyColumn]!.StringAt(r) : null, ParquetListFormat.UserKey, listId)
                                 ?? (Schema.UserCount > 0 ? FieldValues.AsKey(cells[fields[0]]!.ValueSetAt(ordered[0])) : listId);
                long timestamp = AgreedValue(file.Path, g, rows, r => timestampColumn >= 0 ? cells[timestampColumn]!.Int64At(r) : null, ParquetListFormat.Timestamp, listId)
                                 ?? firstRow + rows.Min();
                for (int start = 0; start < ordered.Count; start += maxLength)
                {
                    int length = Math.Min(maxLength, ordered.Count - start), liked = 0;
                    for (int i = start; i < start + length; i++)
                        if (rewards[ordered[i]] > 0) liked++;
                    result.Add(new ListMetadata(userKey, timestamp, length, liked));
                }
            }
            return result;
        }

        private static string? Agreed(string path, int g, List<int> rows, Func<int, string?> valueOf, string column, string listId)
        {
            string? agreed = null;
            int first = -1;
            foreach (int r in rows)
            {
                if (valueOf(r) is not { } value) continue;
                if (first < 0) (agreed, first) = (value, r);
                else if (!string.Equals(agreed, value, StringComparison.Ordinal))
                    throw NotAgreed(path, g, r, first, column, value, agreed!, listId);
            }
            return agreed;
        }

        private static long? AgreedValue(string path, int g, List<int> rows, Func<int, long?> valueOf, string column, string listId)
        {
            long? agreed = null;
            int first = -1;
            foreach (int r in rows)
            {
                if (valueOf(r) is not { } value) continue;
                if (first < 0) (agreed, first) = (value, r);
                else if (agreed != value) throw NotAgreed(path, g, r, first, column, value.ToString(), agreed.ToString()!, listId);
            }
            return agreed;
        }

        private static DataFormatException NotAgreed(string path, int g, int row, int first, string column, string? value, string agreed, string listId) =>
            new(path, new RowPlace(path, g, row, 0).ToString(),
                $"list '{listId}': column '{column}' is '{value}' here but '{agreed}' at {new RowPlace(path, g, first, 0)}; a list has one value");

        /// <summary>The columns as name:type, in file order, to compare the parts of one source.</summary>
        public string Describe() => string.Join(", ", Columns.Select(c => $"{c.Name}:{c.Data.ClrType.Name}{(c.Data.IsArray ? "[]" : "")}"));

        public static ColumnPlan Create(ParquetSchema fileSchema, string path)
        {
            var columns = new List<(string Name, Role Role, DataField Data, bool Repeated, FieldSpec? Field)>();
            foreach (var field in fileSchema.Fields)
            {
                var (data, repeated) = Resolve(field, path);
                Role role = field.Name switch
                {
                    ParquetListFormat.ListId => Role.ListId,
                    ParquetListFormat.Position => Role.Position,
                    ParquetListFormat.Reward => Role.Reward,
                    ParquetListFormat.UserKey => Role.UserKey,
                    ParquetListFormat.Timestamp => Role.Timestamp,
                    ParquetListFormat.ItemKey => Role.ItemKey,
                    ParquetListFormat.Propensity => Role.Propensity,
                    _ => Role.Field,
                };
                var kind = !repeated && ParquetColumnCells.IsReal(data.ClrType) ? FieldKind.Dense : FieldKind.Categorical;
                FieldSpec? spec = role == Role.Field ? ParquetListFormat.FieldOf(field.Name, kind) : null;
                if (role == Role.Field && spec is null)
                    throw new DataFormatException(path, "file",
                        $"unknown column '{field.Name}' (expected {ParquetListFormat.ListId}, {ParquetListFormat.Position}, " +
                        $"{ParquetListFormat.Reward}, {ParquetListFormat.UserKey}, {ParquetListFormat.Timestamp}, " +
                        $"{ParquetListFormat.ItemKey}, {ParquetListFormat.Propensity} or field columns uf_<name>, df_<name>, cf_<name>)");
                CheckType(field.Name, role, data, repeated, path);
                columns.Add((field.Name, role, data, repeated, spec));
            }

            foreach (string required in new[] { ParquetListFormat.ListId, ParquetListFormat.Position, ParquetListFormat.Reward })
                if (!columns.Any(c => c.Name == required))
                    throw new DataFormatException(path, "file", $"column '{required}' is missing (required)");
            if (!columns.Any(c => c.Field?.Group == FieldGroup.Item))
                throw new DataFormatException(path, "file",
                    "no item field column (df_<name>) is present: candidates are told apart by item fields");

            ListSchema schema;
            try
            {
                schema = new ListSchema(columns.Where(c => c.Field is not null).Select(c => c.Field!));
            }
            catch (ArgumentException e)
            {
                throw new DataFormatException(path, "file", $"field columns do not form a schema: {e.Message}");
            }
            var planned = columns.Select(c => new PlannedColumn(c.Name, c.Role, c.Data,
                                                                c.Field is null ? -1 : schema.IndexOf(c.Field.Name))).ToList();
            return new ColumnPlan(schema, planned);
        }

        /// <summary>The data column behind a top-level field: itself, or the element of a list.</summary>
        private static (DataField Data, bool Repeated) Resolve(Field field, string path)
        {
            DataField? data = field switch
            {
                DataField flat => flat,
                ListField { Item: DataField element } => element,
                _ => null,
            };
            if (data is null || data.MaxRepetitionLevel > 1)
                throw new DataFormatException(path, "file",
                    $"column '{field.Name}' has an unsupported structure (a struct, map or nested list); " +
                    "expected a plain value or a list of values");
            return (data, data.MaxRepetitionLevel == 1);
        }

        private static void CheckType(string name, Role role, DataField data, bool repeated, string path)
        {
            Type type = data.ClrType;
            (bool ok, string expected) = role switch
            {
                Role.ListId => (!repeated && (ParquetColumnCells.IsString(type) || ParquetColumnCells.IsInteger(type)), "string or int64"),
                Role.Position => (!repeated && ParquetColumnCells.IsInteger(type), "int32 or int64"),
                Role.Reward or Role.Propensity => (!repeated && ParquetColumnCells.IsReal(type), "float or double"),
                Role.UserKey or Role.ItemKey => (!repeated && ParquetColumnCells.IsString(type), "string"),
                Role.Timestamp => (!repeated && ParquetColumnCells.IsInteger(type), "int64"),
                _ => (ParquetColumnCells.IsString(type) || ParquetColumnCells.IsInteger(type) || (!repeated && ParquetColumnCells.IsReal(type)),
                      "string, int32, int64, a list of strings (categorical) or float, double (dense)"),
            };
            if (!ok)
            {
                string found = (repeated ? "list of " : "") + ParquetColumnCells.TypeName(type);
                throw new DataFormatException(path, "file", $"column '{name}' must be {expected}, found {found}");
            }
        }

        public Row ToRow(ParquetColumnCells[] cells, int r, RowPlace place)
        {
            string listId = cells[listIdColumn].StringAt(r) ?? throw new RowProblem($"column '{ParquetListFormat.ListId}' is null");
            long? position = cells[positionColumn].Int64At(r);
            double? propensity = propensityColumn >= 0 ? cells[propensityColumn].DoubleAt(r) : null;
            double reward;
            if (position is null)
            {
                // An unshown candidate of the list (ParquetListFormat): its item fields only.
                if (cells[rewardColumn].DoubleAt(r) is { } given)
                    throw new RowProblem($"column '{ParquetListFormat.Reward}' is {given} on a row whose '{ParquetListFormat.Position}' is null; " +
                                         "a row without a position is an unshown candidate and has no reward (leave it null)");
                if (propensity is { } p)
                    throw new RowProblem($"column '{ParquetListFormat.Propensity}' is {p} on a row whose '{ParquetListFormat.Position}' is null; " +
                                         "an unshown candidate has no propensity (leave it null)");
                reward = 0;
            }
            else
            {
                reward = cells[rewardColumn].DoubleAt(r) ?? throw new RowProblem($"column '{ParquetListFormat.Reward}' is null");
                if (!double.IsFinite(reward) || !float.IsFinite((float)reward))
                    throw new RowProblem($"column '{ParquetListFormat.Reward}' must be a finite float, found {reward}");
                if (propensity is { } p && LoggedCandidates.PropensityProblem(p) is { } problem)
                    throw new RowProblem($"column '{ParquetListFormat.Propensity}' {problem}");
            }
            var values = new string[fields.Length][];
            for (int f = 0; f < fields.Length; f++)
                values[f] = Schema.Fields[f].Kind == FieldKind.Dense ? DenseAt(cells[fields[f]], r, f) : cells[fields[f]].ValueSetAt(r);
            return new Row(listId, position, (float)reward,
                           userKeyColumn >= 0 ? cells[userKeyColumn].StringAt(r) : null,
                           timestampColumn >= 0 ? cells[timestampColumn].Int64At(r) : null,
                           itemKeyColumn >= 0 ? cells[itemKeyColumn].StringAt(r) : null,
                           values, place, propensity);
        }

        /// <summary>A dense field's number (null is missing); NaN and infinities are refused.</summary>
        private string[] DenseAt(ParquetColumnCells cells, int r, int field)
        {
            double? value = cells.DoubleAt(r);
            if (value is { } v && !double.IsFinite(v))
                throw new RowProblem($"column '{ParquetListFormat.ColumnOf(Schema.Fields[field])}' must be a finite number or null, found {v}");
            return DenseValue.Set(value);
        }

        /// <summary>Orders a list's rows by position and fills the keys the file leaves out; rows without a position are
        /// its unshown candidates, in file order (<see cref="LoggedCandidates.Check"/>).</summary>
        public LoggedList ToList(string listId, List<Row> rows)
        {
            var ordered = rows.Where(row => row.Position is not null).OrderBy(row => row.Position).ToList(); // stable: equal positions keep file order
            var unshown = rows.Where(row => row.Position is null).ToList();
            if (ordered.Count == 0)
                throw new ListProblem(rows[0].Place,
                    $"list '{listId}' has {rows.Count} candidate row{(rows.Count == 1 ? "" : "s")} (null '{ParquetListFormat.Position}') but no shown item");
            for (int i = 1; i < ordered.Count; i++)
                if (ordered[i].Position == ordered[i - 1].Position)
                    throw new ListProblem(ordered[i].Place,
                        $"list '{listId}': column '{ParquetListFormat.Position}' value {ordered[i].Position} appears twice " +
                        $"(also at {ordered[i - 1].Place})");

            string userKey = Agreed(rows, row => row.UserKey, ParquetListFormat.UserKey, listId)
                             ?? (Schema.UserCount > 0 ? FieldValues.AsKey(ordered[0].Values[0]) : listId);
            long timestamp = Agreed(rows, row => row.Timestamp, ParquetListFormat.Timestamp, listId)
                             ?? rows.Min(row => row.Place.Index);
            int firstItem = Schema.FirstItemField;
            LoggedItem Item(Row row) => new(row.ItemKey ?? FieldValues.AsKey(row.Values[firstItem]), row.Values, row.Reward) { Propensity = row.Propensity };
            var list = new LoggedList(listId, userKey, timestamp, ordered.Select(Item).ToArray()) { Unshown = unshown.Select(Item).ToArray() };
            if (LoggedCandidates.Check(list) is { } problem)
                throw new ListProblem(problem.Shown >= 0 ? ordered[problem.Shown].Place : unshown[problem.Unshown].Place, problem.Message);
            return list;
        }

        /// <summary>A per-list value given on rows: every row that gives it must agree. Null when no row does.</summary>
        private static T? Agreed<T>(List<Row> rows, Func<Row, T?> valueOf, string column, string listId)
        {
            T? agreed = default;
            Row? first = null;
            foreach (var row in rows)
            {
                T? value = valueOf(row);
                if (value is null) continue;
                if (first is null)
                {
                    agreed = value;
                    first = row;
                }
                else if (!EqualityComparer<T>.Default.Equals(agreed, value))
                {
                    throw new ListProblem(row.Place,
                        $"list '{listId}': column '{column}' is '{value}' here but '{agreed}' at {first.Place}; " +
                        "a list has one value");
                }
            }
            return agreed;
        }
    }
}
