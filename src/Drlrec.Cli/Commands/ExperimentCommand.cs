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
        var merge = new Option<DirectoryInfo[]>("--merge")
        {
            Description = "Also reuse the finished seeds of these output folders of the same experiment (e.g. single-threaded " +
                          "processes run side by side over disjoint --seeds; same rules as --resume), then write one report over all seeds",
            AllowMultipleArgumentsPerToken = true,
        };
        var threads = new Option<int>("--threads")
        {
            Description = "CPU threads for tensor operations of every run (0 = libtorch's default, all cores; a base config's trainer.threads " +
                          "wins). Not part of the experiment, so folders run with different --threads still merge",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("experiment", "Run an experiment grid (data sets × seeds × variants) and write results.csv, results.json, report.md and plots.");
        command.Arguments.Add(file);
        command.Options.Add(output);
        command.Options.Add(seeds);
        command.Options.Add(resume);
        command.Options.Add(merge);
        command.Options.Add(threads);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var spec = Json.ReadFile<ExperimentSpec>(parse.GetValue(file)!.FullName);
            if (parse.GetValue(seeds) is { Length: > 0 } chosen) spec = spec with { Seeds = chosen };
            string folder = parse.GetValue(output)!.FullName;
            int threadCount = parse.GetValue(threads);
            if (threadCount < 0) throw new ArgumentException($"--threads: must be 0 or more (got {threadCount})");
            if (threadCount > 0) TorchSharp.torch.set_num_threads(threadCount);
            int models = ExperimentRunner.ModelsPerSeed(spec);
            var merged = (parse.GetValue(merge) ?? []).Select(d => d.Exists
                ? (Folder: d.FullName, Runs: FinishedRuns.Load(spec, d.FullName, models))
                : throw new DirectoryNotFoundException($"--merge: no folder at {d.FullName}")).ToList();
            foreach (var (dir, runs) in merged)
                AnsiConsole.MarkupLineInterpolated($"[grey]--merge {dir}: {runs.Rows.Select(r => (r.Dataset, r.Seed)).Distinct().Count()} finished data set × seed runs of this experiment[/]");
            var finished = FinishedRuns.Merge([parse.GetValue(resume) ? FinishedRuns.Load(spec, folder, models) : FinishedRuns.None, .. merged.Select(m => m.Runs)]);
            Json.WriteFile(Path.Combine(folder, "experiment.json"), spec);
            ExperimentResult result = null!;
            AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx => result = ExperimentRunner.Run(spec, folder, new Observer(ctx), finished));
            AnsiConsole.MarkupLineInterpolated($"{result.Rows.Count} models in {result.Seconds / 60:F1} min; wrote {Path.Combine(folder, "report.md")}");
            foreach (var s in ExperimentReport.Summarise(result))
            {
                string at = s.SweepValue is null ? "" : $" ({s.SweepParameter} = {s.Size ?? s.SweepValue.ToString()})";
                AnsiConsole.MarkupLineInterpolated($"  {s.Dataset} / {s.Variant}{at}: AUC {s.AucMean:F4} ± {s.AucStd:F4}, params ratio {s.ParamsRatio:F3}");
            }
            foreach (var frontier in CompressionFrontier.Of(result))
                AnsiConsole.MarkupLineInterpolated($"[bold]{frontier.Dataset}:[/] {frontier.Headline.Text}");
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
