using Drlrec.Data;
using Drlrec.Ranking;
using Drlrec.Evaluation;

namespace Drlrec.OffPolicy;

/// <summary>
/// A policy evaluated off-policy: it builds a slate one slot at a time, scoring the remaining candidates given the ones
/// placed before (a model's Q through <see cref="SlateRanker"/>, or a baseline's rule). How scores become the
/// probabilities of a slot's choice is the <see cref="TargetSmoothing"/>.
/// </summary>
public interface ISlatePolicy
{
    string Name { get; }

    /// <summary>A session on one logged list, over <paramref name="candidates"/> (indices into its candidates: the window).</summary>
    IPolicySession Begin(LoggedSlate slate, int[] candidates);

    /// <summary>How this policy turns scores into choices when not told otherwise: <see cref="TargetSmoothing.Greedy"/>
    /// for a ranker; <see cref="TargetSmoothing.Uniform"/> for the random policy.</summary>
    TargetSmoothing? OwnSmoothing => null;
}

/// <summary>One slate under construction. Every <see cref="Place"/> follows a <see cref="Score"/> of the candidates left.</summary>
public interface IPolicySession : IDisposable
{
    /// <summary>The score of each of <paramref name="remaining"/> (candidate indices) in the next slot.</summary>
    float[] Score(IReadOnlyList<int> remaining);

    /// <summary>Places candidate <paramref name="candidate"/> (one of the last <see cref="Score"/>'s) in that slot.</summary>
    void Place(int candidate);
}

/// <summary>A policy that can build the greedy slates of many logged lists at once (the same slates as its sessions).</summary>
public interface IManySlatesPolicy
{
    /// <summary>False when this policy's backend builds slates one request at a time only.</summary>
    bool RanksManySlates { get; }

    /// <summary>The greedy slate of each list: <see cref="LoggedSlate.Shown"/> candidate indices of
    /// <paramref name="windows"/>[i] (indices into the list's candidates), in placement order.</summary>
    int[][] GreedySlates(IReadOnlyList<LoggedSlate> slates, IReadOnlyList<int[]> windows);
}

/// <summary>A trained model's greedy slate construction (<see cref="SlateRanker"/>, any <see cref="IStepScorer"/>
/// backend), on the window's candidates as the request would have sent them.</summary>
public sealed class ModelPolicy(string name, SlateRanker ranker) : ISlatePolicy, IManySlatesPolicy
{
    public string Name => name;

    public IPolicySession Begin(LoggedSlate slate, int[] candidates) => new Session(ranker.Scorer.Begin(Input(slate, candidates)), candidates);

    public bool RanksManySlates => ranker.Scorer is IManySlatesScorer;

    public int[][] GreedySlates(IReadOnlyList<LoggedSlate> slates, IReadOnlyList<int[]> windows)
    {
        if (ranker.Scorer is not IManySlatesScorer many) throw new InvalidOperationException($"the {ranker.Scorer.Backend} backend ranks one request at a time");
        for (int i = 0; i < slates.Count; i++)
            if (windows[i].Length < slates[i].Shown)
                throw new ArgumentException($"list '{slates[i].ListId}': {windows[i].Length} candidates to re-rank cannot fill its {slates[i].Shown} positions");
        var inWindow = many.RankMany(slates.Select((s, i) => Input(s, windows[i])).ToList(), slates.Select(s => s.Shown).ToList());
        return inWindow.Select((order, i) => order.Select(j => windows[i][j]).ToArray()).ToArray();
    }

    private SlateInput Input(LoggedSlate slate, int[] candidates) =>
        ranker.Input(slate.Request with { Candidates = candidates.Select(c => slate.Request.Candidates[c]).ToList() });

    private sealed class Session(ISlateSession session, int[] candidates) : IPolicySession
    {
        private readonly Dictionary<int, int> inWindow = candidates.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        private IReadOnlyList<int> asked = [];

        public float[] Score(IReadOnlyList<int> remaining)
        {
            asked = remaining;
            return session.Score(remaining.Select(c => inWindow[c]).ToList());
        }

        public void Place(int candidate)
        {
            int chosen = asked is List<int> list ? list.IndexOf(candidate) : asked.ToList().IndexOf(candidate);
            session.Place(chosen >= 0 ? chosen : throw new ArgumentException($"candidate {candidate} was not among the last scored"));
        }

        public void Dispose() => session.Dispose();
    }
}

/// <summary>The upstream ranker's own order: its score, whatever was placed (<see cref="CandidateWindow.UpstreamKeys"/>).</summary>
public sealed class UpstreamPolicy : ISlatePolicy
{
    public const string PolicyName = "upstream-order";

    public string Name => PolicyName;

    public IPolicySession Begin(LoggedSlate slate, int[] candidates) => new RuleSession(Keys(slate), null);

    internal static double[] Keys(LoggedSlate slate) => CandidateWindow.UpstreamKeys(slate)
        ?? throw new ArgumentException($"list '{slate.ListId}': the upstream order needs a dense item field '{CandidateWindow.ScoreField}' or '{CandidateWindow.RankField}'");
}

/// <summary>
/// The hand-written diversity re-rank as a policy over logged candidates (the rule of <c>Evaluation/DiversityRerank.cs</c>):
/// at each slot the highest <c>upstream key − λ · Σ over placed items j sharing a value of the category field decay^(p − j − 1)</c>.
/// </summary>
/// <param name="Field">The categorical item field whose equal values tire (the simulator's <c>category</c>).</param>
public sealed record DiversityPolicy(double Lambda, double Decay, string Field = "category") : ISlatePolicy
{
    public const string PolicyName = "diversity re-rank";

    public string Name => PolicyName;

    public IPolicySession Begin(LoggedSlate slate, int[] candidates)
    {
        var categories = slate.Request.Candidates.Select(c => c.TryGetValue(Field, out var v) ? v[0]
            : throw new ArgumentException($"list '{slate.ListId}': the diversity re-rank needs the item field '{Field}'")).ToArray();
        return new RuleSession(UpstreamPolicy.Keys(slate), (this, categories));
    }
}

/// <summary>Every remaining candidate alike: with <see cref="TargetSmoothing.Uniform"/>, a uniformly random slate.</summary>
public sealed class UniformPolicy : ISlatePolicy
{
    public const string PolicyName = "random";

    public string Name => PolicyName;

    public TargetSmoothing? OwnSmoothing => TargetSmoothing.Uniform;

    public IPolicySession Begin(LoggedSlate slate, int[] candidates) => new RuleSession(new double[slate.Candidates], null);
}

/// <summary>A rule's session: a fixed key per candidate, less the diversity penalty when one is given.</summary>
internal sealed class RuleSession : IPolicySession
{
    private readonly double[] keys;
    private readonly double lambda;
    private readonly int[]? categories;    // each candidate's category, numbered in order of appearance
    private readonly CategoryLoad? load;

    public RuleSession(double[] keys, (DiversityPolicy Rule, string[] Categories)? diversity)
    {
        this.keys = keys;
        if (diversity is not { } d) return;
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        categories = d.Categories.Select(c => numbers.TryGetValue(c, out int k) ? k : numbers[c] = numbers.Count).ToArray();
        lambda = d.Rule.Lambda;
        load = new CategoryLoad(numbers.Count, d.Rule.Decay);
    }

    public float[] Score(IReadOnlyList<int> remaining) => remaining
        .Select(c => (float)(keys[c] - (load is not null ? lambda * load.Of(categories![c]) : 0))).ToArray();

    public void Place(int candidate) => load?.Place(categories![candidate]);

    public void Dispose() { }
}
