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
    /// Issue 31: a default must be safe at every size, so no shipped experiment sets a distillation weight by hand (the
    /// compression files once set hint_weight 0.03 for small students); they run with the defaults at every size.
    /// </summary>
    [Fact]
    public void No_shipped_experiment_sets_the_distillation_weights_by_hand()
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var compression = 0;
        foreach (string file in Directory.GetFiles(Path.Combine(SharedData.RepositoryRoot, "experiments"), "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file), options);
            Assert.Empty(Keys(doc.RootElement).Where(k => k is "hint_weight" or "kl_weight" or "rl_weight").Select(k => $"{Path.GetFileName(file)}: {k}"));
            if (Path.GetFileName(file).StartsWith("compression")) compression++;
        }
        Assert.True(compression >= 5, $"the compression experiments are shipped ({compression} found)");
    }

    private static IEnumerable<string> Keys(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Keys(p.Value).Prepend(p.Name)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Keys),
        _ => [],
    };

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

    /// <summary>
    /// experiments/rl-exit.json runs in the world of experiments/worlds/exit.json (the file users pass to --synthetic), so
    /// they must not drift; its distill variants name teachers it trains before them.
    /// </summary>
    [Fact]
    public void The_rl_exit_experiment_runs_in_the_shipped_exit_world_and_names_earlier_teachers()
    {
        string folder = Path.Combine(SharedData.RepositoryRoot, "experiments");
        var world = Json.ReadFile<Drlrec.Simulation.SyntheticConfig>(Path.Combine(folder, "worlds", "exit.json"));
        world.Validate();
        Assert.True(world.Exit > 0);
        var spec = Json.ReadFile<ExperimentSpec>(Path.Combine(folder, "rl-exit.json"));
        Assert.Equal(Json.Serialize(world), Json.Serialize(Assert.Single(spec.Datasets).Synthetic));
        for (int i = 0; i < spec.Variants.Count; i++)
            if (spec.Variants[i].Teacher is { } teacher)
                Assert.Contains(spec.Variants.Take(i), v => v.Kind == VariantKind.Teacher && v.Name == teacher);
        Assert.Contains(spec.Variants, v => v.Kind == VariantKind.Teacher && v.Config?.GetProperty("dqn").GetProperty("gamma").GetDouble() == 0);
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

    [Theory]
    [InlineData("teacher (gamma 0)", "distill", "must be a teacher variant listed before it")] // listed after
    [InlineData("student alone", "distill", "must be a teacher variant listed before it")]     // not a teacher
    [InlineData("nobody", "distill", "must be a teacher variant listed before it")]
    [InlineData("teacher", "student", "only a distill variant names a teacher")]
    public void A_named_teacher_that_is_not_an_earlier_teacher_variant_is_refused_before_anything_trains(string teacher, string kind, string message)
    {
        using var folder = new TemporaryFolder();
        var spec = new ExperimentSpec
        {
            Name = "t", Seeds = [1],
            Datasets = [new ExperimentDataset { Name = "sim", Source = "synthetic" }],
            Variants = [new ExperimentVariant { Name = "teacher", Kind = VariantKind.Teacher },
                        new ExperimentVariant { Name = "student alone", Kind = VariantKind.Student },
                        new ExperimentVariant { Name = "x", Kind = Enum.Parse<VariantKind>(kind, ignoreCase: true), Teacher = teacher },
                        new ExperimentVariant { Name = "teacher (gamma 0)", Kind = VariantKind.Teacher }],
        };
        var e = Assert.Throws<ArgumentException>(() => ExperimentRunner.Run(spec, folder["out"]));
        Assert.Equal($"variant 'x': {(kind == "student" ? $"{message} (teacher '{teacher}')" : $"teacher '{teacher}' {message}")}", e.Message);
        Assert.False(Directory.Exists(folder["out"]) && Directory.EnumerateFileSystemEntries(folder["out"]).Any());
    }

    /// <summary>
    /// A distill variant that names a teacher learns from that seed's model of that variant (the distilled run's config
    /// records the teacher's checkpoint), and a resumed run reuses the finished seed.
    /// </summary>
    [Fact]
    public void A_distill_variant_learns_from_the_teacher_variant_it_names()
    {
        using var folder = new TemporaryFolder();
        var spec = Json.Parse<ExperimentSpec>("""
            {
              "name": "named-teacher", "seeds": [1],
              "datasets": [ { "name": "sim", "source": "synthetic", "synthetic": { "users": 150, "items": 1000, "lists": 300, "exit": 1 } } ],
              "base": { "trainer": { "epochs": 1, "batch_size": 64 } },
              "variants": [ { "name": "teacher", "kind": "teacher" }, { "name": "teacher (gamma 0)", "kind": "teacher", "config": { "dqn": { "gamma": 0 } } },
                            { "name": "student (gamma 0 teacher)", "kind": "distill", "teacher": "teacher (gamma 0)", "distill": { "pool": 40, "k": 3 } } ],
              "latency_repeats": 0, "online_requests": 5, "online_candidates": 25
            }
            """, "spec");
        string output = folder["out"];
        Directory.CreateDirectory(output);
        Json.WriteFile(Path.Combine(output, "experiment.json"), spec); // as the experiment command does, for the resume
        var result = ExperimentRunner.Run(spec, output);

        Assert.Equal(3, result.Rows.Count);
        string TeacherOf(string variant) =>
            Json.ReadFile<RunConfig>(Path.Combine(result.Rows.Single(r => r.Variant == variant).RunFolder, "config.json")).Teacher!;
        string Checkpoint(string variant) => Path.Combine(result.Rows.Single(r => r.Variant == variant).RunFolder, "model.ckpt");
        Assert.Equal(Path.GetFullPath(Checkpoint("teacher (gamma 0)")), Path.GetFullPath(TeacherOf("student (gamma 0 teacher)")));
        var tuned = Assert.Single(result.Baselines, b => b.Baseline == Drlrec.Evaluation.OnlineEvaluation.Diversity);
        Assert.NotNull(tuned.Tuned);
        string report = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.Contains("| online_clicks | teacher | teacher (gamma 0) |", report);
        Assert.Contains("| online_clicks | teacher (gamma 0) | oracle (lookahead) |", report);
        Assert.Contains("| online_clicks | student (gamma 0 teacher) | diversity re-rank |", report);
        Assert.Contains($"seed 1: λ {tuned.Tuned!.Lambda:0.##}, decay {tuned.Tuned.Decay:0.##}", report);
        Assert.Contains("![sim-gamma.png](sim-gamma.png)", report); // the teachers that differ in γ alone, against γ
        Assert.True(new FileInfo(Path.Combine(output, "sim-gamma.png")).Length > 0);

        var resumed = ExperimentRunner.Run(spec, output, finished: FinishedRuns.Load(spec, output, ExperimentRunner.ModelsPerSeed(spec)));
        Assert.Equal(Json.Serialize(result.Rows), Json.Serialize(resumed.Rows));
        Assert.Equal(Json.Serialize(result.Baselines), Json.Serialize(resumed.Baselines));
    }
}
