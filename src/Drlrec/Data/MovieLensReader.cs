using System.Globalization;
using System.Text;

namespace Drlrec.Data;

/// <summary>
/// Reads the official MovieLens-100K files (<c>u.data</c>, <c>u.user</c>, <c>u.item</c>, <c>u.genre</c>,
/// <c>u.occupation</c>) as logged lists: each user's ratings in time order (ties by item id), cut into consecutive
/// lists of <see cref="ReadOptions.MaxListLength"/>. A rating of 4 or 5 is a click (reward 1), anything lower is not.
/// </summary>
/// <remarks>
/// Only what was known before the rating is a feature: user demographics, movie genres and release period, and
/// where and when the movie was shown (position in the list, weekday and 4-hour slot in UTC). Nothing derived from
/// the rating value is. The files date from 1998 and are ISO-8859-1 (movie titles have accents), not UTF-8.
/// </remarks>
public static class MovieLensReader
{
    public const string RatingsFile = "u.data";
    public const string UsersFile = "u.user";
    public const string ItemsFile = "u.item";
    public const string GenresFile = "u.genre";
    public const string OccupationsFile = "u.occupation";

    /// <summary>The files the reader needs, in the order it reads them.</summary>
    public static IReadOnlyList<string> RequiredFiles { get; } = [GenresFile, OccupationsFile, UsersFile, ItemsFile, RatingsFile];

    /// <summary>A rating at or above this counts as a click.</summary>
    public const int PositiveRating = 4;

    /// <summary>The fields every MovieLens data set has, in schema order.</summary>
    public static ListSchema Schema { get; } = new(
    [
        new FieldSpec("user_id", FieldGroup.User),
        new FieldSpec("gender", FieldGroup.User),
        new FieldSpec("age", FieldGroup.User),
        new FieldSpec("occupation", FieldGroup.User),
        new FieldSpec("zip", FieldGroup.User),
        new FieldSpec("item_id", FieldGroup.Item),
        new FieldSpec("genres", FieldGroup.Item),
        new FieldSpec("year", FieldGroup.Item),
        new FieldSpec("position", FieldGroup.Context),
        new FieldSpec("weekday", FieldGroup.Context),
        new FieldSpec("hour", FieldGroup.Context),
    ]);

    private static readonly Encoding FileEncoding = Encoding.Latin1;

    /// <summary>User fields of one user (user_id, gender, age, occupation, zip), shared by all of its items.</summary>
    private sealed record UserFields(string[][] Values);

    /// <summary>Item fields of one movie (item_id, genres, year).</summary>
    private sealed record MovieFields(string[][] Values);

    private readonly record struct Rating(int User, int Item, int Stars, long Time);

    /// <summary>A problem with one line; the caller adds the file and line number.</summary>
    private sealed class LineProblem(string message) : Exception(message);

    public static ListDataset Read(string folder, ReadOptions options)
    {
        ListCutter.Validate(options);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"MovieLens folder not found: {folder}");
        foreach (string name in RequiredFiles)
        {
            string file = Path.Combine(folder, name);
            if (!File.Exists(file))
                throw new DataFormatException(file, "file", $"missing: a MovieLens-100K folder needs {string.Join(", ", RequiredFiles)}");
        }

        var report = new DataReport();
        var bad = new BadRecords(options, report);
        var genres = ReadGenres(Path.Combine(folder, GenresFile), bad);
        var occupations = ReadOccupations(Path.Combine(folder, OccupationsFile), bad);
        var users = ReadUsers(Path.Combine(folder, UsersFile), occupations, bad);
        var movies = ReadMovies(Path.Combine(folder, ItemsFile), genres, bad);
        var ratings = ReadRatings(Path.Combine(folder, RatingsFile), users, movies, bad);

        var lists = new List<LoggedList>();
        foreach (var byUser in ratings.GroupBy(r => r.User).OrderBy(g => g.Key))
        {
            var history = byUser.OrderBy(r => r.Time).ThenBy(r => r.Item).ToList();
            // A user's history is the long logged list here: it counts as split when it fills more than one list.
            if (history.Count > options.MaxListLength) report.ListsSplit++;
            int k = 0;
            string user = Invariant(byUser.Key);
            foreach (var chunk in ListCutter.Chunks(history, options.MaxListLength))
            {
                k++;
                var items = new LoggedItem[chunk.Count];
                for (int p = 0; p < chunk.Count; p++)
                    items[p] = ToItem(chunk[p], p + 1, users[chunk[p].User], movies[chunk[p].Item]);
                var list = new LoggedList($"u{user}-{k}", user, chunk[0].Time, items);
                lists.Add(ListCutter.Counted(list, options.MaxListLength, report));
            }
        }
        return new ListDataset(Schema, lists, folder, report);
    }

    private static LoggedItem ToItem(Rating rating, int position, UserFields user, MovieFields movie)
    {
        var values = new string[Schema.Count][];
        user.Values.CopyTo(values, 0);
        movie.Values.CopyTo(values, user.Values.Length);
        int context = user.Values.Length + movie.Values.Length;
        values[context] = [Invariant(position)];
        values[context + 1] = [MovieLensBuckets.Weekday(rating.Time)];
        values[context + 2] = [MovieLensBuckets.Hour(rating.Time)];
        float reward = rating.Stars >= PositiveRating ? 1f : 0f;
        return new LoggedItem(movie.Values[0][0], values, reward);
    }

    /// <summary>u.genre: <c>name|index</c>; indices must be 0..n-1. Returns names by index.</summary>
    private static string[] ReadGenres(string path, BadRecords bad)
    {
        var byIndex = new SortedDictionary<int, string>();
        ForEachLine(path, bad, line =>
        {
            string[] columns = Columns(line, '|', 2, "name|index");
            if (columns[0].Length == 0) throw new LineProblem("genre name is empty");
            int index = Integer(columns[1], "index");
            if (!byIndex.TryAdd(index, columns[0])) throw new LineProblem($"index {index} appears twice");
        });
        if (byIndex.Count == 0) throw new DataFormatException(path, "file", "no genres");
        if (byIndex.Keys.First() != 0 || byIndex.Keys.Last() != byIndex.Count - 1)
            throw new DataFormatException(path, "file", $"genre indices must be 0..{byIndex.Count - 1} without gaps");
        return [.. byIndex.Values];
    }

    /// <summary>u.occupation: one occupation name per line.</summary>
    private static HashSet<string> ReadOccupations(string path, BadRecords bad)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        ForEachLine(path, bad, line =>
        {
            string name = line.Trim();
            if (name.Contains('|')) throw new LineProblem($"occupation '{name}' contains '|' (expected one name per line)");
            names.Add(name);
        });
        if (names.Count == 0) throw new DataFormatException(path, "file", "no occupations");
        return names;
    }

    /// <summary>u.user: <c>id|age|gender|occupation|zip</c>.</summary>
    private static Dictionary<int, UserFields> ReadUsers(string path, HashSet<string> occupations, BadRecords bad)
    {
        var users = new Dictionary<int, UserFields>();
        ForEachLine(path, bad, line =>
        {
            string[] c = Columns(line, '|', 5, "id|age|gender|occupation|zip");
            int id = Integer(c[0], "user id");
            int age = Integer(c[1], "age");
            if (age < 0) throw new LineProblem($"age must not be negative, found {age}");
            if (c[2] is not ("M" or "F")) throw new LineProblem($"gender must be M or F, found '{c[2]}'");
            if (!occupations.Contains(c[3]))
                throw new LineProblem($"occupation '{c[3]}' is not listed in {OccupationsFile}");
            string[][] values =
            [
                [Invariant(id)], [c[2]], [MovieLensBuckets.Age(age)], [c[3]], FieldValues.Single(MovieLensBuckets.ZipRegion(c[4].Trim())),
            ];
            if (!users.TryAdd(id, new UserFields(values))) throw new LineProblem($"user id {id} appears twice");
        });
        return users;
    }

    /// <summary>u.item: <c>id|title|release date|video date|url|flag per genre</c>.</summary>
    private static Dictionary<int, MovieFields> ReadMovies(string path, string[] genres, BadRecords bad)
    {
        var movies = new Dictionary<int, MovieFields>();
        int columnCount = 5 + genres.Length;
        ForEachLine(path, bad, line =>
        {
            string[] c = Columns(line, '|', columnCount, $"id|title|release date|video date|url and {genres.Length} genre flags");
            int id = Integer(c[0], "item id");
            DateTime? released = Date(c[2], "release date");
            Date(c[3], "video date");
            var movieGenres = new List<string>();
            for (int g = 0; g < genres.Length; g++)
            {
                string flag = c[5 + g];
                if (flag is not ("0" or "1"))
                    throw new LineProblem($"genre flag '{genres[g]}' (column {6 + g}) must be 0 or 1, found '{flag}'");
                if (flag == "1") movieGenres.Add(genres[g]);
            }
            string[][] values =
            [
                [Invariant(id)],
                FieldValues.Normalize(movieGenres),
                FieldValues.Single(released is { } date ? MovieLensBuckets.Year(date.Year) : null),
            ];
            if (!movies.TryAdd(id, new MovieFields(values))) throw new LineProblem($"item id {id} appears twice");
        });
        return movies;
    }

    /// <summary>u.data: <c>user\titem\trating\ttimestamp</c>.</summary>
    private static List<Rating> ReadRatings(string path, Dictionary<int, UserFields> users, Dictionary<int, MovieFields> movies,
                                            BadRecords bad)
    {
        var ratings = new List<Rating>(100_000);
        ForEachLine(path, bad, line =>
        {
            string[] c = Columns(line, '\t', 4, "user, item, rating, timestamp separated by tabs");
            int user = Integer(c[0], "user id");
            int item = Integer(c[1], "item id");
            int stars = Integer(c[2], "rating");
            if (stars is < 1 or > 5) throw new LineProblem($"rating must be in 1..5, found {stars}");
            if (!long.TryParse(c[3], NumberStyles.None, CultureInfo.InvariantCulture, out long time))
                throw new LineProblem($"timestamp must be a non-negative integer (Unix seconds), found '{c[3]}'");
            if (time > DateTimeOffset.MaxValue.ToUnixTimeSeconds()) throw new LineProblem($"timestamp {time} is out of range");
            if (!users.ContainsKey(user)) throw new LineProblem($"user id {user} is not defined in {UsersFile}");
            if (!movies.ContainsKey(item)) throw new LineProblem($"item id {item} is not defined in {ItemsFile}");
            ratings.Add(new Rating(user, item, stars, time));
        });
        return ratings;
    }

    /// <summary>Runs <paramref name="parse"/> on every non-blank line, turning its problems into located errors.</summary>
    private static void ForEachLine(string path, BadRecords bad, Action<string> parse)
    {
        int number = 0;
        foreach (string raw in File.ReadLines(path, FileEncoding))
        {
            number++;
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            try
            {
                parse(line);
            }
            catch (LineProblem problem)
            {
                bad.Handle(new DataFormatException(path, $"line {number}", problem.Message));
            }
        }
    }

    private static string Invariant(int number) => number.ToString(CultureInfo.InvariantCulture);

    private static string[] Columns(string line, char separator, int expected, string layout)
    {
        string[] columns = line.Split(separator);
        if (columns.Length != expected)
            throw new LineProblem($"expected {expected} columns ({layout}), found {columns.Length}");
        return columns;
    }

    private static int Integer(string text, string what)
    {
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            throw new LineProblem($"{what} must be an integer, found '{text}'");
        return value;
    }

    /// <summary>Day-month-year with an English month abbreviation; one release date has a one-digit day (4-Feb-1971).</summary>
    private static readonly string[] DateFormats = ["dd-MMM-yyyy", "d-MMM-yyyy"];

    /// <summary>A date like 01-Jan-1995, or null when the column is empty.</summary>
    private static DateTime? Date(string text, string what)
    {
        if (text.Length == 0) return null;
        if (!DateTime.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            throw new LineProblem($"{what} must look like 01-Jan-1995 or be empty, found '{text}'");
        return date;
    }
}
