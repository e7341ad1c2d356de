using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Distributed;
using Drlrec.Features;
using Drlrec.IO;
using Drlrec.Simulation;
using Drlrec.Testing;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Data.Loading;

/// <summary>
/// The prepared-data cache: a second preparation reads what the first wrote (both passes skipped) and gets the same data;
/// a changed part file, other settings or a corrupted cache make it prepare again; ranks and concurrent writers leave one
/// whole file. Each test writes its own part files (some tests change them).
/// </summary>
public sealed class PreparedDataCacheTests : IDisposable
{
    private readonly TemporaryFolder folder = new();
    private readonly string parts;

    public PreparedDataCacheTests()
    {
        parts = folder["parts"];
        SyntheticParquetParts.Write(new SyntheticSimulator(new SyntheticConfig { Seed = 5, Users = 120, Items = 1000 }), 700, parts,
            listsPerFile: 250, listsPerRowGroup: 50);
    }

    public void Dispose() => folder.Dispose();

    private RunConfig Config(string? cache = null, int maxEvalLists = 0) => new()
    {
        Data = new DataConfig
        {
            Source = parts, Streaming = StreamingMode.On, MaxEvalLists = maxEvalLists, ShuffleBuffer = 60, ExplorerLists = 150,
            PreparedCache = cache,
        },
        Trainer = new TrainerConfig { BatchSize = 16, MaxStepsPerEpoch = 6 },
    };

    private static StreamingData Prepare(RunConfig config, DataParallel? world = null) => StreamingData.Prepare(config, world: world ?? DataParallel.Single);

    [Fact]
    public void A_second_preparation_reads_the_cache_beside_the_data_and_gets_the_same_data()
    {
        var first = Prepare(Config());
        var second = Prepare(Config());

        Assert.False(first.Summary.Origin.FromCache);
        Assert.True(first.Summary.Origin.Written);
        Assert.Equal(Path.Combine(parts, PreparedDataCache.FolderName), Path.GetDirectoryName(first.Summary.Origin.CachePath));
        Assert.True(second.Summary.Origin.FromCache, second.Summary.Origin.Note);
        Assert.Equal(first.Summary.Origin.CachePath, second.Summary.Origin.CachePath);
        Assert.Single(Directory.GetFiles(Path.Combine(parts, PreparedDataCache.FolderName)));
        AssertSameData(first, second);
        Assert.Equal(first.Summary.PassesSeconds, second.Summary.PassesSeconds); // the first run's passes, reported again
        Assert.True(first.HasUnshownCandidates); // the parts carry each request's unshown candidates
        Assert.True(second.HasUnshownCandidates); // and the cache remembers it (distill.explore_from auto reads it)
    }

    [Fact]
    public void A_touched_part_file_makes_it_prepare_again_and_other_settings_use_another_cache_file()
    {
        string cache = folder["cache"];
        var first = Prepare(Config(cache));
        string part = Directory.GetFiles(parts, "*.parquet").Order().ElementAt(1);
        File.SetLastWriteTimeUtc(part, File.GetLastWriteTimeUtc(part).AddSeconds(5));

        var afterTouch = Prepare(Config(cache));
        Assert.False(afterTouch.Summary.Origin.FromCache);
        Assert.Contains(Path.GetFileName(part), afterTouch.Summary.Origin.Note);
        Assert.Contains("changed", afterTouch.Summary.Origin.Note);
        Assert.True(afterTouch.Summary.Origin.Written);
        Assert.True(Prepare(Config(cache)).Summary.Origin.FromCache);
        AssertSameData(first, afterTouch);

        var capped = Prepare(Config(cache, maxEvalLists: 30));
        Assert.False(capped.Summary.Origin.FromCache);
        Assert.NotEqual(first.Summary.Origin.CachePath, capped.Summary.Origin.CachePath);
        Assert.Equal(30, capped.Validation.Count);
        Assert.True(Prepare(Config(cache)).Summary.Origin.FromCache, "the first settings' file is still there");
        Assert.Equal(2, Directory.GetFiles(cache).Length);
    }

    [Fact]
    public void A_part_file_gone_is_noticed()
    {
        string cache = folder["cache"];
        var all = Prepare(Config(cache));
        string last = Directory.GetFiles(parts, "*.parquet").Order().Last();
        File.Delete(last);

        var fewer = Prepare(Config(cache));

        Assert.False(fewer.Summary.Origin.FromCache);
        Assert.Contains($"{Path.GetFileName(last)} is gone", fewer.Summary.Origin.Note);
        Assert.True(fewer.Summary.Lists < all.Summary.Lists);
    }

    [Fact]
    public void A_corrupted_cache_is_refused_naming_the_checksum_and_made_again()
    {
        string cache = folder["cache"];
        var first = Prepare(Config(cache));
        string path = first.Summary.Origin.CachePath!;
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 3] ^= 0x20;
        File.WriteAllBytes(path, bytes);

        var again = Prepare(Config(cache));

        Assert.False(again.Summary.Origin.FromCache);
        Assert.Contains("checksum", again.Summary.Origin.Note);
        Assert.True(Prepare(Config(cache)).Summary.Origin.FromCache, "the cache was written again, whole");
        AssertSameData(first, again);
    }

    [Fact]
    public void Off_keeps_nothing_and_an_unwritable_folder_is_reported_not_fatal()
    {
        var off = Prepare(Config(PreparedDataCache.Off));
        Assert.False(off.Summary.Origin.FromCache || off.Summary.Origin.Written);
        Assert.False(Directory.Exists(Path.Combine(parts, PreparedDataCache.FolderName)));

        string file = folder.Write("a-file", "not a folder");
        var blocked = Prepare(Config(Path.Combine(file, "cache")));
        Assert.False(blocked.Summary.Origin.Written);
        Assert.Contains("could not be written", blocked.Summary.Origin.Note);
        AssertSameData(off, blocked);
    }

    [Fact]
    public void Rank_0_prepares_and_writes_while_the_other_ranks_wait_then_read_it()
    {
        string cache = folder["cache"];
        var ranks = ThreadedWorld.Run(3, world => Prepare(Config(cache), world));

        Assert.True(ranks[0].Summary.Origin.Written);
        Assert.All(ranks.Skip(1), rank => Assert.True(rank.Summary.Origin.FromCache, rank.Summary.Origin.Note));
        Assert.All(ranks.Skip(1), rank => AssertSameData(ranks[0], rank));
    }

    [Fact]
    public void Processes_writing_the_same_cache_at_once_leave_one_whole_file()
    {
        string cache = folder["cache"];
        var results = new StreamingData[3];
        Parallel.For(0, results.Length, i => results[i] = Prepare(Config(cache)));

        Assert.Single(Directory.GetFiles(cache));
        Assert.Empty(Directory.GetFiles(cache, ".*tmp*"));
        var read = Prepare(Config(cache));
        Assert.True(read.Summary.Origin.FromCache);
        Assert.All(results, r => AssertSameData(read, r));
    }

    /// <summary>Same split, vocabulary, held-out lists, catalog, explorer sample and training batches.</summary>
    internal static void AssertSameData(StreamingData expected, StreamingData actual)
    {
        Assert.Equal(Json.Serialize(expected.Vocabulary), Json.Serialize(actual.Vocabulary));
        Assert.Equal(expected.Schema.Fields, actual.Schema.Fields);
        Assert.Equal((expected.MaxLength, expected.Slots, expected.RowGroupCount), (actual.MaxLength, actual.Slots, actual.RowGroupCount));
        Assert.Equal((expected.Summary.TrainLists, expected.Summary.TrainItems, expected.Summary.ValidationLists, expected.Summary.TestLists),
            (actual.Summary.TrainLists, actual.Summary.TrainItems, actual.Summary.ValidationLists, actual.Summary.TestLists));
        foreach (var (a, b) in new[] { (expected.Validation, actual.Validation), (expected.Test, actual.Test) })
        {
            Assert.Equal(a.Rows, b.Rows);
            Assert.Equal(a.Rewards, b.Rewards);
            Assert.Equal(a.UserKeys, b.UserKeys);
            Assert.Equal(a.ItemKeys, b.ItemKeys);
        }
        Assert.Equal(Enumerable.Range(0, expected.LoggedItems.Count).Select(i => (expected.LoggedItems.KeyOf(i), Json.Serialize(expected.LoggedItems.ItemFieldValues(i)))),
            Enumerable.Range(0, actual.LoggedItems.Count).Select(i => (actual.LoggedItems.KeyOf(i), Json.Serialize(actual.LoggedItems.ItemFieldValues(i)))));
        Assert.Equal(expected.ExplorerLists.Select(Json.Serialize), actual.ExplorerLists.Select(Json.Serialize));
        var config = new RunConfig { Data = new DataConfig { ShuffleBuffer = 60 }, Trainer = new TrainerConfig { BatchSize = 16, MaxStepsPerEpoch = 4 } };
        Assert.Equal(Sums(expected, config), Sums(actual, config));
    }

    private static long[] Sums(StreamingData data, RunConfig config) => data.TrainingBatches(config, 0, 1).Epoch(2, 9).Select(b =>
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var t = b.Tensors();
        return t.Rows.sum().item<long>() * 31 + (long)t.Rewards.sum().item<float>();
    }).ToArray();
}
