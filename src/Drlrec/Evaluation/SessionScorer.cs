using Drlrec.Features;
using Drlrec.Ranking;

namespace Drlrec.Evaluation;

/// <summary>
/// Offline Q-values through a serving backend (<see cref="IStepScorer"/>: TorchSharp, or ONNX Runtime on an export of
/// either precision): each logged list is a slate session whose candidates are the list's items, and slot t places the
/// item logged at position t after the items logged before it, so the score of position t is Q(s_t, i_t) exactly as
/// <see cref="QScorer"/>'s logged scoring defines it (teacher forcing), computed by the code that serves requests. This
/// is how an int8 export's AUC is measured against its float32 self.
/// </summary>
public static class SessionScorer
{
    /// <returns>[N·L] scores aligned with <see cref="EncodedLists.Rewards"/> (0 at padded positions).</returns>
    /// <param name="firstItemField">Index of the first item field (user fields come first).</param>
    /// <param name="itemFields">How many item fields follow it.</param>
    public static float[] ScoreLogged(IStepScorer scorer, EncodedLists data, int firstItemField, int itemFields, Action<int>? onList = null)
    {
        if (scorer.FieldCount != data.FieldCount)
            throw new ArgumentException($"the {scorer.Backend} scorer has {scorer.FieldCount} fields but the lists {data.FieldCount}");
        int l = data.MaxLength, m = data.MaxValues, width = data.FieldCount * m;
        var scores = new float[data.Count * l];
        var one = new int[1];
        for (int i = 0; i < data.Count; i++)
        {
            int length = data.Lengths[i];
            var slots = new long[length][];
            var items = new long[length][];
            for (int t = 0; t < length; t++)
            {
                var row = data.Rows.AsSpan((i * l + t) * width, width);
                slots[t] = new long[width];
                for (int k = 0; k < width; k++) slots[t][k] = row[k];
                items[t] = slots[t].AsSpan(firstItemField * m, itemFields * m).ToArray();
            }
            using var session = scorer.Begin(new SlateInput(slots, items, firstItemField, m));
            for (int t = 0; t < length; t++)
            {
                one[0] = t;
                scores[i * l + t] = session.Score(one)[0];
                session.Place(0);
            }
            onList?.Invoke(1);
        }
        return scores;
    }
}
