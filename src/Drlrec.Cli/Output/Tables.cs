using Spectre.Console;
using Drlrec.Benchmarking;
using Drlrec.Evaluation;
using Drlrec.OffPolicy;
using Drlrec.Workflows;
using Drlrec.Training;

namespace Drlrec.Cli.Output;

/// <summary>Result tables printed by the commands.</summary>
public static class Tables
{
    public static void Evaluation(EvaluationReport report, string title)
    {
        var table = new Table().Title(title).AddColumns("model", "AUC", "GAUC", "NDCG@5", "NDCG@10", "params");
        foreach (var m in report.Models)
            table.AddRow(Markup.Escape(m.Name), F(m.Auc), F(m.Gauc), F(m.Ndcg5), F(m.Ndcg10), m.Params.ToString("N0"));
        foreach (var (name, b) in report.Baselines)
            table.AddRow($"[grey]{Markup.Escape(name)} (baseline)[/]", F(b.Auc), F(b.Gauc), F(b.Ndcg5), F(b.Ndcg10), "-");
        table.Caption($"{Markup.Escape(report.Data)}: {report.TestLists:N0} test lists, {report.TestItems:N0} items");
        if (!report.HeldOut) table.Title($"{Markup.Escape(title)} [red]NOT HELD OUT[/]");
        AnsiConsole.Write(table);
        if (!report.HeldOut)
            AnsiConsole.MarkupLineInterpolated($"[red]not held out[/] (--allow-overlap): {report.HeldOutBasis}");
    }

    /// <summary>Off-policy estimates (<c>drlrec evaluate --ope</c>): a row per policy, a column per estimator (the default first),
    /// the logging policy's sanity row against its logged clicks, and which policy the default estimator would ship.</summary>
    public static void OffPolicy(OpeReport report)
    {
        var r = report.Result;
        var names = r.Logging.Estimates.Keys.ToList();
        var table = new Table().Title($"off-policy estimates of clicks per list ({report.Lists.ToString().ToLowerInvariant()} lists, {r.Smoothing} targets" +
                                      (r.Window is { } w ? $", models re-rank the upstream top {w}" : "") + ")")
            .AddColumn("policy");
        foreach (string name in names) table.AddColumn(name == r.DefaultEstimator ? $"[bold]{name}[/] (95% CI)" : $"{name} (95% CI)");
        table.AddColumn($"ESS {r.DefaultEstimator} (position 1 / last)");
        string Cell(OpeEstimate e) => double.IsNaN(e.Ci95[0]) ? $"{e.Value:F3}" : $"{e.Value:F3} [[{e.Ci95[0]:F3}, {e.Ci95[1]:F3}]]";
        foreach (var p in r.Policies)
            table.AddRow([Markup.Escape(p.Name), .. names.Select(n => Cell(p.Estimates[n])),
                $"{p.Estimates[r.DefaultEstimator].Ess[0]:N0} / {p.Estimates[r.DefaultEstimator].Ess[^1]:N0}"]);
        table.AddRow([$"[grey]{Markup.Escape(r.Logging.Name)} (sanity: logged {Cell(r.Logging.LoggedClicks!)})[/]",
            .. names.Select(n => $"[grey]{Cell(r.Logging.Estimates[n])}[/]"), ""]);
        string fitting = r.FitOn == ClickModelLists.Folds ? $"the click model fitted on the other folds alone, {r.Folds} folds"
            : $"{report.FittingLists:N0} fitting the click model, {r.Folds} folds";
        table.Caption($"{Markup.Escape(report.Data)}: {r.Lists:N0} lists ({fitting}), {r.Bootstrap} bootstrap resamples" +
                      (r.Refits > 0 ? $", intervals widened by {r.Refits} refits of the click model" : ""));
        AnsiConsole.Write(table);
        if (r.Note is { } note) AnsiConsole.MarkupLineInterpolated($"[yellow]note[/]: {note}");
        if (!report.HeldOut) AnsiConsole.MarkupLine("[red]not held out[/] (--allow-overlap)");
        if (r.Best is { } best)
        {
            AnsiConsole.MarkupLineInterpolated($"best by {r.DefaultEstimator}: [bold]{best}[/]");
            foreach (var d in r.BestAgainst)
                AnsiConsole.MarkupLineInterpolated($"  {d.A} − {d.B}: {d.Difference:+0.000;-0.000} [[{d.Ci95[0]:+0.000;-0.000}, {d.Ci95[1]:+0.000;-0.000}]]{(d.Distinguishable ? "" : " (not distinguishable)")}");
        }
    }

    public static void Parameters(TrainResult result)
    {
        var table = new Table().Title($"{Markup.Escape(result.Name)}: parameters per part").AddColumns("part", "parameters", "share");
        foreach (var (part, count) in result.ParameterParts)
            table.AddRow(part, count.ToString("N0"), $"{100.0 * count / result.Parameters:F1}%");
        table.AddRow("[bold]total[/]", $"[bold]{result.Parameters:N0}[/]", "100%");
        AnsiConsole.Write(table);
    }

    /// <summary>Size and latency per model, and the ratios to the first model (<c>drlrec bench</c>); then the slate's
    /// efficiency against the GEMM rate measured in the same run.</summary>
    public static void Latency(LatencyReport report)
    {
        var table = new Table().Title($"model size and latency ({report.Backend}, {report.Threads} thread(s), {report.Repeats} repeats)")
            .AddColumns("model", "params", "bytes", "list p50 ms", "list p99 ms", $"pool({report.PoolSize}) p50 ms", "pool p99 ms",
                $"slate({report.SlateCandidates}→{report.SlateSlots}) p50 ms", "slate p99 ms", "efficiency", "params ratio", "list p50 ratio",
                "pool p50 ratio", "slate p50 ratio");
        foreach (var (m, r) in report.Models.Zip(report.Ratios))
            table.AddRow(Markup.Escape(Label(m, report.Backend)), m.Params.ToString("N0"), m.Bytes.ToString("N0"), m.LatencyMsP50.ToString("F3"),
                m.LatencyMsP99.ToString("F3"), m.PoolMsP50.ToString("F3"), m.PoolMsP99.ToString("F3"), m.SlateMsP50.ToString("F3"),
                m.SlateMsP99.ToString("F3"), Percent(m.Efficiency), r.Params.ToString("F3"), r.LatencyP50.ToString("F3"), r.PoolP50.ToString("F3"),
                r.SlateP50.ToString("F3"));
        AnsiConsole.Write(table);

        var efficiency = new Table().Title("slate efficiency: MACs counted from the model's dimensions over the GEMM rate of its step's shapes (same run, same backend and precision)")
            .AddColumns("model", "precision", "calls", "slate MMAC", "slate p50 ms", "slate GMAC/s", "GEMM GMAC/s", "efficiency");
        foreach (var m in report.Models)
            efficiency.AddRow(Markup.Escape(m.Name), m.Precision, m.SlateCalls.Replace('_', ' '), (m.SlateMacs / 1e6).ToString("F1"),
                m.SlateMsP50.ToString("F3"), m.SlateGmacs.ToString("F1"), m.GemmPeakGmacs.ToString("F1"), $"[bold]{Percent(m.Efficiency)}[/]");
        AnsiConsole.Write(efficiency);
    }

    /// <summary>A row's model with its variant when it is not the plain one (int8, one call per slot).</summary>
    private static string Label(ModelLatency m, string backend) =>
        m.Name + (m.Precision == "fp32" ? "" : $" {m.Precision}") + (backend == "onnx" && m.SlateCalls == "per_slot" ? " (per slot)" : "");

    private static string Percent(double fraction) => fraction > 0 ? $"{100 * fraction:F0}%" : "-";

    /// <summary>Size and the two requests a re-ranker answers, each with its ratio to the first model (quickstart's
    /// short form of <see cref="Latency"/>; the pool request's times are in the report).</summary>
    public static void LatencyRatios(LatencyReport report)
    {
        string first = Markup.Escape(report.Models[0].Name);
        var table = new Table()
            .Title($"size and latency side by side ({report.Backend}, {report.Threads} thread(s), {report.Repeats} repeats); in brackets: ratio to {first}")
            .AddColumns("model", "params", $"one list ({report.ListLength}) p50 ms", $"slate({report.SlateCandidates}→{report.SlateSlots}) p50 ms");
        foreach (var (m, r) in report.Models.Zip(report.Ratios))
            table.AddRow(Markup.Escape(m.Name), $"{m.Params:N0} ([bold]{r.Params:F3}[/])", $"{m.LatencyMsP50:F2} ([bold]{r.LatencyP50:F2}[/])",
                $"{m.SlateMsP50:F2} ([bold]{r.SlateP50:F2}[/])");
        table.Caption($"one list: a request of {report.ListLength} positions scored at once; slate: {report.SlateCandidates} candidates ranked into {report.SlateSlots} slots as the service does");
        AnsiConsole.Write(table);
    }

    /// <summary>Training throughput per configuration (<c>drlrec bench train</c>).</summary>
    public static void Throughput(IEnumerable<ThroughputResult> results)
    {
        var list = results.ToList();
        bool parallel = list.Any(r => r.Ranks > 1);
        var table = new Table().Title("training throughput").AddColumns("network", "target actions", "params", "batch", "threads",
            "list items/s", "ms/step p50", "ms/step p90", "GMAC/s", "GEMM GMAC/s", "efficiency");
        if (parallel) table.AddColumns("ranks", "all-reduce ms/step");
        foreach (var r in list)
        {
            string[] cells = [r.Role, r.TargetActions.ToString(), r.Parameters.ToString("N0"), r.BatchSize.ToString(), r.Threads.ToString(),
                $"[bold]{r.ListItemsPerSecond:N0}[/]", r.StepMillisecondsMedian.ToString("F1"), r.StepMillisecondsP90.ToString("F1"),
                r.StepGmacs.ToString("F1"), r.GemmPeakGmacs.ToString("F1"), $"[bold]{Percent(r.Efficiency)}[/]"];
            table.AddRow(parallel ? [.. cells, r.Ranks.ToString(), r.AllreduceMsPerStep.ToString("F2")] : cells);
        }
        AnsiConsole.Write(table);
    }

    /// <summary>Exploring/filtering cost per catalog size (<c>drlrec bench explore</c>).</summary>
    public static void Explore(IEnumerable<ExploreCost> results)
    {
        var table = new Table().Title("explore/filter cost per state").AddColumns("catalog items", "pool", "k", "states",
            "retrieve ms/state", "explore+filter ms/state", "catalog encode s (once)", "simulator build s (once)");
        foreach (var r in results)
            table.AddRow(r.CatalogItems.ToString("N0"), r.Pool.ToString(), r.K.ToString(), r.States.ToString(), r.RetrieveMsPerState.ToString("F3"),
                $"[bold]{r.ExploreFilterMsPerState:F2}[/]", r.CatalogEncodeSeconds.ToString("F1"), r.SimulatorBuildSeconds.ToString("F1"));
        AnsiConsole.Write(table);
    }

    /// <summary>Expected clicks per list of the models and the baselines (<c>drlrec evaluate --online</c>).</summary>
    public static void Online(Workflows.OnlineReport report)
    {
        string window = report.Candidates is { } top
            ? $"; the models and the diversity re-rank re-rank the upstream ranker's top {top} of {report.World.CandidatesPerRequest} candidates, the other baselines order all"
            : "";
        string exit = report.World.Exit > 0 ? $", session exit {report.World.Exit:0.###}" : "";
        var table = new Table().Title($"online evaluation: {report.Requests:N0} simulated requests (seed {report.Seed}{exit}), expected clicks per list{window}")
            // Each interval under its value, so that the table fits 80 columns (redirected output has no wider console).
            .AddColumn(new TableColumn("policy").NoWrap())
            .AddColumns("clicks/list\n95% CI", "vs upstream order,\nvs diversity re-rank\n(95% CIs)");
        foreach (var m in report.Models)
            table.AddRow(Markup.Escape(m.Name), $"[bold]{m.ClicksPerList:F3}[/]\n{Interval(m.Ci95)}",
                Difference(m.VsUpstream) + "\n" + Difference(m.VsDiversityRerank));
        foreach (var (_, b) in report.Baselines)
        {
            string tuned = b.Tuned is { } d ? $"\n[grey](λ {d.Lambda:0.##}, decay {d.Decay:0.##})[/]" : "";
            table.AddRow($"[grey]{Markup.Escape(b.Name)} (baseline)[/]{tuned}", $"{b.ClicksPerList:F3}\n{Interval(b.Ci95)}", "");
        }
        foreach (var d in report.Diagnostics)
        {
            string tuned = d.Penalty is { } p ? $"\n[grey](λ {p.Lambda:0.###}, decay {p.Decay:0.##})[/]" : "";
            string versus = Difference(d.VsUpstream) + (d.VsModel is { } vm ? "\n[grey]vs the model alone:[/]\n" + Difference(vm) : "");
            table.AddRow($"[grey]{Markup.Escape(d.Name)} (diagnostic)[/]{tuned}", $"{d.ClicksPerList:F3}\n{Interval(d.Ci95)}", versus);
        }
        AnsiConsole.Write(table);
        var gain = report.OracleLookaheadGain;
        AnsiConsole.WriteLine($"planning ahead (oracle lookahead − greedy): {gain.Difference:+0.000;-0.000;0.000} clicks/list " +
                              $"({gain.Relative:+0.0%;-0.0%;0.0%}), 95% CI [{gain.Ci95[0]:+0.000;-0.000;0.000}, {gain.Ci95[1]:+0.000;-0.000;0.000}]");
        foreach (var c in report.Int8VsFp32)
        {
            AnsiConsole.MarkupLineInterpolated(
                $"{c.Model} vs {c.Against}: [bold]{c.Difference:+0.0000;-0.0000;0.0000}[/] clicks/list ({c.Relative:+0.00%;-0.00%;0.00%}), 95% CI [[{c.Ci95[0]:+0.0000;-0.0000;0.0000}, {c.Ci95[1]:+0.0000;-0.0000;0.0000}]] over the same requests");
            var o = c.Order;
            AnsiConsole.WriteLine(
                $"  order: the same slate in {o.SameSlates:N0} of {o.Requests:N0} requests (the same first item in {o.SameFirst:N0}); Q error |int8 - fp32| " +
                $"p50 {o.ErrorP50:G3}, p99 {o.ErrorP99:G3}, max {o.ErrorMax:G3}; candidate pairs of one slot reordered: {o.Reordered:N0} of {o.Pairs:N0} " +
                $"({Share(o.Reordered, o.Pairs)}), of those whose fp32 Q differ by more than the p99 error {o.ReorderedBeyondP99:N0} of {o.PairsBeyondP99:N0} " +
                $"({Share(o.ReorderedBeyondP99, o.PairsBeyondP99)}), by more than the max error {o.ReorderedBeyondMax:N0} of {o.PairsBeyondMax:N0}");
        }
    }

    private static string Share(long part, long whole) => whole == 0 ? "n/a" : $"{(double)part / whole:0.###%}";

    private static string Difference(Workflows.OnlineDifference d) =>
        $"{d.Difference:+0.000;-0.000;0.000} ({d.Relative:+0.0%;-0.0%;0.0%})\n{Interval(d.Ci95)}" + (d.Distinguishable ? "" : "\nnot distinguishable\nfrom 0");

    private static string Interval(double[] ci) => Markup.Escape($"[{ci[0]:F3}, {ci[1]:F3}]");

    public static string F(double value) => double.IsNaN(value) ? "n/a" : value.ToString("F4");
}
