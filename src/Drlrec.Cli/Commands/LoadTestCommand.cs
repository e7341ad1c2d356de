using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console;
using Drlrec.Checkpoints;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.IO;
using Drlrec.Serving;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec loadtest</c>: throughput and latency of a running <c>drlrec serve</c>, from this (second) process.</summary>
public static class LoadTestCommand
{
    /// <summary>Distinct bodies made up from a model; sent round-robin.</summary>
    private const int SynthesisedBodies = 64;

    public static Command Create()
    {
        var url = new Option<Uri>("--url")
        {
            Description = "Base URL of the service (POSTs go to /v1/rank)",
            Required = true,
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri;
                result.AddError($"--url: '{text}' is not an http(s) URL");
                return null;
            },
        };
        var file = new Option<FileInfo?>("--requests-file")
        {
            Description = "Request bodies: a JSON array, one JSON object, or JSON lines; sent round-robin",
            DefaultValueFactory = _ => null,
        };
        var model = ModelOptions.One("Instead of --requests-file: make up requests from this model's schema and vocabulary", required: false);
        var concurrency = new Option<int[]>("--concurrency")
        {
            Description = "Requests in flight, one level per comma-separated value",
            DefaultValueFactory = _ => [1, 4, 16],
            CustomParser = ParseLevels,
        };
        var duration = CommonOptions.Duration("--duration", "Measured time per level", TimeSpan.FromSeconds(10));
        var warmUp = CommonOptions.Duration("--warmup", "Unmeasured time before each level, 0 for none", TimeSpan.FromSeconds(1));
        var requests = new Option<long>("--requests")
        {
            Description = "Most measured requests per level (a level ends at whichever of --duration and --requests comes first)",
            DefaultValueFactory = _ => 100_000,
        };
        var candidates = new Option<int>("--candidates") { Description = "Candidates per made-up request (--model)", DefaultValueFactory = _ => 100 };
        var slateSize = new Option<int>("--slate-size") { Description = "slate_size of made-up requests (--model)", DefaultValueFactory = _ => 10 };
        var seed = CommonOptions.Seed("Seed of made-up requests (--model)");
        var heavy = new Option<int>("--heavy")
        {
            Description = "Extra clients sending heavy made-up requests (--model) for as long as each level runs; the table shows what they do to the ordinary requests",
            DefaultValueFactory = _ => 0,
        };
        var heavyCandidates = new Option<int>("--heavy-candidates") { Description = "Candidates per heavy request", DefaultValueFactory = _ => 1000 };
        var heavySlate = new Option<int>("--heavy-slate-size") { Description = "slate_size of heavy requests (1000 x 20 is the service's default --max-slate-work)", DefaultValueFactory = _ => 20 };
        var slateMs = new Option<double?>("--slate-ms")
        {
            Description = "The served model's slate p50 in ms from 'drlrec bench' (same model, backend and precision, same session): the table adds " +
                          "the ranker's capacity, cores / slate p50, beside the measured throughput, and each level's p50 over the slate's",
        };
        var cores = new Option<int>("--cores")
        {
            Description = "Cores the service ranks on, for the capacity figure (the service runs on this machine: loopback)",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var json = CommonOptions.Json();

        var command = new Command("loadtest",
            "Load-test a running service: closed-loop clients at each concurrency level; throughput and p50/p95/p99 latency.");
        foreach (var option in new Option[] { url, file, model, concurrency, duration, warmUp, requests, candidates, slateSize, seed, heavy, heavyCandidates, heavySlate, slateMs, cores, json })
            command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var bodies = Bodies(parse.GetValue(file), parse.GetValue(model), parse.GetValue(candidates), parse.GetValue(slateSize), parse.GetValue(seed));
            long budget = parse.GetValue(requests);
            if (budget < 1) throw new ArgumentException("--requests: must be at least 1");
            if (parse.GetValue(duration) <= TimeSpan.Zero) throw new ArgumentException("--duration: must be above 0");
            if (parse.GetValue(slateMs) is <= 0) throw new ArgumentException("--slate-ms: must be above 0");
            if (parse.GetValue(cores) < 1) throw new ArgumentException("--cores: must be at least 1");
            var baseUrl = parse.GetValue(url)!;
            var rankUrl = new Uri(baseUrl, "/v1/rank");
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var health = probe.GetFromJsonAsync<JsonElement>(new Uri(baseUrl, "/healthz")).GetAwaiter().GetResult();
            string served = health.TryGetProperty("model", out var m) && m.TryGetProperty("version", out var v) ? v.GetString() ?? "?" : "?";
            AnsiConsole.MarkupLineInterpolated($"load-testing {rankUrl} (model {served}) with {bodies.Count} distinct bodies");

            var heavyLoad = HeavyBodies(parse.GetValue(heavy), parse.GetValue(model), parse.GetValue(heavyCandidates), parse.GetValue(heavySlate),
                parse.GetValue(seed));
            var generator = new LoadGenerator(rankUrl, bodies);
            var levels = new List<LoadLevel>();
            foreach (int level in parse.GetValue(concurrency)!)
                levels.Add(AnsiConsole.Status().Start($"concurrency {level}", _ => generator.RunAsync(
                    level, parse.GetValue(duration), budget, parse.GetValue(warmUp), heavy: heavyLoad).GetAwaiter().GetResult()));

            if (parse.GetValue(slateMs) is { } slate) levels = levels.Select(r => r.AgainstCapacity(slate, parse.GetValue(cores))).ToList();
            // Short headers: without the capacity columns the table fits an 80-column terminal.
            bool capacity = levels.Any(r => r.CapacityRps is not null);
            var table = new Table().Title($"/v1/rank load test ({served}), latency in ms")
                .AddColumns("conc.", "requests", "errors", "s", "req/s", "p50", "p95", "p99", "max");
            if (capacity) table.AddColumns("capacity", "of cap.", "p50/slate");
            foreach (var r in levels)
            {
                string[] cells = [r.Concurrency.ToString(CultureInfo.InvariantCulture), r.Requests.ToString("N0"), r.Errors.ToString("N0"),
                    r.Seconds.ToString("F1"), $"[bold]{r.RequestsPerSecond:N0}[/]", r.P50Ms.ToString("F2"), r.P95Ms.ToString("F2"),
                    r.P99Ms.ToString("F2"), r.MaxMs.ToString("F2")];
                table.AddRow(capacity
                    ? [.. cells, $"{r.CapacityRps:N0}", $"{r.OfCapacity:P0}", $"{r.P50OverSlate:F2}"]
                    : cells);
            }
            AnsiConsole.Write(table);
            if (capacity)
                AnsiConsole.MarkupLineInterpolated($"capacity = {parse.GetValue(cores)} cores / slate p50 {parse.GetValue(slateMs):F3} ms (drlrec bench); the load generator shares these cores");
            foreach (var r in levels.Where(r => r.HeavyStatuses is not null))
                AnsiConsole.MarkupLineInterpolated($"concurrency {r.Concurrency}: heavy requests alongside ({heavyLoad!.Clients} clients): {string.Join(", ", r.HeavyStatuses!.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}");
            foreach (var r in levels.Where(r => r.Errors > 0))
                AnsiConsole.MarkupLineInterpolated($"[yellow]concurrency {r.Concurrency}: {r.Errors} errors[/] ({string.Join(", ", r.Statuses.Select(s => $"{s.Key}: {s.Value}"))})");
            if (parse.GetValue(json) is { } output)
                Json.WriteFile(output.FullName, new
                {
                    Url = rankUrl, Model = served, Bodies = bodies.Count, SlateMs = parse.GetValue(slateMs),
                    Cores = parse.GetValue(slateMs) is null ? (int?)null : parse.GetValue(cores), Levels = levels,
                });
            long failed = levels.Sum(r => r.Errors);
            return failed == 0 ? 0 : CliErrors.Fail($"{failed:N0} of {levels.Sum(r => r.Requests):N0} requests failed (the table and the lines above give each level's statuses)");
        }));
        return command;
    }

    private static IReadOnlyList<byte[]> Bodies(FileInfo? file, string? model, int candidates, int slateSize, int seed)
    {
        if ((file is null) == (model is null)) throw new ArgumentException("give exactly one of --requests-file and --model");
        if (file is not null) return LoadRequests.Read(file.FullName);
        using var loaded = ModelCheckpoint.Load(model!);
        return LoadRequests.Synthesise(loaded.Schema, loaded.Vocabulary, SynthesisedBodies, candidates, slateSize, seed);
    }

    private static HeavyLoad? HeavyBodies(int clients, string? model, int candidates, int slateSize, int seed)
    {
        if (clients < 0) throw new ArgumentException("--heavy: must be at least 0");
        if (clients == 0) return null;
        if (model is null) throw new ArgumentException("--heavy makes up its requests from --model; give --model");
        using var loaded = ModelCheckpoint.Load(model);
        return new HeavyLoad(LoadRequests.Synthesise(loaded.Schema, loaded.Vocabulary, clients, candidates, slateSize, seed + 1), clients);
    }

    private static int[] ParseLevels(ArgumentResult result)
    {
        var levels = new List<int>();
        foreach (string part in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int level) && level >= 1) levels.Add(level);
            else result.AddError($"--concurrency: '{part}' is not a positive integer");
        }
        if (levels.Count == 0 && result.Tokens.Count > 0) result.AddError("--concurrency: at least one level is needed");
        return [.. levels];
    }

}
