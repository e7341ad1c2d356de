using System.CommandLine;
using Spectre.Console;
using Drlrec.Benchmarking;
using Drlrec.Checkpoints;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Data.Loading;
using Drlrec.IO;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec bench</c>: model size and latency, side by side in one process (subcommands: train, explore).</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var models = ModelOptions.Many("A run folder (or model.ckpt). Ratios are relative to the first");
        var json = CommonOptions.Json();
        var bench = new BenchmarkOptions();
        var command = new Command("bench",
            "Size and latency of models side by side in one process on the same requests: parameters, checkpoint bytes, " +
            "p50/p99 of scoring one request of L list positions, of scoring a pool of candidates and of ranking a slate request " +
            "(--candidates into --slots, as the service does), and ratios to the first model. " +
            "'bench train' measures training throughput, 'bench explore' the cost of exploring/filtering, 'bench scale' the data-parallel (MPI) speed-up.");
        command.Options.Add(models);
        bench.AddTo(command);
        command.Options.Add(json);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string[] paths = parse.GetValue(models) ?? [];
            if (paths.Length == 0) throw new ArgumentException("--model: give at least one model (repeat --model for several)");
            var settings = bench.Settings(parse);
            settings.Validate();
            var loaded = new List<LoadedModel>();
            try
            {
                foreach (string path in paths) loaded.Add(ModelCheckpoint.Load(path));
                var data = loaded[0].TrainingData;
                var (train, _, test) = Busy.While("loading data", () => DataLoader.LoadSplit(data));
                var catalog = DataLoader.Catalog(data, train);
                LatencyReport report = null!;
                AnsiConsole.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask("timing", maxValue: settings.Repeats);
                    report = ModelLatencyBenchmark.Measure(loaded, test, catalog, settings, data.MaxListLength, data.Source, n => task.Increment(n));
                });
                Tables.Latency(report);
                if (parse.GetValue(json) is { } file) Json.WriteFile(file.FullName, report);
                return 0;
            }
            finally
            {
                foreach (var model in loaded) model.Dispose();
            }
        }));
        command.Subcommands.Add(BenchTrainCommand.Create());
        command.Subcommands.Add(BenchExploreCommand.Create());
        command.Subcommands.Add(BenchScaleCommand.Create());
        return command;
    }
}
