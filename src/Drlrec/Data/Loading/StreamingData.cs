using System.Diagnostics;
using Drlrec.Configuration;
using Drlrec.Distributed;
using Drlrec.Features;

namespace Drlrec.Data.Loading;

/// <summary>
/// Training data read from Parquet part files as training goes, with memory that grows by a few numbers per list
/// instead of every list's strings. Preparing makes two passes over the files (<see cref="PreparedStream"/>), or reads
/// what an earlier run's passes found from the prepared-data cache (<see cref="PreparedDataCache"/>), then applies a
/// vocabulary: the one fitted on the training lists, or a given one (a teacher's, for distillation). Each epoch then
/// reads the training lists again (<see cref="StreamingBatches"/>). A list's rows must all sit in one row group (as
/// <c>data convert</c> and <c>data generate</c> write them); a separate test file is not supported.
/// </summary>
public sealed class StreamingData : ITrainingData
{
    private readonly PreparedStream prepared;
    private readonly ReadOptions readOptions;
    private readonly Derivation derived;
    private LoggedItemCatalog? loggedItems;

    private StreamingData(string source, PreparedStream prepared, ReadOptions readOptions, Derivation derived, FeatureVocabulary vocabulary,
        int slots, EncodedLists validation, EncodedLists test, StreamingSummary summary)
    {
        Source = source;
        this.prepared = prepared;
        this.readOptions = readOptions;
        this.derived = derived;
        Vocabulary = vocabulary;
        Schema = new ListSchema(vocabulary.Fields.Select(f => new FieldSpec(f.Name, f.Group, f.Kind,
            Derived: f.Name is ItemStatistics.ImpressionsField or ItemStatistics.LikeRateField)));
        Layout = FieldLayout.Of(Schema);
        MaxLength = prepared.MaxLength;
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
    public int RowGroupCount => prepared.RowGroups.Length;

    /// <summary>Every training item with its item fields (first appearance in the training lists' order), as the in-memory
    /// path's catalog of logged items has them.</summary>
    public IItemCatalog LoggedItems => loggedItems ??= new LoggedItemCatalog(prepared.CatalogItems);

    /// <summary>A seeded sample of at most <see cref="DataConfig.ExplorerLists"/> training lists' keys, in time order.</summary>
    public IReadOnlyList<ListKeys> ExplorerLists => prepared.ExplorerLists;

    /// <summary>Counted by the preparation's second pass (and kept in its cache).</summary>
    public bool HasUnshownCandidates => prepared.Counts.TrainListsWithUnshown > 0;

    /// <summary>Streamed minibatches for a run of <paramref name="config"/>: the whole training set on one process, this
    /// rank's row groups when data-parallel.</summary>
    public ITrainingBatches TrainingBatches(RunConfig config, DataParallel? world = null) =>
        TrainingBatches(config, world?.Rank ?? 0, world?.Size ?? 1);

    /// <summary>Streamed minibatches of rank <paramref name="rank"/>'s share for data-parallel training: the row groups
    /// whose index among all parts' row groups is <paramref name="rank"/> modulo <paramref name="worldSize"/>.</summary>
    public StreamingBatches TrainingBatches(RunConfig config, int rank, int worldSize) =>
        new(this, config.Trainer.BatchSize, config.Data.ShuffleBuffer, config.Trainer.MaxStepsPerEpoch, rank, worldSize);

    /// <summary>Training lists in the row groups of a share (for step estimates).</summary>
    internal int TrainingListsIn(int rank, int worldSize)
    {
        int count = 0;
        var groups = prepared.RowGroups;
        for (int g = rank; g < groups.Length; g += worldSize)
            for (int i = groups[g].FirstList; i < groups[g].FirstList + groups[g].Lists; i++)
                if (prepared.Parts[i] == PreparedStream.TrainPart) count++;
        return count;
    }

    /// <summary>
    /// Reads, checks and prepares <see cref="DataConfig.Source"/> for streamed training: both passes, or their results
    /// from the prepared-data cache (made by rank 0 alone in a data-parallel run), then the vocabulary applied.
    /// </summary>
    /// <param name="vocabulary">The vocabulary to encode with (a teacher's, so that student and teacher read the same
    /// rows; its item statistics and user-history fields decide the derived fields); null uses the one fitted on the
    /// training lists.</param>
    /// <param name="world">The processes preparing together; default the world of <see cref="TrainerConfig.Distributed"/>.</param>
    public static StreamingData Prepare(RunConfig config, FeatureVocabulary? vocabulary = null, DataParallel? world = null)
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
        var readOptions = PreparedStream.ReadOptionsOf(data);
        var (prepared, origin) = PreparedDataCache.Load(config, files, world ?? DataParallel.Open(config.Trainer.Distributed));

        vocabulary ??= prepared.Vocabulary;
        bool history = prepared.HistoryItems is not null && vocabulary.Fields.Any(f => f.Name == UserHistory.ImpressionsField);
        var statistics = vocabulary.ItemStatistics;
        var fields = prepared.RawSchema.Fields.AsEnumerable();
        if (history) fields = fields.Concat(UserHistory.Fields);
        if (statistics is not null) fields = fields.Concat(ItemStatistics.Fields);
        vocabulary.EnsureMatches(new ListSchema(fields), data.Source);
        var derivation = new Derivation(history ? prepared.HistoryItems : null, history ? prepared.HistoryLiked : null, statistics);
        int slots = vocabulary.SlotsFor(prepared.WidestSet);
        var validation = EncodeHeldOut(prepared.Validation, prepared.RawSchema, derivation, data.Source, vocabulary, prepared.MaxLength, slots);
        var test = EncodeHeldOut(prepared.Test, prepared.RawSchema, derivation, data.Source, vocabulary, prepared.MaxLength, slots);
        var c = prepared.Counts;
        var summary = new StreamingSummary(files.Length, prepared.RowGroups.Length, ParquetParts.TotalBytes(files), c.Lists, c.TrainLists,
            c.TrainItems, c.ValidationLists, validation.Count, c.TestLists, test.Count, c.Report.ToReport(), clock.Elapsed.TotalSeconds,
            c.FirstPassSeconds, c.SecondPassSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds, origin,
            c.PrepareSeconds);
        // The held-out lists as read are encoded now: their strings need not stay.
        var kept = prepared with { Validation = HeldOutLists.None, Test = HeldOutLists.None };
        return new StreamingData(data.Source, kept, readOptions, derivation, vocabulary, slots, validation, test, summary);
    }

    /// <summary>
    /// Visits the training and validation lists (every list the split does not hold out for testing) of Parquet data split
    /// as <paramref name="data"/> says, exactly as <see cref="Prepare"/> splits them, a row group at a time: memory grows
    /// by a few numbers per list, not by the lists. For checking what a run trained streamed has seen.
    /// </summary>
    public static void ForEachTrainingList(DataConfig data, Action<LoggedList> visit)
    {
        var files = ParquetParts.Files(data.Source).ToArray();
        var readOptions = PreparedStream.ReadOptionsOf(data);
        var (timestamps, users, _, _, spans, _) = PreparedStream.FirstPass(files, readOptions, data.Source, new DataReport());
        var parts = PreparedStream.SplitParts(timestamps, users, data).Parts;
        using var reader = new PreparedStream.PartReader(files);
        foreach (var span in spans)
        {
            var lists = PreparedStream.ReadSpan(reader, files, span, readOptions);
            for (int k = 0; k < lists.Count; k++)
                if (parts[span.FirstList + k] != PreparedStream.TestPart) visit(lists[k]);
            if (span.RowGroup == 0 && span.File > 0) reader.Release(span.File - 1);
        }
    }

    /// <summary>The training lists of one row group, encoded with the vocabulary (derived fields added, leave-one-out),
    /// with their keys.</summary>
    internal EncodedLists? EncodeTraining(int rowGroup, PreparedStream.PartReader reader)
    {
        var span = prepared.RowGroups[rowGroup];
        var lists = PreparedStream.ReadSpan(reader, prepared.Files, span, readOptions);
        var indexOf = new Dictionary<LoggedList, int>(ReferenceEqualityComparer.Instance);
        var train = new List<LoggedList>();
        for (int k = 0; k < lists.Count; k++)
            if (prepared.Parts[span.FirstList + k] == PreparedStream.TrainPart)
            {
                train.Add(lists[k]);
                indexOf[lists[k]] = span.FirstList + k;
            }
        if (train.Count == 0) return null;
        return EncodedLists.Encode(derived.AddTo(new ListDataset(prepared.RawSchema, train, Source), indexOf, leaveOneOut: true), Vocabulary, MaxLength, Slots);
    }

    /// <summary>Opens the part files for a pass; <see cref="StreamingBatches"/> keeps one per epoch.</summary>
    internal PreparedStream.PartReader OpenParts() => new(prepared.Files);

    /// <summary>Held-out lists (sampled, in the split's order) with the derived fields, encoded.</summary>
    private static EncodedLists EncodeHeldOut(HeldOutLists heldOut, ListSchema rawSchema, Derivation derived, string source,
        FeatureVocabulary vocabulary, int maxLength, int slots)
    {
        var indexOf = new Dictionary<LoggedList, int>(ReferenceEqualityComparer.Instance);
        for (int k = 0; k < heldOut.Lists.Count; k++) indexOf[heldOut.Lists[k]] = heldOut.Indices[k];
        return EncodedLists.Encode(derived.AddTo(new ListDataset(rawSchema, heldOut.Lists, source), indexOf, leaveOneOut: false), vocabulary, maxLength, slots);
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
}

/// <summary>What preparing streamed data found, for the command's report: sizes; the wall time of this preparation (both
/// passes, or reading the cache) and the process's CPU time meanwhile (wall time alone misleads on a shared machine); the
/// wall time of the two passes when they were made (<paramref name="PassesSeconds"/> in all); where it came from.</summary>
public sealed record StreamingSummary(int Files, int RowGroups, long Bytes, int Lists, int TrainLists, long TrainItems,
    int ValidationLists, int ValidationKept, int TestLists, int TestKept, DataReport Report, double PrepareSeconds,
    double FirstPassSeconds, double SecondPassSeconds, double PrepareCpuSeconds, PreparationOrigin Origin, double PassesSeconds);
