using Drlrec.Ranking;

namespace Drlrec.Serving.Tests.Support;

/// <summary>A real scorer with a hook run before every step, so a test can hold, slow or count a request's slots.</summary>
internal sealed class HookedScorer(IStepScorer inner, Action before) : DelegatingScorer(inner)
{
    protected override float[] Step(Func<float[]> score)
    {
        before();
        return score();
    }
}
