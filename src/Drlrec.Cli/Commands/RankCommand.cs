using System.CommandLine;
using Spectre.Console;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Serving;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec rank</c>: re-ranks a file of /v1/rank requests into a file of /v1/rank answers, without a server.</summary>
public static class RankCommand
{
    public static Command Create()
    {
        var model = ModelOptions.One();
        var requests = new Option<FileInfo>("--requests")
        {
            Description = "Requests in the /v1/rank request shape, one JSON object per line (docs/serving.md)",
            Required = true,
        };
        var output = new Option<FileInfo>("--out")
        {
            Description = "Answers in the /v1/rank answer shape plus \"line\" (the request's input line), one line per request in the same order (written atomically)",
            Required = true,
        };
        var backend = ScorerOptions.Backend();
        var onnx = ScorerOptions.Onnx();
        var threads = new Option<int>("--threads")
        {
            Description = "Requests ranked at once, each on its own copy of the network with one libtorch thread (default: CPU cores)",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var skip = new Option<bool>("--skip-bad-records")
        {
            Description = "Skip requests the service would refuse (the first ones are listed with their line and reason; each answer " +
                          "carries its request's input line) instead of stopping at the first",
        };
        var command = new Command("rank",
            "Re-rank a file of requests (JSON lines, the /v1/rank request shape) into a file of answers, without starting a server; " +
            "the same request checks and ranker as the service.");
        foreach (var option in new Option[] { model, requests, output, backend, onnx, threads, skip }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            int workers = parse.GetValue(threads);
            if (workers < 1) throw new ArgumentException("--threads: must be at least 1");
            var options = new ServeOptions
            {
                Model = parse.GetValue(model)!, Backend = parse.GetValue(backend)!, OnnxFile = parse.GetValue(onnx),
                Workers = workers, TorchThreads = 1,
            };
            options.Validate();
            TorchSharp.torch.set_num_threads(1);
            string input = parse.GetValue(requests)!.FullName, target = parse.GetValue(output)!.FullName;
            long lines = File.Exists(input) ? File.ReadLines(input).LongCount() : 0;
            BatchRankResult result = null!;
            AnsiConsole.Progress().Start(ctx =>
            {
                var task = ctx.AddTask("ranking requests", maxValue: Math.Max(1, lines));
                result = BatchRanking.Run(options, input, target, parse.GetValue(skip), n => task.Increment(n));
            });
            AnsiConsole.MarkupLineInterpolated(
                $"ranked {result.Ranked:N0} requests with {result.Model.Version} ({result.Model.Backend}, {workers} threads) in {result.Seconds:F1} s: [bold]{result.RequestsPerSecond:N0} requests/s[/]");
            if (result.Skipped > 0)
            {
                // The answers carry their input line ("line"), so the skipped ones show as gaps; the first few are quoted here.
                AnsiConsole.MarkupLineInterpolated($"[yellow]skipped {result.Skipped:N0} refused requests[/] (--skip-bad-records; each answer's \"line\" is its request's input line):");
                foreach (string example in result.SkippedExamples) AnsiConsole.MarkupLineInterpolated($"  skipped {example}");
                if (result.Skipped > result.SkippedExamples.Count)
                    AnsiConsole.MarkupLineInterpolated($"  ... and {result.Skipped - result.SkippedExamples.Count:N0} more");
            }
            Report.Wrote(target);
            return 0;
        }));
        return command;
    }
}
