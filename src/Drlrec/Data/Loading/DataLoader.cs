using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Simulation;

namespace Drlrec.Data.Loading;

/// <summary>Resolves a data source name to logged lists: "synthetic" runs the simulator, anything else a reader.</summary>
public static class DataLoader
{
    public const string Synthetic = "synthetic";

    /// <summary>Whether a data source names the embedded simulator.</summary>
    public static bool IsSynthetic(string source) => string.Equals(source, Synthetic, StringComparison.OrdinalIgnoreCase);

    public static ListDataset Load(string source, DataConfig data)
    {
        if (IsSynthetic(source))
            return new SyntheticSimulator(data.Synthetic with { ListLength = data.MaxListLength }).GenerateLogs();
        return DataSources.Load(source, new ReadOptions { MaxListLength = data.MaxListLength, SkipBadRecords = data.SkipBadRecords });
    }

    /// <summary>Loads <see cref="DataConfig.Source"/> (and <see cref="DataConfig.Test"/>), splits by time and encodes.</summary>
    public static PreparedData Prepare(RunConfig config, FeatureVocabulary? vocabulary = null)
    {
        var (all, test) = LoadWithTest(config.Data);
        return PreparedData.Prepare(all, test, config.Data, config.Features, vocabulary);
    }

    /// <summary>
    /// Whether training on <paramref name="data"/> streams (<see cref="DataConfig.Streaming"/>): on; or auto with Parquet
    /// data over <see cref="DataConfig.StreamingThresholdBytes"/> and no separate test file.
    /// </summary>
    public static bool Streams(DataConfig data) => data.Streaming switch
    {
        StreamingMode.On => true,
        StreamingMode.Off => false,
        _ => !IsSynthetic(data.Source) && data.Test is null && ParquetParts.IsParquet(data.Source)
             && ParquetParts.TotalBytes(ParquetParts.Files(data.Source)) > DataConfig.StreamingThresholdBytes,
    };

    /// <summary>The data a training run reads: streamed (<see cref="StreamingData"/>) when <see cref="Streams"/>, else <see cref="Prepare"/>.</summary>
    /// <param name="vocabulary">A vocabulary to encode with (a teacher's); null fits one on the training lists.</param>
    public static ITrainingData PrepareForTraining(RunConfig config, FeatureVocabulary? vocabulary = null) =>
        Streams(config.Data) ? StreamingData.Prepare(config, vocabulary) : Prepare(config, vocabulary);

    /// <summary>
    /// The catalog the explorer draws candidates from: the simulator's whole catalog for synthetic data, otherwise
    /// the items of the training lists.
    /// </summary>
    public static IItemCatalog Catalog(DataConfig data, ListDataset trainLists) => Catalog(data, () => new LoggedItemCatalog(trainLists));

    /// <summary>The catalog the explorer draws candidates from for <paramref name="data"/>: the simulator's whole catalog for
    /// synthetic data, otherwise the items of the training lists (<see cref="ITrainingData.LoggedItems"/>).</summary>
    public static IItemCatalog Catalog(DataConfig config, ITrainingData data) => Catalog(config, () => data.LoggedItems);

    private static IItemCatalog Catalog(DataConfig data, Func<IItemCatalog> loggedItems) =>
        IsSynthetic(data.Source) ? new SyntheticSimulator(data.Synthetic with { ListLength = data.MaxListLength }) : loggedItems();

    /// <summary>
    /// The training, validation and test lists exactly as <see cref="Prepare"/> splits them, for evaluating saved models
    /// and fitting baselines on what the models trained on.
    /// </summary>
    public static (ListDataset Train, ListDataset Validation, ListDataset Test) LoadSplit(DataConfig data)
    {
        var (all, test) = LoadWithTest(data);
        return PreparedData.Split(all, test, data);
    }

    /// <summary>The source and the separate test file (if any), with the user history fields when
    /// <see cref="DataConfig.UserHistory"/> is on (counted over both: they are one log).</summary>
    public static (ListDataset All, ListDataset? Test) LoadWithTest(DataConfig data)
    {
        var all = Load(data.Source, data);
        var test = data.Test is { } path ? Load(path, data) : null;
        if (!data.UserHistory) return (all, test);
        if (test is null) return (UserHistory.AddTo(all)[0], null);
        var both = UserHistory.AddTo(all, test);
        return (both[0], both[1]);
    }
}
