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
            spec.Sweep?.Validate(spec.Variants);
            Assert.True(ExperimentRunner.ModelsPerSeed(spec) > 1, name);
        }
    }

    /// <summary>
    /// experiments/main-simulator.json and main-movielens.json are experiments/main.json split by data set (with more
    /// seeds), so that the two halves can run side by side and their reports read as one table; if they drift from
    /// main.json, the README's main table silently mixes settings.
    /// </summary>
    [Fact]
    public void The_main_experiment_parts_repeat_main_json_split_by_data_set()
    {
        static ExperimentSpec Read(string name) => Json.ReadFile<ExperimentSpec>(Path.Combine(SharedData.RepositoryRoot, "experiments", name));
        static string J<T>(T value) => Json.Serialize(value);
        var main = Read("main.json");
        var parts = new[] { Read("main-simulator.json"), Read("main-movielens.json") };
        Assert.Equal(J(main.Datasets), J(parts.SelectMany(p => p.Datasets).ToList()));
        Assert.Single(parts[0].Datasets, d => Drlrec.Data.Loading.DataLoader.IsSynthetic(d.Source));
        foreach (var part in parts)
        {
            Assert.Equal(J(main.Variants), J(part.Variants));
            Assert.Equal(J(main.Base), J(part.Base));
            Assert.Equal(main.LatencyRepeats, part.LatencyRepeats);
        }
        Assert.Equal((main.OnlineRequests, main.OnlineCandidates), (parts[0].OnlineRequests, parts[0].OnlineCandidates));
    }

    /// <summary>A one-seed experiment on the simulator with a teacher and <paramref name="variants"/>.</summary>
    private static ExperimentSpec Spec(ExperimentDataset? dataset = null, params ExperimentVariant[] variants) => new()
    {
        Name = "t", Seeds = [1],
        Datasets = [dataset ?? new ExperimentDataset { Name = "sim", Source = "synthetic" }],
        Variants = [new ExperimentVariant { Name = "teacher", Kind = VariantKind.Teacher }, .. variants],
    };

    /// <summary>The refusal of <paramref name="spec"/>, checked to come before anything was written.</summary>
    private static ArgumentException RefusedBeforeTraining(ExperimentSpec spec)
    {
        using var folder = new TemporaryFolder();
        var e = Assert.Throws<ArgumentException>(() => ExperimentRunner.Run(spec, folder["out"]));
        Assert.False(Directory.Exists(folder["out"]) && Directory.EnumerateFileSystemEntries(folder["out"]).Any());
        return e;
    }

    [Theory]
    [InlineData(5)]
    [InlineData(51)]
    public void An_online_window_the_simulator_cannot_honour_is_refused_before_anything_trains(int candidates)
    {
        var e = RefusedBeforeTraining(Spec() with { OnlineCandidates = candidates });
        Assert.Contains("online_candidates", e.Message);
        Assert.Contains("'sim'", e.Message);
    }

    [Fact]
    public void A_variant_that_changes_data_settings_is_refused_before_anything_trains()
    {
        var e = RefusedBeforeTraining(Spec(variants: new ExperimentVariant
        {
            Name = "later-test", Kind = VariantKind.Student,
            Config = JsonDocument.Parse("""{ "data": { "test_fraction": 0.3 } }""").RootElement,
        }));
        Assert.StartsWith("variant 'later-test': its config changes data settings", e.Message);
    }

    [Fact]
    public void A_data_sets_simulator_setting_out_of_range_is_named_as_the_experiment_file_spells_it()
    {
        var e = RefusedBeforeTraining(Spec(new ExperimentDataset
        {
            Name = "sim", Source = "synthetic", Synthetic = new global::Drlrec.Simulation.SyntheticConfig { Items = 300 },
        }));
        Assert.Equal("data set 'sim': synthetic.items = 300: must be between 1000 and 1000000", e.Message);
    }
}
