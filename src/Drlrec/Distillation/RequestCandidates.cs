using Drlrec.Data;
using Drlrec.Features;
using static TorchSharp.torch;

namespace Drlrec.Distillation;

/// <summary>
/// The explorer's pool taken from each state's own request (<c>distill.explore_from candidates</c>): what a re-ranker
/// could place in the state's next slot, that is the list's shown items not yet placed and the request's unshown
/// candidates (<see cref="LoggedList.Unshown"/>), each with its item fields as logged, request-dependent ones (an upstream
/// score and rank) included. A catalog item drawn by <see cref="CandidateRetriever"/> has no value for such fields, an
/// input no model trained on: in the capacity world the teacher's Q with them missing ranked requests' candidates at a
/// Spearman correlation of 0.30 with the simulator's truth, against 0.70 with them (docs/compression.md, "What the
/// explorer teaches").
/// </summary>
public sealed class RequestCandidates(FeatureVocabulary vocabulary, FieldLayout layout)
{
    /// <summary>The pools of S states.</summary>
    /// <param name="stateRows">[S, L, F, M] the states' lists as encoded.</param>
    /// <param name="placed">Each state's prefix length t: its pool is the list's items t.. and the request's unshown candidates.</param>
    /// <param name="keys">Each state's list keys, its unshown candidates with their fields.</param>
    /// <returns>[S, P, F_item, M'] the pools' item fields (zero rows pad) and [S, P] which are real.</returns>
    public (Tensor ItemRows, Tensor Mask) Draw(Tensor stateRows, IReadOnlyList<long> placed, IReadOnlyList<ListKeys> keys)
    {
        int s = placed.Count, fields = layout.ItemFields, first = layout.UserFields;
        using var shownPart = layout.ItemPart(stateRows, 2).to_type(ScalarType.Int64);          // [S, L, F_item, M]
        long positions = shownPart.shape[1], shownSlots = shownPart.shape[3];
        var shown = shownPart.data<long>().ToArray();
        var unshown = keys.Take(s).Select(k => k.Unshown.ToArray()).ToArray();                  // read once: they may be made on access
        int widest = 1;
        foreach (var item in unshown.SelectMany(u => u))
        {
            if (item.Values.Length != vocabulary.Fields.Count)
                throw new InvalidDataException($"unshown candidate '{item.ItemKey}' has {item.Values.Length} fields, the vocabulary {vocabulary.Fields.Count}");
            for (int k = 0; k < fields; k++) widest = Math.Max(widest, item.Values[first + k].Length);
        }
        long slots = Math.Max(shownSlots, vocabulary.SlotsFor(widest));
        var sizes = Enumerable.Range(0, s).Select(i => keys[i].Items.Length - (int)placed[i] + unshown[i].Length).ToArray();
        int width = Math.Max(1, sizes.Max());
        var rows = new long[s * width * fields * slots];
        var real = new bool[s * width];
        var cell = new int[slots];
        for (int i = 0; i < s; i++)
        {
            int c = 0;
            for (long t = placed[i]; t < keys[i].Items.Length; t++, c++)
                for (int k = 0; k < fields; k++)
                    for (long v = 0; v < shownSlots; v++)
                        rows[((i * width + c) * fields + k) * slots + v] = shown[((i * positions + t) * fields + k) * shownSlots + v];
            foreach (var item in unshown[i])
            {
                for (int k = 0; k < fields; k++)
                {
                    Array.Clear(cell);
                    vocabulary.Fields[first + k].Encode(item.Values[first + k], cell);
                    for (long v = 0; v < slots; v++) rows[((i * width + c) * fields + k) * slots + v] = cell[v];
                }
                c++;
            }
            for (int j = 0; j < sizes[i]; j++) real[i * width + j] = true;
        }
        return (tensor(rows, [s, width, fields, slots]), tensor(real, [s, width]));
    }
}
