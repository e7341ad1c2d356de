namespace Drlrec.Data;

/// <summary>
/// Builds the value set of one field at one item position, the same way for every reader: empty strings are
/// not values, duplicates collapse (a field is a set), first-seen order is kept (so output is reproducible),
/// and an empty set becomes <see cref="LoggedItem.Missing"/> so that every field embeds to something.
/// </summary>
public static class FieldValues
{
    private static readonly string[] MissingSet = [LoggedItem.Missing];

    public static string[] Normalize(IEnumerable<string?> values)
    {
        var kept = new List<string>(2);
        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value) || kept.Contains(value, StringComparer.Ordinal)) continue;
            kept.Add(value);
        }
        return kept.Count == 0 ? [.. MissingSet] : [.. kept];
    }

    public static string[] Single(string? value) =>
        string.IsNullOrEmpty(value) ? [LoggedItem.Missing] : [value];

    /// <summary>A field's values as one key string (used for user and item keys): the set joined by ','.</summary>
    public static string AsKey(string[] values) => string.Join(',', values);
}
