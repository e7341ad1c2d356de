using Drlrec.Model;
using static TorchSharp.torch;

namespace Drlrec.Ranking;

/// <summary><see cref="IStepScorer"/> on a TorchSharp Q-network (eval mode, no gradients, one dispose scope per step).</summary>
public sealed class TorchStepScorer : IStepScorer
{
    private readonly QNetwork network;
    private readonly FoldedStep? fold;
    private readonly bool owns;

    /// <param name="network">The network, read as it is now: its step is folded here (<see cref="QNetwork.FoldStep"/>),
    /// so a network trained further needs a new scorer.</param>
    /// <param name="owns">Dispose the network with this scorer.</param>
    public TorchStepScorer(QNetwork network, bool owns = false)
    {
        this.network = network;
        this.owns = owns;
        network.eval();
        if (network.EncodesOncePerRequest) fold = network.FoldStep();
    }

    public string Backend => "torch";
    public int FieldCount => network.FieldCount;

    public ISlateSession Begin(SlateInput input) => new Session(network, fold, input);

    public void Dispose()
    {
        fold?.Dispose();
        if (owns) network.Dispose();
    }

    /// <summary>
    /// One request: the candidates are encoded and projected once (<see cref="QNetwork.CacheCandidates"/>) and each step
    /// adds the slot's context and runs the folded step (<see cref="QNetwork.ScoreCached"/>); models whose field attention mixes the context encode every
    /// remaining candidate in every slot. The prefix state stays in tensors; only Q-values come back.
    /// </summary>
    private sealed class Session : ISlateSession
    {
        private readonly QNetwork network;
        private readonly SlateInput input;
        private readonly CandidateCache? cache;           // when the model encodes once per request
        private PrefixState prefix;
        private CandidateOutput? last;
        private int placed;

        public Session(QNetwork network, FoldedStep? fold, SlateInput input)
        {
            this.network = network;
            this.input = input;
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            if (fold is not null) cache = network.CacheCandidates(Rows(0, Enumerable.Range(0, input.Candidates).ToArray()), fold).Kept();
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
                step = network.ScoreCached(prefix, cache, index, Rows(placed, [candidates[0]]));  // [1, F, M]: the slot's context
            }
            else
            {
                step = network.ScoreCandidates(prefix, Rows(placed, candidates).view(1, c, network.FieldCount, input.MaxValues));
            }
            Release(last);
            last = new CandidateOutput(step.Q.MoveToOuterDisposeScope(), step.Hint, step.Keys.MoveToOuterDisposeScope(),
                step.Values.MoveToOuterDisposeScope(), step.States.MoveToOuterDisposeScope(), step.Outputs?.MoveToOuterDisposeScope(),
                step.OutputsGru?.MoveToOuterDisposeScope());
            return last.Q.contiguous().data<float>().ToArray();
        }

        public void Place(int chosen)
        {
            if (last is null) throw new InvalidOperationException("Place before Score");
            using var scope = NewDisposeScope();
            var next = Keep(QNetwork.Advance(prefix, last, tensor(new long[] { chosen })));
            Release(prefix);
            Release(last);
            (prefix, last) = (next, null);
            placed++;
        }

        /// <summary>[C, F, M] rows of candidates in slot t.</summary>
        private Tensor Rows(int slot, IReadOnlyList<int> candidates) =>
            tensor(input.Rows(slot, candidates), [candidates.Count, network.FieldCount, input.MaxValues]);

        private static PrefixState Keep(PrefixState state) => new(state.Keys.MoveToOuterDisposeScope(),
            state.Values.MoveToOuterDisposeScope(), state.Hidden.MoveToOuterDisposeScope(), null,
            state.Outputs?.MoveToOuterDisposeScope(), state.OutputsGru?.MoveToOuterDisposeScope());

        private static void Release(PrefixState state)
        {
            state.Keys.Dispose();
            state.Values.Dispose();
            state.Hidden.Dispose();
            state.Outputs?.Dispose();
            state.OutputsGru?.Dispose();
        }

        private static void Release(CandidateOutput? step)
        {
            if (step is null) return;
            step.Q.Dispose();
            step.Keys.Dispose();
            step.Values.Dispose();
            step.States.Dispose();
            step.Outputs?.Dispose();
            step.OutputsGru?.Dispose();
        }

        public void Dispose()
        {
            Release(last);
            Release(prefix);
            cache?.Dispose();
        }
    }
}
