using Drlrec.Configuration;
using Drlrec.Features;

namespace Drlrec.Data.Loading;

/// <summary>
/// Lists split by time into train / validation / test, a vocabulary fitted on the training part only, and the
/// three parts encoded. Nothing of the validation or test lists reaches the vocabulary.
/// </summary>
public sealed class PreparedData : ITrainingData
{
    private IItemCatalog? loggedItems;
    private IReadOnlyList<ListKeys>? explorerLists;

    private PreparedData(ListDataset train, ListDataset validation, ListDataset test, FeatureVocabulary vocabulary, int maxLength)
    {
        TrainLists = train;
        ValidationLists = validation;
        TestLists = test;
        Vocabulary = vocabulary;
        Layout = FieldLayout.Of(train.Schema);
        Train = EncodedLists.Encode(train, vocabulary, maxLength);
        Validation = EncodedLists.Encode(validation, vocabulary, maxLength);
        Test = EncodedLists.Encode(test, vocabulary, maxLength);
    }

    public ListDataset TrainLists { get; }
    public ListDataset ValidationLists { get; }
    public ListDataset TestLists { get; }
    public FeatureVocabulary Vocabulary { get; }
    public FieldLayout Layout { get; }
    public ListSchema Schema => TrainLists.Schema;
    public EncodedLists Train { get; }
    public EncodedLists Validation { get; }
    public EncodedLists Test { get; }

    /// <param name="all">Every logged list of the source.</param>
    /// <param name="separateTest">A separate test set, or null to hold out the latest lists of <paramref name="all"/>.</param>
    /// <param name="vocabulary">A vocabulary to reuse (a teacher's, so that student and teacher read the same rows); null fits one.</param>
    public static PreparedData Prepare(ListDataset all, ListDataset? separateTest, DataConfig data, FeatureConfig features,
        FeatureVocabulary? vocabulary = null)
    {
        var (train, validation, test) = Split(all, separateTest, data);
        if (vocabulary is not null) (train, validation, test) = (UserHistory.Align(train, vocabulary), UserHistory.Align(validation, vocabulary), UserHistory.Align(test, vocabulary));
        // Item statistics come from the training lists only (or, for a student, from its teacher's vocabulary).
        var statistics = vocabulary is not null ? vocabulary.ItemStatistics
            : features.ItemStatistics ? ItemStatistics.Fit(train)
            : null;
        if (statistics is not null)
        {
            train = statistics.AddTo(train, leaveOneOut: true);
            validation = statistics.AddTo(validation, leaveOneOut: false);
            test = statistics.AddTo(test, leaveOneOut: false);
        }
        vocabulary ??= FeatureVocabulary.Fit(train, features, statistics);
        int maxLength = new[] { train.MaxListLength, validation.MaxListLength, test.MaxListLength }.Max();
        return new PreparedData(train, validation, test, vocabulary, maxLength);
    }

    /// <summary>
    /// Training, validation and test lists as every command splits them: the test part is the separate test set, or
    /// the latest <see cref="DataConfig.TestFraction"/> (of the whole log, or of each user's lists under
    /// <see cref="SplitMode.UserTime"/>); the validation part is the latest <see cref="DataConfig.ValidationFraction"/>
    /// of the rest, split the same way.
    /// </summary>
    public static (ListDataset Train, ListDataset Validation, ListDataset Test) Split(ListDataset all, ListDataset? separateTest, DataConfig data)
    {
        EnsureSplittable(all.Source, all.Lists.Count);
        var (trainAndValidation, test) = separateTest is null ? HoldOut(all, data.TestFraction, data.Split) : (all, separateTest);
        var (train, validation) = HoldOut(trainAndValidation, data.ValidationFraction, data.Split);
        EnsureEveryPart(all.Source, data.Split, train.Lists.Count, validation.Lists.Count, test.Lists.Count);
        return (train, validation, test);
    }

    /// <summary>The training and validation lists together (what a model of a run on <paramref name="data"/> has seen):
    /// all of <paramref name="all"/> when the run had a separate test file, else what <see cref="Split"/> leaves for them.</summary>
    public static ListDataset TrainingPart(ListDataset all, DataConfig data) =>
        data.Test is not null ? all : HoldOut(all, data.TestFraction, data.Split).Earlier;

    /// <summary>The latest <paramref name="fraction"/> of the lists held out, of the whole log or of each user's lists.</summary>
    private static (ListDataset Earlier, ListDataset Later) HoldOut(ListDataset lists, double fraction, SplitMode split) =>
        split == SplitMode.UserTime ? TimeSplit.SplitByUser(lists, fraction) : TimeSplit.Split(lists, fraction);

    /// <summary>A source needs three lists at least to be split into train, validation and test.</summary>
    internal static void EnsureSplittable(string source, int lists)
    {
        if (lists < 3) throw new InvalidDataException($"{source}: {lists} lists is too few to split");
    }

    /// <summary>Every part of a split must hold a list.</summary>
    internal static void EnsureEveryPart(string source, SplitMode split, int train, int validation, int test)
    {
        if (train == 0 || validation == 0 || test == 0)
            throw new InvalidDataException($"{source}: the {split} split leaves a part without lists " +
                                           $"(train {train}, validation {validation}, test {test})");
    }

    public string Source => TrainLists.Source;

    public IItemCatalog LoggedItems => loggedItems ??= new LoggedItemCatalog(TrainLists);

    public IReadOnlyList<ListKeys> ExplorerLists => explorerLists ??= ListKeys.InTimeOrder(TrainLists);

    public bool HasUnshownCandidates => Train.HasUnshown;

    /// <summary>The training lists in memory, batched as the trainer of <paramref name="config"/> batches them.</summary>
    public ITrainingBatches TrainingBatches(RunConfig config, Distributed.DataParallel? world = null) =>
        new InMemoryBatches(Train, config.Trainer.BatchSize, config.Trainer.MaxStepsPerEpoch, world);

    /// <summary>Re-encodes a data set (for example a separate test file) with this vocabulary.</summary>
    public EncodedLists Encode(ListDataset data) => EncodedLists.Encode(data, Vocabulary, Train.MaxLength);
}
