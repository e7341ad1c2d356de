namespace Drlrec.Data;

/// <summary>
/// The Parquet long format for logged lists: one row per item shown. Rows of a list may sit anywhere in the file;
/// <c>position</c> orders them. Field columns carry a family prefix so a schema survives the round trip.
/// </summary>
public static class ParquetListFormat
{
    /// <summary>
    /// The long format's extension for off-policy evaluation. A row whose <see cref="Position"/> is null is one of the
    /// list's <b>unshown candidates</b> (what the logging policy could have shown): its item fields are read, its
    /// <see cref="Reward"/> and <see cref="Propensity"/> must be null, its user and context fields are ignored. A shown
    /// row's <see cref="Propensity"/> (float or double, optional column) is the probability that the logging policy
    /// placed the item at its position given the items before it, in (0, 1]; a list gives it on every shown row or on
    /// none (<see cref="LoggedCandidates.Check"/>). Files without these read as before.
    /// </summary>
    public const string Propensity = "propensity";

    /// <summary>Which list the row belongs to (string or int64). Required.</summary>
    public const string ListId = "list_id";
    /// <summary>Orders the items of a list (int32 or int64); unique within a list. Required; null on an unshown candidate's row.</summary>
    public const string Position = "position";
    /// <summary>The item's reward (float or double). Required.</summary>
    public const string Reward = "reward";
    /// <summary>Who saw the list (string). Optional: defaults to the first user field's values, or the list id.</summary>
    public const string UserKey = "user_key";
    /// <summary>When the list was shown (int64). Optional: defaults to the index of the list's first row in the file.</summary>
    public const string Timestamp = "timestamp";
    /// <summary>The item's catalog key (string). Optional: defaults to the first item field's values.</summary>
    public const string ItemKey = "item_key";

    public const string UserPrefix = "uf_";
    public const string ItemPrefix = "df_";
    public const string ContextPrefix = "cf_";

    public static string PrefixOf(FieldGroup group) => group switch
    {
        FieldGroup.User => UserPrefix,
        FieldGroup.Item => ItemPrefix,
        FieldGroup.Context => ContextPrefix,
        _ => throw new ArgumentOutOfRangeException(nameof(group), group, "unknown field group"),
    };

    /// <summary>The field a column name stands for, or null when the name has no family prefix. A float or double
    /// column is a dense field; strings, integers and lists of strings are categorical.</summary>
    public static FieldSpec? FieldOf(string columnName, FieldKind kind = FieldKind.Categorical)
    {
        foreach (var group in new[] { FieldGroup.User, FieldGroup.Item, FieldGroup.Context })
        {
            string prefix = PrefixOf(group);
            if (columnName.StartsWith(prefix, StringComparison.Ordinal) && columnName.Length > prefix.Length)
                return new FieldSpec(columnName[prefix.Length..], group, kind);
        }
        return null;
    }

    public static string ColumnOf(FieldSpec field) => PrefixOf(field.Group) + field.Name;
}
