namespace Drlrec.Serving;

/// <summary>Settings of the re-ranking service (the <c>drlrec serve</c> options).</summary>
public sealed record ServeOptions
{
    /// <summary>Run folder holding <c>model.ckpt</c>, or the file itself.</summary>
    public required string Model { get; init; }

    /// <summary>Kestrel listen URLs, ';'-separated. Port 0 binds a free port (see <see cref="RankingService.Urls"/>).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8080";

    /// <summary>Scoring backend, a name known to <see cref="ScorerBackends"/>: "torch" or "onnx".</summary>
    public string Backend { get; init; } = ScorerBackends.Torch;

    /// <summary>Exported graph for the onnx backend (refused with another backend: <see cref="ScorerBackends.GraphRefusal"/>).</summary>
    public string? OnnxFile { get; init; }

    /// <summary>Requests with more candidates are rejected (400): the cost of a request grows with N·L.</summary>
    public int MaxCandidates { get; init; } = 1000;

    /// <summary>
    /// Most candidate scorings one request may cost, counted as candidates × slots placed (N · min(L, N)); 400 above,
    /// naming the limit. A request's work grows with both, so this, not the candidates alone, bounds how long one request
    /// holds a scorer. Default 20,000 (e.g. 1,000 candidates into 20 slots, or 200 into 100; a 100 → 10 slate is 1,000).
    /// </summary>
    public int MaxSlateWork { get; init; } = 20_000;

    /// <summary>
    /// Longest a request may take from arrival to answer, waiting for a scorer included; past it the ranker stops between
    /// slots and the answer is 503 with a JSON error. Default 2 s.
    /// </summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Most requests waiting for a busy scorer; one more is answered 503 with <c>Retry-After</c> at once, so that a
    /// burst never builds an unbounded backlog. Default 64.</summary>
    public int MaxQueue { get; init; } = 64;

    /// <summary>
    /// Requests costing more than this many candidate scorings (N · min(L, N)) are heavy: they are scored on the
    /// <see cref="HeavyWorkers"/> scorers of their own lane and never take an ordinary scorer, so a burst of maximal
    /// requests slows ordinary traffic only by the CPU they share, not by holding every scorer. Default 5,000 (five
    /// times a 100 → 10 slate).
    /// </summary>
    public int HeavyWork { get; init; } = 5_000;

    /// <summary>Scorers of the heavy lane (besides <see cref="Workers"/>); heavy requests queue for them
    /// (<see cref="MaxQueue"/>, <see cref="Deadline"/>). 0 lets heavy requests share the ordinary scorers. Default 1.</summary>
    public int HeavyWorkers { get; init; } = 1;

    /// <summary>Larger bodies are rejected (413) before they are parsed.</summary>
    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>
    /// Most values one field may carry. The ranker pads every field of every candidate to the widest set, so a single
    /// huge set would multiply the memory of the whole request; 400 above this.
    /// </summary>
    public int MaxValuesPerField { get; init; } = 64;

    /// <summary>Scorers in the pool, i.e. requests scored at once; more wait their turn. Each scorer owns a copy of the network.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>libtorch threads per tensor operation (process-wide); null leaves libtorch's default.</summary>
    public int? TorchThreads { get; init; }

    /// <summary>Log one line per request (method, path, status, milliseconds, request_id, model version, trace id) at
    /// Information. Off by default: at small models a log line costs about as much as scoring.</summary>
    public bool LogRequests { get; init; }

    /// <summary>Logs as JSON lines (Microsoft.Extensions.Logging's JSON console formatter, UTC timestamps) instead of text,
    /// for log collectors; the start line (model, version, backend, workers, threads, addresses) is then a log record too.</summary>
    public bool JsonLogs { get; init; }

    /// <summary>How long shutdown waits for in-flight requests.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public void Validate()
    {
        if (MaxCandidates < 1) throw new ArgumentException("--max-candidates: must be at least 1");
        if (MaxBodyBytes < 1) throw new ArgumentException("--max-body-bytes: must be at least 1");
        if (MaxValuesPerField < 1) throw new ArgumentException("--max-values-per-field: must be at least 1");
        if (Workers < 1) throw new ArgumentException("--workers: must be at least 1");
        if (MaxSlateWork < 1) throw new ArgumentException("--max-slate-work: must be at least 1");
        if (Deadline <= TimeSpan.Zero) throw new ArgumentException("--deadline-ms: must be at least 1");
        if (MaxQueue < 0) throw new ArgumentException("--max-queue: must be at least 0");
        if (HeavyWork < 1) throw new ArgumentException("--heavy-work: must be at least 1");
        if (HeavyWorkers < 0) throw new ArgumentException("--heavy-workers: must be at least 0");
        if (TorchThreads is < 1) throw new ArgumentException("--threads: must be at least 1");
        if (OnnxFile is not null && ScorerBackends.GraphRefusal(Backend, "--onnx") is { } refusal) throw new ArgumentException(refusal);
        if (string.IsNullOrWhiteSpace(Urls)) throw new ArgumentException("--urls: at least one URL is needed");
        foreach (string url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int scheme = url.IndexOf("://", StringComparison.Ordinal);
            string name = scheme > 0 ? url[..scheme].ToLowerInvariant() : "";
            if (name is not ("http" or "https") || url.Length == scheme + 3)
                throw new ArgumentException($"--urls: '{url}' is not an address to listen on (expected e.g. http://127.0.0.1:8080)");
        }
    }
}
