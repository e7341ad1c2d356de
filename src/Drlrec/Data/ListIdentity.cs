using System.IO.Hashing;
using System.Text;

namespace Drlrec.Data;

/// <summary>
/// What makes two logged lists the same list when asking "was this list trained on?": its user and its items in order,
/// each with its reward (a 128-bit XxHash128 of them, so that millions of lists fit in a set; two different lists share
/// one with a chance of about n² / 2¹²⁹). The time is left out on purpose: two formats give a list no time of its own (a
/// reference TSV numbers its lines, Parquet without a timestamp column numbers its rows), so the same list copied into
/// another file differs only there. Field values are left out too: the derived ones (user history, item statistics)
/// change with the rest of the log, and the item key already names the item. A list shown again to the same user with
/// the same items and rewards therefore counts as the same list: its labels are the ones trained on.
/// </summary>
public static class ListIdentity
{
    public static UInt128 Of(LoggedList list)
    {
        var hash = new XxHash128();
        Append(hash, list.UserKey);
        Span<byte> number = stackalloc byte[4];
        BitConverter.TryWriteBytes(number, list.Items.Count);
        hash.Append(number);
        foreach (var item in list.Items)
        {
            Append(hash, item.ItemKey);
            BitConverter.TryWriteBytes(number, item.Reward);
            hash.Append(number);
        }
        return hash.GetCurrentHashAsUInt128();
    }

    /// <summary>A string with its length first, so that ("ab", "c") and ("a", "bc") differ.</summary>
    private static void Append(XxHash128 hash, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[4];
        BitConverter.TryWriteBytes(length, bytes.Length);
        hash.Append(length);
        hash.Append(bytes);
    }
}
