using System.CommandLine;
using Drlrec.Cli.Output;
using Drlrec.Serving;
using Spectre.Console;
using Drlrec.Cli.Options;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec serve</c>: the re-ranking HTTP service for one model.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServeOptions { Model = "" };
        var model = new Option<string>("--model")
        {
            Description = "Run folder with model.ckpt (usually the distilled student), or the checkpoint file",
            Required = true,
        };
        var urls = new Option<string>("--urls")
        {
            Description = "Listen URLs, ';'-separated (port 0 picks a free port and prints it)",
            DefaultValueFactory = _ => defaults.Urls,
        };
        var backend = ScorerOptions.Backend();
        var onnx = ScorerOptions.Onnx();
        var maxCandidates = new Option<int>("--max-candidates")
        {
            Description = "Requests with more candidates are refused (400)",
            DefaultValueFactory = _ => defaults.MaxCandidates,
        };
        var maxBody = new Option<long>("--max-body-bytes")
        {
            Description = "Larger request bodies are refused (413)",
            DefaultValueFactory = _ => defaults.MaxBodyBytes,
        };
        var maxValues = new Option<int>("--max-values-per-field")
        {
            Description = "Most values one field of a request may carry (400 above)",
            DefaultValueFactory = _ => defaults.MaxValuesPerField,
        };
        var maxWork = new Option<int>("--max-slate-work")
        {
            Description = "Most candidate scorings one request may cost, candidates x slots placed (400 above; a 100 -> 10 slate is 1,000)",
            DefaultValueFactory = _ => defaults.MaxSlateWork,
        };
        var deadline = new Option<int>("--deadline-ms")
        {
            Description = "Per-request deadline in milliseconds, waiting included; past it the ranker stops and the answer is 503",
            DefaultValueFactory = _ => (int)defaults.Deadline.TotalMilliseconds,
        };
        var maxQueue = new Option<int>("--max-queue")
        {
            Description = "Most requests waiting for a busy scorer; one more is answered 503 with Retry-After at once",
            DefaultValueFactory = _ => defaults.MaxQueue,
        };
        var heavyWork = new Option<int>("--heavy-work")
        {
            Description = "Requests costing more candidate scorings than this are heavy: scored only by the --heavy-workers scorers, never holding an ordinary one",
            DefaultValueFactory = _ => defaults.HeavyWork,
        };
        var heavyWorkers = new Option<int>("--heavy-workers")
        {
            Description = "Scorers reserved for heavy requests, besides --workers (0: heavy requests share the ordinary scorers)",
            DefaultValueFactory = _ => defaults.HeavyWorkers,
        };
        var logRequests = new Option<bool>("--log-requests")
        {
            Description = "Log one line per request: method, path, status, ms, request_id, model version, trace id (default off)",
        };
        var logFormat = new Option<string>("--log-format")
        {
            Description = "text, or json (one JSON object per log record, for log collectors; the start line is a record too)",
            DefaultValueFactory = _ => "text",
        };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var workers = new Option<int>("--workers")
        {
            Description = "Requests scored at once, each on its own copy of the network; more wait in line (default: CPU cores)",
            DefaultValueFactory = _ => defaults.Workers,
        };
        var threads = new Option<int>("--threads")
        {
            Description = "libtorch threads per operation (0 = cores / workers, at least 1, so workers do not oversubscribe the CPU)",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("serve",
            "Serve a model over HTTP: POST /v1/rank re-ranks candidates into a slate; GET /healthz (liveness); GET /readyz (readiness); GET /metrics (Prometheus); " +
            "POST /admin/reload swaps in a new checkpoint without downtime (loopback clients only). " +
            "Stops gracefully on SIGTERM or Ctrl+C.");
        foreach (var option in new Option[] { model, urls, backend, onnx, maxCandidates, maxWork, deadline, maxQueue, maxBody, maxValues, workers, heavyWork, heavyWorkers, threads, logRequests, logFormat })
            command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            int workerCount = parse.GetValue(workers);
            int threadCount = parse.GetValue(threads);
            var options = new ServeOptions
            {
                Model = parse.GetValue(model)!,
                Urls = parse.GetValue(urls)!,
                Backend = parse.GetValue(backend)!,
                OnnxFile = parse.GetValue(onnx),
                MaxCandidates = parse.GetValue(maxCandidates),
                MaxBodyBytes = parse.GetValue(maxBody),
                MaxValuesPerField = parse.GetValue(maxValues),
                MaxSlateWork = parse.GetValue(maxWork),
                Deadline = TimeSpan.FromMilliseconds(parse.GetValue(deadline)),
                MaxQueue = parse.GetValue(maxQueue),
                Workers = workerCount,
                HeavyWork = parse.GetValue(heavyWork),
                HeavyWorkers = parse.GetValue(heavyWorkers),
                LogRequests = parse.GetValue(logRequests),
                JsonLogs = parse.GetValue(logFormat) == "json",
                TorchThreads = threadCount > 0 ? threadCount : Math.Max(1, Environment.ProcessorCount / Math.Max(1, workerCount)),
            };
            options.Validate();
            var service = RankingService.Create(options);
            try
            {
                service.StartAsync().GetAwaiter().GetResult();
                // With JSON logs, stdout carries log records only: the service logs its own start line.
                if (!options.JsonLogs)
                {
                    var info = service.Model;
                    AnsiConsole.MarkupLineInterpolated(
                        $"serving [bold]{info.Name}[/] ({info.Role}, {info.Parameters:N0} parameters) version {info.Version}, backend [bold]{info.Backend}[/], {service.Workers} workers (+{options.HeavyWorkers} for requests over {options.HeavyWork:N0} scorings) x {options.TorchThreads} threads");
                    foreach (string url in service.Urls) AnsiConsole.MarkupLineInterpolated($"listening on {url}");
                    AnsiConsole.MarkupLine("POST /v1/rank, GET /healthz, GET /readyz, GET /metrics, POST /admin/reload (loopback); Ctrl+C or SIGTERM stops after in-flight requests");
                }
                service.WaitForShutdownAsync().GetAwaiter().GetResult();
                if (!options.JsonLogs) AnsiConsole.MarkupLine("stopped");
            }
            finally
            {
                service.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return 0;
        }));
        return command;
    }
}
