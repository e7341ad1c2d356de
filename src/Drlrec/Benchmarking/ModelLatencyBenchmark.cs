using System.Diagnostics;
using System.Text.Json.Serialization;
using static TorchSharp.torch;
using Drlrec.Checkpoints;
using Drlrec.Data;
using Drlrec.Evaluation;
using Drlrec.Features;

namespace Drlrec.Benchmarking;

/// <summary>One model's size and latency in a benchmark run. <c>Bytes</c>: the checkpoint's size (torch), or the serving
/// graphs' (onnx: the step, encode and cached step graphs of the row's precision).</summary>
public sealed record ModelLatency(
    string Name,
    long Params,
    long Bytes,
    [property: JsonPropertyName("latency_ms_p50")] double LatencyMsP50,
    [property: JsonPropertyName("latency_ms_p99")] double LatencyMsP99,
    [property: JsonPropertyName("pool_ms_p50")] double PoolMsP50,
    [property: JsonPropertyName("pool_ms_p99")] double PoolMsP99)
{
    /// <summary>One slate request (<see cref="LatencySettings.SlateCandidates"/> candidates into
    /// <see cref="LatencySettings.SlateSlots"/> slots through <see cref="Ranking.SlateRanker"/>, encoding included).</summary>
    [JsonPropertyName("slate_ms_p50")] public double SlateMsP50 { get; init; }
    [JsonPropertyName("slate_ms_p99")] public double SlateMsP99 { get; init; }

    /// <summary>"fp32", or "int8" for the int8 export of the same model (<c>--quantize int8</c>).</summary>
    public string Precision { get; init; } = "fp32";

    /// <summary>How the slate was ranked: "one" call (the ONNX slate graph) or "per_slot" (one call per slot).</summary>
    [JsonPropertyName("slate_calls")] public string SlateCalls { get; init; } = "per_slot";

    /// <summary>MACs of one slate request counted from the model's dimensions (<see cref="Model.MacCount.Slate"/>).</summary>
    [JsonPropertyName("slate_macs")] public long SlateMacs { get; init; }

    /// <summary>Achieved rate: <see cref="SlateMacs"/> / slate p50, in GMAC/s.</summary>
    [JsonPropertyName("slate_gmacs")] public double SlateGmacs { get; init; }

    /// <summary>The GEMM rate of this machine at the model's step shapes through the same backend and precision, measured in
    /// the same run (p50 of one probe call per repetition), in GMAC/s.</summary>
    [JsonPropertyName("gemm_peak_gmacs")] public double GemmPeakGmacs { get; init; }

    /// <summary><see cref="SlateGmacs"/> / <see cref="GemmPeakGmacs"/>.</summary>
    public double Efficiency { get; init; }
}

/// <summary>A model's size and latency relative to the first model of the run.</summary>
public sealed record LatencyRatio(
    string Name,
    double Params,
    double Bytes,
    [property: JsonPropertyName("latency_p50")] double LatencyP50,
    [property: JsonPropertyName("pool_p50")] double PoolP50)
{
    [JsonPropertyName("slate_p50")] public double SlateP50 { get; init; }
    public string Precision { get; init; } = "fp32";
    [JsonPropertyName("slate_calls")] public string SlateCalls { get; init; } = "per_slot";
}

/// <summary>What <c>drlrec bench --json</c> writes.</summary>
public sealed record LatencyReport(
    IReadOnlyList<ModelLatency> Models, IReadOnlyList<LatencyRatio> Ratios, string Backend, int Threads, int Repeats,
    int ListLength, int PoolSize, int PrefixLength, string Data)
{
    /// <summary>Candidates and slots of the slate request.</summary>
    public int SlateCandidates { get; init; }
    public int SlateSlots { get; init; }
}

/// <summary>How models are timed side by side (the <c>drlrec bench</c> options).</summary>
public sealed record LatencySettings
{
    /// <summary>"torch" (TorchSharp) or "onnx" (each model exported to ONNX and run with ONNX Runtime). Default torch.</summary>
    public string Backend { get; init; } = "torch";

    /// <summary>Timed repetitions per model (each times one list and one pool request). Default 200.</summary>
    public int Repeats { get; init; } = 200;

    /// <summary>Untimed repetitions first. Default 20.</summary>
    public int WarmupRepeats { get; init; } = 20;

    /// <summary>Distinct requests (test lists) cycled through. Default 50.</summary>
    public int Requests { get; init; } = 50;

    /// <summary>Candidates per pool request. Default 1000.</summary>
    public int Pool { get; init; } = 1000;

    /// <summary>Items already placed before the pool's slot. Default 5.</summary>
    public int Prefix { get; init; } = 5;

    /// <summary>CPU threads for tensor operations while timing (1: one request per core, as a serving process runs;
    /// 0 keeps libtorch's default). Default 1.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Candidates of the slate request (a list's items, then catalog items). Default 100.</summary>
    public int SlateCandidates { get; init; } = 100;

    /// <summary>Slots the slate request fills. Default 10.</summary>
    public int SlateSlots { get; init; } = 10;

    /// <summary>Seed of the pool candidates. Default 42.</summary>
    public int Seed { get; init; } = Configuration.RunConfig.DefaultSeed;

    /// <summary>With <see cref="Onnx.OnnxPrecision.Int8"/> (onnx only), each model is timed twice side by side: its float32
    /// export, then its int8 export. Default float32 only.</summary>
    public Onnx.OnnxPrecision Quantize { get; init; } = Onnx.OnnxPrecision.Float32;

    /// <summary>ONNX slates: "on" ranks a slate in one call (the slate graph), "off" in one call per slot, "both" times
    /// each model both ways side by side. Default on.</summary>
    public string SlateGraph { get; init; } = "on";

    /// <summary>Repetitions of the step's GEMMs in one probe call (<see cref="Onnx.OnnxGemmProbe"/>). Default 4.</summary>
    public int GemmRepeats { get; init; } = 4;

    /// <summary>The (precision, one call per slate) variants timed per model, in order.</summary>
    public IReadOnlyList<(Onnx.OnnxPrecision Precision, bool WholeSlate)> Variants()
    {
        Onnx.OnnxPrecision[] precisions = Quantize == Onnx.OnnxPrecision.Int8 ? [Onnx.OnnxPrecision.Float32, Onnx.OnnxPrecision.Int8] : [Onnx.OnnxPrecision.Float32];
        bool[] whole = Backend != "onnx" ? [false] : SlateGraph switch { "off" => [false], "both" => [true, false], _ => [true] };
        return precisions.SelectMany(p => whole.Select(w => (p, w))).ToList();
    }

    public void Validate()
    {
        if (Backend is not ("torch" or "onnx")) throw new ArgumentException($"--backend: '{Backend}' is not torch or onnx");
        if (Quantize != Onnx.OnnxPrecision.Float32 && Backend != "onnx")
            throw new ArgumentException("--quantize int8 needs --backend onnx (the int8 model is an ONNX export)");
        if (SlateGraph is not ("on" or "off" or "both")) throw new ArgumentException($"--slate-graph: '{SlateGraph}' is not on, off or both");
        if (GemmRepeats < 1) throw new ArgumentException("--gemm-repeats: must be at least 1");
        if (Repeats < 1) throw new ArgumentException("--repeats: must be at least 1");
        if (WarmupRepeats < 0) throw new ArgumentException("--warmup-repeats: must not be negative");
        if (Threads < 0) throw new ArgumentException("--threads: must not be negative");
        if (Requests < 1 || Pool < 1 || Prefix < 0) throw new ArgumentException("--requests and --pool must be at least 1, --prefix at least 0");
        if (SlateCandidates < 1 || SlateSlots < 1) throw new ArgumentException("--candidates and --slots must be at least 1");
    }
}

/// <summary>Scores one request of a benchmark: a whole list, a candidate pool after a prefix, or a whole slate.</summary>
public interface ILatencyTarget : IDisposable
{
    string Name { get; }
    long Parameters { get; }
    long Bytes { get; }

    /// <summary>Scores request <paramref name="i"/> (a list of L positions).</summary>
    void ScoreList(int i);

    /// <summary>Scores pool <paramref name="i"/> (N_c candidates at the next slot of a prefix).</summary>
    void ScorePool(int i);

    /// <summary>Ranks slate request <paramref name="i"/> from field maps to slate, as the service does.</summary>
    void RankSlate(int i);

    /// <summary>"fp32" or "int8".</summary>
    string Precision => "fp32";

    /// <summary>"one" call per slate or "per_slot".</summary>
    string SlateCalls => "per_slot";

    /// <summary>MACs of one slate request (0: not counted).</summary>
    long SlateMacs => 0;

    /// <summary>MACs of one <see cref="Gemm"/> call (0: no probe).</summary>
    long GemmMacs => 0;

    /// <summary>One call of the GEMM probe at the model's shapes (the yardstick of <see cref="ModelLatency.Efficiency"/>).</summary>
    void Gemm()
    {
    }
}

/// <summary>
/// Side-by-side latency of several models in one process on the same requests: each repetition times every model
/// on the same request, in a freshly shuffled order (seeded), after warm-up. A fixed or rotated order would give each
/// model the same predecessor every time, and the model timed right after the large one pays for its cache evictions.
/// Reported per model: the median and 99th percentile of one list request, one pool request and one slate request, and
/// the ratios to the first model.
/// </summary>
public static class ModelLatencyBenchmark
{
    /// <summary>
    /// Times <paramref name="models"/> (ratios relative to the first) on requests made from <paramref name="lists"/>
    /// (the list requests) and <paramref name="catalog"/> (the pool candidates), with libtorch set to
    /// <see cref="LatencySettings.Threads"/> threads for the duration.
    /// </summary>
    /// <param name="data">Name of the data set, for the report.</param>
    public static LatencyReport Measure(IReadOnlyList<LoadedModel> models, ListDataset lists, IItemCatalog catalog, LatencySettings settings,
        int listLength, string data, Action<int>? onRepeat = null)
    {
        settings.Validate();
        int threads = get_num_threads();
        if (settings.Threads > 0) set_num_threads(settings.Threads);
        var sets = new List<LatencyRequests>();
        var targets = new List<ILatencyTarget>();
        try
        {
            foreach (var model in models)
            {
                var set = LatencyRequests.Build(lists, catalog, model, settings);
                sets.Add(set);
                foreach (var (precision, whole) in settings.Variants())
                    targets.Add(settings.Backend == "onnx"
                        ? new OnnxLatencyTarget(model, set, Math.Max(1, settings.Threads), precision, whole, settings)
                        : new TorchLatencyTarget(model, set, settings));
            }
            return Run(targets, settings.WarmupRepeats, settings.Repeats, sets.Min(r => r.Count), settings.Backend, listLength,
                settings.Pool, settings.Prefix, data, onRepeat) with { SlateCandidates = settings.SlateCandidates, SlateSlots = settings.SlateSlots };
        }
        finally
        {
            foreach (var t in targets) t.Dispose();
            foreach (var r in sets) r.Dispose();
            set_num_threads(threads);
        }
    }

    public static LatencyReport Run(IReadOnlyList<ILatencyTarget> targets, int warmup, int repeats, int requests, string backend,
        int listLength, int poolSize, int prefixLength, string data, Action<int>? onRepeat = null)
    {
        var list = targets.Select(_ => new List<double>()).ToArray();
        var pool = targets.Select(_ => new List<double>()).ToArray();
        var slate = targets.Select(_ => new List<double>()).ToArray();
        var gemm = targets.Select(_ => new List<double>()).ToArray();
        var order = Enumerable.Range(0, targets.Count).ToArray();
        var rng = new Random(17);
        for (int r = 0; r < warmup + repeats; r++)
        {
            rng.Shuffle(order);
            foreach (int m in order)
            {
                var clock = Stopwatch.StartNew();
                targets[m].ScoreList(r % requests);
                double listMs = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                targets[m].ScorePool(r % requests);
                double poolMs = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                targets[m].RankSlate(r % requests);
                double slateMs = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                targets[m].Gemm();
                double gemmMs = clock.Elapsed.TotalMilliseconds;
                if (r < warmup) continue;
                list[m].Add(listMs);
                pool[m].Add(poolMs);
                slate[m].Add(slateMs);
                gemm[m].Add(gemmMs);
            }
            if (r >= warmup) onRepeat?.Invoke(1);
        }
        var models = targets.Select((t, m) =>
        {
            double slateP50 = Percentiles.Of(slate[m], 0.5), gemmP50 = Percentiles.Of(gemm[m], 0.5);
            double slateGmacs = Gmacs(t.SlateMacs, slateP50), peak = Gmacs(t.GemmMacs, gemmP50);
            return new ModelLatency(t.Name, t.Parameters, t.Bytes,
                Percentiles.Of(list[m], 0.5), Percentiles.Of(list[m], 0.99), Percentiles.Of(pool[m], 0.5), Percentiles.Of(pool[m], 0.99))
            {
                SlateMsP50 = slateP50, SlateMsP99 = Percentiles.Of(slate[m], 0.99), Precision = t.Precision, SlateCalls = t.SlateCalls,
                SlateMacs = t.SlateMacs, SlateGmacs = slateGmacs, GemmPeakGmacs = peak, Efficiency = peak > 0 ? slateGmacs / peak : 0,
            };
        }).ToList();
        var first = models[0];
        var ratios = models.Select(m => new LatencyRatio(m.Name, (double)m.Params / first.Params, (double)m.Bytes / first.Bytes,
            m.LatencyMsP50 / first.LatencyMsP50, m.PoolMsP50 / first.PoolMsP50)
        {
            SlateP50 = m.SlateMsP50 / first.SlateMsP50, Precision = m.Precision, SlateCalls = m.SlateCalls,
        }).ToList();
        return new LatencyReport(models, ratios, backend, get_num_threads(), repeats, listLength, poolSize, prefixLength, data);
    }

    /// <summary>MACs done in <paramref name="milliseconds"/>, in GMAC/s (0 when either is 0).</summary>
    public static double Gmacs(long macs, double milliseconds) => macs > 0 && milliseconds > 0 ? macs / (milliseconds * 1e6) : 0;
}

/// <summary>
/// The benchmark's requests for one model, encoded with that model's vocabulary: R logged lists (the list requests)
/// and, per list, a prefix of its first P items plus N_c catalog items placed in the next slot (the pool requests);
/// and, as field maps, a slate request per list: its user and context, its items then catalog items as candidates.
/// </summary>
public sealed class LatencyRequests : IDisposable
{
    private LatencyRequests(Tensor lists, Tensor poolRows, int prefixLength, IReadOnlyList<Ranking.SlateRequest> slates)
    {
        Lists = lists;
        PoolRows = poolRows;
        PrefixLength = prefixLength;
        Slates = slates;
    }

    /// <summary>One slate request per list (field maps, encoded by the ranker while timed).</summary>
    public IReadOnlyList<Ranking.SlateRequest> Slates { get; }

    /// <summary>[R, L, F, M] one list per request.</summary>
    public Tensor Lists { get; }
    /// <summary>[R, N_c, F, M] candidates in slot P of each list.</summary>
    public Tensor PoolRows { get; }
    public int PrefixLength { get; }
    public int Count => (int)Lists.shape[0];

    public static LatencyRequests Build(ListDataset lists, IItemCatalog catalog, LoadedModel model, LatencySettings settings)
    {
        int prefixLength = settings.Prefix;
        var full = lists.WithLists(lists.Lists.Where(l => l.Items.Count > prefixLength).Take(settings.Requests).ToList());
        if (full.Lists.Count == 0) throw new InvalidDataException($"no list longer than {prefixLength} items to benchmark with");
        var encoded = EncodedLists.Encode(full, model.Vocabulary);
        using var encodedCatalog = EncodedCatalog.Encode(catalog, model.Vocabulary, model.Layout);
        var rng = new Random(settings.Seed);
        int n = Math.Min(settings.Pool, catalog.Count);
        var picks = new long[encoded.Count * n];
        for (int r = 0; r < encoded.Count; r++)
            for (int j = 0; j < n; j++) picks[r * n + j] = rng.Next(catalog.Count);
        var batch = encoded.Batch(Enumerable.Range(0, encoded.Count).ToArray());
        var slot = batch.Rows.select(1, prefixLength);                                          // [R, F, M]
        var pool = model.Layout.Place(slot, encodedCatalog.Gather(tensor(picks, [encoded.Count, n])));
        var slates = full.Lists.Select(list => Slate(full.Schema, list, catalog, settings, rng)).ToList();
        return new LatencyRequests(batch.Rows.DetachFromDisposeScope(), pool.DetachFromDisposeScope(), prefixLength, slates);
    }

    /// <summary>The list's user and context (position left to the ranker), its items, then random catalog items.</summary>
    private static Ranking.SlateRequest Slate(ListSchema schema, LoggedList list, IItemCatalog catalog, LatencySettings settings, Random rng)
    {
        var fields = list.Items[0].Values;
        Dictionary<string, string[]> Group(FieldGroup group) => schema.IndicesOf(group)
            .Where(f => !schema.Fields[f].Derived && schema.Fields[f].Name != Ranking.SlateRanker.PositionField)
            .ToDictionary(f => schema.Fields[f].Name, f => fields[f]);
        var itemFields = schema.IndicesOf(FieldGroup.Item).Where(f => !schema.Fields[f].Derived).ToArray();
        int first = schema.FirstItemField;
        var candidates = list.Items.Take(settings.SlateCandidates)
            .Select(item => (IReadOnlyDictionary<string, string[]>)itemFields.ToDictionary(f => schema.Fields[f].Name, f => item.Values[f]))
            .ToList();
        while (candidates.Count < settings.SlateCandidates)
        {
            var values = catalog.ItemFieldValues(rng.Next(catalog.Count));
            candidates.Add(itemFields.ToDictionary(f => schema.Fields[f].Name, f => values[f - first]));
        }
        return new Ranking.SlateRequest(Group(FieldGroup.User), Group(FieldGroup.Context), candidates, settings.SlateSlots);
    }

    public void Dispose()
    {
        Lists.Dispose();
        PoolRows.Dispose();
    }
}

/// <summary>
/// TorchSharp latency target: <c>Forward</c> for a list; for a pool, one candidate step from the prefix state, which is
/// cached beforehand (as a serving loop holds it) and not timed.
/// </summary>
public sealed class TorchLatencyTarget : ILatencyTarget
{
    private readonly LoadedModel model;
    private readonly LatencyRequests requests;
    private readonly Model.PrefixState[] prefixes;
    private readonly Ranking.TorchStepScorer scorer;
    private readonly Ranking.SlateRanker ranker;
    private readonly TorchGemmProbe? probe;

    public TorchLatencyTarget(LoadedModel model, LatencyRequests requests, LatencySettings? settings = null)
    {
        this.model = model;
        this.requests = requests;
        if (settings is not null)
        {
            SlateMacs = Model.MacCount.Slate(model.Online, settings.SlateCandidates, settings.SlateSlots);
            probe = new TorchGemmProbe(model.Online, settings.SlateCandidates, settings.GemmRepeats);
        }
        scorer = new Ranking.TorchStepScorer(model.Online);
        ranker = new Ranking.SlateRanker(scorer, model.Vocabulary, model.Schema);
        using var noGrad = no_grad();
        prefixes = Enumerable.Range(0, requests.Count).Select(i =>
        {
            var output = model.Online.Forward(requests.Lists.narrow(0, i, 1).narrow(1, 0, Math.Max(1, requests.PrefixLength)));
            var p = model.Online.PrefixAt(output, requests.PrefixLength);
            return new Model.PrefixState(p.Keys.contiguous().DetachFromDisposeScope(), p.Values.contiguous().DetachFromDisposeScope(),
                p.Hidden.contiguous().DetachFromDisposeScope()) { MatchRows = p.MatchRows?.contiguous().DetachFromDisposeScope() };
        }).ToArray();
    }

    public string Name => model.Name;
    public long Parameters => model.Online.ParameterCount;
    public long Bytes => model.Bytes;

    /// <summary>The cached prefix state of request <paramref name="i"/>.</summary>
    public Model.PrefixState Prefix(int i) => prefixes[i];

    public void ScoreList(int i)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.Online.Forward(requests.Lists.narrow(0, i, 1)).Q.data<float>();
    }

    public void ScorePool(int i)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.Online.ScoreCandidates(prefixes[i], requests.PoolRows.narrow(0, i, 1)).Q.data<float>();
    }

    public void RankSlate(int i) => ranker.Rank(requests.Slates[i]);

    public long SlateMacs { get; }
    public long GemmMacs => probe?.Macs ?? 0;
    public void Gemm() => probe?.Run();

    public void Dispose()
    {
        scorer.Dispose();
        probe?.Dispose();
        foreach (var p in prefixes)
        {
            p.Keys.Dispose();
            p.Values.Dispose();
            p.Hidden.Dispose();
        }
    }
}

/// <summary>
/// ONNX Runtime latency target: the model exported to a temporary folder; a list request runs the list graph, a pool
/// request one step of the step graph from a prefix cache computed beforehand (inputs are prepared outside the timing).
/// </summary>
public sealed class OnnxLatencyTarget : ILatencyTarget
{
    private readonly LoadedModel model;
    private readonly string folder;
    private readonly Onnx.OnnxListScorer lists;
    private readonly Onnx.OnnxStepScorer steps;
    private readonly long[][] listRows;
    private readonly Ranking.StepInput[] pools;
    private readonly int length, maxValues;
    private readonly LatencyRequests requests;
    private readonly Ranking.SlateRanker ranker;
    private readonly Onnx.OnnxGemmProbe? probe;

    /// <param name="precision">The export's precision.</param>
    /// <param name="wholeSlates">Rank slates in one call (the slate graph) rather than one call per slot.</param>
    /// <param name="settings">For the efficiency: the slate's size and the GEMM probe's repeats (none without).</param>
    public OnnxLatencyTarget(LoadedModel model, LatencyRequests requests, int threads,
        Onnx.OnnxPrecision precision = Onnx.OnnxPrecision.Float32, bool wholeSlates = true, LatencySettings? settings = null)
    {
        this.model = model;
        folder = Directory.CreateTempSubdirectory("drlrec-bench-onnx-").FullName;
        var export = Onnx.OnnxExporter.Export(model, Path.Combine(folder, "model.onnx"), precision);
        Bytes = new[] { export.Path, export.EncodePath, export.CachedStepPath }.OfType<string>().Sum(f => new FileInfo(f).Length);
        // Opened as every pairing of a graph with a checkpoint is: checked to be this model's.
        lists = Onnx.OnnxServing.OpenListFor(model, export.ListPath, threads);
        steps = Onnx.OnnxServing.OpenFor(model, export.Path, threads, wholeSlates);
        Precision = Onnx.OnnxPrecisions.Name(precision);
        SlateCalls = steps.RanksWholeSlates ? "one" : "per_slot";
        if (settings is not null)
        {
            SlateMacs = Model.MacCount.Slate(model.Online, settings.SlateCandidates, settings.SlateSlots);
            probe = new Onnx.OnnxGemmProbe(model.Online, settings.SlateCandidates, settings.GemmRepeats, precision, threads);
        }
        this.requests = requests;
        ranker = new Ranking.SlateRanker(steps, model.Vocabulary, model.Schema);
        length = (int)requests.Lists.shape[1];
        maxValues = (int)requests.Lists.shape[3];
        listRows = Enumerable.Range(0, requests.Count)
            .Select(i => requests.Lists.narrow(0, i, 1).contiguous().data<long>().ToArray()).ToArray();
        using var torchTarget = new TorchLatencyTarget(model, requests);
        pools = Enumerable.Range(0, requests.Count).Select(i =>
        {
            var prefix = torchTarget.Prefix(i);
            var rows = requests.PoolRows.narrow(0, i, 1);
            var placed = requests.Lists.narrow(0, i, 1).narrow(1, 0, requests.PrefixLength);           // [1, T, F, M']
            long m = rows.shape[3];                                                                       // the pool's M
            placed = placed.shape[3] < m ? nn.functional.pad(placed, [0, m - placed.shape[3]]) : placed.narrow(3, 0, m);
            return new Ranking.StepInput(requests.PrefixLength, prefix.Keys.contiguous().data<float>().ToArray(),
                prefix.Values.contiguous().data<float>().ToArray(), prefix.Hidden.contiguous().data<float>().ToArray(),
                rows.contiguous().data<long>().ToArray(), (int)rows.shape[1], (int)rows.shape[3],
                placed.contiguous().data<long>().ToArray());
        }).ToArray();
    }

    public string Name => model.Name;
    public long Parameters => model.Online.ParameterCount;

    /// <summary>Bytes of the graphs that serve a request (the step graph, the encode and cached step graphs).</summary>
    public long Bytes { get; }

    public string Precision { get; }
    public string SlateCalls { get; }
    public long SlateMacs { get; }
    public long GemmMacs => probe?.Macs ?? 0;
    public void Gemm() => probe?.Run();

    public void ScoreList(int i) => lists.Score(listRows[i], 1, length, maxValues);

    public void ScorePool(int i) => steps.Score(pools[i]);

    public void RankSlate(int i) => ranker.Rank(requests.Slates[i]);

    public void Dispose()
    {
        probe?.Dispose();
        lists.Dispose();
        steps.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
