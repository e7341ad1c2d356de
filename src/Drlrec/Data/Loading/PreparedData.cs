using Drlrec.Configuration;
using Drlrec.Features;

namespace Drlrec.Data.Loading;

/// <summary>
/// Lists split by time into train / validation / test, a vocabulary fitted on the training part only, and the
/// three parts encoded. Nothing of the validation or test lists reaches the vocabulary.
/// </summary>
public sealed class PreparedData
{
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
        if (all.Lists.Count < 3) throw new InvalidDataException($"{all.Source}: {all.Lists.Count} lists is too few to split");
        var (trainAndValidation, test) = separateTest is null
            ? TimeSplit.Split(all, data.TestFraction)
            : (all, separateTest);
        var (train, validation) = TimeSplit.Split(trainAndValidation, data.ValidationFraction);
        vocabulary ??= FeatureVocabulary.Fit(train, features);
        int maxLength = new[] { train.MaxListLength, validation.MaxListLength, test.MaxListLength }.Max();
        return new PreparedData(train, validation, test, vocabulary, maxLength);
    }

    /// <summary>Re-encodes a data set (for example a separate test file) with this vocabulary.</summary>
    public EncodedLists Encode(ListDataset data) => EncodedLists.Encode(data, Vocabulary, Train.MaxLength);
}
