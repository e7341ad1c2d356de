using Drlrec.Configuration;
using Drlrec.Distributed;
using Drlrec.Features;

namespace Drlrec.Data.Loading;

/// <summary>
/// What training needs of its data: the schema and vocabulary the network is built on, the training minibatches, and
/// the validation and test lists in memory. <see cref="PreparedData"/> holds every list in memory;
/// <see cref="StreamingData"/> reads the training lists from Parquet files as each epoch goes.
/// </summary>
public interface ITrainingData
{
    /// <summary>Where the lists come from, for reports.</summary>
    string Source { get; }
    ListSchema Schema { get; }
    FeatureVocabulary Vocabulary { get; }
    FieldLayout Layout { get; }
    EncodedLists Validation { get; }
    EncodedLists Test { get; }

    /// <summary>The items of the training lists, each with its item fields from its first appearance in the training lists'
    /// order: the catalog distillation's explorer draws candidates from when the data are logged lists.</summary>
    IItemCatalog LoggedItems { get; }

    /// <summary>The users and items of training lists in time order, which distillation's candidate retriever counts
    /// co-occurrences and users' latest items from: every training list in memory, a seeded sample of at most
    /// <see cref="DataConfig.ExplorerLists"/> when streamed.</summary>
    IReadOnlyList<ListKeys> ExplorerLists { get; }

    /// <summary>Whether some training lists carry the request's unshown candidates (<see cref="LoggedList.Unshown"/>):
    /// what <c>distill.explore_from auto</c> looks for.</summary>
    bool HasUnshownCandidates { get; }

    /// <summary>The training minibatches for a run of <paramref name="config"/> (batch size, steps per epoch, buffers), this
    /// rank's share of them when data-parallel (<paramref name="world"/>; default one process).</summary>
    ITrainingBatches TrainingBatches(RunConfig config, DataParallel? world = null);
}
