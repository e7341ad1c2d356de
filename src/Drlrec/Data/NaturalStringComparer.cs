namespace Drlrec.Data;

/// <summary>
/// Orders strings the way people number things: runs of digits compare by their numeric value, so
/// <c>uf2</c> comes before <c>uf10</c>. Field keys of the reference format are numbered like that, and the
/// schema must not depend on how many digits a key happens to have.
/// </summary>
public sealed class NaturalStringComparer : IComparer<string>
{
    public static NaturalStringComparer Instance { get; } = new();

    private NaturalStringComparer() { }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int endX = EndOfDigits(x, i), endY = EndOfDigits(y, j);
                int byNumber = CompareDigitRuns(x.AsSpan(i, endX - i), y.AsSpan(j, endY - j));
                if (byNumber != 0) return byNumber;
                i = endX;
                j = endY;
            }
            else
            {
                int byChar = x[i].CompareTo(y[j]);
                if (byChar != 0) return byChar;
                i++;
                j++;
            }
        }
        int byLength = (x.Length - i).CompareTo(y.Length - j);
        // Equal by value ("uf02" vs "uf2"): fall back to ordinal so the order stays total and deterministic.
        return byLength != 0 ? byLength : string.CompareOrdinal(x, y);
    }

    private static int EndOfDigits(string s, int start)
    {
        int end = start;
        while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
        return end;
    }

    /// <summary>Compares two digit runs by value without parsing, so runs of any length work.</summary>
    private static int CompareDigitRuns(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        a = a.TrimStart('0');
        b = b.TrimStart('0');
        if (a.Length != b.Length) return a.Length.CompareTo(b.Length);
        return a.SequenceCompareTo(b);
    }
}
