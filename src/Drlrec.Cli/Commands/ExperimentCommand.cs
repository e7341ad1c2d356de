using System.CommandLine;
using Spectre.Console;
using Drlrec.Cli.Output;
using Drlrec.Experiments;
using Drlrec.IO;
using Drlrec.Training;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec experiment FILE.json --out DIR</c>: runs a declared grid and writes results, a report and plots.</summary>
public static class ExperimentCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "Experiment file (see experiments/*.json)" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder: results.csv, results.json, report.md, *.png, one run folder per model", Required = true };
        var seeds = new Option<int[]?>("--seeds")
        {
            Description = "Override the file's seeds (e.g. --seeds 1 2 3)",
            AllowMultipleArgumentsPerToken = true,
        };
        var resume = new Option<bool>("--resume")
        {
            Description = "Reuse the seeds an interrupted run of this experiment already finished in --out (those whose data set, " +
                          "variants, sweep and base config are unchanged); train only the rest. Default: off (retrain everything)",
        };
        var command = new Command("experiment", "Run an experiment grid (data sets × seeds × variants) and write results.csv, results.json, report.md and plots.");
        command.Arguments.Add(file);
        command.Options.Add(output);
        command.Options.Add(seeds);
        command.Options.Add(resume);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var spec = Json.ReadFile<ExperimentSpec>(parse.GetValue(file)!.FullName);
            if (parse.GetValue(seeds) is { Length: > 0 } chosen) spec = spec with { Seeds = chosen };
            string folder = parse.GetValue(output)!.FullName;
            var finished = parse.GetValue(resume) ? FinishedRuns.Load(spec, folder, ExperimentRunner.ModelsPerSeed(spec)) : FinishedRuns.None;
            Json.WriteFile(Path.Combine(folder, "experiment.json"), spec);
            ExperimentResult result = null!;
            AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx => result = ExperimentRunner.Run(spec, folder, new Observer(ctx), finished));
            AnsiConsole.MarkupLineInterpolated($"{result.Rows.Count} models in {result.Seconds / 60:F1} min; wrote {Path.Combine(folder, "report.md")}");
            foreach (var s in ExperimentReport.Summarise(result))
                AnsiConsole.MarkupLineInterpolated($"  {s.Dataset} / {s.Variant}: AUC {s.AucMean:F4} ± {s.AucStd:F4}, params ratio {s.ParamsRatio:F3}");
            return 0;
        }));
        return command;
    }

    /// <summary>A bar over the whole grid, and one per training run.</summary>
    private sealed class Observer(ProgressContext context) : IExperimentObserver
    {
        private ProgressTask? grid;
        private SpectreTrainingObserver? current;

        public void OnStart(int runs) => grid = context.AddTask("experiment", maxValue: runs);

        public ITrainingObserver? OnRun(string dataset, int seed, string variant)
        {
            current?.Finish();
            grid!.Description = Markup.Escape($"experiment: {dataset}, seed {seed}, {variant}");
            current = new SpectreTrainingObserver(context);
            return current;
        }

        public void OnRunDone(ExperimentRow row)
        {
            current?.Finish();
            grid!.Increment(1);
            AnsiConsole.MarkupLineInterpolated($"[green]{row.Dataset} seed {row.Seed} {row.Variant}:[/] test AUC {row.Auc:F4}, {row.TrainSeconds:F0} s");
        }

        public void OnMessage(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]");
    }
}
