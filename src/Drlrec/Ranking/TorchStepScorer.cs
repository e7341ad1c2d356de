using Drlrec.Model;
using static TorchSharp.torch;

namespace Drlrec.Ranking;

/// <summary><see cref="IStepScorer"/> on a TorchSharp Q-network (eval mode, no gradients, one dispose scope per call).</summary>
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
        var attention = network.SequenceAttention;
        Heads = attention.Heads;
        HeadDim = attention.HeadDim;
    }

    public string Backend => "torch";
    public int FieldCount => network.FieldCount;
    public int Heads { get; }
    public int HeadDim { get; }
    public int StateDim => network.ItemDim;

    public StepScores Score(StepInput input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int t = input.PrefixLength, c = input.Candidates;
        var prefix = new PrefixState(
            tensor(input.PrefixKeys, [1, Heads, t, HeadDim]),
            tensor(input.PrefixValues, [1, Heads, t, HeadDim]),
            tensor(input.Hidden, [1, StateDim]));
        var rows = tensor(input.Rows, [1, c, FieldCount, input.MaxValues]);
        var step = network.ScoreCandidates(prefix, rows);
        return new StepScores(
            step.Q.contiguous().data<float>().ToArray(),
            step.Keys.contiguous().data<float>().ToArray(),
            step.Values.contiguous().data<float>().ToArray(),
            step.States.contiguous().data<float>().ToArray());
    }

    public void Dispose()
    {
        if (owns) network.Dispose();
    }
}
