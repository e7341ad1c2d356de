using Drlrec.Model;
using static TorchSharp.torch;

namespace Drlrec.Ranking;

/// <summary><see cref="IStepScorer"/> on a TorchSharp Q-network (eval mode, no gradients, one dispose scope per step).</summary>
public sealed class TorchStepScorer : IStepScorer, IManySlatesScorer
{
    /// <summary>Requests per batched step in <see cref="RankMany"/>.</summary>
    public const int ManyBatch = 256;

    private readonly QNetwork network;
    private readonly bool owns;

    /// <param name="owns">Dispose the network with this scorer.</param>
    public TorchStepScorer(QNetwork network, bool owns = false)
    {
        this.network = network;
        this.owns = owns;
        network.eval();
    }

    public string Backend => "torch";
    public int FieldCount => network.FieldCount;

    public ISlateSession Begin(SlateInput input) => new Session(network, input);

    public void Dispose()
    {
        if (owns) network.Dispose();
    }

    /// <summary>
    /// Greedy slates of many requests: requests with the same candidate count, slate size and set width are ranked
    /// <see cref="ManyBatch"/> at a time, each slot one <see cref="QNetwork.ScoreCandidates"/> of every request's remaining
    /// candidates from its own prefix state (the uncached path of a session: every remaining candidate encoded in every
    /// slot), then <see cref="QNetwork.Advance"/> with each request's best.
    /// </summary>
    public int[][] RankMany(IReadOnlyList<SlateInput> inputs, IReadOnlyList<int> slateSizes)
    {
        if (inputs.Count != slateSizes.Count) throw new ArgumentException("one slate size per input");
        var slates = new int[inputs.Count][];
        var groups = Enumerable.Range(0, inputs.Count)
            .GroupBy(i => (inputs[i].Candidates, Size: Math.Min(slateSizes[i], inputs[i].Candidates), inputs[i].MaxValues,
                Width: inputs[i].SlotRows.Length == 0 ? 0 : inputs[i].SlotRows[0].Length));
        foreach (var group in groups)
            foreach (var chunk in group.Chunk(ManyBatch))
            {
                var ranked = RankBatch(chunk.Select(i => inputs[i]).ToArray(), group.Key.Size);
                for (int r = 0; r < chunk.Length; r++) slates[chunk[r]] = ranked[r];
            }
        return slates;
    }

    /// <summary>The prefix state moved out of the current dispose scope.</summary>
    private static PrefixState Keep(PrefixState state) => new(state.Keys.MoveToOuterDisposeScope(),
        state.Values.MoveToOuterDisposeScope(), state.Hidden.MoveToOuterDisposeScope())
    {
        MatchRows = state.MatchRows?.MoveToOuterDisposeScope(),
    };

    /// <summary>R requests of one shape, slot by slot. A model that encodes candidates once per request
    /// (<see cref="QNetwork.EncodesOncePerRequest"/>) encodes every request's candidates once and adds each slot's context
    /// (<see cref="QNetwork.AtSlot"/>); the others encode the remaining candidates in every slot.</summary>
    private int[][] RankBatch(SlateInput[] batch, int size)
    {
        int r = batch.Length, n = batch[0].Candidates, m = batch[0].MaxValues, f = network.FieldCount;
        var remaining = batch.Select(_ => Enumerable.Range(0, n).ToList()).ToArray();
        var order = batch.Select(_ => new int[size]).ToArray();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var all = Enumerable.Range(0, n).ToArray();
        Tensor? rowsAll = null, encoded = null;
        if (network.EncodesOncePerRequest)
        {
            rowsAll = tensor(batch.SelectMany(input => input.Rows(0, all)).ToArray(), [r, n, f, m]);          // item fields hold in every slot
            encoded = network.EncodeCandidates(rowsAll.flatten(0, 1)).view(r, n, network.StateDim);          // [R, N, D]
        }
        var prefix = network.EmptyPrefix(r);
        for (int t = 0; t < size; t++)
        {
            using var slotScope = NewDisposeScope();                                                        // a slot's work is freed with it
            int c = n - t;
            CandidateOutput step;
            if (encoded is not null)
            {
                var index = tensor(remaining.SelectMany(left => left.Select(i => (long)i)).ToArray(), [r, c]);  // [R, C]
                var rows = rowsAll!.gather(1, index.view(r, c, 1, 1).expand(-1, -1, f, m));                     // [R, C, F, M]
                var slot = tensor(batch.SelectMany(input => input.SlotRows[t]).ToArray(), [r, f, m]);           // [R, F, M]
                var x = network.AtSlot(encoded.gather(1, index.unsqueeze(-1).expand(-1, -1, network.StateDim)), slot); // [R, C, D]
                step = network.ScoreEncoded(prefix, x, rows);
            }
            else
            {
                int block = c * f * m;
                var rows = new long[r * block];
                for (int i = 0; i < r; i++) Array.Copy(batch[i].Rows(t, remaining[i]), 0, rows, i * block, block);
                step = network.ScoreCandidates(prefix, tensor(rows, [r, c, f, m]));
            }
            var q = step.Q.contiguous().data<float>().ToArray();                                                // [R, C]
            var chosen = new long[r];
            for (int i = 0; i < r; i++)
            {
                int best = SlateRanker.Best(q[(i * c)..((i + 1) * c)]);
                chosen[i] = best;
                order[i][t] = remaining[i][best];
                remaining[i].RemoveAt(best);
            }
            if (t + 1 < size) prefix = Keep(QNetwork.Advance(prefix, step, tensor(chosen)));
        }
        return order;
    }

    /// <summary>
    /// One request: the candidates are encoded and projected once (<see cref="QNetwork.CacheCandidates"/>) and each step
    /// adds the slot's context (<see cref="QNetwork.ScoreCached"/>); models whose field attention mixes the context encode every
    /// remaining candidate in every slot. The prefix state stays in tensors; only Q-values come back.
    /// </summary>
    private sealed class Session : ISlateSession
    {
        private readonly QNetwork network;
        private readonly SlateInput input;
        private readonly CandidateCache? cache;           // when the model encodes once per request
        private readonly PrefixMatch.Placed? matched;     // with the cache and list features: every candidate's, kept per step
        private PrefixState prefix;
        private CandidateOutput? last;
        private int[]? lastCandidates;
        private int placed;

        public Session(QNetwork network, SlateInput input)
        {
            this.network = network;
            this.input = input;
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            if (network.EncodesOncePerRequest)
            {
                var all = Enumerable.Range(0, input.Candidates).ToArray();
                var made = network.CacheCandidates(Rows(0, all));
                cache = new CandidateCache(made.Items.MoveToOuterDisposeScope(), made.Projections.MoveToOuterDisposeScope())
                {
                    MatchRows = made.MatchRows?.MoveToOuterDisposeScope(),
                    DenseValues = made.DenseValues?.MoveToOuterDisposeScope(),
                };
                if (made.MatchRows is { } matchRows) matched = new PrefixMatch.Placed(matchRows).Keep();
            }
            prefix = Keep(network.EmptyPrefix(1));
        }

        public float[] Score(IReadOnlyList<int> candidates)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int c = candidates.Count;
            CandidateOutput step;
            if (cache is not null)
            {
                var index = tensor(candidates.Select(i => (long)i).ToArray());
                step = network.ScoreCached(prefix, cache, index, Rows(placed, [candidates[0]]), matched?.Of(index)); // [1, F, M]: the slot's context
            }
            else
            {
                step = network.ScoreCandidates(prefix, Rows(placed, candidates).view(1, c, network.FieldCount, input.MaxValues));
            }
            Release(last);
            last = new CandidateOutput(step.Q.MoveToOuterDisposeScope(), step.Hint, step.Keys.MoveToOuterDisposeScope(),
                step.Values.MoveToOuterDisposeScope(), step.States.MoveToOuterDisposeScope())
            {
                MatchRows = step.MatchRows?.MoveToOuterDisposeScope(),
            };
            lastCandidates = candidates.ToArray();
            return last.Q.contiguous().data<float>().ToArray();
        }

        public void Place(int chosen)
        {
            if (last is null) throw new InvalidOperationException("Place before Score");
            using var scope = NewDisposeScope();
            var next = Keep(QNetwork.Advance(prefix, last, tensor(new long[] { chosen })));
            if (matched is not null)
            {
                using var noGrad = no_grad();
                matched.Place(lastCandidates![chosen]);
            }
            Release(prefix);
            Release(last);
            (prefix, last) = (next, null);
            placed++;
        }

        /// <summary>[C, F, M] rows of candidates in slot t.</summary>
        private Tensor Rows(int slot, IReadOnlyList<int> candidates) =>
            tensor(input.Rows(slot, candidates), [candidates.Count, network.FieldCount, input.MaxValues]);

        private static void Release(PrefixState state)
        {
            state.Keys.Dispose();
            state.Values.Dispose();
            state.Hidden.Dispose();
            state.MatchRows?.Dispose();
        }

        private static void Release(CandidateOutput? step)
        {
            if (step is null) return;
            step.Q.Dispose();
            step.Keys.Dispose();
            step.Values.Dispose();
            step.States.Dispose();
            step.MatchRows?.Dispose();
        }

        public void Dispose()
        {
            Release(last);
            Release(prefix);
            cache?.Dispose();
            matched?.Dispose();
        }
    }
}
