using System.Globalization;

namespace Drlrec.Data;

/// <summary>
/// How a dense field's number is held among the string value sets of a logged item: invariant culture, round-trip
/// format, one value per set; an absent number is <see cref="LoggedItem.Missing"/>. Only finite numbers are values:
/// NaN and infinities are refused where the data are read, with the place they came from.
/// </summary>
public static class DenseValue
{
    public static string Format(double value) =>
        double.IsFinite(value)
            ? value.ToString("R", CultureInfo.InvariantCulture)
            : throw new ArgumentException($"a dense value must be a finite number (got {value})");

    /// <summary>The set of one for a number, or the missing set for null.</summary>
    public static string[] Set(double? value) => value is { } v ? [Format(v)] : [LoggedItem.Missing];

    /// <summary>Reads a value set's number: false for the missing value; an error for anything else that is not a finite number.</summary>
    /// <exception cref="FormatException">The text is neither a finite number nor <see cref="LoggedItem.Missing"/>.</exception>
    public static bool TryRead(string text, out double value)
    {
        value = 0;
        if (text == LoggedItem.Missing || text.Length == 0) return false;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value)) return true;
        throw new FormatException($"'{text}' is not a finite number");
    }
}
