using Drlrec.OffPolicy;
using Drlrec.Simulation;

namespace Drlrec.Tests.OffPolicy;

/// <summary>Logged lists of a simulator as off-policy evaluation reads them, each with its request (for the truth).</summary>
internal sealed class SimulatedLogs(SyntheticSimulator simulator)
{
    public SyntheticSimulator Simulator => simulator;

    /// <summary>A small world where every slate can be enumerated: 3 positions, 6 candidates.</summary>
    public static SimulatedLogs Small(int seed = 11, double exit = 0, int candidates = 6) => new(new SyntheticSimulator(new SyntheticConfig
    {
        Seed = seed, Users = 100, Items = 1000, ListLength = 3, CandidatesPerRequest = candidates, Exit = exit,
    }));

    /// <summary><paramref name="count"/> requests logged by the logging policy from the generator seeded <paramref name="seed"/>.</summary>
    public (LoggedSlate Slate, SimRequest Request)[] Log(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var request = simulator.NextRequest(rng);
            var order = simulator.LoggingPolicyOrder(request, rng);
            var list = simulator.ToLoggedList(request, order, simulator.Respond(request, order, rng));
            return (LoggedSlates.Of(list, simulator.Schema), request);
        }).ToArray();
    }

    /// <summary>The catalog item of a slate's candidate.</summary>
    public int Item(LoggedSlate slate, int candidate) => simulator.IndexOf(slate.Request.Candidates[candidate][SyntheticSimulator.ItemIdField][0]);

    /// <summary>The simulator's expected clicks of a slate (candidate indices).</summary>
    public double Truth(LoggedSlate slate, SimRequest request, IReadOnlyList<int> order) =>
        simulator.ExpectedClicks(request, order.Select(c => Item(slate, c)).ToArray());

    /// <summary>E_π[clicks] exactly: every slate of the list's length from all candidates, weighted by the target's probability.</summary>
    public double ExactValue(LoggedSlate slate, SimRequest request, ISlatePolicy policy, TargetSmoothing smoothing)
    {
        double value = 0;
        void Extend(List<int> prefix, double probability)
        {
            if (prefix.Count == slate.Shown)
            {
                value += probability * Truth(slate, request, prefix);
                return;
            }
            using var session = policy.Begin(slate, Enumerable.Range(0, slate.Candidates).ToArray());
            var remaining = Enumerable.Range(0, slate.Candidates).ToList();
            foreach (int placed in prefix)
            {
                session.Score(remaining);
                session.Place(placed);
                remaining.Remove(placed);
            }
            var probabilities = smoothing.Probabilities(session.Score(remaining));
            for (int j = 0; j < remaining.Count; j++)
                if (probabilities[j] > 0) Extend([.. prefix, remaining[j]], probability * probabilities[j]);
        }
        Extend([], 1);
        return value;
    }

    /// <summary>The simulator's true expected click at a position given the items before it: the perfect click model.</summary>
    public IListClicks TrueClicks(LoggedSlate slate, SimRequest request) => new Truthful(this, slate, request);

    private sealed class Truthful(SimulatedLogs logs, LoggedSlate slate, SimRequest request) : IListClicks
    {
        public double Click(IReadOnlyList<int> prefix, int candidate) =>
            logs.Simulator.ClickProbabilities(request, prefix.Append(candidate).Select(c => logs.Item(slate, c)).ToArray())[^1];
    }
}
