using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Drlrec.Checkpoints;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Data.Loading;
using Drlrec.IO;
using Drlrec.Serving;
using Drlrec.Workflows;

namespace Drlrec.Cli.Commands;

/// <summary>
/// <c>drlrec quickstart</c>: the README's main command, the whole job on one data set. Trains a teacher, distils a
/// DRL-Rec student from it and trains the same student alone, then prints the offline table with the baselines, the
/// size and latency ratios, the online clicks on the simulator, where the files are, and the commands to try next.
/// </summary>
public static class QuickstartCommand
{
    /// <summary>Sample /v1/rank requests written beside the runs, so that the printed <c>drlrec rank</c> line runs as is.</summary>
    private const string SampleRequests = "requests.jsonl";

    public static Command Create()
    {
        var settings = new QuickstartSettings();
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Folder for the three runs (teacher/, student/ the DRL-Rec student, student-alone/), student.onnx, requests.jsonl and report.json",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("runs", "quickstart")),
        };
        var latencyRepeats = new Option<int>("--latency-repeats")
        {
            Description = "Timed repetitions per model when the three are timed side by side (drlrec bench takes 200)",
            DefaultValueFactory = _ => settings.LatencyRepeats,
        };
        var onlineRequests = new Option<int>("--online-requests")
        {
            Description = "Simulated requests of the online evaluation (simulator only)",
            DefaultValueFactory = _ => settings.OnlineRequests,
        };
        var onlineCandidates = new Option<int>("--online-candidates")
        {
            Description = "Online, the models re-rank the upstream ranker's top N of each request's candidates (the baselines order all of them)",
            DefaultValueFactory = _ => settings.OnlineCandidates,
        };
        var run = new RunOptions();
        var defaults = QuickstartWorkflow.Defaults;
        var command = new Command("quickstart",
            "The whole job in a few minutes: train a teacher (d = 16), distil a DRL-Rec student (d = 8) from it and train the same student " +
            "alone (the control); evaluate the three and the baselines offline, time them side by side (params, one list request, one slate " +
            "request), measure their expected clicks on the simulator against the upstream and logging policies, and export the student to ONNX. " +
            $"Runs on the embedded simulator ({defaults.Data.Synthetic.Users:N0} users, {defaults.Data.Synthetic.Items:N0} items, " +
            $"{defaults.Data.Synthetic.Lists:N0} logged lists) unless --data names a data set (then without the online part); at most " +
            $"{defaults.Trainer.Epochs} epochs per run unless --epochs; distillation is DRL-Rec with its defaults (a --config file's distill " +
            "section changes them).");
        run.Epochs.DefaultValueFactory = _ => defaults.Trainer.Epochs;
        foreach (var option in new Option[] { output, latencyRepeats, onlineRequests, onlineCandidates }) command.Options.Add(option);
        run.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var config = run.Build(parse, defaults);
            var chosen = new QuickstartSettings
            {
                LatencyRepeats = parse.GetValue(latencyRepeats), OnlineRequests = parse.GetValue(onlineRequests),
                OnlineCandidates = parse.GetValue(onlineCandidates),
            };
            chosen.Validate();
            var data = Busy.While($"loading {config.Data.Source}", () => DataLoader.Prepare(config));
            Report.Data(data);
            string root = parse.GetValue(output)!.FullName;
            var result = QuickstartProgress.Run(observer => QuickstartWorkflow.Run(config, data, root, chosen, observer));
            var report = result.Report;

            Tables.Evaluation(report.Offline, "quickstart: offline evaluation on the test split");
            var (teacher, student, alone) = (result.Teacher, result.Student, result.StudentAlone);
            AnsiConsole.MarkupLineInterpolated(
                $"{student.Name} − {alone.Name}: AUC {student.Test.Auc - alone.Test.Auc:+0.0000;-0.0000;0.0000}, NDCG@10 {student.Test.Ndcg10 - alone.Test.Ndcg10:+0.0000;-0.0000;0.0000}");
            Tables.LatencyRatios(report.Latency);
            if (report.Online is { } online) Tables.Online(online);
            else AnsiConsole.MarkupLineInterpolated($"[yellow]online evaluation skipped:[/] {report.OnlineSkipped}");

            string requests = Path.Combine(root, SampleRequests);
            using (var loaded = ModelCheckpoint.Load(report.Files.Student))
            {
                // Values drawn from the student's vocabulary, as the load test makes them: 20 requests of 25 candidates into 10 slots.
                var bodies = LoadRequests.Synthesise(loaded.Schema, loaded.Vocabulary, 20, 25, config.Data.MaxListLength, config.Seed);
                AtomicFile.WriteAllText(requests, string.Concat(bodies.Select(b => System.Text.Encoding.UTF8.GetString(b) + "\n")));
            }
            var files = report.Files;
            var s = report.Seconds;
            AnsiConsole.MarkupLineInterpolated($"time: {teacher.Name} {s.Teacher:F0} s, {student.Name} {s.Student:F0} s, {alone.Name} {s.StudentAlone:F0} s,");
            AnsiConsole.MarkupLineInterpolated($"      timing and ONNX {s.Latency:F0} s, online {s.Online:F0} s; total [bold]{clock.Elapsed.TotalSeconds:F0} s[/]");
            AnsiConsole.MarkupLine("files:");
            Line($"  run folder, report.json    {files.Folder}");
            Line($"  teacher                    {files.Teacher}");
            Line($"  distilled student          {files.Student}");
            Line($"  student alone              {files.StudentAlone}");
            Line($"  training curves            {string.Join("  ", files.Plots)}");
            Line($"  ONNX student               {files.Onnx} ({OnnxBeside(files)})");
            Line($"  sample /v1/rank requests   {requests}");
            AnsiConsole.MarkupLine("next:");
            Line($"  drlrec serve --model {files.Student}");
            Line($"  drlrec serve --model {files.Student} --backend onnx --onnx {files.Onnx}");
            Line($"  drlrec rank --model {files.Student} --requests {requests} --out {Path.Combine(root, "ranked.jsonl")}");
            Line($"  drlrec evaluate --model {files.Teacher} --model {files.Student} --model {files.StudentAlone} --data <your lists, same fields>");
            Line($"  drlrec quickstart --data <your data> --out {Path.Combine(Path.GetDirectoryName(root) ?? ".", "mine")}");
            return 0;
        }));
        return command;
    }

    /// <summary>The files the student's export wrote beside its step graph, by name.</summary>
    private static string OnnxBeside(QuickstartFiles files) => string.Join(", ", new[]
    {
        ("list graph", files.OnnxList), ("vocabulary", files.OnnxVocabulary), ("encode graph", files.OnnxEncode),
        ("cached step graph", files.OnnxCached), ("slate graph", files.OnnxSlate),
    }.Where(f => f.Item2 is not null).Select(f => $"{f.Item1} {Path.GetFileName(f.Item2)}"));

    /// <summary>A path or command on one line, never wrapped at the console's width, so that it can be copied.</summary>
    private static void Line(string text) => AnsiConsole.Profile.Out.Writer.WriteLine(text);
}
