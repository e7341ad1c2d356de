using Drlrec.Model;
using static TorchSharp.torch;

namespace Drlrec.Ranking;

/// <summary><see cref="IStepScorer"/> on a TorchSharp Q-network (eval mode, no gradients, one dispose scope per step).</summary>
public sealed class TorchStepScorer : IStepScorer
{
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

        private static PrefixState Keep(PrefixState state) => new(state.Keys.MoveToOuterDisposeScope(),
            state.Values.MoveToOuterDisposeScope(), state.Hidden.MoveToOuterDisposeScope())
        {
            MatchRows = state.MatchRows?.MoveToOuterDisposeScope(),
        };

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
