using System.Diagnostics;
using Drlrec.Configuration;
using Drlrec.Features;

namespace Drlrec.Data.Loading;

/// <summary>One row group of one part file: where its rows and its lists start among the source's.</summary>
public readonly record struct RowGroupSpan(int File, int RowGroup, long FirstRow, int FirstList, int Lists);

/// <summary>Held-out lists kept for evaluation (a seeded sample of a part), with their indices among the source's lists.</summary>
public sealed record HeldOutLists(int[] Indices, IReadOnlyList<LoggedList> Lists)
{
    public static HeldOutLists None { get; } = new([], []);
}

/// <summary>
/// What the two preparation passes over streamed Parquet data find, before any model's vocabulary is applied (so that a
/// teacher's vocabulary and a freshly fitted one start from the same result, and <see cref="PreparedDataCache"/> can keep
/// it for later runs):
/// <list type="number">
/// <item>pass 1 reads each list's timestamp, user, item count and liked count (from those columns only, unless bad records
/// are to be skipped): from them the time split (exactly as <see cref="PreparedData.Split"/>, ties in source order) and
/// each list's user history (as <see cref="UserHistory"/>: the user's strictly earlier lists of the whole log);</item>
/// <item>pass 2 reads every column: the training lists' value counts (<see cref="VocabularyFitter"/>, the vocabulary of
/// <see cref="FeatureVocabulary.Fit"/>) and item counts (<see cref="ItemStatistics"/>, whose leave-one-out values are
/// counted from the item counts); a seeded sample of at most <see cref="DataConfig.MaxEvalLists"/> validation and test
/// lists; the catalog of the training items (each with its item fields from its first appearance in the training lists'
/// order, as <see cref="LoggedItemCatalog"/> over the lists in memory); and a seeded sample of at most
/// <see cref="DataConfig.ExplorerLists"/> training lists' keys, in time order, for distillation's candidate retriever.</item>
/// </list>
/// Memory grows with the number of lists only through a few numbers per list.
/// </summary>
public sealed record PreparedStream
{
    public const byte TrainPart = 0, ValidationPart = 1, TestPart = 2;
    /// <summary>Seed of the evaluation and explorer samples: fixed, so every run on the same data gets the same lists.</summary>
    private const int SampleSeed = 20_231_115;

    /// <summary>The spec the data were named by (a file, folder or pattern).</summary>
    public required string Source { get; init; }
    /// <summary>The part files, in reading order.</summary>
    public required string[] Files { get; init; }
    /// <summary>Every row group of every part, in reading order.</summary>
    public required RowGroupSpan[] RowGroups { get; init; }
    /// <summary>Each list's part: <see cref="TrainPart"/>, <see cref="ValidationPart"/> or <see cref="TestPart"/>.</summary>
    public required byte[] Parts { get; init; }
    /// <summary>The fields as read, without derived ones.</summary>
    public required ListSchema RawSchema { get; init; }
    /// <summary>Each list's user history (items and liked items of the user's earlier lists), when the data need it
    /// added (<see cref="DataConfig.UserHistory"/> and the files do not carry it); else null.</summary>
    public required int[]? HistoryItems { get; init; }
    public required int[]? HistoryLiked { get; init; }
    /// <summary>The vocabulary fitted on the training lists (with their item statistics when the features ask for them).</summary>
    public required FeatureVocabulary Vocabulary { get; init; }
    /// <summary>The longest list (L).</summary>
    public required int MaxLength { get; init; }
    /// <summary>The widest value set of any field.</summary>
    public required int WidestSet { get; init; }
    public required HeldOutLists Validation { get; init; }
    public required HeldOutLists Test { get; init; }
    /// <summary>The training items with their item fields as read, in order of first appearance in the training lists.</summary>
    public required IReadOnlyList<(string Key, string[][] ItemFields)> CatalogItems { get; init; }
    /// <summary>A seeded sample of the training lists' keys in time order (ties in source order).</summary>
    public required IReadOnlyList<ListKeys> ExplorerLists { get; init; }
    public required PreparationCounts Counts { get; init; }

    /// <summary>Reads, checks and prepares <see cref="DataConfig.Source"/>'s <paramref name="files"/> with both passes.</summary>
    public static PreparedStream Make(RunConfig config, string[] files)
    {
        var data = config.Data;
        var clock = Stopwatch.StartNew();
        var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        var readOptions = ReadOptionsOf(data);
        var report = new DataReport();

        // Pass 1: a few numbers per list.
        var (ts, userOf, items, liked, spans, rawSchema) = FirstPass(files, readOptions, data.Source, report);
        double firstPassSeconds = clock.Elapsed.TotalSeconds;
        int n = ts.Length;

        var split = SplitParts(ts, userOf, data);
        var parts = split.Parts;
        PreparedData.EnsureEveryPart(data.Source, data.Split, split.Train.Length, split.Validation.Length, split.Test.Length);
        // Each training list's place in the training lists' order in memory (the order the catalog's first appearances follow).
        var trainPosition = new int[n];
        for (int k = 0; k < split.Train.Length; k++) trainPosition[split.Train[k]] = k;

        bool addHistory = data.UserHistory && !UserHistory.In(rawSchema);
        int[]? historyItems = null, historyLiked = null;
        if (addHistory) (historyItems, historyLiked) = UserHistory.Before(ts, userOf, items, liked);
        var schema = addHistory ? new ListSchema([.. rawSchema.Fields, .. UserHistory.Fields]) : rawSchema;
        bool addStatistics = config.Features.ItemStatistics;
        if (addStatistics) schema = new ListSchema([.. schema.Fields, .. ItemStatistics.Fields]);

        var validationSample = Sample(split.Validation, data.MaxEvalLists, 1);
        var testSample = Sample(split.Test, data.MaxEvalLists, 2);
        var wanted = new HashSet<int>(validationSample.Concat(testSample));

        // Pass 2: the vocabulary and item statistics on the training lists; the evaluation samples; the catalog and the
        // explorer's sample.
        var fitter = new VocabularyFitter(schema);
        var itemCounts = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var catalog = new Dictionary<string, CatalogEntry>(StringComparer.Ordinal);
        var explorer = new Reservoir<(int Index, ListKeys Keys)>(data.ExplorerLists, new Random(SampleSeed + 3));
        long shown = 0, clicked = 0;
        int widestSet = 1, withUnshown = 0;
        var kept = new Dictionary<int, LoggedList>();
        var shared = new SharedValues();
        using (var reader = new PartReader(files))
        {
            foreach (var span in spans)
            {
                var lists = ReadSpan(reader, files, span, readOptions);
                for (int k = 0; k < lists.Count; k++)
                {
                    int index = span.FirstList + k;
                    var list = lists[k];
                    foreach (var item in list.Items)
                        foreach (var set in item.Values) widestSet = Math.Max(widestSet, set.Length);
                    if (wanted.Contains(index)) kept[index] = shared.Share(list);
                    if (parts[index] != TrainPart) continue;
                    if (list.Unshown.Count > 0) withUnshown++;
                    fitter.Add(list, rawSchema);
                    var keys = new string[list.Items.Count];
                    for (int t = 0; t < list.Items.Count; t++)
                    {
                        var item = list.Items[t];
                        if (!itemCounts.TryGetValue(item.ItemKey, out var seen)) itemCounts[item.ItemKey] = seen = new int[2];
                        seen[0]++;
                        shown++;
                        if (item.Reward > 0)
                        {
                            seen[1]++;
                            clicked++;
                        }
                        long order = (long)trainPosition[index] * readOptions.MaxListLength + t;
                        if (!catalog.TryGetValue(item.ItemKey, out var entry))
                            catalog[item.ItemKey] = entry = new CatalogEntry(item.ItemKey, order, LoggedItemCatalog.ItemFields(rawSchema, item));
                        else if (order < entry.Order)
                            catalog[item.ItemKey] = entry = entry with { Order = order, ItemFields = LoggedItemCatalog.ItemFields(rawSchema, item) };
                        keys[t] = entry.Key; // one string per item key, shared by the sampled lists
                    }
                    explorer.Add((index, new ListKeys(list.UserKey, keys)));
                    if (historyItems is not null)
                    {
                        var values = UserHistory.ValuesOf(historyItems[index], historyLiked![index]);
                        fitter.AddDense(UserHistory.ImpressionsField, values[0], list.Items.Count);
                        fitter.AddDense(UserHistory.LikeRateField, values[1], list.Items.Count);
                    }
                }
                if (span.RowGroup == 0 && span.File > 0) reader.Release(span.File - 1);
            }
        }

        ItemStatistics? statistics = null;
        if (addStatistics)
        {
            statistics = new ItemStatistics(shown == 0 ? 0 : (double)clicked / shown, itemCounts);
            // Leave-one-out values of the training occurrences follow from the counts: an item's clicked occurrences all
            // read (n - 1, c - 1), its others (n - 1, c).
            foreach (var (key, counts) in itemCounts)
            {
                var ofClicked = statistics.ValuesOf(key, ownReward: 1);
                var ofOthers = statistics.ValuesOf(key, ownReward: 0);
                fitter.AddDense(ItemStatistics.ImpressionsField, ofClicked[0], counts[1]);
                fitter.AddDense(ItemStatistics.LikeRateField, ofClicked[1], counts[1]);
                fitter.AddDense(ItemStatistics.ImpressionsField, ofOthers[0], counts[0] - counts[1]);
                fitter.AddDense(ItemStatistics.LikeRateField, ofOthers[1], counts[0] - counts[1]);
            }
        }
        var vocabulary = fitter.Build(config.Features, statistics);
        double secondPassSeconds = clock.Elapsed.TotalSeconds - firstPassSeconds;
        int maxLength = Math.Max(1, items.Max());

        long trainItems = 0;
        for (int i = 0; i < n; i++)
            if (parts[i] == TrainPart) trainItems += items[i];
        var sizes = new PreparationCounts(n, split.Train.Length, trainItems, split.Validation.Length, split.Test.Length, ReportOf(report),
            clock.Elapsed.TotalSeconds, firstPassSeconds, secondPassSeconds,
            (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds, withUnshown);
        return new PreparedStream
        {
            Source = data.Source, Files = files, RowGroups = spans, Parts = parts, RawSchema = rawSchema,
            HistoryItems = historyItems, HistoryLiked = historyLiked, Vocabulary = vocabulary, MaxLength = maxLength, WidestSet = widestSet,
            Validation = new HeldOutLists(validationSample, validationSample.Select(i => kept[i]).ToArray()),
            Test = new HeldOutLists(testSample, testSample.Select(i => kept[i]).ToArray()),
            CatalogItems = catalog.Values.OrderBy(e => e.Order).Select(e => (e.Key, e.ItemFields)).ToArray(),
            ExplorerLists = explorer.Items.OrderBy(s => ts[s.Index]).ThenBy(s => s.Index).Select(s => s.Keys).ToArray(),
            Counts = sizes,
        };
    }

    /// <summary>What pass 1 finds: each list's time, user (numbered in order of appearance), item count and liked count,
    /// where each row group's lists start, and the files' schema.</summary>
    internal sealed record FirstPassLists(long[] Timestamps, int[] Users, int[] Items, int[] Liked, RowGroupSpan[] Spans, ListSchema RawSchema);

    /// <summary>Pass 1 over <paramref name="files"/> (what it read and skipped counted in <paramref name="report"/>): at
    /// least three lists (to split), else a clear error naming <paramref name="source"/>.</summary>
    internal static FirstPassLists FirstPass(string[] files, ReadOptions readOptions, string source, DataReport report)
    {
        var timestamps = new List<long>();
        var users = new List<int>();
        var items = new List<int>();
        var liked = new List<int>();
        var userIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var spans = new List<RowGroupSpan>();
        var seenIds = new HashSet<ulong>();
        ListSchema? rawSchema = null;
        long firstRow = 0;
        using (var reader = new PartReader(files))
        {
            for (int f = 0; f < files.Length; f++)
            {
                var file = reader.Get(f);
                rawSchema ??= file.Schema;
                for (int g = 0; g < file.RowGroupCount; g++)
                {
                    var lists = file.ReadMetadata(g, firstRow, readOptions, report, seenIds);
                    spans.Add(new RowGroupSpan(f, g, firstRow, timestamps.Count, lists.Count));
                    firstRow += file.RowCount(g);
                    foreach (var list in lists)
                    {
                        timestamps.Add(list.Timestamp);
                        if (!userIds.TryGetValue(list.UserKey, out int user)) userIds[list.UserKey] = user = userIds.Count;
                        users.Add(user);
                        items.Add(list.Items);
                        liked.Add(list.Liked);
                    }
                }
                reader.Release(f);
            }
        }
        if (timestamps.Count == 0) throw DataSources.NoLists(source, report);
        PreparedData.EnsureSplittable(source, timestamps.Count);
        return new FirstPassLists(timestamps.ToArray(), users.ToArray(), items.ToArray(), liked.ToArray(), spans.ToArray(), rawSchema!);
    }

    /// <summary>The first appearance of a training item: its place in the training lists' order and its item fields.</summary>
    private sealed record CatalogEntry(string Key, long Order, string[][] ItemFields);

    internal static ReadOptions ReadOptionsOf(DataConfig data)
    {
        var options = new ReadOptions { MaxListLength = data.MaxListLength, SkipBadRecords = data.SkipBadRecords };
        ListCutter.Validate(options);
        return options;
    }

    /// <summary>The counts a report needs of what a reader skipped.</summary>
    private static ReadCounts ReportOf(DataReport report) =>
        new(report.ListsRead, report.ItemsRead, report.RecordsSkipped, report.ShortLists, report.ListsSplit, [.. report.SkippedExamples]);

    /// <summary>The lists of one row group, checked against what the first pass counted.</summary>
    internal static IReadOnlyList<LoggedList> ReadSpan(PartReader reader, string[] files, RowGroupSpan span, ReadOptions readOptions)
    {
        var lists = reader.Get(span.File).ReadLists(span.RowGroup, span.FirstRow, readOptions, new DataReport());
        if (lists.Count != span.Lists)
            throw new InvalidDataException($"{files[span.File]}: row group {span.RowGroup} held {span.Lists} lists when the data were prepared " +
                                           $"and {lists.Count} now: the file changed after it was read");
        return lists;
    }

    /// <summary>
    /// Each list's part (train, validation, test) as <see cref="PreparedData.Split"/> assigns it, and the training,
    /// validation and test lists in the order that split gives them (time order for the time split, source order for
    /// user_time).
    /// </summary>
    internal static (byte[] Parts, int[] Train, int[] Validation, int[] Test) SplitParts(long[] timestamps, int[] users, DataConfig data)
    {
        var parts = new byte[timestamps.Length];
        var all = Enumerable.Range(0, timestamps.Length).ToArray();
        long Time(int i) => timestamps[i];
        int[] train, test, validation;
        if (data.Split == SplitMode.UserTime)
        {
            test = TimeSplit.LaterOfEachUser(all, Time, i => users[i], data.TestFraction);
            foreach (int i in test) parts[i] = TestPart;
            validation = TimeSplit.LaterOfEachUser(all.Where(i => parts[i] != TestPart).ToArray(), Time, i => users[i], data.ValidationFraction);
            foreach (int i in validation) parts[i] = ValidationPart;
            train = all.Where(i => parts[i] == TrainPart).ToArray();
        }
        else
        {
            (var rest, test) = TimeSplit.Split(all, Time, data.TestFraction);
            foreach (int i in test) parts[i] = TestPart;
            (train, validation) = TimeSplit.Split(rest, Time, data.ValidationFraction);
            foreach (int i in validation) parts[i] = ValidationPart;
        }
        return (parts, train, validation, test);
    }

    /// <summary>At most <paramref name="cap"/> of <paramref name="indices"/> (all when cap is 0), by a seeded reservoir, in their order.</summary>
    internal static int[] Sample(int[] indices, int cap, int stream)
    {
        var reservoir = new Reservoir<int>(cap, new Random(SampleSeed + stream));
        foreach (int k in Enumerable.Range(0, indices.Length)) reservoir.Add(k);
        return reservoir.Items.Order().Select(k => indices[k]).ToArray();
    }

    /// <summary>A uniform sample of at most <paramref name="cap"/> of the items added (all of them when cap is 0): the
    /// first cap, then each next (the k-th, 0-based) replacing a random one with probability cap / (k + 1).</summary>
    private sealed class Reservoir<T>(int cap, Random random)
    {
        private readonly List<T> items = [];
        private long added;

        public IReadOnlyList<T> Items => items;

        public void Add(T item)
        {
            if (cap == 0 || items.Count < cap) items.Add(item);
            else if (random.NextInt64(added + 1) is var j && j < cap) items[(int)j] = item;
            added++;
        }
    }

    /// <summary>The part files of a source, opened when first read and closed when released or disposed.</summary>
    internal sealed class PartReader(string[] files) : IDisposable
    {
        private readonly Dictionary<int, ParquetListReader.ParquetListFile> open = [];
        private ParquetListReader.ParquetListFile? first;

        public ParquetListReader.ParquetListFile Get(int file)
        {
            if (open.TryGetValue(file, out var reader)) return reader;
            reader = ParquetListReader.ParquetListFile.Open(files[file]);
            try
            {
                if (first is not null && !ReferenceEquals(first, reader)) reader.EnsureSameColumns(first);
            }
            catch
            {
                reader.Dispose();
                throw;
            }
            first ??= reader;
            open[file] = reader;
            return reader;
        }

        public void Release(int file)
        {
            if (open.Remove(file, out var reader) && !ReferenceEquals(reader, first)) reader.Dispose();
        }

        public void Dispose()
        {
            foreach (var reader in open.Values)
                if (!ReferenceEquals(reader, first)) reader.Dispose();
            first?.Dispose();
            open.Clear();
        }
    }
}

/// <summary>What a reader counted and skipped (<see cref="DataReport"/> as plain data, kept with prepared data).</summary>
public sealed record ReadCounts(int ListsRead, int ItemsRead, int RecordsSkipped, int ShortLists, int ListsSplit, string[] SkippedExamples)
{
    public DataReport ToReport()
    {
        var report = new DataReport
        {
            ListsRead = ListsRead, ItemsRead = ItemsRead, RecordsSkipped = RecordsSkipped, ShortLists = ShortLists, ListsSplit = ListsSplit,
        };
        report.SkippedExamples.AddRange(SkippedExamples);
        return report;
    }
}

/// <summary>The sizes of prepared data and how long preparing them took: wall time of the whole preparation and of its two
/// passes, and the process's CPU time meanwhile (wall time alone misleads on a shared machine). <paramref name="TrainListsWithUnshown"/>:
/// training lists that carry unshown candidates, which <c>distill.explore_from auto</c> looks for.</summary>
public sealed record PreparationCounts(int Lists, int TrainLists, long TrainItems, int ValidationLists, int TestLists, ReadCounts Report,
    double PrepareSeconds, double FirstPassSeconds, double SecondPassSeconds, double PrepareCpuSeconds, int TrainListsWithUnshown);
