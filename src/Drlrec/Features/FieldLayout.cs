using Drlrec.Data;
using static TorchSharp.torch;

namespace Drlrec.Features;

/// <summary>
/// Where the field families sit in the [.., F, M] layout: user fields, then item fields, then context fields.
/// </summary>
public sealed record FieldLayout(int UserFields, int ItemFields, int ContextFields)
{
    public int Count => UserFields + ItemFields + ContextFields;

    /// <summary>Indices of the dense fields (their second index slot holds a <see cref="DenseCode"/>); empty when none.</summary>
    public IReadOnlyList<int> DenseFields { get; init; } = [];

    public static FieldLayout Of(ListSchema schema) =>
        new(schema.UserCount, schema.ItemCount, schema.ContextCount) { DenseFields = schema.DenseIndices };

    public static FieldLayout Of(FeatureVocabulary vocabulary) => new(
        vocabulary.Fields.Count(f => f.Group == FieldGroup.User),
        vocabulary.Fields.Count(f => f.Group == FieldGroup.Item),
        vocabulary.Fields.Count(f => f.Group == FieldGroup.Context))
    {
        DenseFields = Enumerable.Range(0, vocabulary.Fields.Count).Where(i => vocabulary.Fields[i].Kind == FieldKind.Dense).ToArray(),
    };

    public bool Equals(FieldLayout? other) =>
        other is not null && (UserFields, ItemFields, ContextFields) == (other.UserFields, other.ItemFields, other.ContextFields)
        && DenseFields.SequenceEqual(other.DenseFields);

    public override int GetHashCode() => HashCode.Combine(UserFields, ItemFields, ContextFields, DenseFields.Count);

    /// <summary>
    /// Inputs for candidates placed in a slot: user and context fields from the slot, item fields from each
    /// candidate (the same item at another position, or an explored item, gets the slot's position and context).
    /// </summary>
    /// <param name="slotRows">[R, F, M] the slot's fields (its logged item's, or the request's).</param>
    /// <param name="itemRows">[R, C, F_item, M'] candidates' item fields.</param>
    /// <returns>[R, C, F, max(M, M')].</returns>
    public Tensor Place(Tensor slotRows, Tensor itemRows)
    {
        long r = itemRows.shape[0], c = itemRows.shape[1];
        long m = Math.Max(slotRows.shape[2], itemRows.shape[3]);
        if (slotRows.shape[2] < m) slotRows = nn.functional.pad(slotRows, [0, m - slotRows.shape[2]]);
        if (itemRows.shape[3] < m) itemRows = nn.functional.pad(itemRows, [0, m - itemRows.shape[3]]);
        var slot = slotRows.unsqueeze(1).expand(r, c, Count, m);                // [R, C, F, M]
        return cat([slot.narrow(2, 0, UserFields), itemRows, slot.narrow(2, UserFields + ItemFields, ContextFields)], 2);
    }

    /// <summary>The item fields of positions: [.., F, M] with F at <paramref name="fieldDim"/> → [.., F_item, M].</summary>
    public Tensor ItemPart(Tensor rows, int fieldDim) => rows.narrow(fieldDim, UserFields, ItemFields);
}
