using Drlrec.Features;
using Drlrec.Model;

namespace Drlrec.Tests.Support;

/// <summary>
/// The slow, obvious way to compute what batched code computes: one list at a time, full forward passes, items moved
/// into slots by hand. Batched results are checked against these.
/// </summary>
public static class BruteForce
{
    /// <summary>Q(s_p, item j): item j's item fields (of the same list) put into slot p, the full forward pass.</summary>
    /// <param name="one">A batch holding one list.</param>
    public static double QWithItemAt(QNetwork net, ListBatch one, FieldLayout layout, int p, int j)
    {
        var rows = one.Rows.clone();
        rows.select(1, p).narrow(1, layout.UserFields, layout.ItemFields).copy_(
            one.Rows.select(1, j).narrow(1, layout.UserFields, layout.ItemFields));
        return net.Forward(rows).Q[0, p].item<float>();
    }

    /// <summary>
    /// Remaining-list Double-DQN targets of list <paramref name="i"/> alone:
    /// y_t = r_t + γ·Q'(s_{t+1}, argmax over the list's items t+1..n−1 of Q(s_{t+1}, ·)), y_{n−1} = r_{n−1}.
    /// </summary>
    /// <returns>[n] targets of the list's real positions.</returns>
    public static double[] RemainingListTargets(QNetwork online, QNetwork target, EncodedLists data, int i, FieldLayout layout,
        double gamma)
    {
        var one = data.Batch([i]);
        int n = data.Lengths[i];
        var y = new double[n];
        for (int t = 0; t < n; t++)
        {
            y[t] = data.Rewards[i * data.MaxLength + t];
            if (t + 1 >= n) continue;
            int p = t + 1;
            int best = Enumerable.Range(p, n - p).MaxBy(j => QWithItemAt(online, one, layout, p, j));
            y[t] += gamma * QWithItemAt(target, one, layout, p, best);
        }
        return y;
    }
}
