namespace Drlrec.Ranking;

/// <summary>
/// One greedy step's input for a single request: the cached prefix (T items placed so far) and C candidates placed
/// in the next slot.
/// </summary>
/// <param name="PrefixLength">T, 0 for the first slot.</param>
/// <param name="PrefixKeys">[h, T, dh] sequence-attention keys of the placed items.</param>
/// <param name="PrefixValues">[h, T, dh].</param>
/// <param name="Hidden">[D] GRU state after the prefix (zeros for T = 0).</param>
/// <param name="Rows">[C, F, M] embedding rows of the candidates in the slot (0 = padding).</param>
/// <param name="Candidates">C.</param>
/// <param name="MaxValues">M.</param>
public sealed record StepInput(int PrefixLength, float[] PrefixKeys, float[] PrefixValues, float[] Hidden, long[] Rows,
    int Candidates, int MaxValues);

/// <summary>Scores of one step, and what each candidate would add to the cache if placed.</summary>
/// <param name="Q">[C] Q(s, candidate).</param>
/// <param name="Keys">[h, C, dh].</param>
/// <param name="Values">[h, C, dh].</param>
/// <param name="States">[C, D] GRU state after placing the candidate.</param>
public sealed record StepScores(float[] Q, float[] Keys, float[] Values, float[] States);

/// <summary>
/// Scores candidates from a cached list prefix in one batched step: the operation a serving backend provides
/// (TorchSharp, or ONNX Runtime on an exported graph). The greedy loop around it is <see cref="SlateRanker"/>.
/// </summary>
public interface IStepScorer : IDisposable
{
    /// <summary>"torch" or "onnx".</summary>
    string Backend { get; }

    /// <summary>F, the fields per item.</summary>
    int FieldCount { get; }

    /// <summary>h, heads of the sequence attention.</summary>
    int Heads { get; }

    /// <summary>dh, the width of one head.</summary>
    int HeadDim { get; }

    /// <summary>D = F·d, the width of GRU states.</summary>
    int StateDim { get; }

    StepScores Score(StepInput input);
}
