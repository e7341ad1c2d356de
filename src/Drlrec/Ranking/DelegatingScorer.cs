namespace Drlrec.Ranking;

/// <summary>
/// A scorer that wraps another and passes everything through: derive and override <see cref="Step"/> to act around each
/// greedy step (pace it, hold it, count it) without repeating the backend's shape.
/// </summary>
public abstract class DelegatingScorer(IStepScorer inner) : IStepScorer
{
    public string Backend => inner.Backend;
    public int FieldCount => inner.FieldCount;
    public string? Variant => inner.Variant;

    public ISlateSession Begin(SlateInput input) => new Session(this, inner.Begin(input));

    /// <summary>Runs one step's scoring (<paramref name="score"/>); the default just runs it.</summary>
    protected virtual float[] Step(Func<float[]> score) => score();

    public void Dispose() => inner.Dispose();

    private sealed class Session(DelegatingScorer owner, ISlateSession inner) : ISlateSession
    {
        public float[] Score(IReadOnlyList<int> candidates) => owner.Step(() => inner.Score(candidates));
        public void Place(int chosen) => inner.Place(chosen);
        public void Dispose() => inner.Dispose();
    }
}
