using Drlrec.Evaluation;
using Drlrec.Training;
using Spectre.Console;

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
        AnsiConsole.Write(table);
    }

    public static void Parameters(TrainResult result)
    {
        var table = new Table().Title($"{Markup.Escape(result.Name)}: parameters per part").AddColumns("part", "parameters", "share");
        foreach (var (part, count) in result.ParameterParts)
            table.AddRow(part, count.ToString("N0"), $"{100.0 * count / result.Parameters:F1}%");
        table.AddRow("[bold]total[/]", $"[bold]{result.Parameters:N0}[/]", "100%");
        AnsiConsole.Write(table);
    }

    public static string F(double value) => double.IsNaN(value) ? "n/a" : value.ToString("F4");
}
