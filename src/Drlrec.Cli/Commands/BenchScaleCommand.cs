using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using Spectre.Console;
using Drlrec.Benchmarking;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.IO;

namespace Drlrec.Cli.Commands;

/// <summary>
/// <c>drlrec bench scale</c>: data-parallel training speed-up. Runs the same short training (<c>bench train</c>'s timed
/// Double-DQN steps on the same global minibatches) as child processes of this drlrec: once alone, once under
/// <c>mpiexec -n N ... --distributed mpi</c>, every rank on one thread, and reports global list items per second, the
/// speed-up, the all-reduce time per step and each rank's peak memory.
/// </summary>
public static class BenchScaleCommand
{
    /// <summary>One configuration's measurement.</summary>
    public sealed record ScalePoint(int Ranks, double ListItemsPerSecond, double SpeedUp, double StepMillisecondsMedian,
        double AllreduceMsPerStep, double AllreduceTransferMs, double[] PeakRssMbPerRank, double WallSeconds);

    public sealed record ScaleReport(string Data, string Role, TargetActions TargetActions, int BatchSize, int Steps, int WarmupSteps,
        long Parameters, IReadOnlyList<ScalePoint> Points);

    public static Command Create()
    {
        var role = TrainingRoleOption.Create("student");
        var teacher = new Option<string?>("--teacher") { Description = "With --role distill: the teacher to distil from (default: new teacher networks)" };
        var ranks = new Option<int>("--ranks") { Description = "Processes of the data-parallel run (mpiexec -n)", DefaultValueFactory = _ => 2 };
        var steps = new Option<int>("--steps") { Description = "Timed training steps per configuration", DefaultValueFactory = _ => 30 };
        var warmup = new Option<int>("--warmup-steps") { Description = "Untimed steps first", DefaultValueFactory = _ => 5 };
        var batch = new Option<int>("--batch-size") { Description = "Global lists per step (split across the ranks)", DefaultValueFactory = _ => 64 };
        var targets = new Option<string>("--target-actions")
        {
            Description = "Double-DQN action set: remaining_list or logged_next",
            DefaultValueFactory = _ => "remaining_list",
        };
        targets.AcceptOnlyFromAmong("remaining_list", "logged_next");
        var data = new Option<string>("--data")
        {
            Description = "Training data (as for train): a MovieLens-100K folder, a .tsv, a .parquet, or 'synthetic'",
            DefaultValueFactory = _ => DataLoader.Synthetic,
        };
        var config = new Option<FileInfo?>("--config") { Description = "JSON run config passed to every child (e.g. smaller synthetic data)" };
        var json = CommonOptions.Json();
        var command = new Command("scale",
            "Data-parallel speed-up: the same timed training steps in one process and under 'mpiexec -n N ... --distributed mpi' " +
            "(MPICH's mpiexec must be on PATH), one thread per rank; list items/s over the global batches, speed-up, all-reduce " +
            "ms per step and peak RSS per rank. --role distill times the student's distillation steps (teacher signals per batch).");
        foreach (var option in new Option[] { role, teacher, ranks, steps, warmup, batch, targets, data, config, json }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            int n = parse.GetValue(ranks);
            if (n < 2) throw new ArgumentException("--ranks must be at least 2 (the one-process run is always measured)");
            if (parse.GetValue(steps) < 1) throw new ArgumentException("--steps must be at least 1");
            string mpiexec = FindOnPath("mpiexec")
                ?? throw new InvalidOperationException("mpiexec not found on PATH: install MPICH (apt-get install mpich); Open MPI's mpiexec does not work with drlrec");
            string[] self = SelfCommand();
            string scratch = Directory.CreateTempSubdirectory("drlrec-bench-scale-").FullName;
            try
            {
                List<string> Arguments(string jsonFile, bool distributed)
                {
                    List<string> args = [.. self, "bench", "train", "--role", parse.GetValue(role)!, "--steps", $"{parse.GetValue(steps)}",
                        "--warmup-steps", $"{parse.GetValue(warmup)}", "--batch-size", $"{parse.GetValue(batch)}",
                        "--target-actions", parse.GetValue(targets)!, "--threads", "1", "--data", parse.GetValue(data)!, "--json", jsonFile];
                    if (parse.GetValue(config) is { } file) args.AddRange(["--config", file.FullName]);
                    if (parse.GetValue(teacher) is { } model) args.AddRange(["--teacher", Path.GetFullPath(model)]);
                    if (distributed) args.AddRange(["--distributed", "mpi"]);
                    return args;
                }

                var one = Busy.While("timing 1 process", () => RunChild(Arguments(Path.Combine(scratch, "1.json"), false), Path.Combine(scratch, "1.json")));
                var many = Busy.While($"timing {n} ranks (mpiexec -n {n})", () =>
                    RunChild([mpiexec, "-n", $"{n}", .. Arguments(Path.Combine(scratch, $"{n}.json"), true)], Path.Combine(scratch, $"{n}.json")));
                ScalePoint Point((ThroughputResult R, double Wall) m) => new(m.R.Ranks, m.R.ListItemsPerSecond,
                    m.R.ListItemsPerSecond / one.Result.ListItemsPerSecond, m.R.StepMillisecondsMedian, m.R.AllreduceMsPerStep, m.R.AllreduceTransferMs,
                    m.R.PeakRssMbPerRank ?? [], m.Wall);
                var report = new ScaleReport(parse.GetValue(data)!, one.Result.Role, one.Result.TargetActions, one.Result.BatchSize,
                    parse.GetValue(steps), parse.GetValue(warmup), one.Result.Parameters, [Point(one), Point(many)]);
                Print(report);
                if (parse.GetValue(json) is { } output) Json.WriteFile(output.FullName, report);
                return 0;
            }
            finally
            {
                Directory.Delete(scratch, recursive: true);
            }
        }));
        return command;
    }

    private static void Print(ScaleReport report)
    {
        var table = new Table()
            .Title($"data-parallel training: {report.Role}, {Json.Serialize(report.TargetActions).Trim('"')}, global batch {report.BatchSize}, {report.Steps} timed steps, 1 thread per rank")
            .AddColumns("ranks", "list items/s", "speed-up", "ms/step p50", "collectives ms/step", "all-reduce alone ms",
                "peak RSS per rank (MB)", "wall s");
        foreach (var p in report.Points)
            table.AddRow(p.Ranks.ToString(), $"[bold]{p.ListItemsPerSecond:N0}[/]", $"{p.SpeedUp:F2}×", p.StepMillisecondsMedian.ToString("F1"),
                p.AllreduceMsPerStep.ToString("F2"), p.AllreduceTransferMs.ToString("F2"), string.Join(" / ", p.PeakRssMbPerRank.Select(mb => mb.ToString("N0"))), p.WallSeconds.ToString("F1"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"[grey]{report.Parameters:N0} parameters; data {Markup.Escape(report.Data)}. collectives ms/step: time a step spends " +
                               "in all-reduces, waiting for the slower rank included; all-reduce alone: one all-reduce of the gradient buffer " +
                               "after a barrier (median of 20)[/]");
    }

    /// <summary>Runs one child to completion and reads the measurement it wrote; a failure shows the child's output.</summary>
    private static (ThroughputResult Result, double Wall) RunChild(IReadOnlyList<string> command, string jsonFile)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in command.Skip(1)) start.ArgumentList.Add(arg);
        start.Environment["OMP_NUM_THREADS"] = "1";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        double wall = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0 || !File.Exists(jsonFile))
            throw new InvalidOperationException($"'{string.Join(' ', command)}' failed (exit {process.ExitCode}):\n{stdout.Result}{stderr.Result}");
        var results = Json.Parse<List<ThroughputResult>>(File.ReadAllText(jsonFile), jsonFile);
        return (results.Single(), wall);
    }

    /// <summary>How to start this drlrec again: its apphost, or <c>dotnet drlrec.dll</c> when run through dotnet.</summary>
    private static string[] SelfCommand()
    {
        string host = System.Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program is running");
        string entry = Assembly.GetEntryAssembly()?.Location ?? "";
        bool throughDotnet = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        if (throughDotnet && !entry.EndsWith("drlrec.dll", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"bench scale must run as the drlrec program (the entry assembly is {entry})");
        return throughDotnet ? [host, entry] : [host];
    }

    private static string? FindOnPath(string program) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}
