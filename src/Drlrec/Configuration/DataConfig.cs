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

/// <summary>Where the lists come from and how they are split.</summary>
public sealed record DataConfig
{
    /// <summary>A MovieLens-100K folder, a reference .tsv, a .parquet, or "synthetic". Default "synthetic".</summary>
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

    /// <summary>The simulator's settings when <see cref="Source"/> is "synthetic" (its own seed: the logged data
    /// stay the same when only the run seed changes).</summary>
    public SyntheticConfig Synthetic { get; init; } = new();
}
