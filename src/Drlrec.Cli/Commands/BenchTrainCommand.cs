using System.CommandLine;
using Spectre.Console;
using Drlrec.Benchmarking;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Distributed;
using Drlrec.IO;
using Drlrec.Training;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec bench train</c>: training throughput in list items per second.</summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var role = new Option<ModelRole>("--role") { Description = "Network to train: teacher or student", DefaultValueFactory = _ => ModelRole.Teacher };
        var steps = new Option<int>("--steps") { Description = "Timed training steps", DefaultValueFactory = _ => 40 };
        var warmup = new Option<int>("--warmup-steps") { Description = "Untimed steps first", DefaultValueFactory = _ => 5 };
        var batch = new Option<int>("--batch-size") { Description = "Lists per step", DefaultValueFactory = _ => new TrainerConfig().BatchSize };
        var targets = new Option<string>("--target-actions")
        {
            Description = "Double-DQN action set to time: remaining_list, logged_next, or both",
            DefaultValueFactory = _ => "both",
        };
        targets.AcceptOnlyFromAmong("remaining_list", "logged_next", "both");
        var json = CommonOptions.Json();
        var run = new RunOptions();
        var command = new Command("train", "Training throughput (list items per second) of full Double-DQN steps, after warm-up.");
        foreach (var option in new Option[] { role, steps, warmup, batch, targets, json }) command.Options.Add(option);
        run.AddTo(command);
        run.AddDistributedTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var config = run.Build(parse, new RunConfig(), role, typed: c => RunOptions.Given(parse, batch)
                ? c with { Trainer = c.Trainer with { BatchSize = parse.GetValue(batch) } }
                : c);
            var world = DataParallel.Open(config.Trainer.Distributed);
            using var quiet = RankConsole.OnlyRootPrints(world);
            var data = Busy.While($"loading {config.Data.Source}", () => DataLoader.Prepare(config));
            Report.Data(data);
            TargetActions[] modes = parse.GetValue(targets) switch
            {
                "remaining_list" => [TargetActions.RemainingList],
                "logged_next" => [TargetActions.LoggedNext],
                _ => [TargetActions.RemainingList, TargetActions.LoggedNext],
            };
            var results = modes.Select(mode => Busy.While($"timing {mode}", () => ThroughputBenchmark.Measure(
                config with { Dqn = config.Dqn with { TargetActions = mode } }, data, parse.GetValue(warmup), parse.GetValue(steps)))).ToList();
            Tables.Throughput(results);
            if (parse.GetValue(json) is { } file && world.IsRoot) Json.WriteFile(file.FullName, results);
            return 0;
        }));
        return command;
    }
}
