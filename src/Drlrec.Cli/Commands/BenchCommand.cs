using System.CommandLine;
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
        var command = new Command("bench", "Benchmarks: training throughput (bench train).");
        command.Subcommands.Add(CreateTrain());
        return command;
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
