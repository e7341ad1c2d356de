using Drlrec.Ranking;

namespace Drlrec.Serving.Tests.Support;

/// <summary>A real scorer with a hook run before every Score call, so a test can hold, slow or count a request's slots.</summary>
internal sealed class HookedScorer(IStepScorer inner, Action before) : IStepScorer
{
    public string Backend => inner.Backend;
    public int FieldCount => inner.FieldCount;
    public int Heads => inner.Heads;
    public int HeadDim => inner.HeadDim;
    public int StateDim => inner.StateDim;

    public StepScores Score(StepInput input)
    {
        before();
        return inner.Score(input);
    }

    public void Dispose() => inner.Dispose();
}
