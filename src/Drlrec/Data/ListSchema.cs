using System.Text.Json.Serialization;

namespace Drlrec.Data;

/// <summary>The three field families of DRL-Rec: user (U), item or document (D) and context (C).</summary>
public enum FieldGroup
{
    User,
    Item,
    Context,
}

/// <summary>How a field's value is read.</summary>
public enum FieldKind
{
    /// <summary>A set of categorical values (strings), embedded as the mean of their embeddings.</summary>
    Categorical,
    /// <summary>One number per position (or missing), normalised with training statistics and projected into the field's
    /// vector (see <see cref="DenseValue"/>).</summary>
    Dense,
}

/// <summary>
/// One feature field. A categorical field's value at an item position is a non-empty set of strings; a dense field's is
/// a set of one: a finite number written by <see cref="DenseValue.Format"/>, or <see cref="LoggedItem.Missing"/>.
/// A derived field is computed by the model itself from the item's key (its training statistics): requests leave it out.
/// </summary>
public sealed record FieldSpec(
    string Name,
    FieldGroup Group,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] FieldKind Kind = FieldKind.Categorical,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Derived = false);

/// <summary>
/// The ordered feature fields of a data set: all user fields, then all item fields, then all context
/// fields (the order the Q-network concatenates them in). Within a group the given order is kept.
/// </summary>
public sealed class ListSchema
{
    private readonly Dictionary<string, int> index;

    public ListSchema(IEnumerable<FieldSpec> fields)
    {
        Fields = fields.OrderBy(f => f.Group).ToArray(); // OrderBy is stable: order within a group is kept
        if (Fields.Count == 0) throw new ArgumentException("a schema needs at least one field");
        index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Fields.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Fields[i].Name)) throw new ArgumentException("field names must not be empty");
            if (!index.TryAdd(Fields[i].Name, i)) throw new ArgumentException($"field '{Fields[i].Name}' appears twice");
        }
        if (!Fields.Any(f => f.Group == FieldGroup.Item))
            throw new ArgumentException("a schema needs at least one item field: candidates are told apart by them");
    }

    public IReadOnlyList<FieldSpec> Fields { get; }
    public int Count => Fields.Count;
    public int UserCount => Fields.Count(f => f.Group == FieldGroup.User);
    public int ItemCount => Fields.Count(f => f.Group == FieldGroup.Item);
    public int ContextCount => Fields.Count(f => f.Group == FieldGroup.Context);

    /// <summary>Index of the first item field; item fields are contiguous from here.</summary>
    public int FirstItemField => UserCount;

    public int IndexOf(string name) =>
        index.TryGetValue(name, out int i) ? i : throw new KeyNotFoundException($"no field named '{name}'");

    public bool Contains(string name) => index.ContainsKey(name);

    /// <summary>Indices of the dense fields, in schema order (empty when every field is categorical).</summary>
    public IReadOnlyList<int> DenseIndices => Enumerable.Range(0, Fields.Count).Where(i => Fields[i].Kind == FieldKind.Dense).ToArray();

    public IEnumerable<int> IndicesOf(FieldGroup group) =>
        Enumerable.Range(0, Fields.Count).Where(i => Fields[i].Group == group);

    public override string ToString() =>
        string.Join(", ", Fields.Select(f => $"{f.Group.ToString()[0]}:{f.Name}{(f.Kind == FieldKind.Dense ? "#" : "")}"));
}
