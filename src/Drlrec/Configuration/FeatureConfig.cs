namespace Drlrec.Configuration;

/// <summary>How raw field values become embedding rows. Fitted on the training split only.</summary>
public sealed record FeatureConfig
{
    /// <summary>A value seen fewer times than this in the training split maps to its field's
    /// out-of-vocabulary row. Default 1 (every training value gets a row).</summary>
    public int MinCount { get; init; } = 1;

    /// <summary>When above 0, a field with more distinct training values than this is hashed into this many
    /// rows instead of getting one row per value (for huge id spaces). Default 0 (off).</summary>
    public int HashBuckets { get; init; }

    /// <summary>Probability that a training input's field is replaced by its out-of-vocabulary row, so that the OOV
    /// rows learn to stand for unseen users and items (see <c>Features.FeatureDropout</c>). Default 0.1.</summary>
    public double OovDropout { get; init; } = 0.1;

    /// <summary>
    /// Add each item's training statistics as two dense item fields, <c>item_impressions</c> (log(1 + impressions)) and
    /// <c>item_like_rate</c> (the smoothed like-rate of the popularity baseline), computed on the training split only
    /// (leave-one-out on the training lists themselves), stored with the model and filled from the item key when it
    /// ranks, so a cold user still gets what popularity knows. Default true: on validation it raised the MovieLens
    /// teacher's AUC (seeds 1-3: 0.7082, 0.7068, 0.7034 against 0.6929, 0.6926, 0.6971 without) and the simulator
    /// teacher's online clicks (2.258 against 2.227 per list, validation requests of seed 101).
    /// </summary>
    public bool ItemStatistics { get; init; } = true;
}
