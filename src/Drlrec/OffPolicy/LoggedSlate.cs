using Drlrec.Data;
using Drlrec.Ranking;
using Drlrec.Simulation;

namespace Drlrec.OffPolicy;

/// <summary>
/// One logged list as off-policy evaluation reads it: the request a policy would have answered (the user's and the
/// context's fields and every candidate's item fields, <b>the shown items first, in display order, then the unshown
/// candidates</b>, so the item logged at position l is candidate l − 1), the clicks and the logging propensities.
/// </summary>
/// <param name="Request">User, context (without <c>position</c>, which a ranker fills per slot), every candidate; slate
/// size = the shown items.</param>
/// <param name="Rewards">The click (reward) at each shown position.</param>
/// <param name="Propensities">π0(a_l | a_1..a_(l−1)) at each shown position, or null when the log does not say.</param>
public sealed record LoggedSlate(string ListId, SlateRequest Request, float[] Rewards, double[]? Propensities)
{
    /// <summary>L, the shown items (and the size of a target policy's slate for this request).</summary>
    public int Shown => Rewards.Length;

    public int Candidates => Request.Candidates.Count;

    /// <summary>The logged clicks of the list, Σ_l r_l.</summary>
    public double Clicks => Rewards.Sum(r => (double)r);
}

/// <summary>Logged lists turned into <see cref="LoggedSlate"/>s.</summary>
public static class LoggedSlates
{
    /// <summary>
    /// Each list's request as the logs give it: the user fields and the context fields (but <c>position</c>) of its first
    /// shown item, every candidate's item fields (derived fields left out: a model computes its own), the shown items'
    /// clicks and propensities.
    /// </summary>
    /// <param name="unshown">False leaves the unshown candidates out: what fitting a click model on shown items needs,
    /// in a fifth of the memory.</param>
    public static IReadOnlyList<LoggedSlate> From(ListDataset data, bool unshown = true) => data.Lists.Select(list => Of(list, data.Schema, unshown)).ToList();

    public static LoggedSlate Of(LoggedList list, ListSchema schema, bool unshown = true)
    {
        var first = list.Items[0].Values;
        Dictionary<string, string[]> Group(FieldGroup group, string[][] values) => schema.IndicesOf(group)
            .Where(i => !(group == FieldGroup.Context && schema.Fields[i].Name == SlateRanker.PositionField))
            .ToDictionary(i => schema.Fields[i].Name, i => values[i]);
        var itemFields = schema.IndicesOf(FieldGroup.Item).Where(i => !schema.Fields[i].Derived).ToArray();
        IReadOnlyDictionary<string, string[]> Candidate(LoggedItem item) => itemFields.ToDictionary(i => schema.Fields[i].Name, i => item.Values[i]);
        var candidates = (unshown ? list.Items.Concat(list.Unshown) : list.Items).Select(Candidate).ToList();
        var request = new SlateRequest(Group(FieldGroup.User, first), Group(FieldGroup.Context, first), candidates, list.Items.Count);
        return new LoggedSlate(list.ListId, request, list.Items.Select(i => i.Reward).ToArray(),
            list.HasPropensities ? list.Items.Select(i => i.Propensity!.Value).ToArray() : null);
    }
}

/// <summary>
/// Which of a logged list's candidates a policy re-ranks: all of them, or, as a re-ranking stage receives them, the
/// upstream ranker's top N (<c>--candidates N</c>). The upstream order is read from the candidates' dense item field
/// <see cref="ScoreField"/> (highest first) or, without it, <see cref="RankField"/> (lowest first); ties keep the
/// candidates' order (shown items first).
/// </summary>
public static class CandidateWindow
{
    public const string ScoreField = SyntheticSimulator.UpstreamScoreField, RankField = SyntheticSimulator.UpstreamRankField;

    /// <summary>Each candidate's place in the upstream order as a number, higher first (the score, or minus the rank);
    /// null when the candidates carry neither field.</summary>
    public static double[]? UpstreamKeys(LoggedSlate slate)
    {
        var candidates = slate.Request.Candidates;
        if (candidates.Count == 0) return null;
        foreach (var (field, sign) in new[] { (ScoreField, 1.0), (RankField, -1.0) })
        {
            if (!candidates[0].ContainsKey(field)) continue;
            var keys = new double[candidates.Count];
            for (int c = 0; c < keys.Length; c++)
                keys[c] = DenseValue.TryRead(candidates[c][field][0], out double v) ? sign * v : double.NegativeInfinity;
            return keys;
        }
        return null;
    }

    /// <summary>The candidates in upstream order (see the class summary), or null without an upstream field.</summary>
    public static int[]? UpstreamOrder(LoggedSlate slate) =>
        UpstreamKeys(slate) is { } keys ? Enumerable.Range(0, keys.Length).OrderByDescending(c => keys[c]).ThenBy(c => c).ToArray() : null;

    /// <summary>The candidates re-ranked: all (<paramref name="top"/> null), else the upstream top N, in candidate order.</summary>
    /// <exception cref="ArgumentException">A window without an upstream field to order by.</exception>
    public static int[] Of(LoggedSlate slate, int? top)
    {
        if (top is not { } n || n >= slate.Candidates) return Enumerable.Range(0, slate.Candidates).ToArray();
        var order = UpstreamOrder(slate)
            ?? throw new ArgumentException($"--candidates {n}: list '{slate.ListId}' has no dense item field '{ScoreField}' or '{RankField}' " +
                                           "to take the upstream top N by");
        return order.Take(n).Order().ToArray();
    }
}
