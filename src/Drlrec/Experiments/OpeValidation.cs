using System.Globalization;
using System.Text;
using Drlrec.Checkpoints;
using Drlrec.Data;
using Drlrec.Evaluation;
using Drlrec.Features;
using Drlrec.IO;
using Drlrec.OffPolicy;
using Drlrec.Ranking;
using Drlrec.Simulation;
using MathNet.Numerics.Statistics;

namespace Drlrec.Experiments;

/// <summary>What <c>drlrec validate-ope</c> measures.</summary>
public sealed record OpeValidationSettings
{
    /// <summary>The zoo's trained models (run folders), all of one simulated world.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>The world (the <c>data.synthetic</c> shape); null: the one the first model was trained on.</summary>
    public SyntheticConfig? World { get; init; }

    /// <summary>Logged lists per replication, one study per size. Default 5,000 and 20,000.</summary>
    public IReadOnlyList<int> Lists { get; init; } = [5_000, 20_000];

    /// <summary>Independent logs per size (each a fresh seeded stream of requests). Default 20.</summary>
    public int Replications { get; init; } = 20;

    /// <summary>The index of the first replication (default 0): replications first .. first + count − 1, each the stream
    /// its index gives, so processes given disjoint ranges and the same seed run parts of one study (joined by
    /// <see cref="OpeValidation.Merge"/>).</summary>
    public int FirstReplication { get; init; }

    /// <summary>The estimation settings (window, smoothing, folds, bootstrap); the seed also seeds the replications.</summary>
    public OpeSettings Ope { get; init; } = new();

    /// <summary>Slates drawn per list to measure a stochastic target's true clicks (random; smoothed targets). Default 16.</summary>
    public int TruthSamples { get; init; } = 16;
}

/// <summary>One replication's estimate of one policy by one estimator, against the simulator's truth on the same requests.</summary>
public sealed record OpeValidationRow(int Lists, int Replication, string Policy, string Estimator, double Estimate, double Low, double High,
    double Truth, double EssFirst, double EssLast);

/// <summary>Per list size, estimator and policy: how the estimates fared over the replications.</summary>
/// <param name="RelativeError">Mean over replications of |estimate − truth| / truth.</param>
/// <param name="Coverage">Share of replications whose 95% interval holds the truth.</param>
public sealed record OpeValidationSummary(int Lists, string Estimator, string Policy, double Truth, double Estimate, double RelativeError,
    double Bias, double BiasSquared, double Variance, double Coverage);

/// <summary>Per list size and estimator: Spearman's rank correlation of the estimates with the truth across the zoo, per replication.</summary>
public sealed record OpeRankSummary(int Lists, string Estimator, double MeanSpearman, double MinSpearman, double ShareAtLeast09);

public sealed record OpeValidationResult(SyntheticConfig World, IReadOnlyList<string> Policies, IReadOnlyList<OpeValidationRow> Rows,
    IReadOnlyList<OpeValidationSummary> Summary, IReadOnlyList<OpeRankSummary> Ranks, OpeSettings Settings, double Seconds);

/// <summary>
/// Validates the off-policy estimators against the simulator's exact truth (docs/ope.md): for each list size and
/// replication, fresh requests of the world are logged by its logging policy (propensities and unshown candidates
/// included), every policy of the zoo (the models, the upstream order, the diversity re-rank tuned as online evaluation
/// tunes it, random, and the logging policy) is estimated by every estimator (<see cref="OffPolicyEvaluation"/>), and the
/// truth is the simulator's expected clicks of each policy's own slates on the same requests (exact for a greedy target;
/// a stochastic one's averaged over <see cref="OpeValidationSettings.TruthSamples"/> slates per request; the logging
/// policy's, its logged slates'). The click model is fitted on the training part of the world's own logs (what the
/// models trained on) and cross-fitted on each replication's lists. The requests of the replications come after the log:
/// a model with user-history fields sees each user's counts over the whole log, as online evaluation sends them.
/// </summary>
public static class OpeValidation
{
    public static OpeValidationResult Run(OpeValidationSettings settings, Action<string>? onMessage = null)
    {
        if (settings.Models.Count == 0) throw new ArgumentException("--model: give the zoo's models");
        if (settings.Replications < 1) throw new ArgumentException($"--replications: must be at least 1 (got {settings.Replications})");
        if (settings.FirstReplication < 0) throw new ArgumentException($"--first-replication: must not be negative (got {settings.FirstReplication})");
        if (settings.Lists.Count == 0 || settings.Lists.Any(n => n < 10)) throw new ArgumentException("--lists: give sizes of at least 10 lists");
        settings.Ope.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var models = new List<LoadedModel>();
        var scorers = new List<IStepScorer>();
        try
        {
            foreach (string path in settings.Models) models.Add(ModelCheckpoint.Load(path));
            var trained = models[0].TrainingData;
            var world = (settings.World ?? trained.Synthetic) with { ListLength = trained.MaxListLength };
            world.Validate();
            var simulator = new SyntheticSimulator(world);
            if (settings.Ope.Window is { } top) OnlineEvaluation.CheckWindow(top, simulator.ListLength, world.CandidatesPerRequest, "--candidates");
            var log = simulator.GenerateLogs();
            var totals = UserHistory.Totals(log);
            bool history = models.Any(m => UserHistory.In(m.Schema));
            // The log's own lists carry the history strictly before each of them (as the models trained on them): the totals
            // over the whole log would hold each list's own clicks, and a click model fitted on them learnt the like rate
            // too strongly (measured: +0.026 clicks per list on fresh requests' logged slates, against −0.013 for a fit on fresh lists).
            var logged = history ? UserHistory.AddTo(log)[0] : log;
            var fittingLists = new ListDataset(logged.Schema, logged.Lists.Take((int)(logged.Lists.Count * (1 - trained.TestFraction))).ToList(), "synthetic");
            var fitting = LoggedSlates.From(fittingLists, unshown: false);

            // The zoo's models by their run folders' names (teacher-g0, teacher-g0.9, ...): several share a checkpoint name.
            var names = models.Select(m => Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(m.Path)))!).ToArray();
            var targets = new List<OpeTarget>();
            for (int i = 0; i < models.Count; i++)
            {
                scorers.Add(new TorchStepScorer(models[i].Online));
                targets.Add(new OpeTarget(new ModelPolicy(names[i], new SlateRanker(scorers[i], models[i].Vocabulary, models[i].Schema))));
            }
            var diversity = DiversityRerank.Tune(simulator,
                DiversityRerank.ValidationRequests(simulator, settings.Ope.Seed, DiversityRerank.ValidationRequestCount, settings.Ope.Window));
            targets.AddRange(Drlrec.Workflows.OpeWorkflow.Baselines(simulator.Schema, diversity));
            var policies = targets.Select(t => t.Policy.Name).Append(OffPolicyEvaluation.LoggingPolicy).ToList();
            onMessage?.Invoke($"{models.Count} models, diversity re-rank λ {diversity.Lambda}, decay {diversity.Decay}; {fitting.Count:N0} lists fit the click model");

            var rows = new List<OpeValidationRow>();
            foreach (int size in settings.Lists)
                for (int r = settings.FirstReplication; r < settings.FirstReplication + settings.Replications; r++)
                {
                    var (slates, requests) = Replicate(simulator, size, OffPolicyEvaluation.Stream(settings.Ope.Seed, size, r, 3), history ? totals : null);
                    var truth = new double[policies.Count];
                    var result = OffPolicyEvaluation.Run(fittingLists.Schema, slates, fitting, targets, settings.Ope with { Seed = settings.Ope.Seed + r },
                        onSlate: (t, i, greedy) =>
                        {
                            var smoothing = targets[t].Policy.OwnSmoothing ?? settings.Ope.Smoothing;
                            if (smoothing.Deterministic) truth[t] += Truth(simulator, slates[i], requests[i], greedy) / size;
                        });
                    for (int t = 0; t < targets.Count; t++)
                    {
                        var smoothing = targets[t].Policy.OwnSmoothing ?? settings.Ope.Smoothing;
                        if (!smoothing.Deterministic)
                            truth[t] = SampledTruth(simulator, slates, requests, targets[t], smoothing, settings, OffPolicyEvaluation.Stream(settings.Ope.Seed, size, r, 4 + t));
                    }
                    truth[^1] = Enumerable.Range(0, size).Average(i => Truth(simulator, slates[i], requests[i], Enumerable.Range(0, slates[i].Shown).ToArray()));
                    foreach (var (policy, t) in result.Policies.Append(result.Logging).Select((p, t) => (p, t)))
                        foreach (var (estimator, e) in policy.Estimates)
                            rows.Add(new OpeValidationRow(size, r, policy.Name, estimator, e.Value, e.Ci95[0], e.Ci95[1], truth[t], e.Ess[0], e.Ess[^1]));
                    onMessage?.Invoke($"{size:N0} lists, replication {r + 1} ({r - settings.FirstReplication + 1} of {settings.Replications}): " +
                        string.Join("; ", policies.Select((p, t) => $"{p} truth {truth[t]:F3}, {result.DefaultEstimator} " +
                            $"{rows.First(x => x.Lists == size && x.Replication == r && x.Policy == p && x.Estimator == result.DefaultEstimator).Estimate:F3}")));
                }
            return new OpeValidationResult(world, policies, rows, Summarise(rows), Ranks(rows), settings.Ope, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var scorer in scorers) scorer.Dispose();
            foreach (var model in models) model.Dispose();
        }
    }

    /// <summary>A replication's logged lists: fresh requests of the world from <paramref name="seed"/>'s stream, ordered and
    /// clicked as the logs are, with each user's history over the world's log when the models read it.</summary>
    public static (IReadOnlyList<LoggedSlate> Slates, SimRequest[] Requests) Replicate(SyntheticSimulator simulator, int count, int seed,
        IReadOnlyDictionary<string, (int Impressions, int Liked)>? history)
    {
        var rng = new Random(seed);
        var requests = new SimRequest[count];
        var lists = new LoggedList[count];
        for (int i = 0; i < count; i++)
        {
            requests[i] = simulator.NextRequest(rng);
            var order = simulator.LoggingPolicyOrder(requests[i], rng);
            lists[i] = simulator.ToLoggedList(requests[i], order, simulator.Respond(requests[i], order, rng));
        }
        return (LoggedSlates.From(WithHistory(new ListDataset(simulator.Schema, lists, "synthetic"), history)), requests);
    }

    private static ListDataset WithHistory(ListDataset data, IReadOnlyDictionary<string, (int Impressions, int Liked)>? history) =>
        history is null ? data : data.WithFieldsAdded(UserHistory.Fields, (list, _) =>
        {
            var (n, c) = history.GetValueOrDefault(list.UserKey);
            return UserHistory.ValuesOf(n, c);
        });

    /// <summary>The simulator's expected clicks of a slate of a logged list's candidates.</summary>
    private static double Truth(SyntheticSimulator simulator, LoggedSlate slate, SimRequest request, IReadOnlyList<int> order) =>
        simulator.ExpectedClicks(request, order.Select(c => simulator.IndexOf(slate.Request.Candidates[c][SyntheticSimulator.ItemIdField][0])).ToArray());

    private static double SampledTruth(SyntheticSimulator simulator, IReadOnlyList<LoggedSlate> slates, SimRequest[] requests, OpeTarget target,
        TargetSmoothing smoothing, OpeValidationSettings settings, int seed)
    {
        var rng = new Random(seed);
        double total = 0;
        for (int i = 0; i < slates.Count; i++)
        {
            var window = CandidateWindow.Of(slates[i], target.Windowed ? settings.Ope.Window : null);
            for (int s = 0; s < settings.TruthSamples; s++)
                total += Truth(simulator, slates[i], requests[i],
                    TargetTerms.Slate(target.Policy, slates[i], window, slates[i].Shown, scores => TargetTerms.Draw(smoothing.Probabilities(scores), rng)));
        }
        return total / (slates.Count * settings.TruthSamples);
    }

    /// <summary>
    /// One study from parts run as separate processes (<see cref="OpeValidationSettings.FirstReplication"/>): the parts'
    /// rows together, summarised again. The parts must share the world, the zoo and the estimation settings, and no
    /// (size, replication) may come twice; the time is the parts' sum.
    /// </summary>
    /// <exception cref="ArgumentException">The parts differ or overlap; the message names the part.</exception>
    public static OpeValidationResult Merge(IReadOnlyList<(string Name, OpeValidationResult Part)> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("--merge: give the folders of the parts");
        var (firstName, first) = parts[0];
        string Shape(OpeValidationResult r) => Json.Serialize(new { r.World, r.Settings, r.Policies });
        var seen = new HashSet<(int, int)>();
        foreach (var (name, part) in parts)
        {
            if (Shape(part) != Shape(first))
                throw new ArgumentException($"--merge: {name} is of another study than {firstName} (its world, zoo or estimation settings differ)");
            foreach (var key in part.Rows.Select(r => (r.Lists, r.Replication)).Distinct())
                if (!seen.Add(key)) throw new ArgumentException($"--merge: {name} repeats replication {key.Item2} of {key.Item1:N0} lists (give the parts disjoint --first-replication ranges)");
        }
        var rows = parts.SelectMany(p => p.Part.Rows).OrderBy(r => r.Lists).ThenBy(r => r.Replication).ToList();
        return new OpeValidationResult(first.World, first.Policies, rows, Summarise(rows), Ranks(rows), first.Settings, parts.Sum(p => p.Part.Seconds));
    }

    public static IReadOnlyList<OpeValidationSummary> Summarise(IReadOnlyList<OpeValidationRow> rows) => rows
        .GroupBy(r => (r.Lists, r.Estimator, r.Policy))
        .Select(g =>
        {
            var errors = g.Select(r => r.Estimate - r.Truth).ToArray();
            double bias = errors.Average();
            return new OpeValidationSummary(g.Key.Lists, g.Key.Estimator, g.Key.Policy, g.Average(r => r.Truth), g.Average(r => r.Estimate),
                g.Average(r => Math.Abs(r.Estimate - r.Truth) / r.Truth), bias, bias * bias,
                errors.Length > 1 ? errors.Variance() : 0, g.Average(r => r.Low <= r.Truth && r.Truth <= r.High ? 1.0 : 0.0));
        }).ToList();

    /// <summary>Spearman's ρ between the estimates and the truths of the zoo (the logging policy included), per replication.</summary>
    public static IReadOnlyList<OpeRankSummary> Ranks(IReadOnlyList<OpeValidationRow> rows) => rows
        .GroupBy(r => (r.Lists, r.Estimator))
        .Select(g =>
        {
            var rho = g.GroupBy(r => r.Replication).Select(rep => Correlation.Spearman(rep.Select(r => r.Estimate), rep.Select(r => r.Truth))).ToArray();
            return new OpeRankSummary(g.Key.Lists, g.Key.Estimator, rho.Average(), rho.Min(), rho.Average(x => x >= 0.9 ? 1.0 : 0.0));
        }).ToList();

    /// <summary>results.json (every row and the summaries) and report.md (the tables) in <paramref name="folder"/>.</summary>
    public static void Write(OpeValidationResult result, string folder, string command)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "results.json"), Json.Serialize(result) + "\n");
        var md = new StringBuilder();
        static string Widened(int? refits) => refits > 0 ? $", intervals widened by {refits} refits of the click model" : "";
        static string FittingOf(OpeSettings settings) => settings.FitOn switch
        {
            ClickModelLists.Folds => $"the other folds alone{Widened(settings.Refits)}",
            ClickModelLists.TrainingAndFolds => $"the training lists and the other folds{Widened(settings.Refits)}",
            _ => $"auto: the other folds alone{Widened(settings.Refits ?? OpeSettings.AutoRefits)} from {settings.FoldsFrom:N0} evaluated lists, " +
                 $"below that the training lists and the other folds{Widened(settings.Refits ?? 0)}",
        };
        static string P(double v) => v.ToString("0.0%", CultureInfo.InvariantCulture);
        static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
        md.AppendLine("# Off-policy estimates against the simulator's truth").AppendLine();
        md.AppendLine($"`{command}`").AppendLine();
        md.AppendLine($"World: `{System.Text.Json.JsonSerializer.Serialize(result.World, new System.Text.Json.JsonSerializerOptions(Json.Options) { WriteIndented = false })}`. Targets: {result.Settings.Smoothing}, window " +
                      $"{(result.Settings.Window is { } w ? $"upstream top {w}" : "all candidates")}; {result.Settings.Folds} cross-fitting folds (the click model fitted on " +
                      $"{FittingOf(result.Settings)}), {result.Settings.Bootstrap} bootstrap resamples. {result.Rows.Select(r => r.Replication).Distinct().Count()} replications per size; " +
                      $"{result.Seconds / 60:F1} min of computing.").AppendLine();
        foreach (int size in result.Summary.Select(s => s.Lists).Distinct())
        {
            md.AppendLine($"## {size:N0} logged lists").AppendLine();
            md.AppendLine("Mean over replications: relative error |V̂ − V| / V, bias, bias², variance of V̂ − V, 95% interval coverage.").AppendLine();
            foreach (string estimator in result.Summary.Select(s => s.Estimator).Distinct())
            {
                md.AppendLine($"**{estimator}**").AppendLine();
                md.AppendLine("| policy | truth V | mean V̂ | relative error | bias | bias² | variance | coverage |");
                md.AppendLine("|---|---|---|---|---|---|---|---|");
                foreach (var s in result.Summary.Where(s => s.Lists == size && s.Estimator == estimator))
                    md.AppendLine($"| {s.Policy} | {s.Truth:F3} | {s.Estimate:F3} | {P(s.RelativeError)} | {s.Bias:+0.0000;-0.0000} | {F(s.BiasSquared)} | {F(s.Variance)} | {P(s.Coverage)} |");
                md.AppendLine();
            }
            md.AppendLine("Spearman's ρ of the estimates with the truth across the zoo:").AppendLine();
            md.AppendLine("| estimator | mean ρ | min ρ | replications with ρ ≥ 0.9 |");
            md.AppendLine("|---|---|---|---|");
            foreach (var k in result.Ranks.Where(k => k.Lists == size))
                md.AppendLine($"| {k.Estimator} | {k.MeanSpearman:F3} | {k.MinSpearman:F3} | {P(k.ShareAtLeast09)} |");
            md.AppendLine();
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), md.ToString());
    }
}
