using System.Globalization;

namespace Drlrec.Data;

/// <summary>
/// Reads the file format of the public DRL-Rec code: one list per line, three tab-separated parts
/// <c>sid:&lt;id&gt;</c>, <c>offset:&lt;n&gt;</c> and <c>rec_list:&lt;item&gt;|&lt;item&gt;|...</c> (in any order, each once).
/// An item is space-separated <c>key:value</c> tokens: keys containing <c>uf</c>, <c>df</c> or <c>cf</c> are user, item
/// and context fields whose value is a comma-separated set; <c>reward</c> is the label; <c>return</c> is checked but
/// not used (returns are recomputed from rewards); <c>idx</c> is ignored. A field key that starts with
/// <see cref="NumericPrefix"/> (e.g. <c>num_df3:0.42</c>) is a dense field: one finite number, or empty when missing.
/// </summary>
/// <remarks>
/// The schema comes from the first valid line, fields ordered by family and then by key in natural order, and every
/// item of the file must carry exactly those keys. The file has no time stamps but is in time order, so the line
/// number is the list's timestamp.
/// </remarks>
public static class ReferenceTsvReader
{
    private static readonly string[] PartNames = ["sid", "offset", "rec_list"];

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
                }
                else
                {
                    CheckSameKeys(parsed.Items, keys, "the first valid line");
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

    private sealed record ParsedItem(Dictionary<string, string[]> Fields, float Reward);

    private sealed record ParsedLine(string Sid, IReadOnlyList<ParsedItem> Items);

    /// <summary>A problem with one line; the reader adds the file and line number.</summary>
    private sealed class LineProblem(string message) : Exception(message);

    private static ParsedLine ParseLine(string line)
    {
        string[] parts = line.Split('\t');
        if (parts.Length != 3)
            throw new LineProblem($"expected 3 tab-separated parts (sid:, offset:, rec_list:), found {parts.Length}");
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string rawPart in parts)
        {
            string part = rawPart.Trim();
            int colon = part.IndexOf(':');
            string name = colon < 0 ? part : part[..colon];
            if (colon < 0 || !PartNames.Contains(name))
                throw new LineProblem($"part '{Shorten(part)}' is not one of sid:<id>, offset:<n>, rec_list:<items>");
            if (!byName.TryAdd(name, part[(colon + 1)..]))
                throw new LineProblem($"part '{name}' appears twice");
        }
        foreach (string name in PartNames)
            if (!byName.ContainsKey(name)) throw new LineProblem($"part '{name}' is missing");

        string sid = byName["sid"];
        if (sid.Length == 0) throw new LineProblem("part 'sid' is empty (expected sid:<id>)");
        if (!long.TryParse(byName["offset"], NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            throw new LineProblem($"part 'offset' must be an integer, found '{Shorten(byName["offset"])}'");
        string recList = byName["rec_list"];
        if (recList.Trim().Length == 0) throw new LineProblem("part 'rec_list' is empty (expected at least one item)");

        string[] itemTexts = recList.Split('|');
        var items = new List<ParsedItem>(itemTexts.Length);
        for (int i = 0; i < itemTexts.Length; i++) items.Add(ParseItem(itemTexts[i], i + 1));
        return new ParsedLine(sid, items);
    }

    private static ParsedItem ParseItem(string text, int position)
    {
        string[] tokens = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) throw new LineProblem($"item {position} of rec_list is empty");
        var fields = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        float? reward = null;
        foreach (string token in tokens)
        {
            int colon = token.IndexOf(':');
            if (colon <= 0)
                throw new LineProblem($"item {position}: token '{Shorten(token)}' is not key:value");
            string key = token[..colon], value = token[(colon + 1)..];
            if (!seen.Add(key)) throw new LineProblem($"item {position}: key '{key}' appears twice");
            switch (key)
            {
                case "reward":
                    reward = ParseFinite(value, key, position);
                    break;
                case "return":
                    ParseFinite(value, key, position);
                    break;
                case "idx":
                    break;
                default:
                    if (FamilyOf(key) is null)
                        throw new LineProblem($"item {position}: unknown key '{key}' (expected a field key containing " +
                                              "exactly one of uf, df, cf, or reward, return, idx)");
                    fields[key] = KindOf(key) == FieldKind.Dense ? ParseDense(value, key, position) : FieldValues.Normalize(value.Split(','));
                    break;
            }
        }
        if (reward is null) throw new LineProblem($"item {position}: key 'reward' is missing");
        return new ParsedItem(fields, reward.Value);
    }

    private static float ParseFinite(string value, string key, int position)
    {
        if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float number) || !float.IsFinite(number))
            throw new LineProblem($"item {position}: key '{key}' must be a finite number, found '{Shorten(value)}'");
        return number;
    }

    private static string[] ParseDense(string value, string key, int position)
    {
        if (value.Length == 0) return [LoggedItem.Missing];
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || !double.IsFinite(number))
            throw new LineProblem($"item {position}: numeric field '{key}' must be a finite number or empty, found '{Shorten(value)}'");
        return [DenseValue.Format(number)];
    }

    private static void CheckSameKeys(IReadOnlyList<ParsedItem> items, HashSet<string> expected, string definedBy)
    {
        if (expected.Count == 0)
            throw new LineProblem("item 1 has no field keys (expected keys containing uf, df or cf)");
        for (int i = 0; i < items.Count; i++)
        {
            var fields = items[i].Fields;
            string? missing = expected.Where(k => !fields.ContainsKey(k)).Order(NaturalStringComparer.Instance).FirstOrDefault();
            if (missing is not null)
                throw new LineProblem($"item {i + 1}: field key '{missing}' is missing (the keys are set by {definedBy})");
            string? extra = fields.Keys.Where(k => !expected.Contains(k)).Order(NaturalStringComparer.Instance).FirstOrDefault();
            if (extra is not null)
                throw new LineProblem($"item {i + 1}: field key '{extra}' is unexpected (the keys are set by {definedBy})");
        }
        if (!items[0].Fields.Keys.Any(k => FamilyOf(k) == FieldGroup.Item))
            throw new LineProblem("item 1 has no item field (a key containing df): candidates are told apart by them");
    }

    private static LoggedList ToList(ParsedLine parsed, ListSchema schema, int lineNumber)
    {
        int firstUser = schema.UserCount > 0 ? 0 : -1;
        int firstItem = schema.FirstItemField;
        var items = new LoggedItem[parsed.Items.Count];
        for (int i = 0; i < items.Length; i++)
        {
            var source = parsed.Items[i];
            var values = new string[schema.Count][];
            for (int f = 0; f < schema.Count; f++) values[f] = source.Fields[schema.Fields[f].Name];
            items[i] = new LoggedItem(FieldValues.AsKey(values[firstItem]), values, source.Reward);
        }
        string userKey = firstUser >= 0 ? FieldValues.AsKey(items[0].Values[firstUser]) : parsed.Sid;
        return new LoggedList(parsed.Sid, userKey, lineNumber, items);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
