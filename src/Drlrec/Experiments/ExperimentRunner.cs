using System.Diagnostics;
using System.Text.Json;
using static TorchSharp.torch;
using Drlrec.Benchmarking;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Evaluation;
using Drlrec.IO;
using Drlrec.Ranking;
using Drlrec.Simulation;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Experiments;

/// <summary>One trained model of an experiment, with everything measured about it.</summary>
public sealed record ExperimentRow(
    string Dataset, int Seed, string Variant, VariantKind Kind, string? SweepParameter, int? SweepValue,
    double Auc, double Gauc, double Ndcg5, double Ndcg10, double ValidationAuc, int BestEpoch,
    long Params, double ParamsRatio, double? LatencyMsP50, double? LatencyP50Ratio, double? PoolMsP50, double? PoolP50Ratio,
    double? OnlineClicks, double TrainSeconds, string RunFolder)
{
    /// <summary>Test AUC with position-centred scoring (Q minus each position's mean Q on the validation lists).</summary>
    public double? AucCentred { get; init; }
    /// <summary>GAUC with position-centred scoring (each position's mean validation Q subtracted).</summary>
    public double? GaucCentred { get; init; }

    /// <summary>The name of the student size of a <c>student_size</c> sweep (<see cref="SweepValue"/> is its index).</summary>
    public string? Size { get; init; }

    /// <summary>Size of the model file, and its ratio to the same seed's teacher's.</summary>
    public long? Bytes { get; init; }
    public double? BytesRatio { get; init; }

    /// <summary>CPU time of the process while the model trained (all threads; for a single-threaded run, its cost on one
    /// idle core, however busy the machine was: <see cref="TrainSeconds"/> is wall time).</summary>
    public double? TrainCpuSeconds { get; init; }

    /// <summary>One slate request (100 candidates into 10 slots through the slate ranker, encoding included; median), and
    /// its ratio to the same seed's teacher's, timed side by side.</summary>
    public double? SlateMsP50 { get; init; }
    public double? SlateP50Ratio { get; init; }

    /// <summary>The off-policy estimate of the model's clicks per list (the default estimator, clipped Cascade-DR) on the test lists, and its 95% bootstrap
    /// interval; null when the logs carry no propensities or the experiment turns it off.</summary>
    public double? OpeClicks { get; init; }
    public double[]? OpeCi95 { get; init; }

    /// <summary>The same estimate on the validation lists: what a user chooses among variants by.</summary>
    public double? OpeValidationClicks { get; init; }
}

/// <summary>A baseline's scores on one data set and seed (offline) or its online clicks.</summary>
public sealed record BaselineRow(string Dataset, int Seed, string Baseline, double? Auc, double? Gauc, double? Ndcg10, double? OnlineClicks)
{
    /// <summary>The diversity re-rank's (λ, decay), tuned on that seed's validation requests; null for the other baselines.</summary>
    public DiversityRerank? Tuned { get; init; }
}

/// <summary>Progress of an experiment (the CLI draws it).</summary>
public interface IExperimentObserver
{
    void OnStart(int runs);
    /// <summary>A training run starts; returns the observer of its epochs.</summary>
    ITrainingObserver? OnRun(string dataset, int seed, string variant);
    void OnRunDone(ExperimentRow row);
    void OnMessage(string message);
}

/// <summary>Runs an <see cref="ExperimentSpec"/> and writes its results, report and plots (see <see cref="ExperimentReport"/>).</summary>
public static class ExperimentRunner
{
    /// <param name="finished">Seeds an interrupted earlier run finished (see <see cref="FinishedRuns.Load"/>): their rows
    /// are reused, not retrained.</param>
    public static ExperimentResult Run(ExperimentSpec spec, string outputFolder, IExperimentObserver? observer = null,
        FinishedRuns? finished = null)
    {
        finished ??= FinishedRuns.None;
        var clock = Stopwatch.StartNew();
        double Seconds() => finished.Seconds + clock.Elapsed.TotalSeconds;
        var baseConfig = spec.Base is { } b ? b.Deserialize<RunConfig>(Json.Options)! : new RunConfig();
        CheckOnlineCandidates(spec, baseConfig);
        CheckDataSettings(spec, baseConfig);
        CheckTeachers(spec);
        var plans = spec.Datasets.ToDictionary(d => d.Name, d => Plan(spec, d));
        int toRun = spec.Datasets.Sum(d => spec.Seeds.Count(s => !finished.IsDone(d.Name, s)));
        observer?.OnStart(toRun * (1 + plans.Values.First().Count));

        var rows = new List<ExperimentRow>();
        var baselines = new List<BaselineRow>();
        foreach (var dataset in spec.Datasets)
        {
            var reused = spec.Seeds.Where(s => finished.IsDone(dataset.Name, s)).ToList();
            if (reused.Count > 0)
            {
                rows.AddRange(finished.Rows.Where(r => r.Dataset == dataset.Name));
                baselines.AddRange(finished.Baselines.Where(r => r.Dataset == dataset.Name));
                observer?.OnMessage($"{dataset.Name}: seeds {string.Join(", ", reused)} finished earlier, reused");
                if (reused.Count == spec.Seeds.Count) continue;
            }
            var config = DatasetConfig(baseConfig, dataset);
            observer?.OnMessage($"{dataset.Name}: loading {dataset.Source}");
            var data = DataLoader.Prepare(config);
            var catalog = DataLoader.Catalog(config.Data, data.TrainLists);
            foreach (int seed in spec.Seeds.Where(s => !finished.IsDone(dataset.Name, s)))
            {
                var (seedRows, seedBaselines) = RunSeed(spec, dataset, config with { Seed = seed }, data, catalog, plans[dataset.Name],
                    Path.Combine(outputFolder, Slug(dataset.Name), $"seed-{seed}"), observer);
                rows.AddRange(seedRows);
                baselines.AddRange(seedBaselines);
                var partial = new ExperimentResult(spec, rows, baselines, Seconds());
                ExperimentReport.WriteData(partial, outputFolder); // a killed run keeps what it finished
            }
        }
        var result = new ExperimentResult(spec, rows, baselines, Seconds());
        ExperimentReport.Write(result, outputFolder);
        return result;
    }

    /// <summary>Refuses, before anything trains, an online_candidates the simulator of a synthetic data set cannot honour.</summary>
    private static void CheckOnlineCandidates(ExperimentSpec spec, RunConfig baseConfig)
    {
        if (spec.OnlineCandidates is not { } top) return;
        foreach (var dataset in spec.Datasets.Where(d => DataLoader.IsSynthetic(d.Source)))
        {
            var data = Overlay(baseConfig, dataset.Config, $"data set '{dataset.Name}'").Data;
            var world = dataset.Synthetic ?? data.Synthetic;
            OnlineEvaluation.CheckWindow(top, data.MaxListLength, world.CandidatesPerRequest, $"online_candidates of data set '{dataset.Name}'");
        }
    }

    /// <summary>The run config of a data set's runs: the experiment's base, the data set's overrides, its source, simulator and split.</summary>
    private static RunConfig DatasetConfig(RunConfig baseConfig, ExperimentDataset dataset)
    {
        var withDataset = Overlay(baseConfig, dataset.Config, $"data set '{dataset.Name}'");
        return withDataset with
        {
            Data = withDataset.Data with
            {
                Source = dataset.Source, Synthetic = dataset.Synthetic ?? withDataset.Data.Synthetic, Split = dataset.Split ?? withDataset.Data.Split,
            },
        };
    }

    /// <summary>
    /// Refuses, before anything trains, a data set's simulator settings out of range (named as the experiment file spells
    /// them) and a variant whose config changes data settings: every run of a data set trains on its one split and is
    /// scored on its test lists, so a variant's own data settings would be ignored while its config.json claimed them
    /// (and an evaluation that later reproduces that split from config.json would score the wrong lists).
    /// </summary>
    private static void CheckDataSettings(ExperimentSpec spec, RunConfig baseConfig)
    {
        foreach (var dataset in spec.Datasets)
        {
            var config = DatasetConfig(baseConfig, dataset);
            if (dataset.Synthetic is { } world && DataLoader.IsSynthetic(dataset.Source))
                (world with { ListLength = config.Data.MaxListLength }).Validate(name =>
                    name == "list_length" ? SyntheticConfig.RunConfigKey(name) : $"data set '{dataset.Name}': synthetic.{name}");
            foreach (var variant in spec.Variants.Where(v => v.Config is not null))
                if (WithOverrides(config, variant).Data != config.Data)
                    throw new ArgumentException(
                        $"variant '{variant.Name}': its config changes data settings, but every variant of data set '{dataset.Name}' trains and " +
                        "is evaluated on the data set's one split; give data settings per data set (datasets[].config), not per variant");
        }
    }

    /// <summary>Refuses, before anything trains, a distill variant whose <c>teacher</c> is not a teacher variant listed before it.</summary>
    private static void CheckTeachers(ExperimentSpec spec)
    {
        for (int i = 0; i < spec.Variants.Count; i++)
        {
            var variant = spec.Variants[i];
            if (variant.Teacher is not { } name) continue;
            if (variant.Kind != VariantKind.Distill)
                throw new ArgumentException($"variant '{variant.Name}': only a distill variant names a teacher (teacher '{name}')");
            if (!spec.Variants.Take(i).Any(v => v.Kind == VariantKind.Teacher && v.Name == name))
                throw new ArgumentException($"variant '{variant.Name}': teacher '{name}' must be a teacher variant listed before it");
        }
    }

    /// <summary>Models trained per data set and seed: the main teacher and one per planned run.</summary>
    public static int ModelsPerSeed(ExperimentSpec spec) => 1 + Plan(spec, spec.Datasets[0]).Count;

    /// <summary>The student runs of one seed: every non-teacher variant, once per sweep value where the sweep applies (a
    /// student_size sweep's value is the index of a size; a variant with its own size runs at that size only).</summary>
    private static List<(ExperimentVariant Variant, int? Value)> Plan(ExperimentSpec spec, ExperimentDataset dataset)
    {
        spec.Sweep?.Validate(spec.Variants);
        var plan = new List<(ExperimentVariant, int?)>();
        var mainTeacher = spec.Variants.FirstOrDefault(v => v.Kind == VariantKind.Teacher);
        foreach (var v in spec.Variants.Where(v => v != mainTeacher))
        {
            if (spec.Sweep is { Parameter: ExperimentSweep.StudentSize } sizes && v.Kind != VariantKind.Teacher)
            {
                if (v.Size is { } name) plan.Add((v, sizes.IndexOfSize(name)));
                else plan.AddRange(Enumerable.Range(0, sizes.Sizes.Count).Select(i => (v, (int?)i)));
                continue;
            }
            bool swept = spec.Sweep is { } s && v.Kind != VariantKind.Teacher
                         && (s.Parameter == ExperimentSweep.StudentDim || (s.Parameter == ExperimentSweep.K && v.Kind == VariantKind.Distill));
            if (swept) plan.AddRange(spec.Sweep!.Values.Select(x => (v, (int?)x)));
            else plan.Add((v, null));
        }
        return plan;
    }

    /// <summary>The student's run config at a sweep value: its embedding size (student_dim sweep, or the variant's), the
    /// size's model settings (student_size sweep), then the variant's own overrides.</summary>
    private static RunConfig StudentConfig(RunConfig config, ExperimentVariant variant, ExperimentSweep? sweep, int? value)
    {
        var student = config.AsStudent(sweep?.Parameter == ExperimentSweep.StudentDim && value is { } d ? d : variant.StudentDim);
        if (sweep?.Parameter == ExperimentSweep.StudentSize && value is { } i)
        {
            var size = sweep.Sizes[i];
            student = Overlay(student, JsonSerializer.SerializeToElement(new { model = size.Model }), $"size '{size.Name}'");
        }
        return WithOverrides(student, variant);
    }

    /// <summary>A sweep value as the report names it: a size's name, or the number.</summary>
    private static string? ValueName(ExperimentSweep? sweep, int? value) =>
        value is not { } v ? null : sweep?.Parameter == ExperimentSweep.StudentSize ? sweep.Sizes[v].Name : v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static (List<ExperimentRow>, List<BaselineRow>) RunSeed(ExperimentSpec spec, ExperimentDataset dataset, RunConfig config,
        PreparedData data, IItemCatalog catalog, List<(ExperimentVariant Variant, int? Value)> plan, string folder,
        IExperimentObserver? observer)
    {
        int seed = config.Seed;
        var trained = new List<(ExperimentVariant Variant, int? Value, TrainResult Result, double Seconds, double Cpu)>();
        TimeSpan Cpu() { using var self = Process.GetCurrentProcess(); return self.TotalProcessorTime; }
        var cpu = Cpu();
        var teacherVariant = spec.Variants.FirstOrDefault(v => v.Kind == VariantKind.Teacher) ?? new ExperimentVariant { Name = "teacher", Kind = VariantKind.Teacher };
        var clock = Stopwatch.StartNew();
        var teacherResult = TrainWorkflow.Run(WithOverrides(config with { Role = ModelRole.Teacher }, teacherVariant), data, Path.Combine(folder, "teacher"),
            observer?.OnRun(dataset.Name, seed, teacherVariant.Name), teacherVariant.Name);
        trained.Add((teacherVariant, null, teacherResult, clock.Elapsed.TotalSeconds, (Cpu() - cpu).TotalSeconds));
        using var teacher = ModelCheckpoint.Load(teacherResult.Checkpoint);
        observer?.OnRunDone(Row(dataset, seed, teacherVariant, null, spec.Sweep, teacherResult, teacherResult.Parameters, clock.Elapsed.TotalSeconds));

        foreach (var (variant, value) in plan)
        {
            string name = value is null ? variant.Name : $"{variant.Name} ({spec.Sweep!.Parameter}={ValueName(spec.Sweep, value)})";
            var studentConfig = StudentConfig(config, variant, spec.Sweep, value);
            string run = Path.Combine(folder, Slug(name));
            var epochs = observer?.OnRun(dataset.Name, seed, name);
            clock.Restart();
            cpu = Cpu();
            TrainResult result;
            if (variant.Kind == VariantKind.Teacher)
            {
                result = TrainWorkflow.Run(WithOverrides(config with { Role = ModelRole.Teacher }, variant), data, run, epochs, name);
            }
            else if (variant.Kind == VariantKind.Student)
            {
                result = TrainWorkflow.Run(studentConfig, data, run, epochs, name);
            }
            else
            {
                var distill = variant.Distill ?? new DistillConfig();
                if (spec.Sweep?.Parameter == ExperimentSweep.K && value is { } k) distill = distill with { K = k };
                // A teacher variant named by the distill variant (trained earlier, CheckTeachers), loaded for this run only.
                using var named = variant.Teacher is { } t && t != teacherVariant.Name
                    ? ModelCheckpoint.Load(trained.First(x => x.Variant.Name == t).Result.Checkpoint) : null;
                var from = named ?? teacher;
                result = DistillWorkflow.Run(studentConfig with { Distill = distill, Teacher = from.Path }, from, data, run, epochs, name,
                    catalog).Student;
            }
            trained.Add((variant, value, result, clock.Elapsed.TotalSeconds, (Cpu() - cpu).TotalSeconds));
            observer?.OnRunDone(Row(dataset, seed, variant, value, spec.Sweep, result, teacherResult.Parameters, clock.Elapsed.TotalSeconds));
        }

        var models = trained.Select(t => ModelCheckpoint.Load(t.Result.Checkpoint)).ToList();
        try
        {
            LatencyReport? latency = null;
            if (spec.LatencyRepeats > 0)
            {
                observer?.OnMessage("timing models");
                var settings = new LatencySettings
                {
                    Repeats = spec.LatencyRepeats, WarmupRepeats = Math.Max(5, spec.LatencyRepeats / 10), Seed = seed,
                };
                latency = ModelLatencyBenchmark.Measure(models, data.TestLists, catalog, settings, config.Data.MaxListLength, config.Data.Source);
            }
            var (online, onlineBaselines) = spec.OnlineRequests > 0 && catalog is SyntheticSimulator simulator
                ? Online(simulator, models, spec.OnlineRequests, spec.OnlineCandidates, dataset.Name, seed, observer)
                : (null, []);
            var centred = models.Select(m => QScorer.Evaluate(m.Online, data.Test, config.Trainer.EvalBatchSize, OfflineScoring.PositionCentred,
                m.Layout, data.Validation)).ToList();
            var (opeTest, opeValidation) = spec.Ope && data.TestLists.Lists.Any(l => l.HasPropensities)
                ? (OffPolicy(data, models, data.TestLists, [data.TrainLists, data.ValidationLists], spec.OnlineCandidates, seed, observer, "test"),
                   OffPolicy(data, models, data.ValidationLists, [data.TrainLists], spec.OnlineCandidates, seed, observer, "validation"))
                : (null, null);
            var rows = trained.Select((t, i) => Row(dataset, seed, t.Variant, t.Value, spec.Sweep, t.Result, teacherResult.Parameters,
                t.Seconds) with
            {
                LatencyMsP50 = latency?.Models[i].LatencyMsP50,
                LatencyP50Ratio = latency?.Ratios[i].LatencyP50,
                PoolMsP50 = latency?.Models[i].PoolMsP50,
                PoolP50Ratio = latency?.Ratios[i].PoolP50,
                SlateMsP50 = latency?.Models[i].SlateMsP50,
                SlateP50Ratio = latency?.Ratios[i].SlateP50,
                TrainCpuSeconds = t.Cpu,
                Bytes = models[i].Bytes,
                BytesRatio = (double)models[i].Bytes / models[0].Bytes,
                OnlineClicks = online?[i],
                AucCentred = centred[i].Auc,
                GaucCentred = centred[i].Gauc,
                OpeClicks = opeTest?.Policies[i].Estimates[opeTest.DefaultEstimator].Value,
                OpeCi95 = opeTest?.Policies[i].Estimates[opeTest.DefaultEstimator].Ci95,
                OpeValidationClicks = opeValidation?.Policies[i].Estimates[opeValidation.DefaultEstimator].Value,
            }).ToList();
            var offline = OfflineEvaluation.EvaluateBaselines(data, seed, catalog as SyntheticSimulator);
            var baselines = offline.Select(kv => new BaselineRow(dataset.Name, seed, kv.Key, kv.Value.Auc, kv.Value.Gauc, kv.Value.Ndcg10, null))
                .Concat(onlineBaselines).ToList();
            return (rows, baselines);
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
    }

    /// <summary>The variant's own run-config overrides layered over <paramref name="config"/>.</summary>
    private static RunConfig WithOverrides(RunConfig config, ExperimentVariant variant) => Overlay(config, variant.Config, $"variant '{variant.Name}'");

    private static RunConfig Overlay(RunConfig config, JsonElement? overrides, string owner) =>
        overrides is { } layer
            ? Json.Overlay(config, System.Text.Json.Nodes.JsonObject.Create(layer)
                ?? throw new InvalidDataException($"{owner}: config must be a JSON object"))
            : config;

    private static ExperimentRow Row(ExperimentDataset dataset, int seed, ExperimentVariant variant, int? value, ExperimentSweep? sweep,
        TrainResult r, long teacherParams, double seconds) => new(
        dataset.Name, seed, variant.Name, variant.Kind, value is null ? null : sweep!.Parameter, value,
        r.Test.Auc, r.Test.Gauc, r.Test.Ndcg5, r.Test.Ndcg10, r.Validation.Auc, r.BestEpoch,
        r.Parameters, (double)r.Parameters / teacherParams, null, null, null, null, null, seconds,
        Path.GetDirectoryName(r.Checkpoint)!)
    {
        Size = sweep?.Parameter == ExperimentSweep.StudentSize ? ValueName(sweep, value) : null,
    };

    private static (double[] Models, List<BaselineRow> Baselines) Online(SyntheticSimulator simulator, List<LoadedModel> models,
        int requests, int? candidates, string dataset, int seed, IExperimentObserver? observer)
    {
        observer?.OnMessage("online evaluation on the simulator");
        var scorers = models.Select(m => new TorchStepScorer(m.Online)).ToList();
        var rankers = models.Select((m, i) => ($"#{i}", new SlateRanker(scorers[i], m.Vocabulary, m.Schema))).ToList();
        var clicks = OnlineEvaluation.Measure(simulator, rankers, requests, [seed], rerankTop: candidates);
        var baselines = OnlineEvaluation.Baselines.Select(b => new BaselineRow(dataset, seed, b, null, null, null, clicks.Of(b).Average())
        {
            Tuned = b == OnlineEvaluation.Diversity ? clicks.DiversityTuned[0] : null,
        }).ToList();
        return (rankers.Select(r => clicks.Of(r.Item1).Average()).ToArray(), baselines);
    }

    /// <summary>Each model's off-policy estimate on <paramref name="lists"/> (the click model fitted on <paramref name="fitting"/>
    /// and cross-fitted), the models re-ranking the online window.</summary>
    private static OffPolicy.OpeResult OffPolicy(PreparedData data, List<LoadedModel> models, ListDataset lists, ListDataset[] fitting,
        int? window, int seed, IExperimentObserver? observer, string part)
    {
        observer?.OnMessage($"off-policy estimates on the {part} lists");
        var scorers = models.Select(m => new TorchStepScorer(m.Online)).ToList();
        try
        {
            var targets = models.Select((m, i) => new Drlrec.OffPolicy.OpeTarget(
                new Drlrec.OffPolicy.ModelPolicy($"#{i}", new SlateRanker(scorers[i], m.Vocabulary, m.Schema)))).ToList();
            return Drlrec.OffPolicy.OffPolicyEvaluation.Run(lists.Schema, Drlrec.OffPolicy.LoggedSlates.From(lists),
                fitting.SelectMany(f => Drlrec.OffPolicy.LoggedSlates.From(f, unshown: false)).ToList(), targets,
                new Drlrec.OffPolicy.OpeSettings { Window = window, Seed = seed, Bootstrap = 200 });
        }
        finally
        {
            foreach (var scorer in scorers) scorer.Dispose();
        }
    }

    public static string Slug(string name) =>
        new string(name.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()).Trim('-').Replace("--", "-");
}

/// <summary>All rows of an experiment run.</summary>
public sealed record ExperimentResult(ExperimentSpec Spec, IReadOnlyList<ExperimentRow> Rows, IReadOnlyList<BaselineRow> Baselines,
    double Seconds);
