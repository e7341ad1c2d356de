using Drlrec.Experiments;
using Drlrec.IO;
using Drlrec.Testing;

namespace Drlrec.Tests.Experiments;

public sealed class FinishedRunsTests
{
    private static readonly ExperimentSpec Spec = new()
    {
        Name = "t", Seeds = [1, 2, 3],
        Datasets = [new ExperimentDataset { Name = "a", Source = "synthetic" }, new ExperimentDataset { Name = "b", Source = "synthetic" }],
        Variants = [new ExperimentVariant { Name = "teacher", Kind = VariantKind.Teacher },
                    new ExperimentVariant { Name = "student alone", Kind = VariantKind.Student }],
    };

    private static ExperimentRow Row(string dataset, int seed, string variant) => new(
        dataset, seed, variant, VariantKind.Student, null, null, 0.7, 0.7, 0.7, 0.7, 0.7, 1, 100, 1, null, null, null, null, null, 1, "run")
    {
        AucCentred = 0.71,
    };

    /// <summary>An interrupted run: data set a finished seed 1 and half of seed 2; data set b finished seed 1.</summary>
    private static string Interrupted(TemporaryFolder folder)
    {
        string output = folder["exp"];
        Json.WriteFile(Path.Combine(output, "experiment.json"), Spec);
        var rows = new[] { Row("a", 1, "teacher"), Row("a", 1, "student alone"), Row("a", 2, "teacher"),
                           Row("b", 1, "teacher"), Row("b", 1, "student alone") };
        var baselines = new[] { new BaselineRow("a", 1, "item_popularity", 0.6, 0.6, 0.6, null), new BaselineRow("b", 1, "item_popularity", 0.6, null, null, null) };
        ExperimentReport.WriteData(new ExperimentResult(Spec, rows, baselines, 120), output);
        return output;
    }

    [Fact]
    public void Only_seeds_whose_every_model_finished_are_reused_with_their_rows_and_baselines()
    {
        using var folder = new TemporaryFolder();
        var finished = FinishedRuns.Load(Spec, Interrupted(folder), ExperimentRunner.ModelsPerSeed(Spec));

        Assert.True(finished.IsDone("a", 1));
        Assert.False(finished.IsDone("a", 2));
        Assert.True(finished.IsDone("b", 1));
        Assert.Equal(4, finished.Rows.Count);
        Assert.Equal(0.71, finished.Rows[0].AucCentred);
        Assert.Equal(2, finished.Baselines.Count);
        Assert.Equal(120, finished.Seconds);
    }

    [Fact]
    public void A_changed_data_set_or_variant_list_is_retrained()
    {
        using var folder = new TemporaryFolder();
        string output = Interrupted(folder);

        var changedData = Spec with
        {
            Datasets = [Spec.Datasets[0], Spec.Datasets[1] with { Split = Configuration.SplitMode.UserTime }],
        };
        var finished = FinishedRuns.Load(changedData, output, 2);
        Assert.True(finished.IsDone("a", 1));
        Assert.False(finished.IsDone("b", 1));

        var changedVariants = Spec with { Variants = [Spec.Variants[0], Spec.Variants[1] with { StudentDim = 4 }] };
        Assert.Empty(FinishedRuns.Load(changedVariants, output, 2).Rows);
        Assert.Empty(FinishedRuns.Load(Spec, folder["nothing-here"], 2).Rows);
    }

    [Fact]
    public void Changed_online_settings_retrain_the_simulator_data_sets_only()
    {
        using var folder = new TemporaryFolder();
        string output = Interrupted(folder);
        var mixed = Spec with { Datasets = [Spec.Datasets[0], Spec.Datasets[1] with { Source = "../shared/data/ml-100k" }] };
        Json.WriteFile(Path.Combine(output, "experiment.json"), mixed);

        var finished = FinishedRuns.Load(mixed with { OnlineCandidates = 20 }, output, 2);
        Assert.False(finished.IsDone("a", 1));
        Assert.True(finished.IsDone("b", 1));
        Assert.False(FinishedRuns.Load(mixed with { OnlineRequests = 100 }, output, 2).IsDone("a", 1));
        Assert.True(FinishedRuns.Load(mixed, output, 2).IsDone("a", 1));
    }
}
