using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Drlrec.Serving.Tests.Support;

/// <summary>
/// A scrape in the Prometheus text format (0.0.4), parsed strictly: every line is a <c># HELP</c> or <c># TYPE</c>
/// comment or a sample <c>name{labels} value</c> with a number, every sample belongs to a family with a <c># TYPE</c>
/// (a histogram's or summary's <c>_bucket</c>, <c>_sum</c> and <c>_count</c> belong to it) and no series repeats.
/// Series are keyed with their labels in name order, so <c>this["x{b=\"2\",a=\"1\"}"]</c> finds <c>x{a="1",b="2"}</c>.
/// </summary>
public sealed partial class PrometheusText
{
    private readonly Dictionary<string, double> samples = [];

    /// <summary>Family name → type (counter, gauge, histogram, summary, untyped).</summary>
    public Dictionary<string, string> Types { get; } = [];

    public PrometheusText(string text)
    {
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal)) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ');
                Assert.True(parts.Length == 4, $"not a TYPE line: {line}");
                Assert.True(Types.TryAdd(parts[2], parts[3]), $"a second TYPE for {parts[2]}");
                continue;
            }
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            string name = match.Groups["name"].Value;
            Assert.True(FamilyOf(name) is not null, $"no # TYPE for {name} before: {line}");
            string series = Key(name, match.Groups["labels"].Value);
            Assert.True(samples.TryAdd(series, Number(match.Groups["value"].Value)), $"{series} appears twice");
        }
    }

    /// <summary>The value of a series (its labels in any order); throws when it is absent.</summary>
    public double this[string series] => samples.TryGetValue(Canonical(series), out double value)
        ? value
        : throw new KeyNotFoundException($"no series {series} in the scrape");

    /// <summary>The value of a series, or 0 when it is absent (a counter not yet counted).</summary>
    public double ValueOrZero(string series) => samples.GetValueOrDefault(Canonical(series));

    /// <summary>Every series (labels in name order) whose metric name is <paramref name="name"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Series(string name) =>
        samples.Where(s => s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal)).ToList();

    /// <summary>The metric names of every sample.</summary>
    public IEnumerable<string> Names => samples.Keys.Select(k => k.Split('{')[0]).Distinct();

    /// <summary>The family a sample's name belongs to: its own, or the histogram or summary it is a part of.</summary>
    private string? FamilyOf(string name)
    {
        if (Types.ContainsKey(name)) return name;
        foreach (string suffix in new[] { "_bucket", "_sum", "_count" })
            if (name.EndsWith(suffix, StringComparison.Ordinal) && Types.TryGetValue(name[..^suffix.Length], out string? type)
                && type is "histogram" or "summary")
                return name[..^suffix.Length];
        return null;
    }

    private static string Canonical(string series)
    {
        var match = SeriesName().Match(series);
        Assert.True(match.Success, $"not a series: {series}");
        return Key(match.Groups["name"].Value, match.Groups["labels"].Value);
    }

    private static string Key(string name, string labels)
    {
        var pairs = Label().Matches(labels).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).OrderBy(p => p.Item1, StringComparer.Ordinal).ToList();
        if (pairs.Count == 0) return name;
        var key = new StringBuilder(name).Append('{');
        key.AppendJoin(',', pairs.Select(p => $"{p.Item1}=\"{p.Item2}\""));
        return key.Append('}').ToString();
    }

    private static double Number(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private const string Name = "(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)";
    private const string Labels = """(?:\{(?<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})?""";

    [GeneratedRegex($"""^{Name}{Labels} (?<value>[-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf)|NaN)(?: -?[0-9]+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex($"^{Name}{Labels}$")]
    private static partial Regex SeriesName();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
