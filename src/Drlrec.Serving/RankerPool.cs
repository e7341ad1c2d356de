using System.Security.Cryptography;
using System.Threading.Channels;
using Drlrec.Checkpoints;
using Drlrec.Ranking;

namespace Drlrec.Serving;

/// <summary>What the service says about its model: the name, a version that changes with the weights, the backend.</summary>
public sealed record ModelInfo(string Name, string Version, string Backend, string Role, int Epoch, long Parameters)
{
    /// <summary>Version "name-e{epoch}-{first 12 hex of the checkpoint's SHA-256}", and for an ONNX export
    /// "-{precision}-{first 12 hex of the step graph's SHA-256}" (<see cref="IStepScorer.Variant"/>): two files never
    /// share one by accident, and neither do the float32 and int8 exports of one checkpoint.</summary>
    public static ModelInfo Of(LoadedModel model, string backend, string? variant = null)
    {
        using var stream = File.OpenRead(model.Path);
        string hash = Convert.ToHexStringLower(SHA256.HashData(stream))[..12];
        var header = model.Header;
        string version = $"{header.Name}-e{header.Epoch}-{hash}" + (variant is null ? "" : $"-{variant}");
        return new ModelInfo(header.Name, version, backend,
            header.Role.ToString().ToLowerInvariant(), header.Epoch, header.Parameters);
    }
}

/// <summary>Every scorer is busy and <see cref="ServeOptions.MaxQueue"/> requests already wait for one.</summary>
public sealed class PoolBusyException(int queue) : Exception($"every scorer is busy and {queue} requests are waiting (--max-queue); retry shortly");

/// <summary>
/// A fixed set of rankers, one scorer each, lent out one request at a time: requests beyond the pool size wait
/// (in arrival order) instead of sharing a scorer, which keeps backends free of locking. Two lanes: ordinary requests
/// use <see cref="ServeOptions.Workers"/> scorers; heavy ones (more than <see cref="ServeOptions.HeavyWork"/> candidate
/// scorings) use <see cref="ServeOptions.HeavyWorkers"/> scorers of their own, so they cannot occupy every scorer, and
/// those give way (<see cref="YieldingScorer"/>) while ordinary requests wait.
/// </summary>
public sealed class RankerPool : IDisposable
{
    private readonly LoadedModel model;
    private readonly List<IStepScorer> scorers = [];
    private readonly Lane ordinary, heavy;
    private readonly int heavyWork;

    public RankerPool(ServeOptions options, ScorerFactory? factory = null)
    {
        options.Validate();
        heavyWork = options.HeavyWork;
        ordinary = new Lane(options.MaxQueue);
        heavy = options.HeavyWorkers > 0 ? new Lane(options.MaxQueue) : ordinary;
        factory ??= ScorerBackends.Resolve(options.Backend);
        model = ModelCheckpoint.Load(options.Model);
        try
        {
            for (int i = 0; i < options.Workers + options.HeavyWorkers; i++)
            {
                var scorer = factory(model, options);
                if (i >= options.Workers) scorer = new YieldingScorer(scorer, () => ordinary.Waiting > 0);
                scorers.Add(scorer);
                if (scorer.FieldCount != model.Schema.Count)
                    throw new InvalidDataException(
                        $"the {scorer.Backend} scorer has {scorer.FieldCount} fields but the model {model.Name} has {model.Schema.Count}");
                var ranker = new SlateRanker(scorer, model.Vocabulary, model.Schema);
                // First calls pay for native set-up; not a client's request. A model whose scores are not numbers
                // (trained to NaN, corrupted) is refused here rather than answering 500 to every request.
                var warm = ranker.Rank(WarmUp(model.Schema));
                if (warm.Q.Any(q => !float.IsFinite(q)))
                    throw new InvalidDataException(
                        $"{model.Path}: the model scores the warm-up request with non-finite Q-values ({string.Join(", ", warm.Q)}); it cannot rank");
                (i < options.Workers ? ordinary : heavy).Return(ranker);
            }
            Workers = options.Workers;
            Info = ModelInfo.Of(model, scorers[0].Backend, scorers[0].Variant);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ModelInfo Info { get; }
    public Data.ListSchema Schema => model.Schema;
    /// <summary>Scorers of the ordinary lane.</summary>
    public int Workers { get; }

    /// <summary>Ranks on the first free scorer of the request's lane; waits for one when all are busy, unless
    /// <see cref="ServeOptions.MaxQueue"/> requests already wait in that lane.</summary>
    /// <param name="cancel">The request's deadline and its client's presence: cancels the wait and stops the ranker between slots.</param>
    /// <exception cref="ArgumentException">The request does not fit the model (the message names the field).</exception>
    /// <exception cref="PoolBusyException">Every scorer is busy and the queue is full.</exception>
    /// <param name="deadline">A <see cref="System.Diagnostics.Stopwatch"/> timestamp the ranker checks between slots.</param>
    public async ValueTask<RankedSlate> RankAsync(SlateRequest request, CancellationToken cancel, long deadline = long.MaxValue)
    {
        long work = (long)request.Candidates.Count * Math.Min(request.SlateSize, request.Candidates.Count);
        var lane = work > heavyWork ? heavy : ordinary;
        var ranker = await lane.Borrow(cancel);
        try
        {
            return ranker.Rank(request, cancel, deadline);
        }
        finally
        {
            lane.Return(ranker);
        }
    }

    /// <summary>Idle rankers of one lane and the count of requests waiting for one.</summary>
    private sealed class Lane(int maxQueue)
    {
        private readonly Channel<SlateRanker> idle = Channel.CreateUnbounded<SlateRanker>();
        private int waiting;

        public async ValueTask<SlateRanker> Borrow(CancellationToken cancel)
        {
            if (idle.Reader.TryRead(out var ranker)) return ranker;
            if (Interlocked.Increment(ref waiting) > maxQueue)
            {
                Interlocked.Decrement(ref waiting);
                throw new PoolBusyException(maxQueue);
            }
            try
            {
                return await idle.Reader.ReadAsync(cancel);
            }
            finally
            {
                Interlocked.Decrement(ref waiting);
            }
        }

        public void Return(SlateRanker ranker) => idle.Writer.TryWrite(ranker);

        /// <summary>Requests waiting for a scorer of this lane.</summary>
        public int Waiting => Volatile.Read(ref waiting);

        public void Close() => idle.Writer.TryComplete();
    }

    /// <summary>A two-candidate request of out-of-vocabulary values: runs every code path once and checks the backend answers.</summary>
    private static SlateRequest WarmUp(Data.ListSchema schema)
    {
        Dictionary<string, string[]> Group(Data.FieldGroup group) =>
            schema.Fields.Where(f => f.Group == group && !f.Derived)
                .ToDictionary(f => f.Name, f => f.Kind == Data.FieldKind.Dense ? new[] { Data.LoggedItem.Missing } : ["warm-up"]);
        var item = Group(Data.FieldGroup.Item);
        return new SlateRequest(Group(Data.FieldGroup.User), Group(Data.FieldGroup.Context), [item, item], 2);
    }

    public void Dispose()
    {
        ordinary?.Close();
        heavy?.Close();
        foreach (var scorer in scorers) scorer.Dispose();
        model.Dispose();
    }
}
