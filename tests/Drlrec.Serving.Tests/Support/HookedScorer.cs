using Drlrec.Ranking;

namespace Drlrec.Serving.Tests.Support;

/// <summary>A real scorer with a hook run before every Score call, so a test can hold, slow or count a request's slots.</summary>
internal sealed class HookedScorer(IStepScorer inner, Action before) : DelegatingScorer(inner)
{
    public override StepScores Score(StepInput input)
    {
        before();
        return base.Score(input);
    }
}
