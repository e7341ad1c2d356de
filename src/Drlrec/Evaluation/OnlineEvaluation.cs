using Drlrec.Data;
using Drlrec.Features;
using Drlrec.Ranking;
using Drlrec.Simulation;

namespace Drlrec.Evaluation;

/// <summary>Expected clicks per list of one policy: mean over seeds with a 95% confidence interval.</summary>
public sealed record PolicyClicks(string Policy, double Mean, double CiLow, double CiHigh, IReadOnlyList<double> PerSeed);

/// <summary>Expected clicks of every policy on every simulated request: [policy][request], requests in seed order.</summary>
/// <param name="DiversityTuned">The diversity re-rank's parameters, tuned per seed on that seed's validation requests.</param>
/// <param name="PenaltyTuned">With diagnostics: each model's <see cref="CategoryPenalty"/> per seed, by the diagnostic policy's name.</param>
public sealed record OnlineClicks(IReadOnlyList<string> Policies, double[][] PerRequest, IReadOnlyList<int> Seeds, int RequestsPerSeed,
    IReadOnlyList<DiversityRerank> DiversityTuned, IReadOnlyDictionary<string, IReadOnlyList<CategoryPenalty>>? PenaltyTuned = null)
{
    public double[] Of(string policy) => PerRequest[Policies.ToList().IndexOf(policy)];

    /// <summary>The policy's mean over each seed's requests, one value per seed.</summary>
    public double[] PerSeed(string policy)
    {
        var all = Of(policy);
        return Enumerable.Range(0, Seeds.Count).Select(s => all.AsSpan(s * RequestsPerSeed, RequestsPerSeed).ToArray().Average()).ToArray();
    }

    /// <summary>Mean clicks per list over all requests with a 95% interval over requests.</summary>
    public MeanInterval OverRequests(string policy) => Statistics.Mean95(Of(policy));

    /// <summary>Paired difference a − b over the same requests, with a 95% interval.</summary>
    public MeanInterval Difference(string a, string b) => Statistics.Mean95(Of(a).Zip(Of(b), (x, y) => x - y).ToArray());
}

/// <summary>
/// Online evaluation on the simulator: every policy orders the same simulated requests' candidate sets into lists;
/// the simulator's click model gives each list's expected clicks exactly (the sum of its click probabilities, so no
/// Bernoulli noise is added). Per seed, a fresh set of requests. Models re-rank greedily with <see cref="SlateRanker"/>,
/// seeing each candidate with the upstream ranker's score and rank; the baselines are the upstream ranker's own order,
/// the hand-written <see cref="DiversityRerank"/> of it (tuned per seed on validation requests of a stream of their
/// own), the (noisier) logging policy, a random order and, as references no learner can reach, the simulator's greedy
/// oracle (which knows the true click model) and that oracle with one step of lookahead (its gain over the greedy
/// oracle is what planning ahead is worth in the simulated world).
/// </summary>
public static class OnlineEvaluation
{
    public const string Upstream = "upstream-order", Diversity = "diversity re-rank", Logging = "logging-policy", Random = "random",
        Oracle = "oracle (greedy)", OracleLookahead = "oracle (lookahead)",
        OracleLookaheadKnowable = "oracle (lookahead, items' own quality unknown)";

    /// <summary>The baselines, in report order.</summary>
    public static IReadOnlyList<string> Baselines { get; } = [Upstream, Diversity, Logging, Random, Oracle, OracleLookahead, OracleLookaheadKnowable];

    /// <summary>Diagnostic oracles (<c>diagnose</c>): the greedy oracle and the relevance-only oracle
    /// (<see cref="SyntheticSimulator.RelevanceOracleOrder"/>) on the candidates the models see.</summary>
    /// <para>The oracle that believes the upstream score (<see cref="SyntheticSimulator.UpstreamBelievingOracleOrder"/>, on the
    /// window) is what a learner gets that learns every effect the upstream ranker ignores but no better relevance.</para>
    public const string OracleWindow = "oracle (greedy, window)", OracleRelevanceWindow = "oracle (relevance only, window)",
        OracleUpstreamWindow = "oracle (upstream's relevance, window)";

    /// <summary>The diagnostic policies of all the models (<c>diagnose</c>), in report order.</summary>
    public static IReadOnlyList<string> DiagnosticBaselines { get; } = [OracleWindow, OracleRelevanceWindow, OracleUpstreamWindow];

    /// <summary>The diagnostic policy of a model: its slate with a tuned same-category penalty on top (<see cref="CategoryPenalty"/>).</summary>
    public static string WithPenalty(string model) => model + " + category penalty";

    /// <summary>Per seed: the mean over that seed's requests; reported: the mean over seeds and its 95% Student-t interval.</summary>
    public static IReadOnlyList<PolicyClicks> Run(SyntheticSimulator simulator, IReadOnlyList<(string Name, SlateRanker Ranker)> models,
        int requests, IReadOnlyList<int> seeds, Action<int>? onRequest = null, int? rerankTop = null)
    {
        var clicks = Measure(simulator, models, requests, seeds, onRequest, rerankTop);
        return clicks.Policies.Select(p => Summarise(p, clicks.PerSeed(p))).ToList();
    }

    /// <summary>Expected clicks of the models and the baselines on the same requests (per seed, a fresh seeded set).</summary>
    /// <param name="rerankTop">When set, the models and the diversity re-rank re-rank the upstream ranker's top N of each
    /// request's candidates (the list a ranking stage hands a re-ranker in production); by default they see every
    /// candidate. The other baselines always work on the whole request (the upstream order is the same list either way;
    /// the oracles may take candidates outside the window).</param>
    /// <param name="asked">Called with each request as the models were asked it (for measures of the models' own, such as
    /// <see cref="OrderAgreement"/>, on the same requests).</param>
    /// <param name="diagnose">Also measure the diagnostic policies: <see cref="DiagnosticBaselines"/> and each model with a
    /// tuned same-category penalty (<see cref="WithPenalty"/>), which split a model's gap to the oracle into what it
    /// misses of relevance and of the list effect.</param>
    public static OnlineClicks Measure(SyntheticSimulator simulator, IReadOnlyList<(string Name, SlateRanker Ranker)> models,
        int requests, IReadOnlyList<int> seeds, Action<int>? onRequest = null, int? rerankTop = null, Action<SlateRequest>? asked = null,
        bool diagnose = false)
    {
        if (requests < 1) throw new ArgumentException("--requests: must be at least 1");
        if (rerankTop is { } top) CheckWindow(top, simulator.ListLength, simulator.Config.CandidatesPerRequest, "--candidates");
        foreach (var (name, ranker) in models) EnsureSameSchema(simulator.Schema, ranker.Schema, name);
        // A request comes after the log: a model with user history fields sees each user's counts over the whole log.
        var history = models.Any(m => UserHistory.In(m.Ranker.Schema)) ? UserHistory.Totals(simulator.GenerateLogs()) : null;
        var names = models.Select(m => m.Name).Concat(Baselines)
            .Concat(diagnose ? DiagnosticBaselines.Concat(models.Select(m => WithPenalty(m.Name))) : []).ToArray();
        var perRequest = names.Select(_ => new double[requests * seeds.Count]).ToArray();
        var tuned = new List<DiversityRerank>();
        var penalties = models.ToDictionary(m => WithPenalty(m.Name), _ => new List<CategoryPenalty>());
        for (int s = 0; s < seeds.Count; s++)
        {
            // Tuned on requests of a generator of their own, before and apart from the reported ones.
            var diversity = DiversityRerank.Tune(simulator,
                DiversityRerank.ValidationRequests(simulator, seeds[s], DiversityRerank.ValidationRequestCount, rerankTop));
            tuned.Add(diversity);
            var penalty = new CategoryPenalty[models.Count];
            if (diagnose && models.Count > 0)
            {
                var validation = DiversityRerank.ValidationRequests(simulator, seeds[s], CategoryPenalty.ValidationRequestCount, rerankTop);
                var validationAsked = validation.Select(r => ToSlateRequest(simulator, r, history)).ToList();
                for (int m = 0; m < models.Count; m++)
                {
                    penalty[m] = CategoryPenalty.Tune(simulator, models[m].Ranker, validation, validationAsked);
                    penalties[WithPenalty(models[m].Name)].Add(penalty[m]);
                }
            }
            var rng = new System.Random(seeds[s]);
            for (int r = 0; r < requests; r++)
            {
                int at = s * requests + r;
                var request = simulator.NextRequest(rng);
                var shown = rerankTop is { } n ? request with { Candidates = simulator.UpstreamTop(request, n) } : request;
                var slateRequest = models.Count > 0 ? ToSlateRequest(simulator, shown, history) : null;
                if (slateRequest is not null) asked?.Invoke(slateRequest);
                for (int m = 0; m < models.Count; m++)
                {
                    var slate = models[m].Ranker.Rank(slateRequest!);
                    perRequest[m][at] = simulator.ExpectedClicks(shown, slate.Order.Select(i => shown.Candidates[i]).ToArray());
                }
                int b = models.Count;
                perRequest[b][at] = simulator.ExpectedClicks(request, simulator.UpstreamOrder(request));
                perRequest[b + 1][at] = simulator.ExpectedClicks(shown, diversity.Order(simulator, shown));
                perRequest[b + 2][at] = simulator.ExpectedClicks(request, simulator.LoggingPolicyOrder(request, rng));
                perRequest[b + 3][at] = simulator.ExpectedClicks(request, simulator.RandomOrder(request, rng));
                perRequest[b + 4][at] = simulator.ExpectedClicks(request, simulator.OracleOrder(request));
                perRequest[b + 5][at] = simulator.ExpectedClicks(request, simulator.LookaheadOracleOrder(request));
                // Without exit no one leaves, so planning with the knowable exit is the full lookahead: not computed twice.
                perRequest[b + 6][at] = simulator.Config.Exit > 0
                    ? simulator.ExpectedClicks(request, simulator.KnowableLookaheadOracleOrder(request))
                    : perRequest[b + 5][at];
                if (diagnose)
                {
                    int d = b + Baselines.Count;
                    perRequest[d][at] = simulator.ExpectedClicks(shown, simulator.OracleOrder(shown));
                    perRequest[d + 1][at] = simulator.ExpectedClicks(shown, simulator.RelevanceOracleOrder(shown));
                    perRequest[d + 2][at] = simulator.ExpectedClicks(shown, simulator.UpstreamBelievingOracleOrder(shown));
                    for (int m = 0; m < models.Count; m++)
                    {
                        var order = penalty[m].Order(simulator, models[m].Ranker, shown, slateRequest!);
                        perRequest[d + DiagnosticBaselines.Count + m][at] = simulator.ExpectedClicks(shown, order.Select(i => shown.Candidates[i]).ToArray());
                    }
                }
                onRequest?.Invoke(1);
            }
        }
        return new OnlineClicks(names, perRequest, seeds, requests, tuned,
            diagnose ? penalties.ToDictionary(p => p.Key, p => (IReadOnlyList<CategoryPenalty>)p.Value) : null);
    }
    /// <summary>Refuses a re-rank window the simulator cannot honour: it must hold a list and fit in a request.</summary>
    /// <param name="owner">The setting's name in the message (e.g. "--candidates").</param>
    public static void CheckWindow(int top, int listLength, int candidatesPerRequest, string owner)
    {
        if (top < listLength || top > candidatesPerRequest)
            throw new ArgumentException($"{owner}: must be between the list length ({listLength}) and the candidates per request ({candidatesPerRequest}) (got {top})");
    }

    /// <summary>The request as a model sees it: user and context fields, each candidate's item fields, slate size L.</summary>
    /// <param name="history">Each user's counts over the log (<see cref="UserHistory.Totals"/>), to send the user
    /// history fields; null leaves them out.</param>
    public static SlateRequest ToSlateRequest(SyntheticSimulator simulator, SimRequest request,
        IReadOnlyDictionary<string, (int Impressions, int Liked)>? history = null)
    {
        var schema = simulator.Schema;
        var all = simulator.FieldValues(request, request.Candidates[0], 1);
        Dictionary<string, string[]> Group(FieldGroup group, string[][] values) =>
            schema.IndicesOf(group).ToDictionary(i => schema.Fields[i].Name, i => values[i]);
        var user = Group(FieldGroup.User, all);
        if (history is not null)
        {
            var (n, c) = history.GetValueOrDefault(SimUsers.UserKey(request.User));
            var values = UserHistory.ValuesOf(n, c);
            for (int k = 0; k < UserHistory.Fields.Length; k++) user[UserHistory.Fields[k].Name] = values[k];
        }
        int first = schema.FirstItemField;
        var candidates = simulator.CandidateFieldValues(request).Select(values =>
            (IReadOnlyDictionary<string, string[]>)schema.IndicesOf(FieldGroup.Item)
                .ToDictionary(i => schema.Fields[i].Name, i => values[i - first])).ToList();
        return new SlateRequest(user, Group(FieldGroup.Context, all), candidates, simulator.Config.ListLength);
    }

    /// <summary>Mean and 95% Student-t interval of per-seed values.</summary>
    public static PolicyClicks Summarise(string name, IReadOnlyList<double> values)
    {
        var m = Statistics.Mean95(values);
        return new PolicyClicks(name, m.Mean, m.Low, m.High, values);
    }

    private static void EnsureSameSchema(ListSchema simulator, ListSchema model, string name)
    {
        if (!simulator.Fields.SequenceEqual(model.Fields.Where(f => !f.Derived && !UserHistory.IsHistoryField(f))))
            throw new InvalidDataException($"{name} was not trained on the simulator's fields ({model}); online evaluation needs a model trained on --data synthetic");
    }
}
