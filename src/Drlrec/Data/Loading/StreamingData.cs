using System.Diagnostics;
using Drlrec.Configuration;
using Drlrec.Features;

namespace Drlrec.Data.Loading;

/// <summary>
/// Training data read from Parquet part files as training goes, with memory that grows by a few numbers per list
/// instead of every list's strings. Preparing reads the files twice, a row group at a time:
/// <list type="number">
/// <item>each list's timestamp, user, item count and liked count (from those columns only, unless bad records are to be
/// skipped): from them the time split (exactly as
/// <see cref="PreparedData.Split"/>, ties in source order) and each list's user history (as
/// <see cref="UserHistory"/>: the user's strictly earlier lists of the whole log);</item>
/// <item>the training lists' value counts (<see cref="VocabularyFitter"/>, the vocabulary of
/// <see cref="FeatureVocabulary.Fit"/>) and item counts (<see cref="ItemStatistics"/>, whose leave-one-out values are
/// counted from the item counts), and a seeded sample of at most <see cref="DataConfig.MaxEvalLists"/> validation and
/// test lists, encoded for evaluation.</item>
/// </list>
/// Each epoch then reads the training lists again (<see cref="StreamingBatches"/>). A list's rows must all sit in one
/// row group (as <c>data convert</c> and <c>data generate</c> write them); a separate test file is not supported.
/// </summary>
public sealed class StreamingData : ITrainingData
{
    private const byte TrainPart = 0, ValidationPart = 1, TestPart = 2;
    /// <summary>Seed of the evaluation samples: fixed, so every run on the same data evaluates the same lists.</summary>
    private const int EvalSampleSeed = 20_231_115;

    private readonly string[] files;
    private readonly RowGroupSpan[] rowGroups;
    private readonly byte[] parts;
    private readonly ReadOptions readOptions;
    private readonly ListSchema rawSchema;
    private readonly Derivation derived;

    /// <summary>One row group of one part: where its rows and its lists start among the source's.</summary>
    private readonly record struct RowGroupSpan(int File, int RowGroup, long FirstRow, int FirstList, int Lists);

    private StreamingData(string source, string[] files, RowGroupSpan[] rowGroups, byte[] parts, ReadOptions readOptions,
        ListSchema rawSchema, Derivation derived, FeatureVocabulary vocabulary, int maxLength, int slots, EncodedLists validation,
        EncodedLists test, StreamingSummary summary)
    {
        Source = source;
        this.files = files;
        this.rowGroups = rowGroups;
        this.parts = parts;
        this.readOptions = readOptions;
        this.rawSchema = rawSchema;
        this.derived = derived;
        Vocabulary = vocabulary;
        Schema = new ListSchema(vocabulary.Fields.Select(f => new FieldSpec(f.Name, f.Group, f.Kind,
            Derived: f.Name is ItemStatistics.ImpressionsField or ItemStatistics.LikeRateField)));
        Layout = FieldLayout.Of(Schema);
        MaxLength = maxLength;
        Slots = slots;
        Validation = validation;
        Test = test;
        Summary = summary;
    }

    public string Source { get; }
    public ListSchema Schema { get; }
    public FeatureVocabulary Vocabulary { get; }
    public FieldLayout Layout { get; }
    /// <summary>The (sampled) validation lists, encoded.</summary>
    public EncodedLists Validation { get; }
    /// <summary>The (sampled) test lists, encoded.</summary>
    public EncodedLists Test { get; }
    /// <summary>L: positions per list (the longest list of the source).</summary>
    public int MaxLength { get; }
    /// <summary>M: index slots per field (the widest value set of the source).</summary>
    public int Slots { get; }
    public StreamingSummary Summary { get; }
    /// <summary>Row groups of all parts together (the unit of reading, shuffling and sharding).</summary>
    public int RowGroupCount => rowGroups.Length;

    /// <summary>Streamed minibatches for a run of <paramref name="config"/>: the whole training set on one process, this
    /// rank's row groups when data-parallel.</summary>
    public ITrainingBatches TrainingBatches(RunConfig config, Distributed.DataParallel? world = null) =>
        TrainingBatches(config, world?.Rank ?? 0, world?.Size ?? 1);

    /// <summary>Streamed minibatches of rank <paramref name="rank"/>'s share for data-parallel training: the row groups
    /// whose index among all parts' row groups is <paramref name="rank"/> modulo <paramref name="worldSize"/>.</summary>
    public StreamingBatches TrainingBatches(RunConfig config, int rank, int worldSize) =>
        new(this, config.Trainer.BatchSize, config.Data.ShuffleBuffer, config.Trainer.MaxStepsPerEpoch, rank, worldSize);

    /// <summary>Training lists in the row groups of a share (for step estimates).</summary>
    internal int TrainingListsIn(int rank, int worldSize)
    {
        int count = 0;
        for (int g = rank; g < rowGroups.Length; g += worldSize)
            for (int i = rowGroups[g].FirstList; i < rowGroups[g].FirstList + rowGroups[g].Lists; i++)
                if (parts[i] == TrainPart) count++;
        return count;
    }

    /// <summary>Reads, checks and prepares <see cref="DataConfig.Source"/> for streamed training.</summary>
    public static StreamingData Prepare(RunConfig config)
    {
        var data = config.Data;
        if (data.Test is not null)
            throw new ArgumentException($"data.streaming: a separate test file (data.test = '{data.Test}') is not supported when streaming; " +
                                        "set data.streaming to off (--streaming off) or leave the test part to the split");
        if (!ParquetParts.IsParquet(data.Source))
            throw new ArgumentException($"data.streaming: streaming reads Parquet data (a .parquet file, a folder of part files or a pattern), " +
                                        $"not '{data.Source}'; write it with 'drlrec data convert' or 'drlrec data generate', or set --streaming off");
        var clock = Stopwatch.StartNew();
        var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        var files = ParquetParts.Files(data.Source).ToArray();
        var readOptions = new ReadOptions { MaxListLength = data.MaxListLength, SkipBadRecords = data.SkipBadRecords };
        ListCutter.Validate(readOptions);
        // Pass 1: a few numbers per list.
        var (ts, userOf, items, liked, spans, rawSchema, report) = FirstPass(files, readOptions, data.Source);
        double firstPassSeconds = clock.Elapsed.TotalSeconds;
        int n = ts.Length;
        int widestSet = 1;

        var split = SplitParts(ts, userOf, data);
        var parts = split.Parts;
        int trainCount = parts.Count(p => p == TrainPart);
        PreparedData.EnsureEveryPart(data.Source, data.Split, trainCount, split.Validation.Length, split.Test.Length);

        bool addHistory = data.UserHistory && !UserHistory.In(rawSchema);
        int[]? historyItems = null, historyLiked = null;
        if (addHistory) (historyItems, historyLiked) = UserHistory.Before(ts, userOf, items, liked);
        var schema = addHistory ? new ListSchema([.. rawSchema.Fields, .. UserHistory.Fields]) : rawSchema;
        bool addStatistics = config.Features.ItemStatistics;
        if (addStatistics) schema = new ListSchema([.. schema.Fields, .. ItemStatistics.Fields]);

        var validationSample = Sample(split.Validation, data.MaxEvalLists, 1);
        var testSample = Sample(split.Test, data.MaxEvalLists, 2);
        var wanted = new HashSet<int>(validationSample.Concat(testSample));

        // Pass 2: the vocabulary and item statistics on the training lists; the evaluation samples.
        var fitter = new VocabularyFitter(schema);
        var itemCounts = new Dictionary<string, int[]>(StringComparer.Ordinal);
        long shown = 0, clicked = 0;
        var kept = new Dictionary<int, LoggedList>();
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
                    if (wanted.Contains(index)) kept[index] = list;
                    if (parts[index] != TrainPart) continue;
                    fitter.Add(list, rawSchema);
                    foreach (var item in list.Items)
                    {
                        if (!itemCounts.TryGetValue(item.ItemKey, out var counts)) itemCounts[item.ItemKey] = counts = new int[2];
                        counts[0]++;
                        shown++;
                        if (item.Reward > 0)
                        {
                            counts[1]++;
                            clicked++;
                        }
                    }
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
        int slots = vocabulary.SlotsFor(widestSet);

        var derivation = new Derivation(historyItems, historyLiked, statistics);
        var validation = EncodeHeldOut(validationSample, kept, rawSchema, derivation, data.Source, vocabulary, maxLength, slots);
        var test = EncodeHeldOut(testSample, kept, rawSchema, derivation, data.Source, vocabulary, maxLength, slots);
        kept = null;
        long trainItems = 0;
        for (int i = 0; i < n; i++)
            if (parts[i] == TrainPart) trainItems += items[i];
        var summary = new StreamingSummary(files.Length, spans.Count, ParquetParts.TotalBytes(files), n, trainCount, trainItems,
            split.Validation.Length, validation.Count, split.Test.Length, test.Count, report, clock.Elapsed.TotalSeconds,
            firstPassSeconds, secondPassSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds);
        return new StreamingData(data.Source, files, spans.ToArray(), parts, readOptions, rawSchema, derivation, vocabulary,
            maxLength, slots, validation, test, summary);
    }

    /// <summary>Pass 1 of a streamed source: each list's time, user (numbered in order of appearance), item count and liked
    /// count, where each row group's lists start, the files' schema and what was read; at least three lists (to split).</summary>
    private static (long[] Timestamps, int[] Users, List<int> Items, List<int> Liked, List<RowGroupSpan> Spans, ListSchema RawSchema,
        DataReport Report) FirstPass(string[] files, ReadOptions readOptions, string source)
    {
        var report = new DataReport();
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
        return (timestamps.ToArray(), users.ToArray(), items, liked, spans, rawSchema!, report);
    }

    /// <summary>
    /// Visits the training and validation lists (every list the split does not hold out for testing) of Parquet data split
    /// as <paramref name="data"/> says, exactly as <see cref="Prepare"/> splits them, a row group at a time: memory grows
    /// by a few numbers per list, not by the lists. For checking what a run trained streamed has seen.
    /// </summary>
    public static void ForEachTrainingList(DataConfig data, Action<LoggedList> visit)
    {
        var files = ParquetParts.Files(data.Source).ToArray();
        var readOptions = new ReadOptions { MaxListLength = data.MaxListLength, SkipBadRecords = data.SkipBadRecords };
        ListCutter.Validate(readOptions);
        var (timestamps, users, _, _, spans, _, _) = FirstPass(files, readOptions, data.Source);
        var parts = SplitParts(timestamps, users, data).Parts;
        using var reader = new PartReader(files);
        foreach (var span in spans)
        {
            var lists = ReadSpan(reader, files, span, readOptions);
            for (int k = 0; k < lists.Count; k++)
                if (parts[span.FirstList + k] != TestPart) visit(lists[k]);
            if (span.RowGroup == 0 && span.File > 0) reader.Release(span.File - 1);
        }
    }

    /// <summary>The training lists of one row group, encoded with the vocabulary (derived fields added, leave-one-out).</summary>
    internal EncodedLists? EncodeTraining(int rowGroup, PartReader reader)
    {
        var span = rowGroups[rowGroup];
        var lists = ReadSpan(reader, files, span, readOptions);
        var indexOf = new Dictionary<LoggedList, int>(ReferenceEqualityComparer.Instance);
        var train = new List<LoggedList>();
        for (int k = 0; k < lists.Count; k++)
            if (parts[span.FirstList + k] == TrainPart)
            {
                train.Add(lists[k]);
                indexOf[lists[k]] = span.FirstList + k;
            }
        if (train.Count == 0) return null;
        return EncodedLists.Encode(derived.AddTo(new ListDataset(rawSchema, train, Source), indexOf, leaveOneOut: true), Vocabulary, MaxLength, Slots);
    }

    /// <summary>Opens the part files for a pass; <see cref="StreamingBatches"/> keeps one per epoch.</summary>
    internal PartReader OpenParts() => new(files);

    /// <summary>Held-out lists (sampled, in the split's order) with the derived fields, encoded.</summary>
    private static EncodedLists EncodeHeldOut(int[] indices, Dictionary<int, LoggedList> kept, ListSchema rawSchema, Derivation derived,
        string source, FeatureVocabulary vocabulary, int maxLength, int slots)
    {
        var indexOf = new Dictionary<LoggedList, int>(ReferenceEqualityComparer.Instance);
        var lists = indices.Select(i =>
        {
            var list = kept[i];
            indexOf[list] = i;
            return list;
        }).ToList();
        return EncodedLists.Encode(derived.AddTo(new ListDataset(rawSchema, lists, source), indexOf, leaveOneOut: false), vocabulary, maxLength, slots);
    }

    /// <summary>The derived fields of every list: its user history (by list index) and the training item statistics.</summary>
    private sealed record Derivation(int[]? HistoryItems, int[]? HistoryLiked, ItemStatistics? Statistics)
    {
        /// <summary>The lists with the user history and item statistics fields, in the schema order <see cref="PreparedData"/> gives them.</summary>
        public ListDataset AddTo(ListDataset raw, Dictionary<LoggedList, int> indexOf, bool leaveOneOut)
        {
            var data = raw;
            if (HistoryItems is not null)
            {
                LoggedList? last = null;
                string[][] values = [];
                data = data.WithFieldsAdded(UserHistory.Fields, (list, _) =>
                {
                    if (!ReferenceEquals(list, last))
                    {
                        int i = indexOf[list];
                        values = UserHistory.ValuesOf(HistoryItems[i], HistoryLiked![i]);
                        last = list;
                    }
                    return values;
                });
            }
            return Statistics is not null ? Statistics.AddTo(data, leaveOneOut) : data;
        }
    }

    private static IReadOnlyList<LoggedList> ReadSpan(PartReader reader, string[] files, RowGroupSpan span, ReadOptions readOptions)
    {
        var lists = reader.Get(span.File).ReadLists(span.RowGroup, span.FirstRow, readOptions, new DataReport());
        if (lists.Count != span.Lists)
            throw new InvalidDataException($"{files[span.File]}: row group {span.RowGroup} held {span.Lists} lists when training began " +
                                           $"and {lists.Count} now: the file changed while it was being read");
        return lists;
    }

    /// <summary>
    /// Each list's part (train, validation, test) as <see cref="PreparedData.Split"/> assigns it, and the validation and
    /// test lists in the order that split gives them (time order for the time split, source order for user_time).
    /// </summary>
    internal static (byte[] Parts, int[] Validation, int[] Test) SplitParts(long[] timestamps, int[] users, DataConfig data)
    {
        var parts = new byte[timestamps.Length];
        var all = Enumerable.Range(0, timestamps.Length).ToArray();
        long Time(int i) => timestamps[i];
        int[] test, validation;
        if (data.Split == SplitMode.UserTime)
        {
            test = TimeSplit.LaterOfEachUser(all, Time, i => users[i], data.TestFraction);
            foreach (int i in test) parts[i] = TestPart;
            validation = TimeSplit.LaterOfEachUser(all.Where(i => parts[i] != TestPart).ToArray(), Time, i => users[i], data.ValidationFraction);
        }
        else
        {
            (var rest, test) = TimeSplit.Split(all, Time, data.TestFraction);
            foreach (int i in test) parts[i] = TestPart;
            (_, validation) = TimeSplit.Split(rest, Time, data.ValidationFraction);
        }
        foreach (int i in validation) parts[i] = ValidationPart;
        return (parts, validation, test);
    }

    /// <summary>At most <paramref name="cap"/> of <paramref name="indices"/> (all when cap is 0), by a seeded reservoir, in their order.</summary>
    internal static int[] Sample(int[] indices, int cap, int stream)
    {
        if (cap == 0 || indices.Length <= cap) return indices;
        var random = new Random(EvalSampleSeed + stream);
        var reservoir = new int[cap];
        for (int k = 0; k < indices.Length; k++)
        {
            if (k < cap) reservoir[k] = k;
            else if (random.NextInt64(k + 1) is var j && j < cap) reservoir[j] = k;
        }
        Array.Sort(reservoir);
        return reservoir.Select(k => indices[k]).ToArray();
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

/// <summary>What preparing streamed data found, for the command's report: sizes, and the wall time of the whole
/// preparation and of its two passes, and the process's CPU time meanwhile (wall time alone misleads on a shared machine).</summary>
public sealed record StreamingSummary(int Files, int RowGroups, long Bytes, int Lists, int TrainLists, long TrainItems,
    int ValidationLists, int ValidationKept, int TestLists, int TestKept, DataReport Report, double PrepareSeconds,
    double FirstPassSeconds, double SecondPassSeconds, double PrepareCpuSeconds);
