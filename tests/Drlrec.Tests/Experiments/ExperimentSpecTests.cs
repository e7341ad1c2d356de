using System.Text.Json;
using Drlrec.Configuration;
using Drlrec.Experiments;
using Drlrec.IO;
using Drlrec.Testing;

namespace Drlrec.Tests.Experiments;

public sealed class ExperimentSpecTests
{
    [Fact]
    public void Every_shipped_experiment_file_parses_with_its_base_run_config()
    {
        var files = Directory.GetFiles(Path.Combine(SharedData.RepositoryRoot, "experiments"), "*.json");
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            var spec = Json.ReadFile<ExperimentSpec>(file);
            string name = Path.GetFileName(file);
            Assert.False(string.IsNullOrWhiteSpace(spec.Name), name);
            Assert.NotEmpty(spec.Datasets);
            Assert.NotEmpty(spec.Variants);
            Assert.NotEmpty(spec.Seeds);
            if (spec.Base is { } overrides)
                Assert.NotNull(overrides.Deserialize<RunConfig>(Json.Options));
            foreach (var dataset in spec.Datasets) dataset.Synthetic?.Validate();
            foreach (var variant in spec.Variants) variant.Distill?.Validate();
        }
    }

    /// <summary>
    /// experiments/main-movielens.json repeats main.json's MovieLens data sets and variants so that --resume on a copy of
    /// the main run's output reuses its seeds; if the two files drift apart, resuming silently retrains everything.
    /// The committed main run (docs/results/experiments/main) is that output.
    /// </summary>
    [Fact]
    public void The_five_seed_MovieLens_experiment_resumes_from_the_main_run()
    {
        string root = SharedData.RepositoryRoot;
        var spec = Json.ReadFile<ExperimentSpec>(Path.Combine(root, "experiments", "main-movielens.json"));
        var finished = FinishedRuns.Load(spec, Path.Combine(root, "docs", "results", "experiments", "main"), ExperimentRunner.ModelsPerSeed(spec));
        foreach (var dataset in spec.Datasets)
            foreach (int seed in new[] { 1, 2, 3 })
                Assert.True(finished.IsDone(dataset.Name, seed), $"{dataset.Name}, seed {seed}");
        Assert.False(finished.IsDone(spec.Datasets[0].Name, 4));
    }
}
