using System.CommandLine;
using Spectre.Console;
using Drlrec.Benchmarking;
using Drlrec.Checkpoints;
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
        var role = TrainingRoleOption.Create("teacher");
        var teacher = new Option<string?>("--teacher")
        {
            Description = "With --role distill: the teacher's run folder (or model.ckpt) to distil from. Default: new teacher networks of " +
                          "the teacher's default size (a step costs the same whatever the weights)",
        };
        var signals = new Option<string>("--teacher-signals")
        {
            Description = "With --role distill: per-batch (the frozen teacher's Q, hints and TD errors computed for each batch, as for streamed " +
                          "lists) or cached (computed once for every training list before the timed steps, as for lists in memory)",
            DefaultValueFactory = _ => "per-batch",
        };
        signals.AcceptOnlyFromAmong("per-batch", "cached");
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
        var command = new Command("train", "Training throughput (list items per second) of full Double-DQN steps, or of the student's " +
                                           "distillation steps (--role distill: DRL-Rec's default losses and exploring, the frozen teacher's " +
                                           "signals computed per batch as for streamed lists), after warm-up.");
        foreach (var option in new Option[] { role, teacher, signals, steps, warmup, batch, targets, json }) command.Options.Add(option);
        run.AddTo(command);
        run.AddDistributedTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            bool distill = parse.GetValue(role) == "distill";
            var modelRole = parse.GetValue(role) == "teacher" ? ModelRole.Teacher : ModelRole.Student;
            if (!distill && parse.GetValue(teacher) is not null) throw new ArgumentException("--teacher needs --role distill");
            using var loaded = distill && parse.GetValue(teacher) is { } path ? ModelCheckpoint.Load(path) : null;
            var config = run.Build(parse, new RunConfig { Role = modelRole }, typed: c =>
            {
                if (RunOptions.Given(parse, role) && c.Role != modelRole) c = c with { Role = modelRole, Model = null };
                if (RunOptions.Given(parse, batch)) c = c with { Trainer = c.Trainer with { BatchSize = parse.GetValue(batch) } };
                return distill ? c with { Distill = c.Distill ?? new DistillConfig() } : c;
            });
            var world = DataParallel.Open(config.Trainer.Distributed);
            using var quiet = RankConsole.OnlyRootPrints(world);
            var data = Busy.While($"loading {config.Data.Source}", () => DataLoader.Prepare(config, loaded?.Vocabulary));
            Report.Data(data);
            TargetActions[] modes = parse.GetValue(targets) switch
            {
                "remaining_list" => [TargetActions.RemainingList],
                "logged_next" => [TargetActions.LoggedNext],
                _ => [TargetActions.RemainingList, TargetActions.LoggedNext],
            };
            var results = modes.Select(mode => Busy.While($"timing {mode}", () => ThroughputBenchmark.Measure(
                config with { Dqn = config.Dqn with { TargetActions = mode } }, data, parse.GetValue(warmup), parse.GetValue(steps), loaded,
                cacheTeacherSignals: parse.GetValue(signals) == "cached"))).ToList();
            Tables.Throughput(results);
            if (parse.GetValue(json) is { } file && world.IsRoot) Json.WriteFile(file.FullName, results);
            return 0;
        }));
        return command;
    }
}
