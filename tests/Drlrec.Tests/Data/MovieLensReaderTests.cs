using System.Globalization;
using System.Text;
using static Drlrec.Tests.Data.DatasetAssert;
using Drlrec.Data;
using Drlrec.Testing;

namespace Drlrec.Tests.Data;

public sealed class MovieLensReaderTests : IDisposable
{
    private readonly TemporaryFolder temp = new();
    private static readonly ReadOptions ListsOfTwo = new() { MaxListLength = 2 };

    public void Dispose() => temp.Dispose();

    private string WriteSmallCopy(string[]? genres = null, string[]? occupations = null, string[]? users = null,
                                  string[]? items = null, string[]? ratings = null) =>
        MovieLensSample.Write(temp.Path, genres, occupations, users, items, ratings);

    [Fact]
    public void Reads_each_users_ratings_in_time_order_as_lists_with_exact_fields()
    {
        var data = MovieLensReader.Read(WriteSmallCopy(), ListsOfTwo);

        Assert.Equal(["user_id", "gender", "age", "occupation", "zip", "item_id", "genres", "year", "position", "weekday", "hour"],
                     data.Schema.Fields.Select(f => f.Name));
        Assert.Equal((5, 3, 3), (data.Schema.UserCount, data.Schema.ItemCount, data.Schema.ContextCount));
        Assert.Equal(["u1-1", "u1-2", "u2-1"], data.Lists.Select(l => l.ListId));

        var first = data.Lists[0];
        Assert.Equal(("1", 50L), (first.UserKey, first.Timestamp));
        Assert.Equal(["10", "20"], first.Items.Select(i => i.ItemKey));
        Assert.Equal([0f, 1f], first.Items.Select(i => i.Reward)); // 3 stars is not a click, 5 is
        string[][] expected =
        [
            ["1"], ["M"], ["18-24"], ["engineer"], ["85"],
            ["10"], ["Action", "Comedy"], ["1995-1999"],
            ["1"], ["Thu"], ["00-03"],
        ];
        Assert.Equal(expected, first.Items[0].Values);
        Assert.Equal(["unknown"], Field(data, first.Items[1], "genres"));
        Assert.Equal([LoggedItem.Missing], Field(data, first.Items[1], "year"));
        Assert.Equal(["2"], Field(data, first.Items[1], "position"));

        var second = data.Lists[1]; // the tie at t=100 is broken by item id: 20 before 30
        Assert.Equal(("1", 100L, "30", 1f), (second.UserKey, second.Timestamp, second.Items[0].ItemKey, second.Items[0].Reward));
        Assert.Equal([LoggedItem.Missing], Field(data, second.Items[0], "genres"));
        Assert.Equal(["1920-1924"], Field(data, second.Items[0], "year"));
        Assert.Equal(["1"], Field(data, second.Items[0], "position"));

        var third = data.Lists[2];
        Assert.Equal(("2", 1000072000L), (third.UserKey, third.Timestamp));
        Assert.Equal([["2"], ["F"], ["56+"], ["writer"], ["T8"]], third.Items[0].Values[..5]);
        Assert.Equal([["1"], ["Sun"], ["20-23"]], third.Items[0].Values[8..]);

        Assert.Equal((3, 4, 1, 2, 0), (data.Report.ListsRead, data.Report.ItemsRead, data.Report.ListsSplit,
                                       data.Report.ShortLists, data.Report.RecordsSkipped));
    }

    [Theory]
    [InlineData(17, "<18")]
    [InlineData(18, "18-24")]
    [InlineData(34, "25-34")]
    [InlineData(35, "35-44")]
    [InlineData(49, "45-49")]
    [InlineData(55, "50-55")]
    [InlineData(56, "56+")]
    public void Ages_fall_into_the_movielens_groups(int age, string bucket) => Assert.Equal(bucket, MovieLensBuckets.Age(age));

    [Fact]
    public void Years_hours_and_weekdays_are_bucketed()
    {
        Assert.Equal("1990-1994", MovieLensBuckets.Year(1990));
        Assert.Equal("1990-1994", MovieLensBuckets.Year(1994));
        Assert.Equal("1995-1999", MovieLensBuckets.Year(1995));
        Assert.Equal("04-07", MovieLensBuckets.Hour(7 * 3600 + 3599));
        Assert.Equal("08-11", MovieLensBuckets.Hour(8 * 3600));
        Assert.Equal("Fri", MovieLensBuckets.Weekday(86400));
    }

    [Fact]
    public void Release_dates_may_have_a_one_digit_day()
    {
        string folder = WriteSmallCopy(items: ["10|Harold and Maude (1971)|4-Feb-1971||http://example.org/10|0|0|1"],
                                       ratings: ["1\t10\t4\t5"]);

        var data = MovieLensReader.Read(folder, ListsOfTwo);

        Assert.Equal(["1970-1974"], Field(data, data.Lists[0].Items[0], "year"));
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        string folder = WriteSmallCopy();
        File.Delete(Path.Combine(folder, "u.occupation"));

        Malformed(() => MovieLensReader.Read(folder, ListsOfTwo), Path.Combine(folder, "u.occupation"), "file", "missing");
    }

    public static TheoryData<string, string, string, string> BadLines => new()
    {
        { "u.data", "1\t10\t3", "line 2", "expected 4 columns" },
        { "u.data", "1\t10\t6\t5", "line 2", "rating must be in 1..5, found 6" },
        { "u.data", "1\tten\t3\t5", "line 2", "item id must be an integer, found 'ten'" },
        { "u.data", "9\t10\t3\t5", "line 2", "user id 9 is not defined in u.user" },
        { "u.data", "1\t99\t3\t5", "line 2", "item id 99 is not defined in u.item" },
        { "u.data", "1\t10\t3\t-5", "line 2", "timestamp must be a non-negative integer" },
        { "u.user", "3|30|X|writer|12345", "line 2", "gender must be M or F, found 'X'" },
        { "u.user", "3|thirty|M|writer|12345", "line 2", "age must be an integer, found 'thirty'" },
        { "u.user", "3|30|M|pilot|12345", "line 2", "occupation 'pilot' is not listed in u.occupation" },
        { "u.user", "3|30|M|writer", "line 2", "expected 5 columns" },
        { "u.user", "1|30|M|writer|12345", "line 2", "user id 1 appears twice" },
        { "u.item", "40|X|1995-01-01||http://x|0|0|0", "line 2", "release date must look like 01-Jan-1995" },
        { "u.item", "40|X|01-Jan-1995||http://x|0|2|0", "line 2", "genre flag 'Action' (column 7) must be 0 or 1, found '2'" },
        { "u.item", "40|X|01-Jan-1995||http://x|0|0", "line 2", "expected 8 columns" },
        { "u.genre", "Drama|x", "line 2", "index must be an integer" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public void Malformed_lines_name_the_file_line_and_problem(string file, string badLine, string location, string problem)
    {
        string folder = WriteSmallCopy();
        string path = Path.Combine(folder, file);
        var lines = File.ReadAllLines(path, Encoding.Latin1).Where(l => l.Length > 0).ToList();
        lines.Insert(1, badLine);
        File.WriteAllLines(path, lines, Encoding.Latin1);

        Malformed(() => MovieLensReader.Read(folder, ListsOfTwo), path, location, problem);
    }

    [Fact]
    public void Genre_indices_must_not_have_gaps()
    {
        string folder = WriteSmallCopy(genres: ["unknown|0", "Action|2"]);

        Malformed(() => MovieLensReader.Read(folder, ListsOfTwo), Path.Combine(folder, "u.genre"), "file", "0..1 without gaps");
    }

    [Fact]
    public void Skipping_bad_records_drops_them_and_what_depends_on_them()
    {
        string folder = WriteSmallCopy(
            users: ["1|24|M|engineer|85711", "2|56|F|writer|T8H1N", "3|30|X|writer|12345"],
            ratings: ["1\t20\t5\t100", "1\t10\t3\t50", "1\t10\t9\t60", "3\t10\t4\t70", "2\t10\t1\t1000072000", "1\t30\t4\t100"]);

        var data = MovieLensReader.Read(folder, ListsOfTwo with { SkipBadRecords = true });

        // u.user line 3 (gender), u.data line 3 (rating 9), u.data line 4 (user 3 was dropped).
        Assert.Equal(3, data.Report.RecordsSkipped);
        Assert.Contains(data.Report.SkippedExamples, m => m.Contains("u.user: line 3:") && m.Contains("gender"));
        Assert.Contains(data.Report.SkippedExamples, m => m.Contains("u.data: line 4:") && m.Contains("user id 3"));
        Assert.Equal(["u1-1", "u1-2", "u2-1"], data.Lists.Select(l => l.ListId));
        Assert.Equal(4, data.Report.ItemsRead);
    }

    [Fact]
    public void Skipping_every_record_is_an_error_naming_the_source_not_an_empty_success()
    {
        string folder = WriteSmallCopy(ratings: ["1\t20\t9\t100", "7\t10\t3\t50"]);   // a rating of 9, an unknown user

        var e = Assert.Throws<DataFormatException>(() => DataSources.Load(folder, ListsOfTwo with { SkipBadRecords = true }));

        Assert.Contains(folder, e.Message);
        Assert.Contains("every record was skipped (2)", e.Message);
        Assert.Contains("u.data: line 1", e.Message);
    }

    [MovieLensFact]
    public void The_shared_copy_reads_as_943_users_and_100000_ratings()
    {
        string folder = SharedData.MovieLens100K;

        var data = MovieLensReader.Read(folder, new ReadOptions());

        // Independent count straight from u.data.
        var ratings = File.ReadLines(Path.Combine(folder, "u.data"))
            .Select(line => line.Split('\t').Select(c => long.Parse(c, CultureInfo.InvariantCulture)).ToArray()).ToList();
        var perUser = ratings.GroupBy(r => r[0]).ToList();
        Assert.Equal(943, perUser.Count);
        Assert.Equal(943, data.Lists.Select(l => l.UserKey).Distinct().Count());
        Assert.Equal(100_000, data.Report.ItemsRead);
        Assert.Equal(100_000, data.ItemCount);
        Assert.Equal(perUser.Sum(g => (g.Count() + 9) / 10), data.Lists.Count);
        Assert.Equal(data.Lists.Count, data.Report.ListsRead);
        Assert.All(data.Lists, l => Assert.InRange(l.Items.Count, 1, 10));

        double positives = ratings.Count(r => r[2] >= 4) / (double)ratings.Count;
        Assert.Equal(positives, data.Lists.SelectMany(l => l.Items).Count(i => i.Reward == 1f) / 100_000.0, 12);

        var firstOfUser1 = ratings.Where(r => r[0] == 1).OrderBy(r => r[3]).ThenBy(r => r[1]).First();
        var list = data.Lists.Single(l => l.ListId == "u1-1");
        Assert.Equal(firstOfUser1[1].ToString(CultureInfo.InvariantCulture), list.Items[0].ItemKey);
        Assert.Equal(firstOfUser1[3], list.Timestamp);

        // ISO-8859-1 titles (e.g. "Misérables") are read without breaking the file or leaking into features.
        Assert.DoesNotContain(data.Lists.SelectMany(l => l.Items).SelectMany(i => i.Values).SelectMany(v => v), v => v.Contains('\uFFFD'));
        Assert.Equal(19, data.Lists.SelectMany(l => l.Items).SelectMany(i => Field(data, i, "genres")).Distinct().Count());
    }
}
