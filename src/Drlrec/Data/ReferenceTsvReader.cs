using System.Globalization;

namespace Drlrec.Data;

/// <summary>
/// Reads the file format of the public DRL-Rec code: one list per line, three tab-separated parts
/// <c>sid:&lt;id&gt;</c>, <c>offset:&lt;n&gt;</c> and <c>rec_list:&lt;item&gt;|&lt;item&gt;|...</c> (in any order, each once).
/// An item is space-separated <c>key:value</c> tokens: keys containing <c>uf</c>, <c>df</c> or <c>cf</c> are user, item
/// and context fields whose value is a comma-separated set; <c>reward</c> is the label; <c>return</c> is checked but
/// not used (returns are recomputed from rewards); <c>idx</c> is ignored. A field key that starts with
/// <see cref="NumericPrefix"/> (e.g. <c>num_df3:0.42</c>) is a dense field: one finite number, or empty when missing.
/// <para>The extension for off-policy evaluation: an item of <c>rec_list</c> may carry <c>propensity:&lt;p&gt;</c>, the
/// probability that the logging policy placed it at its position given the items before it, in (0, 1] (every item of a
/// line or none); an optional fourth part <c>unshown:&lt;item&gt;|&lt;item&gt;|...</c> lists the request's candidates that
/// were not shown, each with the same field keys and no reward, return or propensity (<see cref="LoggedCandidates"/>).</para>
/// </summary>
/// <remarks>
/// The schema comes from the first valid line, fields ordered by family and then by key in natural order, and every
/// item of the file must carry exactly those keys. The file has no time stamps but is in time order, so the line
/// number is the list's timestamp.
/// </remarks>
public static class ReferenceTsvReader
{
    private static readonly string[] PartNames = ["sid", "offset", "rec_list", "unshown"];
    private static readonly string[] RequiredParts = ["sid", "offset", "rec_list"];

    /// <summary>Marks a field key as numeric (a dense field): <c>num_</c>.</summary>
    public const string NumericPrefix = "num_";

    public static ListDataset Read(string path, ReadOptions options)
    {
        ListCutter.Validate(options);
        if (!File.Exists(path)) throw new FileNotFoundException($"reference TSV file not found: {path}", path);

        var report = new DataReport();
        var bad = new BadRecords(options, report);
        var lists = new List<LoggedList>();
        ListSchema? schema = null;
        HashSet<string> keys = []; // the field keys every item must carry

        int lineNumber = 0;
        foreach (string rawLine in File.ReadLines(path))
        {
            lineNumber++;
            string line = rawLine.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                var parsed = ParseLine(line);
                if (schema is null)
                {
                    CheckSameKeys(parsed.Items, parsed.Items[0].Fields.Keys.ToHashSet(StringComparer.Ordinal), "item 1");
                    schema = SchemaOf(parsed.Items[0].Fields.Keys);
                    keys = schema.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
                    CheckSameKeys(parsed.Unshown, keys, "item 1", "unshown candidate");
                }
                else
                {
                    CheckSameKeys(parsed.Items, keys, "the first valid line");
                    CheckSameKeys(parsed.Unshown, keys, "the first valid line", "unshown candidate");
                }
                lists.Add(ToList(parsed, schema, lineNumber));
            }
            catch (LineProblem problem)
            {
                bad.Handle(new DataFormatException(path, $"line {lineNumber}", problem.Message));
            }
        }

        if (schema is null)
            throw new DataFormatException(path, "file", report.RecordsSkipped > 0
                ? $"no valid line ({report.RecordsSkipped} skipped); the first problem was: {report.SkippedExamples[0]}"
                : "no lists: the file is empty");
        return new ListDataset(schema, ListCutter.Cut(lists, options.MaxListLength, report), path, report);
    }

    /// <summary>The field family of a key, or null when the key names no field.</summary>
    public static FieldGroup? FamilyOf(string key)
    {
        bool user = key.Contains("uf", StringComparison.Ordinal);
        bool item = key.Contains("df", StringComparison.Ordinal);
        bool context = key.Contains("cf", StringComparison.Ordinal);
        if ((user ? 1 : 0) + (item ? 1 : 0) + (context ? 1 : 0) != 1) return null;
        return user ? FieldGroup.User : item ? FieldGroup.Item : FieldGroup.Context;
    }

    /// <summary>Fields grouped by family (the schema orders families), each family in natural key order.</summary>
    private static ListSchema SchemaOf(IEnumerable<string> keys) =>
        new(keys.Order(NaturalStringComparer.Instance).Select(k => new FieldSpec(k, FamilyOf(k)!.Value, KindOf(k))));

    private static FieldKind KindOf(string key) =>
        key.StartsWith(NumericPrefix, StringComparison.Ordinal) ? FieldKind.Dense : FieldKind.Categorical;

    private sealed record ParsedItem(Dictionary<string, string[]> Fields, float Reward, double? Propensity);

    private sealed record ParsedLine(string Sid, IReadOnlyList<ParsedItem> Items, IReadOnlyList<ParsedItem> Unshown);

    /// <summary>A problem with one line; the reader adds the file and line number.</summary>
    private sealed class LineProblem(string message) : Exception(message);

    private static ParsedLine ParseLine(string line)
    {
        string[] parts = line.Split('\t');
        if (parts.Length is not (3 or 4))
            throw new LineProblem($"expected 3 tab-separated parts (sid:, offset:, rec_list:) and optionally unshown:, found {parts.Length}");
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string rawPart in parts)
        {
            string part = rawPart.Trim();
            int colon = part.IndexOf(':');
            string name = colon < 0 ? part : part[..colon];
            if (colon < 0 || !PartNames.Contains(name))
                throw new LineProblem($"part '{Shorten(part)}' is not one of sid:<id>, offset:<n>, rec_list:<items>, unshown:<items>");
            if (!byName.TryAdd(name, part[(colon + 1)..]))
                throw new LineProblem($"part '{name}' appears twice");
        }
        foreach (string name in RequiredParts)
            if (!byName.ContainsKey(name)) throw new LineProblem($"part '{name}' is missing");

        string sid = byName["sid"];
        if (sid.Length == 0) throw new LineProblem("part 'sid' is empty (expected sid:<id>)");
        if (!long.TryParse(byName["offset"], NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            throw new LineProblem($"part 'offset' must be an integer, found '{Shorten(byName["offset"])}'");
        string recList = byName["rec_list"];
        if (recList.Trim().Length == 0) throw new LineProblem("part 'rec_list' is empty (expected at least one item)");

        string[] itemTexts = recList.Split('|');
        var items = new List<ParsedItem>(itemTexts.Length);
        for (int i = 0; i < itemTexts.Length; i++) items.Add(ParseItem(itemTexts[i], $"item {i + 1}"));
        var unshown = new List<ParsedItem>();
        if (byName.TryGetValue("unshown", out string? unshownList) && unshownList.Trim().Length > 0)
        {
            string[] texts = unshownList.Split('|');
            for (int i = 0; i < texts.Length; i++) unshown.Add(ParseItem(texts[i], $"unshown candidate {i + 1}", shown: false));
        }
        return new ParsedLine(sid, items, unshown);
    }

    /// <param name="position">How messages name the item: "item 3", "unshown candidate 2".</param>
    /// <param name="shown">False for an unshown candidate: field keys only.</param>
    private static ParsedItem ParseItem(string text, string position, bool shown = true)
    {
        string[] tokens = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) throw new LineProblem($"{position} of {(shown ? "rec_list" : "unshown")} is empty");
        var fields = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        float? reward = null;
        double? propensity = null;
        foreach (string token in tokens)
        {
            int colon = token.IndexOf(':');
            if (colon <= 0)
                throw new LineProblem($"{position}: token '{Shorten(token)}' is not key:value");
            string key = token[..colon], value = token[(colon + 1)..];
            if (!seen.Add(key)) throw new LineProblem($"{position}: key '{key}' appears twice");
            if (!shown && key is "reward" or "return" or "propensity")
                throw new LineProblem($"{position}: key '{key}' belongs to shown items; an unshown candidate carries its field keys only");
            switch (key)
            {
                case "reward":
                    reward = ParseFinite(value, key, position);
                    break;
                case "return":
                    ParseFinite(value, key, position);
                    break;
                case "propensity":
                    propensity = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && LoggedCandidates.PropensityProblem(p) is null
                        ? p : throw new LineProblem($"{position}: key 'propensity' must be a number in (0, 1], found '{Shorten(value)}'");
                    break;
                case "idx":
                    break;
                default:
                    if (FamilyOf(key) is null)
                        throw new LineProblem($"{position}: unknown key '{key}' (expected a field key containing " +
                                              "exactly one of uf, df, cf, or reward, return, propensity, idx)");
                    fields[key] = KindOf(key) == FieldKind.Dense ? ParseDense(value, key, position) : FieldValues.Normalize(value.Split(','));
                    break;
            }
        }
        if (shown && reward is null) throw new LineProblem($"{position}: key 'reward' is missing");
        return new ParsedItem(fields, reward ?? 0, propensity);
    }

    private static float ParseFinite(string value, string key, string position)
    {
        if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float number) || !float.IsFinite(number))
            throw new LineProblem($"{position}: key '{key}' must be a finite number, found '{Shorten(value)}'");
        return number;
    }

    private static string[] ParseDense(string value, string key, string position)
    {
        if (value.Length == 0) return [LoggedItem.Missing];
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || !double.IsFinite(number))
            throw new LineProblem($"{position}: numeric field '{key}' must be a finite number or empty, found '{Shorten(value)}'");
        return [DenseValue.Format(number)];
    }

    /// <param name="what">How messages name an item of <paramref name="items"/>: "item", "unshown candidate".</param>
    private static void CheckSameKeys(IReadOnlyList<ParsedItem> items, HashSet<string> expected, string definedBy, string what = "item")
    {
        if (expected.Count == 0)
            throw new LineProblem("item 1 has no field keys (expected keys containing uf, df or cf)");
        for (int i = 0; i < items.Count; i++)
        {
            var fields = items[i].Fields;
            string? missing = expected.Where(k => !fields.ContainsKey(k)).Order(NaturalStringComparer.Instance).FirstOrDefault();
            if (missing is not null)
                throw new LineProblem($"{what} {i + 1}: field key '{missing}' is missing (the keys are set by {definedBy})");
            string? extra = fields.Keys.Where(k => !expected.Contains(k)).Order(NaturalStringComparer.Instance).FirstOrDefault();
            if (extra is not null)
                throw new LineProblem($"{what} {i + 1}: field key '{extra}' is unexpected (the keys are set by {definedBy})");
        }
        if (items.Count == 0 || what != "item") return;
        if (!items[0].Fields.Keys.Any(k => FamilyOf(k) == FieldGroup.Item))
            throw new LineProblem("item 1 has no item field (a key containing df): candidates are told apart by them");
    }

    private static LoggedList ToList(ParsedLine parsed, ListSchema schema, int lineNumber)
    {
        int firstUser = schema.UserCount > 0 ? 0 : -1;
        int firstItem = schema.FirstItemField;
        LoggedItem Item(ParsedItem source)
        {
            var values = new string[schema.Count][];
            for (int f = 0; f < schema.Count; f++) values[f] = source.Fields[schema.Fields[f].Name];
            return new LoggedItem(FieldValues.AsKey(values[firstItem]), values, source.Reward) { Propensity = source.Propensity };
        }
        var items = parsed.Items.Select(Item).ToArray();
        string userKey = firstUser >= 0 ? FieldValues.AsKey(items[0].Values[firstUser]) : parsed.Sid;
        var list = new LoggedList(parsed.Sid, userKey, lineNumber, items) { Unshown = parsed.Unshown.Select(Item).ToArray() };
        if (LoggedCandidates.Check(list) is { } problem)
            throw new LineProblem(problem.Shown >= 0 && !problem.Message.StartsWith("list ", StringComparison.Ordinal)
                ? $"item {problem.Shown + 1}: {problem.Message}" : problem.Message);
        return list;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
