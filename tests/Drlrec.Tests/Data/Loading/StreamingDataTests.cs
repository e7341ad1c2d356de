using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Features;
using Drlrec.IO;
using Drlrec.Simulation;
using Drlrec.Testing;
using Xunit.Abstractions;

namespace Drlrec.Tests.Data.Loading;

/// <summary>Simulator lists written as part files, shared by the tests (reading them is what is tested).</summary>
public sealed class GeneratedPartsFixture : IDisposable
{
    private readonly TemporaryFolder folder = new();

    public GeneratedPartsFixture()
    {
        Folder = folder["parts"];
        SyntheticParquetParts.Write(new SyntheticSimulator(new SyntheticConfig { Seed = 3, Users = 150, Items = 1000 }), 900, Folder,
            listsPerFile: 300, listsPerRowGroup: 40);
    }

    public string Folder { get; }

    public void Dispose() => folder.Dispose();
}

public sealed class StreamingDataTests(GeneratedPartsFixture parts) : IClassFixture<GeneratedPartsFixture>
{
    private RunConfig Config(SplitMode split = SplitMode.Time, int maxEvalLists = 0, bool history = true, bool statistics = true,
        int maxListLength = 10) => new()
    {
        Data = new DataConfig
        {
            Source = parts.Folder, Split = split, MaxEvalLists = maxEvalLists, UserHistory = history, Streaming = StreamingMode.On,
            ShuffleBuffer = 50, MaxListLength = maxListLength,
        },
        Features = new FeatureConfig { ItemStatistics = statistics },
        Trainer = new TrainerConfig { BatchSize = 16 },
    };

    [Theory]
    [InlineData(SplitMode.Time, true, true, 10)]
    [InlineData(SplitMode.UserTime, true, true, 10)]
    [InlineData(SplitMode.Time, false, false, 10)]
    [InlineData(SplitMode.Time, true, true, 4)] // every list cut into 4 + 4 + 2
    public void Two_passes_give_the_split_vocabulary_and_encoded_held_out_lists_of_the_in_memory_path(SplitMode split, bool history, bool statistics,
        int maxListLength)
    {
        var config = Config(split, history: history, statistics: statistics, maxListLength: maxListLength);
        var inMemory = DataLoader.Prepare(config);
        var streamed = StreamingData.Prepare(config);

        Assert.Equal(Json.Serialize(inMemory.Vocabulary.Fields), Json.Serialize(streamed.Vocabulary.Fields));
        Assert.Equal(inMemory.Vocabulary.ItemStatistics?.GlobalRate, streamed.Vocabulary.ItemStatistics?.GlobalRate);
        Assert.Equal(inMemory.Vocabulary.ItemStatistics?.Items.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value[0], p.Value[1])),
                     streamed.Vocabulary.ItemStatistics?.Items.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value[0], p.Value[1])));
        Assert.Equal(inMemory.Schema.Fields, streamed.Schema.Fields);
        Assert.Equal(inMemory.Train.Count, streamed.Summary.TrainLists);
        Assert.Equal(inMemory.Train.ValidItems, streamed.Summary.TrainItems);
        SameEncoded(inMemory.Validation, streamed.Validation);
        SameEncoded(inMemory.Test, streamed.Test);
    }

    /// <summary>The explorer's inputs: the catalog of training items (first appearance in the training lists' order, item
    /// fields as read) and the training lists' keys in time order are the in-memory path's when the explorer sample holds
    /// every training list, and a seeded sample of them when it does not.</summary>
    [Theory]
    [InlineData(SplitMode.Time)]
    [InlineData(SplitMode.UserTime)]
    public void The_catalog_and_the_explorer_lists_are_the_in_memory_ones(SplitMode split)
    {
        var config = Config(split);
        var inMemory = DataLoader.Prepare(config);
        var streamed = StreamingData.Prepare(config);

        var expected = new Drlrec.Data.LoggedItemCatalog(inMemory.TrainLists);
        int rawItemFields = streamed.LoggedItems.ItemFieldValues(0).Length; // the in-memory lists carry the derived statistics too
        Assert.Equal(expected.Count, streamed.LoggedItems.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected.KeyOf(i), streamed.LoggedItems.KeyOf(i));
            Assert.Equal(expected.ItemFieldValues(i)[..rawItemFields], streamed.LoggedItems.ItemFieldValues(i));
        }
        Assert.Equal(inMemory.ExplorerLists.Select(Json.Serialize), streamed.ExplorerLists.Select(Json.Serialize));

        var sampled = StreamingData.Prepare(config with { Data = config.Data with { ExplorerLists = 100 } });
        Assert.Equal(100, sampled.ExplorerLists.Count);
        var all = inMemory.ExplorerLists.Select(Json.Serialize).ToList();
        var positions = sampled.ExplorerLists.Select(k => all.IndexOf(Json.Serialize(k))).ToArray();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions); // still in time order
    }

    [Fact]
    public void The_preparation_counts_the_training_lists_that_carry_unshown_candidates()
    {
        using var plain = new TemporaryFolder();
        SyntheticParquetParts.Write(new SyntheticSimulator(new SyntheticConfig { Seed = 3, Users = 60, Items = 1000 }), 120, plain.Path,
            listsPerFile: 60, listsPerRowGroup: 30, candidates: false);
        var withCandidates = StreamingData.Prepare(Config());
        var without = StreamingData.Prepare(Config() with { Data = Config().Data with { Source = plain.Path } });

        Assert.True(withCandidates.HasUnshownCandidates);
        Assert.False(without.HasUnshownCandidates);
        Assert.Equal(DataLoader.Prepare(Config()).Train.HasUnshown, withCandidates.HasUnshownCandidates);
    }

    [Fact]
    public void A_given_vocabulary_encodes_as_the_in_memory_path_encodes_with_it()
    {
        var config = Config();
        var teacherData = DataLoader.Prepare(config with { Features = new FeatureConfig { MinCount = 2 } });
        var vocabulary = teacherData.Vocabulary;

        var inMemory = DataLoader.Prepare(config, vocabulary);
        var streamed = StreamingData.Prepare(config, vocabulary);

        Assert.Same(vocabulary, streamed.Vocabulary);
        SameEncoded(inMemory.Validation, streamed.Validation);
        SameEncoded(inMemory.Test, streamed.Test);
        var noHistory = DataLoader.Prepare(config with { Data = config.Data with { UserHistory = false } });
        var mismatch = Assert.Throws<InvalidDataException>(() => StreamingData.Prepare(config with { Features = new FeatureConfig { ItemStatistics = false } },
            FeatureVocabulary.Fit(noHistory.TrainLists, new FeatureConfig())));
        Assert.Contains("the model was trained on", mismatch.Message);
    }

    /// <summary>Same lists in the same order with the same rows (M may differ: compared slot by slot, padding aside).</summary>
    private static void SameEncoded(EncodedLists expected, EncodedLists actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Lengths, actual.Lengths);
        Assert.Equal(expected.Rewards, actual.Rewards);
        Assert.Equal(expected.UserKeys, actual.UserKeys);
        Assert.Equal(expected.ItemKeys, actual.ItemKeys);
        Assert.Equal(expected.Items, actual.Items);
        Assert.Equal(expected.MaxLength, actual.MaxLength);
        int m = Math.Max(expected.MaxValues, actual.MaxValues);
        for (int cell = 0; cell < expected.Count * expected.MaxLength * expected.FieldCount; cell++)
            for (int v = 0; v < m; v++)
                Assert.Equal(v < expected.MaxValues ? expected.Rows[cell * expected.MaxValues + v] : 0,
                             v < actual.MaxValues ? actual.Rows[cell * actual.MaxValues + v] : 0);
    }

    [Fact]
    public void Held_out_lists_are_capped_by_a_seeded_sample_of_the_held_out_part()
    {
        var all = StreamingData.Prepare(Config());
        var capped = StreamingData.Prepare(Config(maxEvalLists: 25));
        var again = StreamingData.Prepare(Config(maxEvalLists: 25));

        Assert.Equal(25, capped.Validation.Count);
        Assert.Equal(25, capped.Test.Count);
        Assert.Equal(all.Summary.ValidationLists, capped.Summary.ValidationLists);
        Assert.Equal(capped.Test.Rows, again.Test.Rows);
        Assert.Subset(all.Validation.UserKeys.ToHashSet(), capped.Validation.UserKeys.ToHashSet());
    }

    [Fact]
    public void An_epoch_streams_every_training_list_once_through_a_buffer_that_never_exceeds_its_bound()
    {
        var config = Config();
        var data = StreamingData.Prepare(config);
        var batches = data.TrainingBatches(config, 0, 1);

        var epoch = batches.Epoch(1, shuffleSeed: 11).ToList();

        Assert.Equal(data.Summary.TrainLists, batches.TrainingLists);
        Assert.Equal(batches.StepsPerEpoch, epoch.Count);
        Assert.Equal(data.Summary.TrainItems, epoch.Sum(b => (long)b.Items));
        Assert.All(epoch, b => Assert.Null(b.Indices));
        Assert.InRange(batches.LastBufferPeak, 1, config.Data.ShuffleBuffer);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var first = epoch[0].Tensors();
        Assert.Equal([16L, data.MaxLength, data.Schema.Count, data.Slots], first.Rows.shape);
        Assert.Equal(epoch[0].Items, first.Mask.sum().item<long>());
    }

    [Fact]
    public void The_same_seed_gives_the_same_batches_and_ranks_share_the_row_groups()
    {
        var config = Config() with { Trainer = new TrainerConfig { BatchSize = 16, MaxStepsPerEpoch = 5 } };
        var data = StreamingData.Prepare(config);
        long[] Sums(int seed) => data.TrainingBatches(config, 0, 1).Epoch(1, seed).Select(b =>
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            return b.Tensors().Rows.sum().item<long>();
        }).ToArray();

        Assert.Equal(5, Sums(4).Length);
        Assert.Equal(Sums(4), Sums(4));
        Assert.NotEqual(Sums(4), Sums(5));
        var ranks = Enumerable.Range(0, 3).Select(r => data.TrainingBatches(config, r, 3).TrainingLists).ToArray();
        Assert.Equal(data.Summary.TrainLists, ranks.Sum());
        Assert.All(ranks, count => Assert.True(count > 0));
    }

    /// <summary>Data-parallel streaming: the ranks' collectives need the same number of steps on every rank, each a share of
    /// the global batch, however unevenly the row groups divide.</summary>
    [Fact]
    public void Ranks_stream_shares_of_the_global_batch_and_take_the_same_number_of_steps()
    {
        var config = Config() with { Trainer = new TrainerConfig { BatchSize = 16 } };
        var data = StreamingData.Prepare(config);
        var ranks = Enumerable.Range(0, 3).Select(r => data.TrainingBatches(config, r, 3)).ToArray();
        Assert.NotEqual(ranks[0].TrainingLists, ranks[2].TrainingLists); // 900 lists in 23 row groups: the shares differ

        var epochs = ranks.Select(b => b.Epoch(1, shuffleSeed: 7).ToList()).ToArray();

        int steps = ranks[0].StepsPerEpoch;
        Assert.All(ranks, b => Assert.Equal(steps, b.StepsPerEpoch));
        Assert.All(epochs, e => Assert.Equal(steps, e.Count));
        int[] shares = [5, 5, 6];                                            // 16 lists split over 3 ranks (Shares.Of)
        Assert.Equal(ranks.Select((b, r) => (b.TrainingLists + shares[r] - 1) / shares[r]).Min(), steps); // the fewest any rank fills
        using var scope = TorchSharp.torch.NewDisposeScope();
        Assert.Equal([5L, 5L, 6L], epochs.Select(e => e[0].Tensors().Size));
        var error = Assert.Throws<ArgumentException>(() => data.TrainingBatches(config with { Trainer = new TrainerConfig { BatchSize = 2 } }, 2, 3));
        Assert.Contains("global batch", error.Message);
    }

    [Fact]
    public void Streaming_refuses_a_source_that_is_not_parquet_and_a_separate_test_file()
    {
        var notParquet = Assert.Throws<ArgumentException>(() => StreamingData.Prepare(new RunConfig { Data = new() { Source = "synthetic" } }));
        Assert.Contains("data.streaming", notParquet.Message);
        var withTest = Assert.Throws<ArgumentException>(() => StreamingData.Prepare(Config() with { Data = Config().Data with { Test = "t.parquet" } }));
        Assert.Contains("separate test file", withTest.Message);
    }

    [Fact]
    public void Auto_streams_only_parquet_data_over_the_threshold()
    {
        Assert.False(DataLoader.Streams(new DataConfig { Source = parts.Folder }));
        Assert.True(DataLoader.Streams(new DataConfig { Source = parts.Folder, Streaming = StreamingMode.On }));
        Assert.False(DataLoader.Streams(new DataConfig { Source = "synthetic" }));
    }
}

public sealed class ShuffleBufferTests
{
    [Fact]
    public void It_never_holds_more_than_its_capacity_and_gives_out_every_item_once()
    {
        var buffer = new ShuffleBuffer<int>(7, new Random(1));
        var output = new List<int>();
        for (int i = 0; i < 100; i++)
        {
            if (buffer.Add(i, out int emitted)) output.Add(emitted);
            Assert.True(buffer.Count <= 7);
        }
        output.AddRange(buffer.Drain());

        Assert.Equal(7, buffer.MaxCount);
        Assert.Equal(0, buffer.Count);
        Assert.Equal(Enumerable.Range(0, 100), output.Order());
        Assert.NotEqual(Enumerable.Range(0, 100), output);
    }
}

public sealed class StreamingTrainingTests(GeneratedPartsFixture parts, ITestOutputHelper output) : IClassFixture<GeneratedPartsFixture>
{
    [Fact]
    public void Streamed_training_reaches_the_validation_auc_of_in_memory_training_on_the_same_lists()
    {
        var config = new RunConfig
        {
            Seed = 5,
            Role = ModelRole.Student,
            Model = new QNetworkConfig { EmbeddingDim = 8 },
            Data = new DataConfig { Source = parts.Folder, MaxEvalLists = 0, ShuffleBuffer = 200 },
            Trainer = new TrainerConfig { Epochs = 2, BatchSize = 32, Patience = 5, Threads = 1, Tensorboard = false },
        };
        using var a = new TemporaryFolder();
        using var b = new TemporaryFolder();
        var inMemory = Drlrec.Workflows.TrainWorkflow.Run(config with { Data = config.Data with { Streaming = StreamingMode.Off } }, DataLoader.Prepare(config), a.Path);
        var streamedConfig = config with { Data = config.Data with { Streaming = StreamingMode.On } };
        var streamed = Drlrec.Workflows.TrainWorkflow.Run(streamedConfig, DataLoader.PrepareForTraining(streamedConfig), b.Path);

        double difference = streamed.Validation.Auc - inMemory.Validation.Auc;
        output.WriteLine($"validation AUC in memory {inMemory.Validation.Auc:F4}, streamed {streamed.Validation.Auc:F4}, difference {difference:+0.0000;-0.0000}");
        Assert.InRange(Math.Abs(difference), 0, 0.02);
        Assert.Contains("\"streaming\": \"on\"", File.ReadAllText(Path.Combine(b.Path, "config.json")));
    }
}
