using Drlrec.Data;
using static TorchSharp.torch;

namespace Drlrec.Features;

/// <summary>
/// Where the field families sit in the [.., F, M] layout: user fields, then item fields, then context fields.
/// </summary>
public sealed record FieldLayout(int UserFields, int ItemFields, int ContextFields)
{
    public int Count => UserFields + ItemFields + ContextFields;

    public static FieldLayout Of(ListSchema schema) => new(schema.UserCount, schema.ItemCount, schema.ContextCount);

    public static FieldLayout Of(FeatureVocabulary vocabulary) => new(
        vocabulary.Fields.Count(f => f.Group == FieldGroup.User),
        vocabulary.Fields.Count(f => f.Group == FieldGroup.Item),
        vocabulary.Fields.Count(f => f.Group == FieldGroup.Context));

    /// <summary>
    /// Inputs for candidates placed in a slot: user and context fields from the slot, item fields from each
    /// candidate (the same item at another position, or an explored item, gets the slot's position and context).
    /// </summary>
    /// <param name="slotRows">[R, F, M] the slot's fields (its logged item's, or the request's).</param>
    /// <param name="slotCounts">[R, F].</param>
    /// <param name="itemRows">[R, C, F_item, M'] candidates' item fields.</param>
    /// <param name="itemCounts">[R, C, F_item].</param>
    /// <returns>Rows [R, C, F, max(M, M')] and counts [R, C, F].</returns>
    public (Tensor Rows, Tensor Counts) Place(Tensor slotRows, Tensor slotCounts, Tensor itemRows, Tensor itemCounts)
    {
        long r = itemRows.shape[0], c = itemRows.shape[1];
        long m = Math.Max(slotRows.shape[2], itemRows.shape[3]);
        if (slotRows.shape[2] < m) slotRows = nn.functional.pad(slotRows, [0, m - slotRows.shape[2]]);
        if (itemRows.shape[3] < m) itemRows = nn.functional.pad(itemRows, [0, m - itemRows.shape[3]]);
        var slot = slotRows.unsqueeze(1).expand(r, c, Count, m);                // [R, C, F, M]
        var slotN = slotCounts.unsqueeze(1).expand(r, c, Count);                // [R, C, F]
        var rows = cat([slot.narrow(2, 0, UserFields), itemRows, slot.narrow(2, UserFields + ItemFields, ContextFields)], 2);
        var counts = cat([slotN.narrow(2, 0, UserFields), itemCounts, slotN.narrow(2, UserFields + ItemFields, ContextFields)], 2);
        return (rows, counts);
    }

    /// <summary>The item fields of positions: [.., F, M] → [.., F_item, M].</summary>
    public Tensor ItemPart(Tensor rowsOrCounts, int fieldDim) => rowsOrCounts.narrow(fieldDim, UserFields, ItemFields);
}
