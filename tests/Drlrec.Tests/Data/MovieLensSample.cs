using System.Text;

namespace Drlrec.Tests.Data;

/// <summary>
/// A hand-written MovieLens-100K folder small enough to know every expected value.
/// 1000072000 is Sunday 2001-09-09 21:46:40 UTC; 50 and 100 are Thursday 1970-01-01 00:00 UTC.
/// </summary>
internal static class MovieLensSample
{
    public static string Write(string folder, string[]? genres = null, string[]? occupations = null, string[]? users = null,
                               string[]? items = null, string[]? ratings = null)
    {
        Directory.CreateDirectory(folder);
        void WriteLines(string name, string[] lines) =>
            File.WriteAllText(Path.Combine(folder, name), string.Join('\n', lines) + "\n", Encoding.Latin1);
        WriteLines("u.genre", genres ?? ["unknown|0", "Action|1", "Comedy|2", ""]);
        WriteLines("u.occupation", occupations ?? ["engineer", "writer"]);
        WriteLines("u.user", users ?? ["1|24|M|engineer|85711", "2|56|F|writer|T8H1N"]);
        WriteLines("u.item", items ??
        [
            "10|Café Olé (1995)|01-Jan-1995||http://example.org/10|0|1|1",
            "20|unknown||||1|0|0",
            "30|Old (1922)|15-Mar-1922||http://example.org/30|0|0|0",
        ]);
        WriteLines("u.data", ratings ?? ["1\t20\t5\t100", "1\t10\t3\t50", "2\t10\t1\t1000072000", "1\t30\t4\t100"]);
        return folder;
    }
}
