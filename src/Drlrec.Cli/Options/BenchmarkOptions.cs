using System.CommandLine;
using Drlrec.Benchmarking;

namespace Drlrec.Cli.Options;

/// <summary>The options of the latency benchmark (<c>drlrec bench</c>): repetitions, requests, threads, backend.</summary>
public sealed class BenchmarkOptions
{
    private static readonly LatencySettings Defaults = new();

    public Option<string> Backend { get; } = new("--backend")
    {
        Description = "torch (TorchSharp) or onnx (each model exported to ONNX and run with ONNX Runtime)",
        DefaultValueFactory = _ => Defaults.Backend,
    };

    public Option<int> Repeats { get; } = new("--repeats")
    {
        Description = "Timed repetitions per model (each times one list, one pool and one slate request)",
        DefaultValueFactory = _ => Defaults.Repeats,
    };

    public Option<int> WarmupRepeats { get; } = new("--warmup-repeats")
    {
        Description = "Untimed repetitions first",
        DefaultValueFactory = _ => Defaults.WarmupRepeats,
    };

    public Option<int> Requests { get; } = new("--requests")
    {
        Description = "Distinct requests (test lists) cycled through",
        DefaultValueFactory = _ => Defaults.Requests,
    };

    public Option<int> Pool { get; } = new("--pool") { Description = "Candidates per pool request", DefaultValueFactory = _ => Defaults.Pool };

    public Option<int> Prefix { get; } = new("--prefix")
    {
        Description = "Items already placed before the pool's slot",
        DefaultValueFactory = _ => Defaults.Prefix,
    };

    public Option<int> Candidates { get; } = new("--candidates")
    {
        Description = "Candidates of the slate request (the list's items, then catalog items)",
        DefaultValueFactory = _ => Defaults.SlateCandidates,
    };

    public Option<int> Slots { get; } = new("--slots") { Description = "Slots the slate request fills", DefaultValueFactory = _ => Defaults.SlateSlots };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "CPU threads for tensor operations (1 = one request per core, as a serving process would; 0 = libtorch's default)",
        DefaultValueFactory = _ => Defaults.Threads,
    };

    public Option<int> Seed { get; } = CommonOptions.Seed("Seed of the pool candidates");

    public Option<string> Quantize { get; } = CommonOptions.Quantize(
        "int8 (with --backend onnx): time each model twice side by side, its float32 export then its int8 export " +
        "(rows carry precision fp32/int8); none: float32 only");

    public Option<string> SlateGraph { get; } = new("--slate-graph")
    {
        Description = "onnx slates: on = one call per slate (the slate graph, the greedy loop inside ONNX Runtime), off = one call per slot, " +
                      "both = each model both ways side by side (rows carry slate_calls one/per_slot)",
        DefaultValueFactory = _ => Defaults.SlateGraph,
    };

    public Option<int> GemmRepeats { get; } = new("--gemm-repeats")
    {
        Description = "The efficiency's yardstick: a probe call multiplies --candidates rows by each weight a step applies per candidate, this many times",
        DefaultValueFactory = _ => Defaults.GemmRepeats,
    };

    public BenchmarkOptions()
    {
        Backend.AcceptOnlyFromAmong("torch", "onnx");
        SlateGraph.AcceptOnlyFromAmong("on", "off", "both");
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Backend, Quantize, SlateGraph, Repeats, WarmupRepeats, Requests, Pool, Prefix, Candidates, Slots, Threads, GemmRepeats, Seed })
            command.Options.Add(option);
    }

    public LatencySettings Settings(ParseResult parse) => new()
    {
        Backend = parse.GetValue(Backend)!,
        Repeats = parse.GetValue(Repeats),
        WarmupRepeats = parse.GetValue(WarmupRepeats),
        Requests = parse.GetValue(Requests),
        Pool = parse.GetValue(Pool),
        Prefix = parse.GetValue(Prefix),
        SlateCandidates = parse.GetValue(Candidates),
        SlateSlots = parse.GetValue(Slots),
        Threads = parse.GetValue(Threads),
        Seed = parse.GetValue(Seed),
        Quantize = Onnx.OnnxPrecisions.Parse(parse.GetValue(Quantize)!),
        SlateGraph = parse.GetValue(SlateGraph)!,
        GemmRepeats = parse.GetValue(GemmRepeats),
    };
}
