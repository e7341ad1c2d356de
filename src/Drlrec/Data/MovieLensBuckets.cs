namespace Drlrec.Data;

/// <summary>
/// The categorical values MovieLens numbers are turned into. Buckets keep the vocabularies small and let
/// neighbouring values share what they learn (a 34-year-old and a 35-year-old are not unrelated users).
/// </summary>
public static class MovieLensBuckets
{
    private static readonly string[] WeekdayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    /// <summary>The age groups MovieLens itself uses in its larger releases.</summary>
    public static string Age(int age) => age switch
    {
        < 18 => "<18",
        <= 24 => "18-24",
        <= 34 => "25-34",
        <= 44 => "35-44",
        <= 49 => "45-49",
        <= 55 => "50-55",
        _ => "56+",
    };

    /// <summary>Five-year bucket of a release year, e.g. 1993 → "1990-1994".</summary>
    public static string Year(int year)
    {
        int start = year - (((year % 5) + 5) % 5);
        return $"{start}-{start + 4}";
    }

    /// <summary>Day of the week of a UTC Unix time, "Mon".."Sun".</summary>
    public static string Weekday(long unixSeconds) =>
        WeekdayNames[(int)DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.DayOfWeek];

    /// <summary>Four-hour bucket of the UTC hour of a Unix time: "00-03", "04-07", ..., "20-23".</summary>
    public static string Hour(long unixSeconds)
    {
        int start = DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.Hour / 4 * 4;
        return $"{start:00}-{start + 3:00}";
    }

    /// <summary>The region part of a US zip code (its first two characters).</summary>
    public static string ZipRegion(string zip) => zip.Length <= 2 ? zip : zip[..2];
}
