using System.Text.Json;
using Drlrec.Cli.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Commands;

/// <summary>
/// The main workflow through real command lines on a small simulated data set: train a teacher and a student,
/// evaluate them, distill, benchmark, run an experiment, quickstart (the whole job, and on logged data). One teacher is trained per class.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class WorkflowCommandTests : IClassFixture<WorkflowCommandTests.Runs>
{
    private readonly Runs runs;

    public WorkflowCommandTests(Runs runs) => this.runs = runs;

    /// <summary>A tiny simulator config and a teacher trained on it with `drlrec train`.</summary>
    public sealed class Runs : IDisposable
    {
        public Runs()
        {
            Config = Folder.Write("small.json",
                """{ "data": { "source": "synthetic", "synthetic": { "users": 200, "items": 1000, "lists": 500 } }, "trainer": { "epochs": 2, "batch_size": 64 }, "dqn": { "learning_rate": 0.003 } }""");
            var (code, output) = CliRunner.Run("train", "--config", Config, "--out", Teacher);
            if (code != 0) throw new InvalidOperationException(output);
        }

        public TemporaryFolder Folder { get; } = new();
        public string Config { get; }
        public string Teacher => Folder["teacher"];

        public void Dispose() => Folder.Dispose();
    }

    [Fact]
    public void Train_writes_the_run_folder_and_reports_parameters_per_part()
    {
        foreach (string file in new[] { "config.json", "metrics.jsonl", "model.ckpt", "training-curves.png", "result.json" })
            Assert.True(File.Exists(Path.Combine(runs.Teacher, file)), file);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs.Teacher, "config.json")));
        Assert.Equal("teacher", config.RootElement.GetProperty("role").GetString());
        Assert.Equal(16, config.RootElement.GetProperty("model").GetProperty("embedding_dim").GetInt32());
        Assert.Equal(1000, config.RootElement.GetProperty("data").GetProperty("synthetic").GetProperty("items").GetInt32());
    }

    [Fact]
    public void Train_with_role_student_uses_the_student_size_and_explicit_options_override_the_config_file()
    {
        string output = runs.Folder["student"];
        var (code, text) = CliRunner.Run("train", "--role", "student", "--config", runs.Config, "--out", output, "--epochs", "1", "--seed", "9");
        Assert.Equal(0, code);
        Assert.Contains("parameters per part", text);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json")));
        Assert.Equal(8, config.RootElement.GetProperty("model").GetProperty("embedding_dim").GetInt32());
        Assert.Equal(1, config.RootElement.GetProperty("trainer").GetProperty("epochs").GetInt32());
        Assert.Equal(9, config.RootElement.GetProperty("seed").GetInt32());
        Assert.Single(File.ReadAllLines(Path.Combine(output, "metrics.jsonl")));
    }

    [Fact]
    public void Evaluate_writes_the_documented_json_shape()
    {
        string json = runs.Folder["eval.json"];
        var (code, output) = CliRunner.Run("evaluate", "--model", runs.Teacher, "--model", runs.Teacher, "--json", json);
        Assert.Equal(0, code);
        Assert.Contains("item_popularity (baseline)", output);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var models = report.RootElement.GetProperty("models").EnumerateArray().ToArray();
        Assert.Equal(2, models.Length);
        Assert.NotEqual(models[0].GetProperty("name").GetString(), models[1].GetProperty("name").GetString());
        foreach (string key in new[] { "auc", "gauc", "ndcg@5", "ndcg@10" })
            Assert.InRange(models[0].GetProperty(key).GetDouble(), 0, 1);
        Assert.True(models[0].GetProperty("params").GetInt64() > 0);
        var baselines = report.RootElement.GetProperty("baselines");
        Assert.InRange(baselines.GetProperty("item_popularity").GetProperty("auc").GetDouble(), 0, 1);
        Assert.InRange(baselines.GetProperty("random").GetProperty("auc").GetDouble(), 0.3, 0.7);
    }

    [Fact]
    public void Evaluate_online_writes_clicks_per_list_with_intervals_for_the_models_and_every_baseline()
    {
        string json = runs.Folder["online.json"];
        var (code, text) = CliRunner.Run("evaluate", "--online", "--model", runs.Teacher, "--requests", "30", "--seed", "3", "--json", json);
        Assert.True(code == 0, text);
        Assert.Contains("upstream-order (baseline)", text);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var online = report.RootElement.GetProperty("online");
        void Entry(JsonElement e)
        {
            double clicks = e.GetProperty("clicks_per_list").GetDouble();
            var ci = e.GetProperty("ci95").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.Equal(2, ci.Length);
            Assert.True(ci[0] <= clicks && clicks <= ci[1], $"{clicks} in [{ci[0]}, {ci[1]}]");
            Assert.False(string.IsNullOrEmpty(e.GetProperty("name").GetString()));
        }
        var model = Assert.Single(online.GetProperty("models").EnumerateArray());
        Entry(model);
        Assert.True(model.GetProperty("vs_upstream").TryGetProperty("difference", out _));
        var baselines = online.GetProperty("baselines");
        foreach (string key in new[] { "upstream_order", "diversity_rerank", "logging_policy", "random", "oracle", "oracle_lookahead", "oracle_lookahead_knowable" }) Entry(baselines.GetProperty(key));
        Assert.True(baselines.GetProperty("oracle").GetProperty("clicks_per_list").GetDouble() >
                    baselines.GetProperty("random").GetProperty("clicks_per_list").GetDouble());
        Assert.True(baselines.GetProperty("oracle_lookahead").GetProperty("clicks_per_list").GetDouble() >=
                    baselines.GetProperty("oracle").GetProperty("clicks_per_list").GetDouble());
        Assert.Equal(30, online.GetProperty("requests").GetInt32());
    }

    /// <summary>With --backend onnx --quantize int8 the report pairs each int8 export with its float32 self: clicks over the
    /// same requests and how often int8 reorders two candidates of a slot (issue 28; OrderAgreementTests count it by hand).</summary>
    [Fact]
    public void Evaluate_online_with_int8_reports_how_often_int8_reorders_candidates_on_the_same_requests()
    {
        string json = runs.Folder["online-int8.json"];
        var (code, text) = CliRunner.Run("evaluate", "--online", "--model", runs.Teacher, "--backend", "onnx", "--quantize", "int8",
            "--requests", "12", "--candidates", "20", "--json", json);
        Assert.True(code == 0, text);
        Assert.Contains("order: the same slate in", text);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var pair = Assert.Single(report.RootElement.GetProperty("online").GetProperty("int8_vs_fp32").EnumerateArray());
        Assert.EndsWith("(onnx int8)", pair.GetProperty("model").GetString());
        var order = pair.GetProperty("order");
        long Count(string key) => order.GetProperty(key).GetInt64();
        double Error(string key) => order.GetProperty(key).GetDouble();
        Assert.Equal(12, Count("requests"));
        Assert.InRange(Count("same_slates"), 0, Count("same_first"));
        Assert.InRange(Count("same_first"), 0, 12);
        // 20 candidates into 10 slots along the float32 slate: 20 + 19 + ... + 11 scores, C(20, 2) + ... + C(11, 2) pairs at most.
        Assert.Equal(12 * Enumerable.Range(11, 10).Sum(), Count("scores"));
        Assert.InRange(Count("pairs"), 1, 12 * Enumerable.Range(11, 10).Sum(n => n * (n - 1) / 2));
        Assert.InRange(Count("reordered"), Count("reordered_beyond_p99"), Count("pairs"));
        Assert.InRange(Count("reordered_beyond_p99"), Count("reordered_beyond_max"), Count("pairs_beyond_p99"));
        Assert.InRange(Count("pairs_beyond_max"), 0, Count("pairs_beyond_p99"));
        Assert.True(Error("error_p50") <= Error("error_p99") && Error("error_p99") <= Error("error_max") && Error("error_max") > 0);
    }

    [Fact]
    public void Evaluate_online_in_an_exit_world_reports_the_lookahead_oracle_beside_the_greedy_one_and_the_tuned_diversity_re_rank()
    {
        string world = runs.Folder.Write("exit-world.json", """{ "users": 200, "items": 1000, "exit": 1 }""");
        string json = runs.Folder["online-exit.json"];
        var (code, text) = CliRunner.Run("evaluate", "--online", "--model", runs.Teacher, "--synthetic", world, "--candidates", "25",
            "--requests", "20", "--json", json);
        Assert.True(code == 0, text);
        Assert.Contains("session exit 1", text);
        Assert.Contains("planning ahead (oracle lookahead − greedy)", text);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var online = report.RootElement.GetProperty("online");
        Assert.Equal(1.0, online.GetProperty("world").GetProperty("exit").GetDouble());
        var baselines = online.GetProperty("baselines");
        double Clicks(string key) => baselines.GetProperty(key).GetProperty("clicks_per_list").GetDouble();
        Assert.True(Clicks("oracle_lookahead") >= Clicks("oracle"), $"lookahead {Clicks("oracle_lookahead")}, greedy {Clicks("oracle")}");
        var gain = online.GetProperty("oracle_lookahead_gain");
        Assert.Equal(Clicks("oracle_lookahead") - Clicks("oracle"), gain.GetProperty("difference").GetDouble(), 9);
        var tuned = baselines.GetProperty("diversity_rerank").GetProperty("tuned");
        Assert.Contains(tuned.GetProperty("lambda").GetDouble(), Drlrec.Evaluation.DiversityRerank.LambdaGrid);
        Assert.Contains(tuned.GetProperty("decay").GetDouble(), Drlrec.Evaluation.DiversityRerank.DecayGrid);
        Assert.False(baselines.GetProperty("oracle").TryGetProperty("tuned", out _));
        var model = Assert.Single(online.GetProperty("models").EnumerateArray());
        Assert.Equal(model.GetProperty("clicks_per_list").GetDouble() - Clicks("diversity_rerank"),
            model.GetProperty("vs_diversity_rerank").GetProperty("difference").GetDouble(), 9);

        // Without a model: the baselines and oracles alone, on the same requests.
        string alone = runs.Folder["online-exit-alone.json"];
        (code, text) = CliRunner.Run("evaluate", "--online", "--synthetic", world, "--candidates", "25", "--requests", "20", "--json", alone);
        Assert.True(code == 0, text);
        using var baselinesOnly = JsonDocument.Parse(File.ReadAllText(alone));
        var onlineAlone = baselinesOnly.RootElement.GetProperty("online");
        Assert.Empty(onlineAlone.GetProperty("models").EnumerateArray());
        Assert.Equal(baselines.ToString(), onlineAlone.GetProperty("baselines").ToString());

        // Offline evaluation still needs a model.
        var refused = CliRunner.Run("evaluate");
        Assert.NotEqual(0, refused.Code);
        Assert.StartsWith("error: --model: give at least one model", refused.Errors);
    }

    [Theory]
    [InlineData("drl-rec")]
    [InlineData("kd")]
    [InlineData("hint")]
    [InlineData("none")]
    public void Distill_trains_a_student_with_each_method(string method)
    {
        string output = runs.Folder[$"distill-{method}"];
        var (code, text) = CliRunner.Run("distill", "--teacher", runs.Teacher, "--method", method, "--out", output, "--epochs", "1",
            "--pool", "50", "--k", "3");
        Assert.Equal(0, code);
        Assert.Contains($"student-{method}", text);
        Assert.Contains("teacher on the same test split", text);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json")));
        Assert.Equal("student", config.RootElement.GetProperty("role").GetString());
        Assert.Equal(50, config.RootElement.GetProperty("distill").GetProperty("pool").GetInt32());
        Assert.Equal(method.Replace('-', '_'), config.RootElement.GetProperty("distill").GetProperty("method").GetString());
    }

    /// <summary>The size options set model.* keys over the config file; the state projection and the hint's W (hint 6
    /// against the teacher's 32) are trained and the checkpoint holds the sizes.</summary>
    [Fact]
    public void Size_options_of_train_and_distill_set_the_networks_sizes()
    {
        static JsonElement Model(string run) => JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))).RootElement.GetProperty("model");
        string alone = runs.Folder["sized-alone"];
        Assert.Equal(0, CliRunner.Run("train", "--role", "student", "--config", runs.Config, "--out", alone, "--epochs", "1",
            "--embedding-dim", "4", "--state-dim", "16", "--mlp-width", "8", "--hint-dim", "6", "--sequence-heads", "4", "--field-heads", "1").Code);
        var model = Model(alone);
        Assert.Equal((4, 16, 8, 6, 4, 1), (model.GetProperty("embedding_dim").GetInt32(), model.GetProperty("state_dim").GetInt32(),
            model.GetProperty("mlp_width").GetInt32(), model.GetProperty("hint_dim").GetInt32(), model.GetProperty("sequence_heads").GetInt32(),
            model.GetProperty("field_heads").GetInt32()));

        string distilled = runs.Folder["sized-hint"];
        var (code, text) = CliRunner.Run("distill", "--teacher", runs.Teacher, "--method", "hint", "--out", distilled, "--epochs", "1",
            "--student-dim", "2", "--student-state-dim", "12", "--student-hint-dim", "6");
        Assert.Equal(0, code);
        model = Model(distilled);
        Assert.Equal((2, 12, 0, 6), (model.GetProperty("embedding_dim").GetInt32(), model.GetProperty("state_dim").GetInt32(),
            model.GetProperty("mlp_width").GetInt32(), model.GetProperty("hint_dim").GetInt32()));
        using var student = Checkpoints.ModelCheckpoint.Load(distilled);
        Assert.Equal(12, student.Online.StateDim);

        var (bad, _, error) = CliRunner.Run("train", "--role", "student", "--config", runs.Config, "--out", runs.Folder["bad"], "--state-dim", "10",
            "--sequence-heads", "4");
        Assert.NotEqual(0, bad);
        Assert.Contains("model.state_dim = 10", error);
    }

    [Fact]
    public void Distill_switches_are_recorded_in_the_resolved_config_and_the_name()
    {
        string output = runs.Folder["distill-ablated"];
        var (code, text) = CliRunner.Run("distill", "--teacher", runs.Teacher, "--out", output, "--epochs", "1", "--no-kl", "--no-confidence",
            "--student-dim", "4", "--pool", "30");
        Assert.Equal(0, code);
        Assert.Contains("student-drl-rec-no-confidence-no-kl", text);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json")));
        var distill = config.RootElement.GetProperty("distill");
        Assert.False(distill.GetProperty("kl").GetBoolean());
        Assert.False(distill.GetProperty("confidence").GetBoolean());
        Assert.True(distill.GetProperty("hint").GetBoolean());
        Assert.Equal(4, config.RootElement.GetProperty("model").GetProperty("embedding_dim").GetInt32());
    }

    /// <summary>auto takes the requests' candidates on the simulator's logs (they carry each request's unshown candidates) and
    /// the run's config.json says so; --explore-from catalog is the paper's pool; other names are refused.</summary>
    [Fact]
    public void Distill_records_which_pool_auto_took_and_takes_explore_from_as_typed()
    {
        static string ExploreFrom(string folder)
        {
            using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json")));
            return config.RootElement.GetProperty("distill").GetProperty("explore_from").GetString()!;
        }

        string auto = runs.Folder["distill-auto-pool"];
        Assert.Equal(0, CliRunner.Run("distill", "--teacher", runs.Teacher, "--out", auto, "--epochs", "1", "--k", "3").Code);
        Assert.Equal("candidates", ExploreFrom(auto));
        string catalog = runs.Folder["distill-catalog-pool"];
        Assert.Equal(0, CliRunner.Run("distill", "--teacher", runs.Teacher, "--out", catalog, "--epochs", "1", "--explore-from", "catalog",
            "--pool", "30", "--k", "3").Code);
        Assert.Equal("catalog", ExploreFrom(catalog));
        var refused = CliRunner.Run("distill", "--teacher", runs.Teacher, "--out", runs.Folder["distill-bad-pool"], "--explore-from", "requests");
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("'requests' not recognized. Must be one of: 'auto', 'catalog', 'candidates'", refused.Errors);
        Assert.False(Directory.Exists(runs.Folder["distill-bad-pool"]) && Directory.EnumerateFileSystemEntries(runs.Folder["distill-bad-pool"]).Any());
    }

    [Fact]
    public void Distill_takes_its_settings_from_the_teacher_then_a_config_file_then_typed_options()
    {
        string layer = runs.Folder.Write("distill.json", """{ "distill": { "k": 3, "pool": 40, "temperature": 2 }, "trainer": { "epochs": 1 } }""");
        string fromFile = runs.Folder["distill-config"];
        Assert.Equal(0, CliRunner.Run("distill", "--teacher", runs.Teacher, "--config", layer, "--out", fromFile).Code);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(fromFile, "config.json"))))
        {
            var root = config.RootElement;
            var distill = root.GetProperty("distill");
            Assert.Equal((3, 40, 2.0), (distill.GetProperty("k").GetInt32(), distill.GetProperty("pool").GetInt32(), distill.GetProperty("temperature").GetDouble()));
            Assert.Equal(1, root.GetProperty("trainer").GetProperty("epochs").GetInt32());
            Assert.Equal(64, root.GetProperty("trainer").GetProperty("batch_size").GetInt32());                          // the teacher's
            Assert.Equal(200, root.GetProperty("data").GetProperty("synthetic").GetProperty("users").GetInt32());      // the teacher's
            Assert.Equal(8, root.GetProperty("model").GetProperty("embedding_dim").GetInt32());
        }

        string typed = runs.Folder["distill-config-typed"];
        Assert.Equal(0, CliRunner.Run("distill", "--teacher", runs.Teacher, "--config", layer, "--k", "5", "--method", "kd", "--out", typed).Code);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(typed, "config.json"))))
        {
            var distill = config.RootElement.GetProperty("distill");
            Assert.Equal((5, 40, "kd"), (distill.GetProperty("k").GetInt32(), distill.GetProperty("pool").GetInt32(), distill.GetProperty("method").GetString()));
        }
    }

    [Fact]
    public void Bench_train_takes_the_batch_size_from_the_config_file_unless_typed()
    {
        string layer = runs.Folder.Write("bench-train.json", """{ "data": { "synthetic": { "users": 200, "items": 1000, "lists": 300 } }, "trainer": { "batch_size": 8 } }""");
        int BatchOf(params string[] extra)
        {
            string json = runs.Folder[$"bench-train-{extra.Length}.json"];
            var (code, text) = CliRunner.Run(["bench", "train", "--config", layer, "--steps", "2", "--warmup-steps", "0", "--target-actions", "logged_next", "--json", json, .. extra]);
            Assert.True(code == 0, text);
            using var results = JsonDocument.Parse(File.ReadAllText(json));
            return results.RootElement[0].GetProperty("batch_size").GetInt32();
        }
        Assert.Equal(8, BatchOf());
        Assert.Equal(4, BatchOf("--batch-size", "4"));
    }

    [Fact]
    public void Bench_train_times_distillation_steps_with_the_teachers_signals_per_batch_or_cached()
    {
        foreach (string signals in new[] { "per-batch", "cached" })
        {
            string json = runs.Folder[$"bench-distill-{signals}.json"];
            var (code, text) = CliRunner.Run("bench", "train", "--role", "distill", "--teacher", runs.Teacher, "--config", runs.Config, "--teacher-signals", signals,
                "--steps", "2", "--warmup-steps", "1", "--batch-size", "8", "--target-actions", "logged_next", "--json", json);
            Assert.True(code == 0, text);
            using var results = JsonDocument.Parse(File.ReadAllText(json));
            var result = results.RootElement[0];
            Assert.Equal("distill", result.GetProperty("role").GetString());
            Assert.True(result.GetProperty("list_items_per_second").GetDouble() > 0);
            Assert.True(result.GetProperty("parameters").GetInt64() < 300_000, "the student's parameters are reported");
        }
        var (refused, _, message) = CliRunner.Run("bench", "train", "--role", "student", "--teacher", runs.Teacher, "--steps", "1");
        Assert.Equal(1, refused);
        Assert.Contains("--teacher needs --role distill", message);
    }

    [Fact]
    public void Bench_writes_sizes_latencies_and_ratios_to_the_first_model()
    {
        string student = runs.Folder["bench-student"];
        Assert.Equal(0, CliRunner.Run("distill", "--teacher", runs.Teacher, "--method", "none", "--out", student, "--epochs", "1").Code);
        string json = runs.Folder["bench.json"];
        var (code, _) = CliRunner.Run("bench", "--model", runs.Teacher, "--model", student, "--repeats", "5", "--warmup-repeats", "1", "--requests", "3",
            "--pool", "100", "--json", json);
        Assert.Equal(0, code);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var models = report.RootElement.GetProperty("models").EnumerateArray().ToArray();
        foreach (string key in new[] { "params", "bytes", "latency_ms_p50", "latency_ms_p99", "pool_ms_p50", "slate_ms_p50", "slate_ms_p99" })
            Assert.True(models[1].GetProperty(key).GetDouble() > 0, key);
        var ratios = report.RootElement.GetProperty("ratios").EnumerateArray().ToArray();
        Assert.Equal(1.0, ratios[0].GetProperty("params").GetDouble());
        double paramsRatio = ratios[1].GetProperty("params").GetDouble();
        Assert.Equal(models[1].GetProperty("params").GetDouble() / models[0].GetProperty("params").GetDouble(), paramsRatio, 6);
        Assert.True(paramsRatio < 0.55, $"student/teacher parameters {paramsRatio}");
        Assert.True(ratios[1].GetProperty("latency_p50").GetDouble() > 0);
        Assert.Equal(models[1].GetProperty("slate_ms_p50").GetDouble() / models[0].GetProperty("slate_ms_p50").GetDouble(),
            ratios[1].GetProperty("slate_p50").GetDouble(), 6);
        Assert.Equal((100, 10), (report.RootElement.GetProperty("slate_candidates").GetInt32(), report.RootElement.GetProperty("slate_slots").GetInt32()));

        // The onnx backend exports each model and opens its graphs only after checking they are that model's.
        var (onnxCode, onnxText) = CliRunner.Run("bench", "--model", runs.Teacher, "--model", student, "--backend", "onnx", "--repeats", "3",
            "--warmup-repeats", "1", "--requests", "2", "--pool", "50", "--json", json);
        Assert.True(onnxCode == 0, onnxText);
        using var onnx = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("onnx", onnx.RootElement.GetProperty("backend").GetString());
        Assert.All(onnx.RootElement.GetProperty("models").EnumerateArray(), m => Assert.True(m.GetProperty("slate_ms_p50").GetDouble() > 0));
    }

    /// <summary>--quantize int8 times each model float32 then int8 (one call per slate and per slot with --slate-graph both),
    /// each row with its slate MACs, achieved rate, the GEMM rate measured in the run and the efficiency.</summary>
    [Fact]
    public void Bench_onnx_int8_times_each_model_in_both_precisions_with_its_efficiency()
    {
        string json = runs.Folder["bench-int8.json"];
        var (code, text) = CliRunner.Run("bench", "--model", runs.Teacher, "--backend", "onnx", "--quantize", "int8", "--slate-graph", "both",
            "--repeats", "3", "--warmup-repeats", "1", "--requests", "2", "--pool", "20", "--candidates", "20", "--slots", "3", "--json", json);
        Assert.True(code == 0, text);
        Assert.Contains("efficiency", text);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var rows = report.RootElement.GetProperty("models").EnumerateArray().ToArray();
        Assert.Equal(["fp32/one", "fp32/per_slot", "int8/one", "int8/per_slot"],
            rows.Select(r => $"{r.GetProperty("precision").GetString()}/{r.GetProperty("slate_calls").GetString()}"));
        foreach (var row in rows)
        {
            double macs = row.GetProperty("slate_macs").GetDouble(), gmacs = row.GetProperty("slate_gmacs").GetDouble();
            Assert.True(macs > 0 && gmacs > 0 && row.GetProperty("gemm_peak_gmacs").GetDouble() > 0);
            Assert.Equal(macs / (row.GetProperty("slate_ms_p50").GetDouble() * 1e6), gmacs, 6);
            Assert.Equal(gmacs / row.GetProperty("gemm_peak_gmacs").GetDouble(), row.GetProperty("efficiency").GetDouble(), 6);
        }
        Assert.Equal(rows[0].GetProperty("slate_macs").GetInt64(), rows[2].GetProperty("slate_macs").GetInt64());

        var refused = CliRunner.Run("bench", "--model", runs.Teacher, "--quantize", "int8");
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("--quantize int8 needs --backend onnx", refused.Errors);
    }

    [Fact]
    public void Experiment_runs_a_grid_and_writes_results_report_and_plots()
    {
        string spec = runs.Folder.Write("exp.json", """
            {
              "name": "cli-test", "seeds": [1, 2],
              "datasets": [ { "name": "sim", "source": "synthetic", "synthetic": { "users": 150, "items": 1000, "lists": 300 } } ],
              "base": { "trainer": { "epochs": 1, "batch_size": 64 } },
              "variants": [ { "name": "teacher", "kind": "teacher" }, { "name": "student alone", "kind": "student" },
                            { "name": "DRL-Rec", "kind": "distill", "distill": { "pool": 40, "k": 3 } } ],
              "latency_repeats": 3, "online_requests": 5
            }
            """);
        string output = runs.Folder["exp"];
        var (code, text) = CliRunner.Run("experiment", spec, "--out", output);
        Assert.Equal(0, code);
        Assert.Contains("6 models", text);
        foreach (string file in new[] { "results.csv", "results.json", "report.md", "sim-auc.png", "sim-online.png", "experiment.json" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        var csv = File.ReadAllLines(Path.Combine(output, "results.csv"));
        Assert.Equal(1 + 6, csv.Length);
        string report = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.Contains("| DRL-Rec |", report);
        Assert.Contains("logging-policy", report);
        // The simulator's logs carry propensities: each model's off-policy estimate beside AUC and online clicks, and the choices.
        Assert.Contains("OPE clicks / list (95% CI)", report);
        Assert.Contains("| by validation AUC | by OPE on validation | best online |", report);
        using (var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "results.json"))))
            Assert.All(json.RootElement.GetProperty("rows").EnumerateArray(), row =>
            {
                Assert.True(double.IsFinite(row.GetProperty("ope_clicks").GetDouble()));
                Assert.True(double.IsFinite(row.GetProperty("ope_validation_clicks").GetDouble()));
            });

        // An interrupted grid resumes: the finished seeds' rows are reused as they were, only seed 3 is trained.
        (code, text) = CliRunner.Run("experiment", spec, "--out", output, "--seeds", "1", "2", "3", "--resume");
        Assert.Equal(0, code);
        Assert.Contains("seeds 1, 2 finished earlier, reused", text);
        Assert.Contains("9 models", text);
        var resumed = File.ReadAllLines(Path.Combine(output, "results.csv"));
        Assert.Equal(csv, resumed.Take(csv.Length));
        Assert.Equal(3, resumed.Skip(csv.Length).Count(line => line.StartsWith("sim,3,")));
    }

    /// <summary>
    /// A compression frontier on a tiny world, as the lead's runs go: two single-threaded processes over disjoint seeds,
    /// then one report over both with --merge. Two sizes (one with every knob set), the student alone and DRL-Rec at
    /// each, KD and Hint (hint 6 against the teacher's 32, through W) at the small one.
    /// </summary>
    [Fact]
    public void A_compression_experiment_in_two_processes_merges_into_one_frontier_report_and_json()
    {
        string spec = runs.Folder.Write("compression.json", """
            {
              "name": "compression-test",
              "datasets": [ { "name": "sim", "source": "synthetic", "synthetic": { "users": 150, "items": 1000, "lists": 300 } } ],
              "base": { "trainer": { "epochs": 1, "batch_size": 64, "max_steps_per_epoch": 3 } },
              "variants": [ { "name": "teacher", "kind": "teacher" }, { "name": "student alone", "kind": "student" },
                            { "name": "DRL-Rec", "kind": "distill", "distill": { "pool": 40, "k": 3 } },
                            { "name": "student + KD", "kind": "distill", "distill": { "method": "kd" }, "size": "tiny" },
                            { "name": "student + Hint", "kind": "distill", "distill": { "method": "hint" }, "size": "tiny" } ],
              "sweep": { "parameter": "student_size", "sizes": [
                { "name": "d4", "model": { "embedding_dim": 4 } },
                { "name": "tiny", "model": { "embedding_dim": 2, "field_heads": 1, "state_dim": 8, "sequence_heads": 1, "mlp_width": 4, "hint_dim": 6 } } ] },
              "latency_repeats": 3, "online_requests": 5, "online_candidates": 25
            }
            """);
        string one = runs.Folder["compression-1"], two = runs.Folder["compression-2"], all = runs.Folder["compression"];
        foreach (var (seed, output) in new[] { ("1", one), ("2", two) })
        {
            var (code, text) = CliRunner.Run("experiment", spec, "--out", output, "--seeds", seed, "--threads", "1");
            Assert.True(code == 0, text);
            Assert.Contains("7 models", text);
        }
        var (merged, report) = CliRunner.Run("experiment", spec, "--out", all, "--seeds", "1", "2", "--merge", one, two);
        Assert.True(merged == 0, report);
        Assert.Contains("seeds 1, 2 finished earlier, reused", report);
        Assert.Contains("The smallest student within 1% of the teacher's online clicks", report);

        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(all, "results.json")));
        var rows = results.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(14, rows.Count);
        foreach (var (kind, variant) in new[] { ("student", "student alone"), ("distill", "DRL-Rec") })
        {
            var sized = rows.Where(r => r.GetProperty("variant").GetString() == variant).ToList();
            Assert.Equal(4, sized.Count);
            Assert.All(sized, r => Assert.Equal(kind, r.GetProperty("kind").GetString()));
            Assert.Equal(["d4", "tiny"], sized.Select(r => r.GetProperty("size").GetString()).Distinct().Order());
            Assert.All(sized, r => Assert.InRange(r.GetProperty("online_clicks").GetDouble(), 0, 10));
            Assert.All(sized, r => Assert.InRange(r.GetProperty("params_ratio").GetDouble(), 0.001, 0.5));
            Assert.All(sized, r => Assert.True(r.GetProperty("slate_p50_ratio").GetDouble() > 0));
            Assert.All(sized, r => Assert.True(r.GetProperty("train_cpu_seconds").GetDouble() > 0));
        }
        var frontier = results.RootElement.GetProperty("frontier")[0];
        Assert.Equal("online_clicks", frontier.GetProperty("metric").GetString());
        var sizes = frontier.GetProperty("sizes").EnumerateArray().ToList();
        Assert.Equal(["tiny", "d4"], sizes.Select(z => z.GetProperty("name").GetString()));
        var tiny = sizes[0];
        Assert.True(tiny.GetProperty("params_ratio").GetDouble() < sizes[1].GetProperty("params_ratio").GetDouble());
        foreach (string key in new[] { "params_ratio", "bytes_ratio", "latency_p50_ratio", "slate_p50_ratio" })
            Assert.True(tiny.GetProperty(key).GetDouble() > 0, key);
        Assert.Equal(2, tiny.GetProperty("alone").GetProperty("seeds").GetInt32());
        foreach (string pair in new[] { "drl_rec_minus_alone", "teacher_minus_alone" })
        {
            var clicks = tiny.GetProperty(pair).GetProperty("clicks");
            Assert.Equal(2, clicks.GetProperty("seeds").GetInt32());
            Assert.True(clicks.GetProperty("low").GetDouble() <= clicks.GetProperty("difference").GetDouble(), pair);
        }
        Assert.Equal(["student + KD", "student + Hint"], tiny.GetProperty("others").EnumerateArray().Select(o => o.GetProperty("b").GetString()));
        Assert.Empty(sizes[1].GetProperty("others").EnumerateArray());

        string md = File.ReadAllText(Path.Combine(all, "report.md"));
        Assert.Contains("### Compression frontier", md);
        foreach (string plot in new[] { "sim-frontier-clicks-params.png", "sim-frontier-clicks-slate-latency.png", "sim-frontier-auc-params.png",
                                        "sim-frontier-auc-slate-latency.png" })
            Assert.True(File.Exists(Path.Combine(all, plot)), plot);
    }

    [Fact]
    public void Quickstart_runs_the_whole_job_teacher_distilled_student_control_ratios_online_and_onnx()
    {
        string layer = runs.Folder.Write("quickstart.json",
            """{ "data": { "source": "synthetic", "synthetic": { "users": 200, "items": 1000, "lists": 500 } }, "trainer": { "epochs": 2, "batch_size": 64 }, "dqn": { "learning_rate": 0.003 }, "distill": { "pool": 40, "k": 3 } }""");
        string output = runs.Folder["quickstart"];
        var (code, text) = CliRunner.Run("quickstart", "--config", layer, "--out", output, "--epochs", "1", "--latency-repeats", "2",
            "--online-requests", "10");
        Assert.True(code == 0, text);
        foreach (string row in new[] { "teacher", "student-drl-rec", "student-alone", "item_popularity (baseline)", "random (baseline)",
                     "upstream-order (baseline)", "logging-policy (baseline)", "files:", "next:", "student.onnx" })
            Assert.Contains(row, text);

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        var root = report.RootElement;
        string[] names = ["teacher", "student-drl-rec", "student-alone"];
        Assert.Equal(names, root.GetProperty("offline").GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.True(root.GetProperty("offline").GetProperty("baselines").TryGetProperty("item_popularity", out _));
        var latency = root.GetProperty("latency");
        Assert.Equal(names, latency.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        var ratios = latency.GetProperty("ratios").EnumerateArray().ToArray();
        Assert.Equal(1.0, ratios[0].GetProperty("params").GetDouble());
        foreach (var (model, ratio) in latency.GetProperty("models").EnumerateArray().Zip(ratios).Skip(1))
        {
            Assert.InRange(ratio.GetProperty("params").GetDouble(), 0.05, 0.55);
            Assert.True(ratio.GetProperty("latency_p50").GetDouble() > 0);
            Assert.True(ratio.GetProperty("slate_p50").GetDouble() > 0);
            // The table's cells: each value with its ratio to the teacher.
            Assert.Contains($"{model.GetProperty("params").GetInt64():N0} ({ratio.GetProperty("params").GetDouble():F3})", text);
            Assert.Contains($"{model.GetProperty("latency_ms_p50").GetDouble():F2} ({ratio.GetProperty("latency_p50").GetDouble():F2})", text);
            Assert.Contains($"{model.GetProperty("slate_ms_p50").GetDouble():F2} ({ratio.GetProperty("slate_p50").GetDouble():F2})", text);
        }
        var online = root.GetProperty("online");
        Assert.Equal(names, online.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.True(online.GetProperty("models")[1].GetProperty("vs_upstream").TryGetProperty("difference", out _));
        Assert.True(online.GetProperty("baselines").GetProperty("upstream_order").GetProperty("clicks_per_list").GetDouble() > 0);
        Assert.True(online.GetProperty("baselines").GetProperty("logging_policy").GetProperty("clicks_per_list").GetDouble() > 0);
        Assert.Equal((10, 25), (online.GetProperty("requests").GetInt32(), online.GetProperty("candidates").GetInt32()));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("online_skipped").ValueKind);

        var files = root.GetProperty("files");
        // Every file the export wrote is in report.json and in the printed list (the default student encodes once per request).
        foreach (string key in new[] { "onnx", "onnx_list", "onnx_vocabulary", "onnx_encode", "onnx_cached", "onnx_slate" })
            Assert.True(File.Exists(files.GetProperty(key).GetString()), key);
        Assert.Equal(["student.cached.onnx", "student.encode.onnx", "student.list.onnx", "student.onnx", "student.slate.onnx", "student.vocabulary.json"],
            Directory.GetFiles(output, "student.*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("(list graph student.list.onnx, vocabulary student.vocabulary.json, encode graph student.encode.onnx, " +
                        "cached step graph student.cached.onnx, slate graph student.slate.onnx)", text);
        Assert.Equal(3, files.GetProperty("plots").EnumerateArray().Count(p => File.Exists(p.GetString())));
        foreach (string run in new[] { "teacher", "student", "student-alone" })
        {
            Assert.True(File.Exists(Path.Combine(output, run, "model.ckpt")), run);
            Assert.Contains(Path.Combine(output, run), text);
        }

        // The student is distilled from the teacher just trained: quickstart's defaults, then the file, then --epochs 1.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "student", "config.json")));
        var student = config.RootElement;
        Assert.Equal(Path.Combine(output, "teacher", "model.ckpt"), student.GetProperty("teacher").GetString());
        var distill = student.GetProperty("distill");
        Assert.Equal(("drl_rec", 40, 3, true), (distill.GetProperty("method").GetString(), distill.GetProperty("pool").GetInt32(),
            distill.GetProperty("k").GetInt32(), distill.GetProperty("explore_filter").GetBoolean()));
        Assert.Equal((1, 64), (student.GetProperty("trainer").GetProperty("epochs").GetInt32(), student.GetProperty("trainer").GetProperty("batch_size").GetInt32()));
        Assert.Equal(200, student.GetProperty("data").GetProperty("synthetic").GetProperty("users").GetInt32());
        Assert.Equal(8, student.GetProperty("model").GetProperty("embedding_dim").GetInt32());
        using var control = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "student-alone", "config.json")));
        Assert.Equal(JsonValueKind.Null, control.RootElement.GetProperty("distill").ValueKind);
        Assert.Equal(8, control.RootElement.GetProperty("model").GetProperty("embedding_dim").GetInt32());

        // The printed rank command runs as printed.
        string rank = text.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("drlrec rank ", StringComparison.Ordinal));
        var (rankCode, ranked) = CliRunner.Run(rank.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]);
        Assert.True(rankCode == 0, ranked);
        Assert.Equal(20, File.ReadAllLines(Path.Combine(output, "ranked.jsonl")).Length);
    }

    [Fact]
    public void Quickstart_on_logged_data_skips_the_online_part_and_says_why()
    {
        // Logged lists in the reference TSV format: no simulator answers a re-ranked list.
        var rng = new Random(5);
        string Item(int user, int position)
        {
            int item = rng.Next(120);
            return $"uf1:u{user} df1:m{item} df2:g{item % 7} cf1:p{position} reward:{(rng.NextDouble() < 0.2 + 0.05 * (item % 7) ? 1 : 0)}";
        }
        string logs = runs.Folder.Write("logs.tsv", [.. Enumerable.Range(0, 300).Select(l =>
            $"sid:s{l}\toffset:{l}\trec_list:{string.Join('|', Enumerable.Range(0, 10).Select(p => Item(l % 40, p)))}")]);
        string output = runs.Folder["quickstart-logged"];
        var (code, text) = CliRunner.Run("quickstart", "--data", logs, "--out", output, "--epochs", "1", "--latency-repeats", "2");
        Assert.True(code == 0, text);
        Assert.Contains("online evaluation skipped: online clicks need the simulator's click model", text);
        Assert.DoesNotContain("upstream-order", text);
        foreach (string row in new[] { "teacher", "student-drl-rec", "student-alone", "item_popularity (baseline)", "(1.000)" })
            Assert.Contains(row, text);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        Assert.Equal(JsonValueKind.Null, report.RootElement.GetProperty("online").ValueKind);
        Assert.Contains("logs.tsv", report.RootElement.GetProperty("online_skipped").GetString());
        Assert.Equal(3, report.RootElement.GetProperty("latency").GetProperty("ratios").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(output, "student.onnx")));
    }

    [Fact]
    public void Quickstart_help_lists_every_option_with_its_default()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        DrlrecCli.BuildRoot().Parse(["quickstart", "--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        string help = output.ToString();
        foreach (string option in new[] { "--out", "--latency-repeats", "--online-requests", "--online-candidates", "--data", "--epochs", "--config", "--seed" })
            Assert.Contains(option, help);
        foreach (string value in new[] { "[default: 30]", "[default: 300]", "[default: 25]", "[default: synthetic]", "[default: 42]",
                     $"[default: {Drlrec.Workflows.QuickstartWorkflow.Defaults.Trainer.Epochs}]" })
            Assert.Contains(value, help);
    }

    [Fact]
    public void Bad_data_fails_with_the_file_and_line_and_leaves_no_run_folder()
    {
        string bad = runs.Folder.Write("bad.tsv", "sid:1\toffset:0\trec_list:uf1:u df1:i1 reward:x");
        string output = runs.Folder["bad-run"];
        var (code, _, errors) = CliRunner.Run("train", "--data", bad, "--out", output);
        Assert.Equal(1, code);
        Assert.Contains("bad.tsv", errors);
        Assert.Contains("line 1", errors);
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData("""{ "trainer": { "batch_size": 0 } }""", "config trainer.batch_size = 0: must be at least 1")]
    [InlineData("""{ "dqn": { "learning_rate": 1e30 } }""", "config dqn.learning_rate = 1E+30: must be between 0 (frozen weights) and 1")]
    [InlineData("""{ "data": { "test_fraction": 1.5 } }""", "config data.test_fraction = 1.5: must be between 0 and 1")]
    [InlineData("""{ "features": { "oov_dropout": 1 } }""", "config features.oov_dropout = 1: must be at least 0 and below 1")]
    [InlineData("""{ "data": { "synthetic": { "items": 300 } } }""", "config data.synthetic.items = 300: must be between 1000 and 1000000")]
    [InlineData("""{ "trainer": { "epochs": 1, "epochs": 2 } }""", ".json: line 1, key trainer.epochs: the key appears twice")]
    public void Settings_no_run_can_use_fail_naming_the_key_before_anything_is_written(string layer, string message)
    {
        string name = $"bad-config-{Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(layer)))[..8]}";
        string config = runs.Folder.Write($"{name}.json", layer);
        string output = runs.Folder[name];
        var (code, _, errors) = CliRunner.Run("train", "--config", config, "--out", output);
        Assert.Equal(1, code);
        Assert.Contains(message, errors);
        Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // a message, not a stack trace
        Assert.False(Directory.Exists(output));

        (code, _, errors) = CliRunner.Run("train", "--epochs", "0", "--out", output);
        Assert.Equal(1, code);
        Assert.Contains("config trainer.epochs = 0: must be at least 1", errors);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Help_lists_every_command_and_each_option_with_its_default()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        DrlrecCli.BuildRoot().Parse(["train", "--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        string help = output.ToString();
        foreach (string option in new[] { "--role", "--data", "--test", "--out", "--epochs", "--seed", "--config" }) Assert.Contains(option, help);
        Assert.Contains("[default: synthetic]", help);
        Assert.Contains("[default: 42]", help);
        output.GetStringBuilder().Clear();
        DrlrecCli.BuildRoot().Parse(["--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        foreach (string command in new[] { "quickstart", "train", "distill", "evaluate", "bench", "experiment", "export", "serve", "loadtest", "data" })
            Assert.Contains(command, output.ToString());
    }
}
