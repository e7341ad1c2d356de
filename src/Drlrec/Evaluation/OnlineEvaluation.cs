using Drlrec.Data;
using Drlrec.Ranking;
using Drlrec.Simulation;

namespace Drlrec.Evaluation;

/// <summary>Expected clicks per list of one policy: mean over seeds with a 95% confidence interval.</summary>
public sealed record PolicyClicks(string Policy, double Mean, double CiLow, double CiHigh, IReadOnlyList<double> PerSeed);

/// <summary>
/// Online evaluation on the simulator: every policy orders the same simulated requests' candidate sets into lists;
/// the simulator's click model gives each list's expected clicks exactly (the sum of its click probabilities, so no
/// Bernoulli noise is added). Per seed, a fresh set of requests; reported: the mean over seeds and a 95% Student-t
/// interval. Models re-rank greedily with <see cref="SlateRanker"/>, seeing each candidate with the upstream ranker's
/// score and rank; the baselines are the upstream ranker's own order, the (noisier) logging policy, a random order and,
/// as an upper bound, the simulator's greedy oracle (which knows the true click model).
/// </summary>
public static class OnlineEvaluation
{
    public const string Upstream = "upstream-order", Logging = "logging-policy", Random = "random", Oracle = "oracle (upper bound)";

    public static IReadOnlyList<PolicyClicks> Run(SyntheticSimulator simulator, IReadOnlyList<(string Name, SlateRanker Ranker)> models,
        int requests, IReadOnlyList<int> seeds, Action<int>? onRequest = null)
    {
        foreach (var (name, ranker) in models) EnsureSameSchema(simulator.Schema, ranker.Schema, name);
        var names = models.Select(m => m.Name).Concat([Upstream, Logging, Random, Oracle]).ToArray();
        var perSeed = names.ToDictionary(n => n, _ => new List<double>());
        foreach (int seed in seeds)
        {
            var rng = new System.Random(seed);
            var sums = names.ToDictionary(n => n, _ => 0.0);
            for (int r = 0; r < requests; r++)
            {
                var request = simulator.NextRequest(rng);
                foreach (var (name, ranker) in models)
                {
                    var slate = ranker.Rank(ToSlateRequest(simulator, request));
                    sums[name] += simulator.ExpectedClicks(request, slate.Order.Select(i => request.Candidates[i]).ToArray());
                }
                sums[Upstream] += simulator.ExpectedClicks(request, simulator.UpstreamOrder(request));
                sums[Logging] += simulator.ExpectedClicks(request, simulator.LoggingPolicyOrder(request, rng));
                sums[Random] += simulator.ExpectedClicks(request, simulator.RandomOrder(request, rng));
                sums[Oracle] += simulator.ExpectedClicks(request, simulator.OracleOrder(request));
                onRequest?.Invoke(1);
            }
            foreach (var n in names) perSeed[n].Add(sums[n] / requests);
        }
        return names.Select(n => Summarise(n, perSeed[n])).ToList();
    }

    /// <summary>The request as a model sees it: user and context fields, each candidate's item fields, slate size L.</summary>
    public static SlateRequest ToSlateRequest(SyntheticSimulator simulator, SimRequest request)
    {
        var schema = simulator.Schema;
        var all = simulator.FieldValues(request, request.Candidates[0], 1);
        Dictionary<string, string[]> Group(FieldGroup group, string[][] values) =>
            schema.IndicesOf(group).ToDictionary(i => schema.Fields[i].Name, i => values[i]);
        int first = schema.FirstItemField;
        var candidates = simulator.CandidateFieldValues(request).Select(values =>
            (IReadOnlyDictionary<string, string[]>)schema.IndicesOf(FieldGroup.Item)
                .ToDictionary(i => schema.Fields[i].Name, i => values[i - first])).ToList();
        return new SlateRequest(Group(FieldGroup.User, all), Group(FieldGroup.Context, all), candidates, simulator.Config.ListLength);
    }

    /// <summary>Mean and 95% Student-t interval of per-seed values.</summary>
    public static PolicyClicks Summarise(string name, IReadOnlyList<double> values)
    {
        double mean = values.Average();
        if (values.Count < 2) return new PolicyClicks(name, mean, double.NaN, double.NaN, values);
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        double half = TCritical95(values.Count - 1) * sd / Math.Sqrt(values.Count);
        return new PolicyClicks(name, mean, mean - half, mean + half, values);
    }

    /// <summary>Two-sided 95% critical value of Student's t with <paramref name="df"/> degrees of freedom.</summary>
    public static double TCritical95(int df)
    {
        double[] table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];
        return df <= table.Length ? table[df - 1] : 1.96;
    }

    private static void EnsureSameSchema(ListSchema simulator, ListSchema model, string name)
    {
        if (!simulator.Fields.SequenceEqual(model.Fields))
            throw new InvalidDataException($"{name} was not trained on the simulator's fields ({model}); online evaluation needs a model trained on --data synthetic");
    }
}
