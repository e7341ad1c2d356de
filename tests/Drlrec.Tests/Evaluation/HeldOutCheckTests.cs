using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Evaluation;
using Drlrec.Testing;
using Drlrec.Tests.Support;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Tests.Evaluation;

/// <summary>
/// The held-out check on toy logs in Parquet files: each case's expected overlap is counted independently, by list id,
/// from the two splits; the check itself matches lists by content (<see cref="ListIdentity"/>).
/// </summary>
public sealed class HeldOutCheckTests : IDisposable
{
    private readonly TemporaryFolder folder = new();
    private readonly ListDataset logs = ToyData.Lists(240, users: 12, seed: 4);
    private readonly string source;

    public HeldOutCheckTests()
    {
        source = folder["logs.parquet"];
        ParquetListWriter.WriteRowGroups(logs.Schema, logs.Lists.Chunk(40), source);
    }

    public void Dispose() => folder.Dispose();

    private DataConfig Data(SplitMode split = SplitMode.Time, string? test = null) => new() { Source = source, Split = split, Test = test };

    private static ModelOrigin Model(DataConfig data, string? teacher = null) =>
        new("m", "m/model.ckpt", new RunConfig { Data = data, Teacher = teacher });

    /// <summary>Reads and splits as <c>drlrec evaluate</c> does, then checks.</summary>
    private static (HeldOutResult Result, ListDataset Test) Check(DataConfig evaluated, params ModelOrigin[] models)
    {
        var (all, testFile) = DataLoader.LoadWithTest(evaluated);
        var test = PreparedData.Split(all, testFile, evaluated).Test;
        return (HeldOutCheck.Run(models, evaluated, all, test), test);
    }

    /// <summary>Test lists of <paramref name="evaluated"/> that are training or validation lists of <paramref name="trained"/>, by list id.</summary>
    private static int Expected(ListDataset test, DataConfig trained)
    {
        var seen = PreparedData.TrainingPart(DataLoader.Load(trained.Source, trained), trained).Lists.Select(l => l.ListId).ToHashSet();
        return test.Lists.Count(l => seen.Contains(l.ListId));
    }

    [Fact]
    public void The_models_own_split_of_its_own_data_is_held_out_by_construction()
    {
        var (result, _) = Check(Data(), Model(Data()));

        Assert.True(result.HeldOut);
        Assert.Equal(0, result.OverlapLists);
        Assert.Equal("the split of the data each model was trained on", result.How);
    }

    [Fact]
    public void A_user_time_evaluation_of_a_time_split_model_finds_exactly_the_lists_it_trained_on()
    {
        var (result, test) = Check(Data(SplitMode.UserTime), Model(Data()));

        int expected = Expected(test, Data());
        Assert.True(expected > 0, "the toy logs must make the two splits overlap");
        Assert.False(result.HeldOut);
        Assert.Equal(expected, result.OverlapLists);
        Assert.StartsWith($"{expected} of {test.Lists.Count} test lists (user-time split of {source}) were in the training or validation part " +
                          $"of model 'm' (time split of {source})", result.Problem);
    }

    [Fact]
    public void A_time_evaluation_of_a_user_time_model_is_refused_too()
    {
        var (result, test) = Check(Data(), Model(Data(SplitMode.UserTime)));

        Assert.False(result.HeldOut);
        Assert.Equal(Expected(test, Data(SplitMode.UserTime)), result.OverlapLists);
    }

    [Fact]
    public void A_test_file_holding_training_lists_is_refused_and_one_holding_only_test_lists_is_not()
    {
        var (train, validation, test) = PreparedData.Split(logs, null, Data());
        string leaky = folder["leaky.parquet"], clean = folder["clean.parquet"];
        ParquetListWriter.Write(logs.WithLists([.. train.Lists.Take(7), .. validation.Lists.Take(3), .. test.Lists.Take(5)]), leaky);
        ParquetListWriter.Write(logs.WithLists(test.Lists.ToList()), clean);

        var (refused, _) = Check(Data(test: leaky), Model(Data()));
        var (accepted, _) = Check(Data(test: clean), Model(Data()));

        Assert.False(refused.HeldOut);
        Assert.Equal(10, refused.OverlapLists);
        Assert.True(accepted.HeldOut);
        Assert.StartsWith("no test list is among the training and validation lists of model 'm'", accepted.How);
    }

    [Fact]
    public void Other_data_are_checked_by_content_a_copy_split_the_same_way_passes_and_split_otherwise_does_not()
    {
        string copy = folder["copy.parquet"];
        File.Copy(source, copy);

        var (same, _) = Check(new DataConfig { Source = copy }, Model(Data()));
        var (other, test) = Check(new DataConfig { Source = copy, Split = SplitMode.UserTime }, Model(Data()));

        Assert.True(same.HeldOut);
        Assert.False(other.HeldOut);
        Assert.Equal(Expected(test, Data()), other.OverlapLists);
    }

    [Fact]
    public void A_model_trained_streamed_is_checked_by_streaming_its_data_with_the_same_answer()
    {
        string copy = folder["copy.parquet"];
        File.Copy(source, copy);
        var streamed = Data() with { Streaming = StreamingMode.On };

        var (result, test) = Check(new DataConfig { Source = copy, Split = SplitMode.UserTime }, Model(streamed));

        Assert.Equal(Expected(test, Data()), result.OverlapLists);
    }

    [Theory]
    [InlineData(SplitMode.Time)]
    [InlineData(SplitMode.UserTime)]
    public void Streaming_visits_exactly_the_training_and_validation_lists_of_the_in_memory_split(SplitMode split)
    {
        var data = Data(split);
        var streamed = new List<string>();
        StreamingData.ForEachTrainingList(data, list => streamed.Add(list.ListId));

        var inMemory = PreparedData.TrainingPart(DataLoader.Load(source, data), data).Lists.Select(l => l.ListId);
        Assert.Equal(inMemory.Order(), streamed.Order());
        Assert.Equal(streamed.Count, streamed.Distinct().Count());
    }

    [Fact]
    public void What_cannot_be_reproduced_is_not_assumed_held_out()
    {
        var noConfig = Check(Data(), new ModelOrigin("old", "old/model.ckpt", null)).Result;
        var missingData = Check(Data(SplitMode.UserTime), Model(Data() with { Source = folder["gone.parquet"] })).Result;
        var otherLength = Check(Data(SplitMode.UserTime), Model(Data() with { MaxListLength = 4 })).Result;
        var missingTeacher = Check(Data(), Model(Data(), teacher: folder["no-teacher/model.ckpt"])).Result;

        foreach (var result in new[] { noConfig, missingData, otherLength, missingTeacher })
        {
            Assert.False(result.HeldOut);
            Assert.Null(result.OverlapLists);
            Assert.StartsWith("cannot check that the test lists were held out from ", result.Problem);
            Assert.EndsWith("pass --allow-overlap to score anyway, marked as not held out", result.Problem);
        }
        Assert.Contains("records no run config", noConfig.How);
        Assert.Contains("gone.parquet", missingData.How);
        Assert.Contains("cut at 4 items and these are cut at 10", otherLength.How);
        Assert.Contains("the teacher of model 'm'", missingTeacher.How);
    }

    [Fact]
    public void A_student_is_checked_against_its_teachers_training_lists_too()
    {
        string teacher = folder["teacher"];
        var teacherConfig = new RunConfig
        {
            Data = Data(), Model = new QNetworkConfig { EmbeddingDim = 8 }, Trainer = new TrainerConfig { Epochs = 1, BatchSize = 32 },
        };
        TrainWorkflow.Run(teacherConfig, PreparedData.Prepare(DataLoader.Load(source, Data()), null, Data(), teacherConfig.Features), teacher);
        var student = Model(Data(SplitMode.UserTime), teacher: Path.Combine(teacher, "model.ckpt"));

        // The student's own split: nothing of its own lists, but its teacher trained on the time split of the same logs.
        var (result, test) = Check(Data(SplitMode.UserTime), student);

        Assert.False(result.HeldOut);
        Assert.Equal(Expected(test, Data()), result.OverlapLists);
        Assert.Contains($"the teacher of model 'm' ({Path.Combine(teacher, "model.ckpt")})", result.How);
    }
}
