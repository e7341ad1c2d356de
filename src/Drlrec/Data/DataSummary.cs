using System.Globalization;
using System.Text;

namespace Drlrec.Data;

/// <summary>
/// What a data set holds, at a glance: enough to check that a source was read as intended
/// (schema, sizes, label balance) before spending hours training on it.
/// </summary>
public sealed record DataSummary(
    string Source,
    IReadOnlyList<string> UserFields,
    IReadOnlyList<string> ItemFields,
    IReadOnlyList<string> ContextFields,
    int Lists,
    int Items,
    double PositiveRate,
    int Users,
    int DistinctItems,
    int LongestList,
    DataReport Report)
{
    public static DataSummary Of(ListDataset data)
    {
        var items = data.Lists.SelectMany(l => l.Items).ToList();
        IReadOnlyList<string> Names(FieldGroup group) => data.Schema.Fields.Where(f => f.Group == group).Select(f => f.Name).ToArray();
        return new DataSummary(
            data.Source,
            Names(FieldGroup.User),
            Names(FieldGroup.Item),
            Names(FieldGroup.Context),
            data.Lists.Count,
            items.Count,
            items.Count == 0 ? 0 : items.Count(i => i.Reward > 0) / (double)items.Count,
            data.Lists.Select(l => l.UserKey).Distinct(StringComparer.Ordinal).Count(),
            items.Select(i => i.ItemKey).Distinct(StringComparer.Ordinal).Count(),
            data.MaxListLength,
            data.Report);
    }

    /// <summary>Label/value pairs in display order, shared by the text form and the CLI's table.</summary>
    public IReadOnlyList<(string Label, string Value)> Rows()
    {
        static string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
        static string FieldList(IReadOnlyList<string> names) => names.Count == 0 ? "(none)" : string.Join(", ", names);
        var rows = new List<(string, string)>
        {
            ("source", Source),
            ("user fields", FieldList(UserFields)),
            ("item fields", FieldList(ItemFields)),
            ("context fields", FieldList(ContextFields)),
            ("lists", Count(Lists)),
            ("items", Count(Items)),
            ("positive rate", PositiveRate.ToString("0.0000", CultureInfo.InvariantCulture)),
            ("users", Count(Users)),
            ("distinct items", Count(DistinctItems)),
            ("longest list", Count(LongestList)),
            ("short lists", Count(Report.ShortLists)),
            ("lists split", Count(Report.ListsSplit)),
            ("records skipped", Count(Report.RecordsSkipped)),
        };
        foreach (string example in Report.SkippedExamples) rows.Add(("skipped", example));
        return rows;
    }

    public override string ToString()
    {
        var rows = Rows();
        int width = rows.Max(r => r.Label.Length);
        var text = new StringBuilder();
        foreach (var (label, value) in rows) text.Append(label.PadRight(width)).Append("  ").AppendLine(value);
        return text.ToString();
    }
}
