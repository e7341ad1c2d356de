using Drlrec.Simulation;

namespace Drlrec.Configuration;

/// <summary>How lists are held out for validation and testing.</summary>
public enum SplitMode
{
    /// <summary>The latest lists of the whole log (a global time split): the default.</summary>
    Time,
    /// <summary>Each user's latest lists (the sequential-recommendation protocol of RecBole and others); a user with a
    /// single list keeps it for training.</summary>
    UserTime,
}

/// <summary>Whether training reads its lists from the files as it goes instead of holding them in memory.</summary>
public enum StreamingMode
{
    /// <summary>Stream when the source is Parquet data larger than <see cref="DataConfig.StreamingThresholdBytes"/>; otherwise in memory.</summary>
    Auto,
    /// <summary>Always stream (the source must be Parquet data).</summary>
    On,
    /// <summary>Never stream: every list in memory (the behaviour before streaming existed).</summary>
    Off,
}

/// <summary>Where the lists come from and how they are split.</summary>
public sealed record DataConfig
{
    /// <summary>A MovieLens-100K folder, a reference .tsv, Parquet data (a .parquet file, a folder of .parquet part files, or a
    /// pattern such as DIR/part-*.parquet), or "synthetic". Default "synthetic".</summary>
    public string Source { get; init; } = "synthetic";

    /// <summary>Optional separate test file; when null the latest <see cref="TestFraction"/> of lists is the test set. Default null.</summary>
    public string? Test { get; init; }

    /// <summary>L: longest list; longer logged lists are cut into consecutive lists. Default 10.</summary>
    public int MaxListLength { get; init; } = 10;

    /// <summary>time (default: the latest lists overall) or user_time (each user's latest lists).</summary>
    public SplitMode Split { get; init; } = SplitMode.Time;

    /// <summary>Latest fraction of lists (by time) held out for testing. Default 0.2.</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>Latest fraction of the remaining lists used for early stopping and tuning. Default 0.1.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Skip malformed records (and report counts) instead of failing. Default false.</summary>
    public bool SkipBadRecords { get; init; }

    /// <summary>
    /// Add each list's user history as two dense user fields, <c>user_history_impressions</c> (log(1 + the user's items
    /// shown before the list)) and <c>user_history_like_rate</c> ((liked + 1) / (shown + 2)), counted over the user's
    /// strictly earlier lists of the whole log (see <c>Features.UserHistory</c>); serving requests send them as user
    /// fields. Default true (see the measurements in docs/method.md, section 10a).
    /// </summary>
    public bool UserHistory { get; init; } = true;

    /// <summary>Parquet sources above this many bytes (all parts together) are streamed under <see cref="StreamingMode.Auto"/>:
    /// 256 MiB on disk is about 800,000 simulator lists (2,000,000 take 617 MB), several GB as strings in memory.</summary>
    public const long StreamingThresholdBytes = 256L * 1024 * 1024;

    /// <summary>
    /// auto (default), on or off: whether <c>train</c> streams its training lists from Parquet data row group by row group
    /// (two passes fit the split, vocabulary, item statistics and user history with a few numbers per list in memory;
    /// each epoch then reads the files again through a shuffle buffer) instead of loading every list. auto streams Parquet
    /// data larger than <see cref="StreamingThresholdBytes"/> (256 MiB). Streaming needs a time or user_time split of one
    /// source (no <see cref="Test"/> file); every list's rows must sit in one row group.
    /// </summary>
    public StreamingMode Streaming { get; init; } = StreamingMode.Auto;

    /// <summary>When streaming: validation and test lists kept in memory for evaluation, each part sampled down to this many
    /// (a seeded reservoir over the held-out lists, the same sample for every run on the same data); 0 keeps them all.
    /// Default 20,000 (20,000 simulator lists take about 100 MB encoded with their tensors).</summary>
    public int MaxEvalLists { get; init; } = 20_000;

    /// <summary>When streaming: lists the shuffle buffer between the files and the minibatches holds (the larger, the closer
    /// to a uniform shuffle; each list about 2 KB encoded). Default 20,000.</summary>
    public int ShuffleBuffer { get; init; } = 20_000;

    /// <summary>When streaming: training lists the candidate retriever of distillation's explorer counts co-occurring items and
    /// each user's latest items from (the in-memory path counts every training list): a seeded reservoir sample of the
    /// training part, the same for every run on the same data; 0 keeps them all. Default 20,000 (a few MB of keys; the
    /// co-occurrence counts grow with the sample).</summary>
    public int ExplorerLists { get; init; } = 20_000;

    /// <summary>
    /// When streaming: where the two preparation passes' results (split, user history, item statistics, vocabulary,
    /// held-out samples, the explorer's catalog and sample) are kept, so that later runs and every rank of a data-parallel
    /// run read them instead of making the passes again. null (default): a <c>.drlrec-prepared</c> folder beside the data
    /// (in a source folder, or beside a file or pattern); a folder path; or "off" (prepare every time). A cache is valid
    /// while the source's files keep their paths, sizes and modification times and the settings that shape it (the data
    /// split and reading settings, <c>features.min_count</c>, <c>hash_buckets</c>, <c>item_statistics</c>) are the same.
    /// </summary>
    public string? PreparedCache { get; init; }

    /// <summary>The simulator's settings when <see cref="Source"/> is "synthetic" (its own seed: the logged data
    /// stay the same when only the run seed changes).</summary>
    public SyntheticConfig Synthetic { get; init; } = new();
}
