using System.CommandLine;
using Drlrec.Benchmarking;
using Drlrec.Configuration;
using Drlrec.Learning;
using Drlrec.Training;
using Spectre.Console;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec bench ...</c>: measured speed, side by side in one process.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var models = new Option<string[]>("--model")
        {
            Description = "A run folder (or model.ckpt); repeat for several models. Ratios are relative to the first",
            AllowMultipleArgumentsPerToken = false,
        };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file" };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per model (each times one list and one pool request)", DefaultValueFactory = _ => 200 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed repetitions first", DefaultValueFactory = _ => 20 };
        var requests = new Option<int>("--requests") { Description = "Distinct requests (test lists) cycled through", DefaultValueFactory = _ => 50 };
        var pool = new Option<int>("--pool") { Description = "Candidates per pool request", DefaultValueFactory = _ => 1000 };
        var prefix = new Option<int>("--prefix") { Description = "Items already placed before the pool's slot", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for tensor operations (1 = one request per core, as a serving process would)", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the pool candidates", DefaultValueFactory = _ => 42 };
        var backend = new Option<string>("--backend")
        {
            Description = "torch (TorchSharp) or onnx (each model exported to ONNX and run with ONNX Runtime)",
            DefaultValueFactory = _ => "torch",
        };
        backend.AcceptOnlyFromAmong("torch", "onnx");
        var command = new Command("bench",
            "Size and latency of models side by side in one process on the same requests: parameters, checkpoint bytes, " +
            "p50/p99 of scoring one request of L list positions and of scoring a pool of candidates, and ratios to the first model. " +
            "'bench train' measures training throughput.");
        foreach (var option in new Option[] { models, backend, json, repeats, warmup, requests, pool, prefix, threads, seed }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() => RunLatency(parse.GetValue(models) ?? [], parse.GetValue(backend)!, parse.GetValue(json),
            parse.GetValue(repeats), parse.GetValue(warmup), parse.GetValue(requests), parse.GetValue(pool), parse.GetValue(prefix),
            parse.GetValue(threads), parse.GetValue(seed))));
        command.Subcommands.Add(CreateTrain());
        command.Subcommands.Add(CreateExplore());
        return command;
    }

    private static Command CreateExplore()
    {
        var items = new Option<int[]>("--items")
        {
            Description = "Catalog sizes to compare (simulator, 1000..1000000)",
            DefaultValueFactory = _ => [10_000, 1_000_000],
            AllowMultipleArgumentsPerToken = true,
        };
        var pool = new Option<int>("--pool") { Description = "Candidates explored per state (N_c)", DefaultValueFactory = _ => 1000 };
        var k = new Option<int>("--k") { Description = "Lessons kept per model", DefaultValueFactory = _ => 10 };
        var states = new Option<int>("--states") { Description = "Timed states per catalog size", DefaultValueFactory = _ => 64 };
        var group = new Option<int>("--states-per-step") { Description = "States explored together (as per training batch)", DefaultValueFactory = _ => 4 };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file" };
        var command = new Command("explore", "Cost per state of exploring/filtering (retrieval, teacher and student pool scoring, top-k) at several catalog sizes.");
        foreach (var option in new Option[] { items, pool, k, states, group, json }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var results = new List<ExploreCost>();
            foreach (int size in parse.GetValue(items)!)
                results.Add(AnsiConsole.Status().Start($"catalog of {size:N0} items", _ =>
                    ExploreBenchmark.Measure(size, parse.GetValue(pool), parse.GetValue(k), parse.GetValue(states), parse.GetValue(group), 42)));
            var table = new Table().Title("explore/filter cost per state").AddColumns("catalog items", "pool", "k", "states",
                "retrieve ms/state", "explore+filter ms/state", "catalog encode s (once)", "simulator build s (once)");
            foreach (var r in results)
                table.AddRow(r.CatalogItems.ToString("N0"), r.Pool.ToString(), r.K.ToString(), r.States.ToString(), r.RetrieveMsPerState.ToString("F3"),
                    $"[bold]{r.ExploreFilterMsPerState:F2}[/]", r.CatalogEncodeSeconds.ToString("F1"), r.SimulatorBuildSeconds.ToString("F1"));
            AnsiConsole.Write(table);
            if (parse.GetValue(json) is { } file) AtomicFile.WriteAllText(file.FullName, Json.Serialize(results) + "\n");
            return 0;
        }));
        return command;
    }

    private static int RunLatency(string[] paths, string backend, FileInfo? json, int repeats, int warmup, int requestCount, int poolSize,
        int prefix, int threads, int seed)
    {
        if (paths.Length == 0) throw new ArgumentException("--model: give at least one model (repeat --model for several)");
        if (threads > 0) TorchSharp.torch.set_num_threads(threads);
        var models = paths.Select(ModelCheckpoint.Load).ToList();
        var targets = new List<ILatencyTarget>();
        var requestSets = new List<LatencyRequests>();
        try
        {
            var dataConfig = EvaluateCommand.TrainingData(models[0].Header);
            var (train, test) = AnsiConsole.Status().Start("loading data", _ => DataLoader.LoadSplit(dataConfig));
            var catalog = DataLoader.Catalog(dataConfig, train);
            foreach (var model in models)
            {
                var set = LatencyRequests.Build(test, catalog, model, requestCount, poolSize, prefix, seed);
                requestSets.Add(set);
                targets.Add(backend == "onnx" ? new OnnxLatencyTarget(model, set, Math.Max(1, threads)) : new TorchLatencyTarget(model, set));
            }
            LatencyReport report = null!;
            AnsiConsole.Progress().Start(ctx =>
            {
                var task = ctx.AddTask("timing", maxValue: repeats);
                report = ModelLatencyBenchmark.Run(targets, warmup, repeats, requestSets.Min(r => r.Count), backend,
                    dataConfig.MaxListLength, poolSize, prefix, dataConfig.Source, n => task.Increment(n));
            });
            Print(report);
            if (json is not null) AtomicFile.WriteAllText(json.FullName, Json.Serialize(report) + "\n");
            return 0;
        }
        finally
        {
            foreach (var t in targets) t.Dispose();
            foreach (var r in requestSets) r.Dispose();
            foreach (var m in models) m.Dispose();
        }
    }

    private static void Print(LatencyReport report)
    {
        var table = new Table().Title($"model size and latency ({report.Backend}, {report.Threads} thread(s), {report.Repeats} repeats)")
            .AddColumns("model", "params", "bytes", "list p50 ms", "list p99 ms", $"pool({report.PoolSize}) p50 ms", "pool p99 ms",
                "params ratio", "list p50 ratio", "pool p50 ratio");
        foreach (var (m, r) in report.Models.Zip(report.Ratios))
            table.AddRow(Markup.Escape(m.Name), m.Params.ToString("N0"), m.Bytes.ToString("N0"), m.LatencyMsP50.ToString("F3"),
                m.LatencyMsP99.ToString("F3"), m.PoolMsP50.ToString("F3"), m.PoolMsP99.ToString("F3"), r.Params.ToString("F3"),
                r.LatencyP50.ToString("F3"), r.PoolP50.ToString("F3"));
        AnsiConsole.Write(table);
    }

    private static Command CreateTrain()
    {
        var role = new Option<ModelRole>("--role") { Description = "Network to train: teacher or student", DefaultValueFactory = _ => ModelRole.Teacher };
        var steps = new Option<int>("--steps") { Description = "Timed training steps", DefaultValueFactory = _ => 40 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first", DefaultValueFactory = _ => 5 };
        var batch = new Option<int>("--batch-size") { Description = "Lists per step", DefaultValueFactory = _ => new TrainerConfig().BatchSize };
        var targets = new Option<string>("--target-actions")
        {
            Description = "Double-DQN action set to time: remaining_list, logged_next, or both",
            DefaultValueFactory = _ => "both",
        };
        targets.AcceptOnlyFromAmong("remaining_list", "logged_next", "both");
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file" };
        var run = new RunOptions();
        var command = new Command("train", "Training throughput (list items per second) of full Double-DQN steps, after warm-up.");
        foreach (var option in new Option[] { role, steps, warmup, batch, targets, json }) command.Options.Add(option);
        run.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var config = run.Build(parse) with { Role = parse.GetValue(role) };
            config = config with { Trainer = config.Trainer with { BatchSize = parse.GetValue(batch) } };
            var data = TrainCommand.Load(config);
            var modes = parse.GetValue(targets) switch
            {
                "remaining_list" => new[] { TargetActions.RemainingList },
                "logged_next" => [TargetActions.LoggedNext],
                _ => [TargetActions.RemainingList, TargetActions.LoggedNext],
            };
            var results = new List<ThroughputResult>();
            var table = new Table().Title("training throughput").AddColumns("network", "target actions", "params", "batch", "threads",
                "list items/s", "ms/step p50", "ms/step p90");
            foreach (var mode in modes)
            {
                var r = AnsiConsole.Status().Start($"timing {mode}", _ => ThroughputBenchmark.Measure(
                    config with { Dqn = config.Dqn with { TargetActions = mode } }, data, parse.GetValue(warmup), parse.GetValue(steps)));
                results.Add(r);
                table.AddRow(r.Role, r.TargetActions.ToString(), r.Parameters.ToString("N0"), r.BatchSize.ToString(), r.Threads.ToString(),
                    $"[bold]{r.ListItemsPerSecond:N0}[/]", r.StepMillisecondsMedian.ToString("F1"), r.StepMillisecondsP90.ToString("F1"));
            }
            AnsiConsole.Write(table);
            if (parse.GetValue(json) is { } file) AtomicFile.WriteAllText(file.FullName, Json.Serialize(results) + "\n");
            return 0;
        }));
        return command;
    }
}
