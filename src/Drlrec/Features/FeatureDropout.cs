using static TorchSharp.torch;
using Drlrec.Tensors;

namespace Drlrec.Features;

/// <summary>
/// Out-of-vocabulary dropout: during training, each field of each position is replaced, with probability p, by its
/// field's out-of-vocabulary row. Without it the OOV rows are never trained (every training value has its own row),
/// yet at test time they stand for every unseen user or item — on MovieLens-100K's time split 87% of the test items
/// belong to users absent from training — so the model would read random vectors there.
/// </summary>
public sealed class FeatureDropout
{
    private readonly long[] oovRows;

    public FeatureDropout(FeatureVocabulary vocabulary, double probability)
    {
        oovRows = vocabulary.Fields.Select(f => (long)f.Offset).ToArray();
        Probability = probability;
    }

    public double Probability { get; }

    /// <summary>Rows with dropped fields (a dropped field keeps one value, its OOV row); padded positions stay padding.</summary>
    /// <param name="rows">[B, L, F, M].</param>
    public Tensor Apply(Tensor rows)
    {
        if (Probability <= 0) return rows;
        long b = rows.shape[0], l = rows.shape[1], f = rows.shape[2], m = rows.shape[3];
        var oov = zeros(f, m, ScalarType.Int64);
        oov.select(1, 0).copy_(tensor(oovRows));                                  // [F, M]: OOV, then padding
        var real = rows.narrow(3, 0, 1).GreaterThan(0);                                       // [B, L, F, 1]
        var dropped = rand(b, l, f, 1).LessThan(Probability).logical_and(real);
        return where(dropped, oov.view(1, 1, f, m), rows);
    }

    public ListBatch Apply(ListBatch batch) => Probability <= 0 ? batch : batch with { Rows = Apply(batch.Rows) };
}
