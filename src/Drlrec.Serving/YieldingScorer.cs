using System.Diagnostics;
using Drlrec.Ranking;

namespace Drlrec.Serving;

/// <summary>
/// A heavy-lane scorer that gives way to ordinary traffic: after each step, while ordinary requests are waiting for a
/// scorer, it sleeps as long as the step took, so a heavy request uses at most half a core while ordinary requests
/// queue and runs at full speed otherwise. Three CPU-bound scorers on two cores would otherwise split the CPU evenly.
/// </summary>
internal sealed class YieldingScorer(IStepScorer inner, Func<bool> othersWaiting) : DelegatingScorer(inner)
{
    protected override float[] Step(Func<float[]> score)
    {
        long start = Stopwatch.GetTimestamp();
        var scores = score();
        if (othersWaiting()) Thread.Sleep(Stopwatch.GetElapsedTime(start));
        return scores;
    }
}
