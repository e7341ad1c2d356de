using System.Globalization;
using System.Text;
using System.Text.Json;
using Drlrec.Benchmarking;
using Drlrec.Evaluation;
using Drlrec.IO;
using Drlrec.Reporting;

namespace Drlrec.Experiments;

/// <summary>Mean and spread over seeds of one variant (and sweep value) on one data set.</summary>
public sealed record VariantSummary(
    string Dataset, string Variant, string? SweepParameter, int? SweepValue, int Seeds,
    double AucMean, double AucStd, double? AucCentredMean, double? AucCentredStd, double GaucMean, double GaucStd, double Ndcg10Mean, double Ndcg10Std,
    double ParamsRatio, double? LatencyRatio, double? PoolRatio, double? OnlineMean, double? OnlineCiLow, double? OnlineCiHigh,
    double TrainSeconds)
{
    /// <summary>The size's name in a student_size sweep.</summary>
    public string? Size { get; init; }

    /// <summary>GAUC with position-centred scoring (null for rows written before it was measured).</summary>
    public double? GaucCentredMean { get; init; }
    public double? GaucCentredStd { get; init; }
    /// <summary>The off-policy estimate (the default estimator, clipped Cascade-DR) on the test lists, mean over seeds with a 95% Student-t interval.</summary>
    public double? OpeMean { get; init; }
    public double? OpeCiLow { get; init; }
    public double? OpeCiHigh { get; init; }
}

/// <summary>Per data set and seed: the variant each offline number would choose among the unswept variants, and the true
/// online clicks of each choice (<see cref="ExperimentReport.Choices"/>).</summary>
public sealed record VariantChoice(string Dataset, int Seed, string ByValidationAuc, string? ByValidationOpe, string? ByOnline,
    double? OnlineOfAuc, double? OnlineOfOpe, double? OnlineBest);

/// <summary>A paired difference A − B over the seeds both have, with its 95% interval.</summary>
public sealed record PairedComparison(string Dataset, string Metric, string A, string B, double Difference, double Low, double High,
    int Seeds, bool Distinguishable);

/// <summary>
/// Writes an experiment's <c>results.csv</c> and <c>results.json</c> (one row per trained model), <c>report.md</c>
/// (mean ± standard deviation over seeds per variant, baselines, online clicks with 95% intervals) and PNG plots.
/// </summary>
public static class ExperimentReport
{
    public static IReadOnlyList<VariantSummary> Summarise(ExperimentResult result) =>
        result.Rows.GroupBy(r => (r.Dataset, r.Variant, r.SweepParameter, r.SweepValue))
            .Select(g =>
            {
                var rows = g.ToList();
                var online = rows.Where(r => r.OnlineClicks is not null).Select(r => r.OnlineClicks!.Value).ToList();
                var clicks = online.Count > 0 ? OnlineEvaluation.Summarise(g.Key.Variant, online) : null;
                var opeValues = rows.Where(r => r.OpeClicks is not null).Select(r => r.OpeClicks!.Value).ToList();
                var ope = opeValues.Count > 0 ? OnlineEvaluation.Summarise(g.Key.Variant, opeValues) : null;
                return new VariantSummary(g.Key.Dataset, g.Key.Variant, g.Key.SweepParameter, g.Key.SweepValue, rows.Count,
                    rows.Average(r => r.Auc), Statistics.Std(rows.Select(r => r.Auc).ToList()),
                    Mean(rows.Select(r => r.AucCentred)), rows.All(r => r.AucCentred is not null) ? Statistics.Std(rows.Select(r => r.AucCentred!.Value).ToList()) : null,
                    rows.Average(r => r.Gauc), Statistics.Std(rows.Select(r => r.Gauc).ToList()),
                    rows.Average(r => r.Ndcg10), Statistics.Std(rows.Select(r => r.Ndcg10).ToList()), rows.Average(r => r.ParamsRatio),
                    Mean(rows.Select(r => r.LatencyP50Ratio)), Mean(rows.Select(r => r.PoolP50Ratio)),
                    clicks?.Mean, clicks?.CiLow, clicks?.CiHigh, rows.Average(r => r.TrainSeconds))
                {
                    Size = rows[0].Size,
                    GaucCentredMean = Mean(rows.Select(r => r.GaucCentred)),
                    GaucCentredStd = rows.All(r => r.GaucCentred is not null) ? Statistics.Std(rows.Select(r => r.GaucCentred!.Value).ToList()) : null,
                    OpeMean = ope?.Mean, OpeCiLow = ope?.CiLow, OpeCiHigh = ope?.CiHigh,
                };
            }).ToList();

    /// <summary>
    /// The comparisons the paper makes, each as a paired difference over seeds (the same seed's split, teacher and
    /// requests) with a 95% Student-t interval: the DRL-Rec student (the distill variant with every part on) against
    /// every other variant; the main teacher against every other teacher variant (e.g. gamma = 0) and against the student
    /// alone (the advantage distillation has to transfer); every variant against item popularity (AUC, GAUC) and, in
    /// online clicks, the upstream order and the tuned diversity re-rank; every teacher variant against the greedy and the
    /// lookahead oracle (online clicks). A difference whose interval holds 0 is not distinguishable from zero with these seeds.
    /// </summary>
    public static IReadOnlyList<PairedComparison> Compare(ExperimentResult result)
    {
        var comparisons = new List<PairedComparison>();
        foreach (var dataset in result.Spec.Datasets.Select(d => d.Name))
        {
            var rows = result.Rows.Where(r => r.Dataset == dataset && r.SweepValue is null).ToList();
            var variants = rows.Select(r => r.Variant).Distinct().ToList();
            string? drlRec = result.Spec.Variants.FirstOrDefault(v => v.Kind == VariantKind.Distill && IsFullDrlRec(v))?.Name;
            string? teacher = result.Spec.Variants.FirstOrDefault(v => v.Kind == VariantKind.Teacher)?.Name;
            Dictionary<int, double> Metric(string variant, Func<ExperimentRow, double?> metric) => rows.Where(r => r.Variant == variant)
                .Where(r => metric(r) is { } v && !double.IsNaN(v)).ToDictionary(r => r.Seed, r => metric(r)!.Value);
            Dictionary<int, double> Baseline(string name, Func<BaselineRow, double?> metric) => result.Baselines
                .Where(b => b.Dataset == dataset && b.Baseline == name && metric(b) is not null).ToDictionary(b => b.Seed, b => metric(b)!.Value);
            void Add(string metric, string a, Dictionary<int, double> x, string b, Dictionary<int, double> y)
            {
                var differences = x.Keys.Intersect(y.Keys).Order().Select(seed => x[seed] - y[seed]).ToList();
                if (differences.Count == 0) return;
                var m = Statistics.Mean95(differences);
                comparisons.Add(new PairedComparison(dataset, metric, a, b, m.Mean, m.Low, m.High, m.Count, m.Excludes(0)));
            }
            foreach (var (metric, value) in new (string, Func<ExperimentRow, double?>)[]
                     { ("auc", r => r.Auc), ("auc_centred", r => r.AucCentred), ("gauc", r => r.Gauc), ("gauc_centred", r => r.GaucCentred),
                       ("online_clicks", r => r.OnlineClicks), ("ope_clicks", r => r.OpeClicks) })
            {
                if (drlRec is not null)
                    foreach (string other in variants.Where(v => v != drlRec)) Add(metric, drlRec, Metric(drlRec, value), other, Metric(other, value));
                if (teacher is not null)
                    foreach (var other in result.Spec.Variants.Where(v => v.Name != teacher && v.Kind is VariantKind.Teacher or VariantKind.Student))
                        Add(metric, teacher, Metric(teacher, value), other.Name, Metric(other.Name, value));
                if (metric == "online_clicks")
                {
                    foreach (string v in variants)
                    {
                        bool isTeacher = result.Spec.Variants.Any(x => x.Name == v && x.Kind == VariantKind.Teacher);
                        string[] against = isTeacher
                            ? [OnlineEvaluation.Upstream, OnlineEvaluation.Diversity, OnlineEvaluation.Oracle, OnlineEvaluation.OracleLookahead]
                            : [OnlineEvaluation.Upstream, OnlineEvaluation.Diversity];
                        foreach (string baseline in against) Add(metric, v, Metric(v, value), baseline, Baseline(baseline, b => b.OnlineClicks));
                    }
                    continue;
                }
                if (metric == "ope_clicks") continue; // estimated for the models only
                Func<BaselineRow, double?> popularity = metric.StartsWith("gauc", StringComparison.Ordinal) ? b => b.Gauc : b => b.Auc;
                foreach (string v in variants)
                    Add(metric, v, Metric(v, value), OfflineEvaluation.ItemPopularity, Baseline(OfflineEvaluation.ItemPopularity, popularity));
            }
        }
        return comparisons;
    }

    /// <summary>
    /// Per data set and seed, among the unswept variants: the one with the best validation AUC, the one with the best
    /// off-policy estimate on the validation lists (what a user without a simulator can choose by), and the one with the
    /// most true online clicks, with each choice's online clicks: which offline number to trust.
    /// </summary>
    public static IReadOnlyList<VariantChoice> Choices(ExperimentResult result) => result.Rows
        .Where(r => r.SweepValue is null).GroupBy(r => (r.Dataset, r.Seed))
        .Select(g =>
        {
            var rows = g.ToList();
            var byAuc = rows.MaxBy(r => r.ValidationAuc)!;
            var byOpe = rows.All(r => r.OpeValidationClicks is not null) ? rows.MaxBy(r => r.OpeValidationClicks!.Value) : null;
            var best = rows.All(r => r.OnlineClicks is not null) ? rows.MaxBy(r => r.OnlineClicks!.Value) : null;
            return new VariantChoice(g.Key.Dataset, g.Key.Seed, byAuc.Variant, byOpe?.Variant, best?.Variant, byAuc.OnlineClicks, byOpe?.OnlineClicks, best?.OnlineClicks);
        }).ToList();

    private static Configuration.SplitMode BaseSplit(ExperimentSpec spec) =>
        spec.Base is { } b && b.TryGetProperty("data", out var data) && data.TryGetProperty("split", out var split)
            && split.GetString() == "user_time" ? Configuration.SplitMode.UserTime : Configuration.SplitMode.Time;

    internal static bool IsFullDrlRec(ExperimentVariant variant)
    {
        var d = (variant.Distill ?? new Configuration.DistillConfig()).Resolve();
        return d.Method == Configuration.DistillMethod.DrlRec && d.ExploreFilter && d.Confidence && d.Kl && d.Hint;
    }

    /// <summary>results.csv and results.json (also written after every seed, so a killed run keeps its rows).</summary>
    public static void WriteData(ExperimentResult result, string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "results.json"), Json.Serialize(new
        {
            result.Spec.Name, result.Seconds, result.Rows, result.Baselines, Summary = Summarise(result), Comparisons = Compare(result), Choices = Choices(result),
            Frontier = CompressionFrontier.Of(result),
        }) + "\n");
        var csv = new StringBuilder();
        csv.AppendLine("dataset,seed,variant,kind,sweep_parameter,sweep_value,auc,auc_centred,gauc,gauc_centred,ndcg5,ndcg10,validation_auc,best_epoch,params,params_ratio,latency_ms_p50,latency_p50_ratio,pool_ms_p50,pool_p50_ratio,online_clicks,train_seconds,size,bytes,bytes_ratio,slate_ms_p50,slate_p50_ratio,train_cpu_seconds,ope_clicks,ope_validation_clicks");
        foreach (var r in result.Rows)
            csv.AppendLine(string.Join(",", Quote(r.Dataset), r.Seed, Quote(r.Variant), r.Kind, r.SweepParameter ?? "", N(r.SweepValue),
                N(r.Auc), N(r.AucCentred), N(r.Gauc), N(r.GaucCentred), N(r.Ndcg5), N(r.Ndcg10), N(r.ValidationAuc), r.BestEpoch, r.Params, N(r.ParamsRatio),
                N(r.LatencyMsP50), N(r.LatencyP50Ratio), N(r.PoolMsP50), N(r.PoolP50Ratio), N(r.OnlineClicks), N(r.TrainSeconds),
                Quote(r.Size ?? ""), r.Bytes?.ToString(CultureInfo.InvariantCulture) ?? "", N(r.BytesRatio), N(r.SlateMsP50), N(r.SlateP50Ratio), N(r.TrainCpuSeconds),
                N(r.OpeClicks), N(r.OpeValidationClicks)));
        AtomicFile.WriteAllText(Path.Combine(folder, "results.csv"), csv.ToString());
    }

    public static void Write(ExperimentResult result, string folder)
    {
        WriteData(result, folder);
        var summaries = Summarise(result);
        var md = new StringBuilder();
        md.AppendLine($"# Experiment: {result.Spec.Name}").AppendLine();
        if (result.Spec.Description.Length > 0) md.AppendLine(result.Spec.Description).AppendLine();
        md.AppendLine($"Seeds: {string.Join(", ", result.Spec.Seeds)}. Wall time: {result.Seconds / 60:F1} min on {Environment.ProcessorCount} cores. " +
                      "Metrics are on the test split; mean ± standard deviation over seeds. " +
                      "Ratios are to the same seed's teacher (latency: TorchSharp, one thread, median of one request of a whole list / of a 1000-candidate pool).")
            .AppendLine();
        foreach (var dataset in result.Spec.Datasets.Select(d => d.Name))
        {
            var rows = summaries.Where(s => s.Dataset == dataset).ToList();
            if (rows.Count == 0) continue;
            md.AppendLine($"## {dataset}").AppendLine();
            var split = result.Spec.Datasets.First(d => d.Name == dataset).Split ?? BaseSplit(result.Spec);
            md.AppendLine(split == Configuration.SplitMode.UserTime
                ? "Split: each user's latest lists are the test (and, before them, validation) lists."
                : "Split: the latest lists of the whole log are the test (and, before them, validation) lists.").AppendLine();
            if (rows.Any(r => r.OnlineMean is not null))
            {
                var tuned = result.Baselines.Where(b => b.Dataset == dataset && b.Tuned is not null).OrderBy(b => b.Seed)
                    .Select(b => $"seed {b.Seed}: λ {b.Tuned!.Lambda:0.##}, decay {b.Tuned.Decay:0.##}").ToList();
                md.AppendLine($"Online: {result.Spec.OnlineRequests} simulated requests per seed; the models and the {OnlineEvaluation.Diversity} re-rank " +
                              (result.Spec.OnlineCandidates is { } top ? $"the upstream ranker's top {top} candidates of each request" : "all of each request's candidates") +
                              ", the other baselines order the whole request." +
                              (tuned.Count > 0 ? $" The {OnlineEvaluation.Diversity} is tuned per seed on {DiversityRerank.ValidationRequestCount} validation requests of its own ({string.Join("; ", tuned)})." : ""))
                    .AppendLine();
            }
            if (rows.Any(r => r.OpeMean is not null))
                md.AppendLine("OPE: each model's clicks per list estimated off-policy from the test split's logged lists alone (clipped Cascade-DR, " +
                              "`drlrec evaluate --ope`; mean over seeds with a 95% interval), beside offline AUC and the true online clicks: " +
                              "which offline number to trust (docs/ope.md in the repository).").AppendLine();
            md.AppendLine("| variant | AUC | AUC (position-centred) | GAUC | GAUC (position-centred) | NDCG@10 | params ratio | latency p50 ratio | pool p50 ratio | online clicks / list (95% CI) | OPE clicks / list (95% CI) | train s |");
            md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var s in rows)
                md.AppendLine($"| {Label(s)} | {s.AucMean:F4} ± {s.AucStd:F4} | {(s.AucCentredMean is { } c ? $"{c:F4} ± {s.AucCentredStd:F4}" : "")} | {s.GaucMean:F4} ± {s.GaucStd:F4} | " +
                              $"{(s.GaucCentredMean is { } gc ? $"{gc:F4} ± {s.GaucCentredStd:F4}" : "")} | {s.Ndcg10Mean:F4} ± {s.Ndcg10Std:F4} | " +
                              $"{s.ParamsRatio:F3} | {F(s.LatencyRatio)} | {F(s.PoolRatio)} | {Clicks(s.OnlineMean, s.OnlineCiLow, s.OnlineCiHigh)} | {Clicks(s.OpeMean, s.OpeCiLow, s.OpeCiHigh)} | {s.TrainSeconds:F0} |");
            foreach (var b in result.Baselines.Where(b => b.Dataset == dataset).GroupBy(b => b.Baseline))
            {
                string Spread(Func<BaselineRow, double?> metric)
                {
                    var values = b.Where(x => metric(x) is not null).Select(x => metric(x)!.Value).ToList();
                    return values.Count > 0 ? $"{values.Average():F4} ± {Statistics.Std(values):F4}" : "";
                }
                var clicks = b.Where(x => x.OnlineClicks is not null).Select(x => x.OnlineClicks!.Value).ToList();
                var online = clicks.Count > 0 ? OnlineEvaluation.Summarise(b.Key, clicks) : null;
                string baselineAuc = Spread(x => x.Auc), baselineGauc = Spread(x => x.Gauc);
                md.AppendLine($"| *{b.Key} (baseline)* | {baselineAuc} | {baselineAuc} | {baselineGauc} | {baselineGauc} | {Spread(x => x.Ndcg10)} | | | | {Clicks(online?.Mean, online?.CiLow, online?.CiHigh)} | | |");
            }
            md.AppendLine();
            var choices = Choices(result).Where(c => c.Dataset == dataset && c.ByValidationOpe is not null).ToList();
            if (choices.Count > 0)
            {
                md.AppendLine("Choosing a variant on the validation lists, per seed: by validation AUC, by the off-policy estimate (clipped Cascade-DR), " +
                              "and the variant with the most true online clicks; each choice's online clicks per list:").AppendLine();
                md.AppendLine("| seed | by validation AUC | by OPE on validation | best online |");
                md.AppendLine("|---|---|---|---|");
                foreach (var c in choices)
                    md.AppendLine($"| {c.Seed} | {c.ByValidationAuc} ({F(c.OnlineOfAuc)}) | {c.ByValidationOpe} ({F(c.OnlineOfOpe)}) | {c.ByOnline} ({F(c.OnlineBest)}) |");
                md.AppendLine();
            }
            var comparisons = Compare(result).Where(c => c.Dataset == dataset).ToList();
            if (comparisons.Count > 0)
            {
                md.AppendLine("Paired differences over seeds (A − B, the same seed's split, teacher and requests; 95% Student-t interval):").AppendLine();
                md.AppendLine("| metric | A | B | A − B | 95% CI | seeds | distinguishable from 0 |");
                md.AppendLine("|---|---|---|---|---|---|---|");
                foreach (var c in comparisons)
                    md.AppendLine($"| {c.Metric} | {c.A} | {c.B} | {c.Difference:+0.0000;-0.0000;0.0000} | " +
                                  $"{(double.IsNaN(c.Low) ? "n/a" : $"[{c.Low:+0.0000;-0.0000;0.0000}, {c.High:+0.0000;-0.0000;0.0000}]")} | {c.Seeds} | {(c.Distinguishable ? "yes" : "no")} |");
                md.AppendLine();
            }
            foreach (string plot in Plot(result, summaries, dataset, folder)) md.AppendLine($"![{plot}]({plot})").AppendLine();
            foreach (var frontier in CompressionFrontier.Of(result).Where(f => f.Dataset == dataset))
            {
                CompressionFrontier.WriteMarkdown(md, frontier);
                foreach (string plot in CompressionFrontier.Plot(frontier, folder)) md.AppendLine($"![{plot}]({plot})").AppendLine();
            }
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), md.ToString());
    }

    private static IEnumerable<string> Plot(ExperimentResult result, IReadOnlyList<VariantSummary> summaries, string dataset, string folder)
    {
        string slug = ExperimentRunner.Slug(dataset);
        var rows = summaries.Where(s => s.Dataset == dataset).ToList();
        var unswept = rows.Where(s => s.SweepValue is null).ToList();
        if (unswept.Count > 0)
        {
            string file = $"{slug}-auc.png";
            Plots.Bars(Path.Combine(folder, file), $"{dataset}: test AUC (mean ± std over {result.Spec.Seeds.Count} seeds)", "AUC",
                unswept.Select(s => s.Variant).ToList(), [("AUC", unswept.Select(s => s.AucMean).ToArray(), unswept.Select(s => s.AucStd).ToArray())]);
            yield return file;
            if (unswept.Any(s => s.OnlineMean is not null))
            {
                file = $"{slug}-online.png";
                var withClicks = unswept.Where(s => s.OnlineMean is not null).ToList();
                var baselines = result.Baselines.Where(b => b.Dataset == dataset && b.OnlineClicks is not null).GroupBy(b => b.Baseline)
                    .Select(g => (Name: g.Key, Mean: g.Average(x => x.OnlineClicks!.Value))).ToList();
                Plots.Bars(Path.Combine(folder, file), $"{dataset}: expected clicks per list (simulator)", "clicks / list",
                    withClicks.Select(s => s.Variant).Concat(baselines.Select(b => b.Name)).ToList(),
                    [("clicks", withClicks.Select(s => s.OnlineMean!.Value).Concat(baselines.Select(b => b.Mean)).ToArray(),
                        withClicks.Select(s => (s.OnlineCiHigh - s.OnlineMean) ?? 0).Concat(baselines.Select(_ => 0.0)).ToArray())]);
                yield return file;
            }
        }
        var gammas = GammaSweep(result, unswept, dataset);
        if (gammas.Count >= 2)
        {
            string file = $"{slug}-gamma.png";
            double[] xs = gammas.Select(g => g.Gamma).ToArray(), ends = [xs.Min(), xs.Max()];
            var series = new List<Series>
            {
                new("teachers: online clicks / list (95% CI)", xs, gammas.Select(g => g.Summary.OnlineMean!.Value).ToArray(),
                    Error: gammas.Select(g => double.IsNaN(g.Summary.OnlineCiHigh ?? double.NaN) ? 0 : g.Summary.OnlineCiHigh!.Value - g.Summary.OnlineMean!.Value).ToArray()),
                new("teachers: test AUC (right axis)", xs, gammas.Select(g => g.Summary.AucMean).ToArray(), RightAxis: true),
            };
            foreach (var b in result.Baselines.Where(b => b.Dataset == dataset && b.OnlineClicks is not null).GroupBy(b => b.Baseline)
                         .Where(g => g.Key is not OnlineEvaluation.Logging and not OnlineEvaluation.Random))
            {
                double mean = b.Average(x => x.OnlineClicks!.Value);
                series.Add(new Series(b.Key, ends, [mean, mean]));
            }
            Plots.Lines(Path.Combine(folder, file), $"{dataset}: teachers against gamma (online clicks, mean over seeds)", "gamma",
                "expected clicks / list", series, rightLabel: "test AUC");
            yield return file;
        }
        var swept = rows.Where(s => s.SweepValue is not null).ToList();
        if (swept.Count > 0 && swept[0].SweepParameter != ExperimentSweep.StudentSize) // sizes: the frontier's plots
        {
            string parameter = swept[0].SweepParameter!;
            string file = $"{slug}-sweep-{parameter}.png";
            var series = swept.GroupBy(s => BaseName(s.Variant)).Select(g =>
            {
                var points = g.OrderBy(s => s.SweepValue).ToList();
                return new Series(g.Key, points.Select(p => (double)p.SweepValue!.Value).ToArray(), points.Select(p => p.AucMean).ToArray(),
                    Error: points.Select(p => p.AucStd).ToArray());
            }).ToList();
            var teacher = rows.FirstOrDefault(s => s.SweepValue is null && s.Variant.Contains("teacher", StringComparison.OrdinalIgnoreCase));
            if (teacher is not null)
            {
                double[] xs = [swept.Min(s => s.SweepValue!.Value), swept.Max(s => s.SweepValue!.Value)];
                series.Add(new Series("teacher", xs, [teacher.AucMean, teacher.AucMean]));
            }
            Plots.Lines(Path.Combine(folder, file), $"{dataset}: test AUC against {parameter}", parameter, "AUC", series);
            yield return file;
        }
    }

    /// <summary>
    /// The teacher variants that differ from the experiment's settings in γ alone (no config, or only <c>dqn.gamma</c>)
    /// and were evaluated online, with their γ (the variant's, else the data set's, the base's or the default), by γ.
    /// </summary>
    private static List<(VariantSummary Summary, double Gamma)> GammaSweep(ExperimentResult result, List<VariantSummary> unswept, string dataset)
    {
        static double? GammaIn(JsonElement? config) =>
            config is { ValueKind: JsonValueKind.Object } c && c.TryGetProperty("dqn", out var dqn) && dqn.TryGetProperty("gamma", out var g)
                ? g.GetDouble() : null;
        static bool OnlyGamma(JsonElement? config) => config is null || (config.Value.EnumerateObject().Select(p => p.Name).SequenceEqual(["dqn"])
            && config.Value.GetProperty("dqn").EnumerateObject().Select(p => p.Name).SequenceEqual(["gamma"]));
        double fallback = GammaIn(result.Spec.Datasets.First(d => d.Name == dataset).Config) ?? GammaIn(result.Spec.Base)
                          ?? new Configuration.DqnConfig().Gamma;
        return result.Spec.Variants.Where(v => v.Kind == VariantKind.Teacher && OnlyGamma(v.Config))
            .Select(v => (Summary: unswept.FirstOrDefault(s => s.Variant == v.Name), Gamma: GammaIn(v.Config) ?? fallback))
            .Where(x => x.Summary?.OnlineMean is not null).Select(x => (x.Summary!, x.Gamma)).OrderBy(x => x.Gamma).ToList();
    }

    private static string BaseName(string variant) => variant.Contains(" (", StringComparison.Ordinal) ? variant[..variant.IndexOf(" (", StringComparison.Ordinal)] : variant;
    private static string Label(VariantSummary s) => s.SweepValue is null ? s.Variant : $"{s.Variant} ({s.SweepParameter} = {s.Size ?? s.SweepValue.ToString()})";
    private static string Clicks(double? mean, double? lo, double? hi) =>
        mean is null ? "" : double.IsNaN(lo ?? double.NaN) ? $"{mean:F3}" : $"{mean:F3} [{lo:F3}, {hi:F3}]";
    private static string F(double? v) => v is null ? "" : v.Value.ToString("F3", CultureInfo.InvariantCulture);
    private static string N(double? v) => v is null || double.IsNaN(v.Value) ? "" : v.Value.ToString("R", CultureInfo.InvariantCulture);
    private static string N(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";
    private static string Quote(string s) => s.Contains(',') || s.Contains('"') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
    /// <summary>The mean of the values present; null when none is.</summary>
    internal static double? Mean(IEnumerable<double?> values)
    {
        var list = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        return list.Count == 0 ? null : list.Average();
    }
}
