using System.Globalization;
using System.Text;
using Drlrec.Evaluation;
using Drlrec.Reporting;

namespace Drlrec.Experiments;

/// <summary>A model's scores at one size over seeds: means with 95% Student-t intervals (NaN bounds for one seed; no
/// clicks offline).</summary>
public sealed record FrontierScores(
    double? Clicks, double? ClicksLow, double? ClicksHigh, double Auc, double AucLow, double AucHigh, double Gauc, double GaucLow,
    double GaucHigh, int Seeds);

/// <summary>A paired difference A − B over the seeds both have, with its 95% Student-t interval.</summary>
public sealed record PairedDifference(double Difference, double Low, double High, int Seeds);

/// <summary>Paired differences of one pair of models in each metric (clicks only online).</summary>
public sealed record FrontierDifferences(PairedDifference? Clicks, PairedDifference? Auc, PairedDifference? Gauc);

/// <summary>The DRL-Rec student against another student of the same size (KD, Hint, an ablation).</summary>
public sealed record FrontierComparison(string A, string B, FrontierDifferences Differences);

/// <summary>
/// One student size of the frontier: what it costs against the teacher (parameters, file bytes, one-list and slate
/// latency, each a ratio to the same seed's teacher measured side by side) and how the student alone and the DRL-Rec
/// student score, with the paired differences DRL-Rec − alone and teacher − alone.
/// </summary>
/// <param name="GapRecovered">(DRL-Rec − alone) / (teacher − alone) in the headline metric: the share of the teacher's
/// advantage distillation won back (point estimate; null without both differences or when the teacher is not ahead).</param>
public sealed record FrontierSize(
    string Name, long Params, double ParamsRatio, double? BytesRatio, double? LatencyP50Ratio, double? SlateP50Ratio,
    FrontierScores? Alone, FrontierScores? DrlRec, FrontierDifferences? DrlRecMinusAlone, FrontierDifferences? TeacherMinusAlone,
    double? GapRecovered, IReadOnlyList<FrontierComparison> Others);

/// <summary>The smallest size whose mean is within the tolerance of the teacher's.</summary>
public sealed record FrontierPick(string Size, double ParamsRatio, double Value);

/// <summary>"The smallest student within 1% of the teacher's clicks: alone X% of the params, DRL-Rec Y%."</summary>
public sealed record FrontierHeadline(string Metric, double Tolerance, FrontierPick? Alone, FrontierPick? DrlRec, string Text);

/// <summary>The compression frontier of one data set (sizes by parameter ratio, smallest first).</summary>
/// <param name="Metric">online_clicks when the data set was evaluated online, else auc: the headline's metric.</param>
public sealed record Frontier(
    string Dataset, string Metric, string Teacher, string? Alone, string? DrlRec, FrontierScores TeacherScores,
    IReadOnlyList<FrontierSize> Sizes, FrontierHeadline Headline);

/// <summary>
/// The compression frontier of an experiment that sweeps the student's size (<c>student_size</c> or <c>student_dim</c>):
/// per data set and size, the student alone (the first student variant) and the DRL-Rec student (the distill variant with
/// every part on) against the main teacher, offline (AUC, GAUC) and online (clicks per list), with intervals over seeds;
/// every other student trained at a size (e.g. KD and Hint at the chosen size, ablations) is compared with the DRL-Rec
/// student there. Written into results.json (<c>frontier</c>), report.md and PNG plots.
/// </summary>
public static class CompressionFrontier
{
    /// <summary>"Within 1% of the teacher": a mean at least 99% of the teacher's.</summary>
    public const double Tolerance = 0.01;

    public const string Clicks = "online_clicks", Auc = "auc";

    /// <summary>One frontier per data set of a size sweep; none when the experiment sweeps no size.</summary>
    public static IReadOnlyList<Frontier> Of(ExperimentResult result)
    {
        var spec = result.Spec;
        if (spec.Sweep?.Parameter is not (ExperimentSweep.StudentSize or ExperimentSweep.StudentDim)) return [];
        string teacher = spec.Variants.FirstOrDefault(v => v.Kind == VariantKind.Teacher)?.Name ?? "teacher";
        string? alone = spec.Variants.FirstOrDefault(v => v.Kind == VariantKind.Student && v.Size is null)?.Name;
        string? drlRec = spec.Variants.FirstOrDefault(v => v.Kind == VariantKind.Distill && v.Size is null && ExperimentReport.IsFullDrlRec(v))?.Name;
        var frontiers = new List<Frontier>();
        foreach (var dataset in spec.Datasets.Select(d => d.Name))
        {
            var rows = result.Rows.Where(r => r.Dataset == dataset).ToList();
            var teacherRows = rows.Where(r => r.Variant == teacher && r.SweepValue is null).ToList();
            var sized = rows.Where(r => r.SweepValue is not null && r.Kind != VariantKind.Teacher).ToList();
            if (teacherRows.Count == 0 || sized.Count == 0) continue;
            bool online = rows.All(r => r.OnlineClicks is not null);
            var sizes = sized.GroupBy(r => r.SweepValue!.Value)
                .Select(g => Size(g.ToList(), teacherRows, alone, drlRec, online))
                .OrderBy(z => z.ParamsRatio).ToList();
            string metric = online ? Clicks : Auc;
            var teacherScores = Scores(teacherRows, online);
            frontiers.Add(new Frontier(dataset, metric, teacher, alone, drlRec, teacherScores, sizes,
                Headline(metric, Headline(metric, teacherScores), sizes)));
        }
        return frontiers;
    }

    private static FrontierSize Size(List<ExperimentRow> rows, List<ExperimentRow> teacher, string? alone, string? drlRec, bool online)
    {
        var first = rows[0];
        string name = first.Size ?? $"{first.SweepParameter} = {first.SweepValue}";
        List<ExperimentRow> Of(string? variant) => rows.Where(r => r.Variant == variant).ToList();
        var aloneRows = Of(alone);
        var drlRows = Of(drlRec);
        var others = rows.Select(r => r.Variant).Distinct().Where(v => v != alone && v != drlRec).ToList();
        var drlMinusAlone = aloneRows.Count > 0 && drlRows.Count > 0 ? Differences(drlRows, aloneRows, online) : null;
        var teacherMinusAlone = aloneRows.Count > 0 ? Differences(teacher, aloneRows, online) : null;
        double? Gap()
        {
            var gained = online ? drlMinusAlone?.Clicks : drlMinusAlone?.Auc;
            var gap = online ? teacherMinusAlone?.Clicks : teacherMinusAlone?.Auc;
            return gained is null || gap is null || gap.Difference <= 0 ? null : gained.Difference / gap.Difference; // no gap, nothing to recover
        }
        double? Mean(Func<ExperimentRow, double?> ratio) => ExperimentReport.Mean(rows.Select(ratio));
        return new FrontierSize(name, first.Params, rows.Average(r => r.ParamsRatio), Mean(r => r.BytesRatio), Mean(r => r.LatencyP50Ratio),
            Mean(r => r.SlateP50Ratio),
            aloneRows.Count > 0 ? Scores(aloneRows, online) : null, drlRows.Count > 0 ? Scores(drlRows, online) : null,
            drlMinusAlone, teacherMinusAlone, Gap(),
            drlRows.Count == 0 ? [] : others.Select(o => new FrontierComparison(drlRec!, o, Differences(drlRows, Of(o), online))).ToList());
    }

    private static FrontierScores Scores(IReadOnlyList<ExperimentRow> rows, bool online)
    {
        MeanInterval Over(Func<ExperimentRow, double> metric) => Statistics.Mean95(rows.Select(metric).ToList());
        var clicks = online ? Over(r => r.OnlineClicks!.Value) : null;
        var auc = Over(r => r.Auc);
        var gauc = Over(r => r.Gauc);
        return new FrontierScores(clicks?.Mean, clicks?.Low, clicks?.High, auc.Mean, auc.Low, auc.High, gauc.Mean, gauc.Low, gauc.High, rows.Count);
    }

    /// <summary>A − B in each metric, paired by seed.</summary>
    private static FrontierDifferences Differences(IReadOnlyList<ExperimentRow> a, IReadOnlyList<ExperimentRow> b, bool online)
    {
        PairedDifference? Paired(Func<ExperimentRow, double?> metric)
        {
            var bySeed = b.Where(r => metric(r) is not null).ToDictionary(r => r.Seed, r => metric(r)!.Value);
            var differences = a.Where(r => metric(r) is not null && bySeed.ContainsKey(r.Seed)).OrderBy(r => r.Seed)
                .Select(r => metric(r)!.Value - bySeed[r.Seed]).ToList();
            if (differences.Count == 0) return null;
            var m = Statistics.Mean95(differences);
            return new PairedDifference(m.Mean, m.Low, m.High, m.Count);
        }
        return new FrontierDifferences(online ? Paired(r => r.OnlineClicks) : null, Paired(r => r.Auc), Paired(r => r.Gauc));
    }

    private static double Headline(string metric, FrontierScores scores) => metric == Clicks ? scores.Clicks!.Value : scores.Auc;

    private static FrontierHeadline Headline(string metric, double teacher, IReadOnlyList<FrontierSize> sizes)
    {
        FrontierPick? Smallest(Func<FrontierSize, FrontierScores?> model) => sizes
            .Where(z => model(z) is { } s && Headline(metric, s) >= (1 - Tolerance) * teacher)
            .Select(z => new FrontierPick(z.Name, z.ParamsRatio, Headline(metric, model(z)!))).FirstOrDefault();
        var alone = Smallest(z => z.Alone);
        var drlRec = Smallest(z => z.DrlRec);
        string What(FrontierPick? p) => p is null ? "none of the sizes" : $"{Percent(p.ParamsRatio)} of the parameters ({p.Size})";
        string text = $"The smallest student within {Percent(Tolerance, 0)} of the teacher's {(metric == Clicks ? "online clicks" : "test AUC")} " +
                      $"({Format(teacher, 4)}): alone {What(alone)}, DRL-Rec {What(drlRec)}.";
        return new FrontierHeadline(metric, Tolerance, alone, drlRec, text);
    }

    /// <summary>The frontier's section of report.md: the headline, the sizes' table, the other students' comparisons.</summary>
    public static void WriteMarkdown(StringBuilder md, Frontier f)
    {
        bool online = f.Metric == Clicks;
        md.AppendLine("### Compression frontier").AppendLine();
        md.AppendLine($"**{f.Headline.Text}**").AppendLine();
        var t = f.TeacherScores;
        md.AppendLine($"Teacher '{f.Teacher}': " + (online ? $"clicks {Interval(t.Clicks, t.ClicksLow, t.ClicksHigh)}, " : "") +
                      $"AUC {Interval(t.Auc, t.AucLow, t.AucHigh)}, GAUC {Interval(t.Gauc, t.GaucLow, t.GaucHigh)}. " +
                      $"Student alone: '{f.Alone ?? "(none)"}'; DRL-Rec: '{f.DrlRec ?? "(none)"}'. Sizes by parameter ratio; ratios are to the " +
                      "same seed's teacher (latency medians timed side by side, TorchSharp, one thread: one whole list; one slate of 100 " +
                      "candidates into 10 slots). Means with 95% Student-t intervals over seeds; differences paired over seeds.").AppendLine();
        var metrics = online ? new[] { ("clicks", (Func<FrontierScores, (double?, double?, double?)>)(s => (s.Clicks, s.ClicksLow, s.ClicksHigh)),
                (Func<FrontierDifferences, PairedDifference?>)(d => d.Clicks)), ("AUC", s => (s.Auc, s.AucLow, s.AucHigh), d => d.Auc) }
            : [("AUC", s => (s.Auc, s.AucLow, s.AucHigh), d => d.Auc), ("GAUC", s => (s.Gauc, s.GaucLow, s.GaucHigh), d => d.Gauc)];
        var header = new StringBuilder("| size | params | params ratio | bytes ratio | list p50 ratio | slate p50 ratio |");
        foreach (var (name, _, _) in metrics) header.Append($" alone {name} | DRL-Rec {name} | DRL-Rec − alone | teacher − alone |");
        md.AppendLine(header.Append(" gap recovered |").ToString());
        md.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", 7 + 4 * metrics.Length)));
        foreach (var z in f.Sizes)
        {
            var line = new StringBuilder($"| {z.Name} | {z.Params.ToString("N0", CultureInfo.InvariantCulture)} | {Percent(z.ParamsRatio)} | {Format(z.BytesRatio, 3)} | {Format(z.LatencyP50Ratio, 3)} | {Format(z.SlateP50Ratio, 3)} |");
            foreach (var (_, score, difference) in metrics)
            {
                string Score(FrontierScores? s) => s is null ? "" : Interval(score(s).Item1, score(s).Item2, score(s).Item3);
                string Diff(FrontierDifferences? d) => d is null || difference(d) is not { } p ? "" : Signed(p);
                line.Append($" {Score(z.Alone)} | {Score(z.DrlRec)} | {Diff(z.DrlRecMinusAlone)} | {Diff(z.TeacherMinusAlone)} |");
            }
            md.AppendLine(line.Append($" {(z.GapRecovered is { } g ? Percent(g, 0) : "")} |").ToString());
        }
        md.AppendLine();
        var others = f.Sizes.SelectMany(z => z.Others.Select(o => (z.Name, o))).ToList();
        if (others.Count == 0) return;
        md.AppendLine("Other students at the same size (DRL-Rec − B, paired over seeds):").AppendLine();
        md.AppendLine("| size | B | " + string.Join(" | ", metrics.Select(m => $"{m.Item1} A − B")) + " |");
        md.AppendLine("|---|---|" + string.Concat(metrics.Select(_ => "---|")));
        foreach (var (size, o) in others)
            md.AppendLine($"| {size} | {o.B} | " + string.Join(" | ", metrics.Select(m => m.Item3(o.Differences) is { } p ? Signed(p) : "")) + " |");
        md.AppendLine();
    }

    /// <summary>The frontier's plots: the headline metric (and AUC, when that is not it) against the parameter ratio and
    /// against the slate-latency ratio; the student alone and DRL-Rec as curves with 95% intervals, the teacher as a
    /// line. Returns the files written.</summary>
    public static IEnumerable<string> Plot(Frontier f, string folder)
    {
        string slug = ExperimentRunner.Slug(f.Dataset);
        var metrics = f.Metric == Clicks
            ? new[] { ("clicks", "online clicks / list", (Func<FrontierScores, (double?, double?)>)(s => (s.Clicks, s.ClicksHigh))),
                      ("auc", "test AUC", s => (s.Auc, s.AucHigh)) }
            : [("auc", "test AUC", s => (s.Auc, s.AucHigh)), ("gauc", "test GAUC", s => (s.Gauc, s.GaucHigh))];
        var axes = new (string File, string Label, Func<FrontierSize, double?> X)[]
        {
            ("params", "parameters / teacher's", z => z.ParamsRatio),
            ("slate-latency", "slate latency p50 / teacher's", z => z.SlateP50Ratio),
        };
        foreach (var (metric, label, value) in metrics)
            foreach (var (axis, axisLabel, x) in axes)
            {
                var points = f.Sizes.Where(z => x(z) is not null).OrderBy(z => x(z)).ToList();
                if (points.Count == 0) continue;
                var series = new List<Series>();
                foreach (var (name, model) in new[] { ("student alone", (Func<FrontierSize, FrontierScores?>)(z => z.Alone)), ("DRL-Rec", z => z.DrlRec) })
                {
                    var scored = points.Where(z => model(z) is not null && value(model(z)!).Item1 is not null).ToList();
                    if (scored.Count == 0) continue;
                    series.Add(new Series(name, scored.Select(z => x(z)!.Value).ToArray(), scored.Select(z => value(model(z)!).Item1!.Value).ToArray(),
                        Error: scored.Select(z => HalfWidth(value(model(z)!))).ToArray()));
                }
                if (value(f.TeacherScores).Item1 is { } teacher)
                {
                    double[] span = [points.Min(z => x(z)!.Value), points.Max(z => x(z)!.Value)];   // the teacher's level across the sizes
                    series.Add(new Series("teacher", span, [teacher, teacher]));
                    series.Add(new Series($"teacher − {Percent(Tolerance, 0)}", span, [teacher * (1 - Tolerance), teacher * (1 - Tolerance)]));
                }
                string file = $"{slug}-frontier-{metric}-{axis}.png";
                Plots.Lines(Path.Combine(folder, file), $"{f.Dataset}: {label}", axisLabel, $"{label} (bars: 95% intervals over seeds)", series);
                yield return file;
            }
    }

    private static double HalfWidth((double? Mean, double? High) v) =>
        v.Mean is { } m && v.High is { } h && !double.IsNaN(h) ? h - m : 0;

    private static string Interval(double? mean, double? low, double? high) =>
        mean is null ? "" : low is null || double.IsNaN(low.Value) ? Format(mean, 4) : $"{Format(mean, 4)} [{Format(low, 4)}, {Format(high, 4)}]";

    private static string Signed(PairedDifference p) =>
        double.IsNaN(p.Low) ? p.Difference.ToString("+0.0000;-0.0000;+0.0000", CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{p.Difference:+0.0000;-0.0000;+0.0000} [{p.Low:+0.0000;-0.0000;+0.0000}, {p.High:+0.0000;-0.0000;+0.0000}]");

    private static string Percent(double ratio, int digits = 1) => (100 * ratio).ToString($"F{digits}", CultureInfo.InvariantCulture) + "%";
    private static string Format(double? v, int digits) => v is null ? "" : v.Value.ToString($"F{digits}", CultureInfo.InvariantCulture);
}
