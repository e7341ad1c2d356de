namespace Drlrec.Ranking;

/// <summary>
/// A scorer that wraps another and passes everything through: derive and override <see cref="Score"/> to act around each
/// step (pace it, hold it, count it) without repeating the backend's shape.
/// </summary>
public abstract class DelegatingScorer(IStepScorer inner) : IStepScorer
{
    public string Backend => inner.Backend;
    public int FieldCount => inner.FieldCount;
    public int Heads => inner.Heads;
    public int HeadDim => inner.HeadDim;
    public int StateDim => inner.StateDim;

    public virtual StepScores Score(StepInput input) => inner.Score(input);

    public void Dispose() => inner.Dispose();
}
