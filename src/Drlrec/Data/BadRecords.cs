namespace Drlrec.Data;

/// <summary>
/// What a reader does with one malformed record: fail with the exception (default), or, under
/// <see cref="ReadOptions.SkipBadRecords"/>, count it in the report and go on.
/// Whole-file problems (a missing column, an unreadable file) are never skipped: no record would survive.
/// </summary>
internal sealed class BadRecords(ReadOptions options, DataReport report)
{
    public void Handle(DataFormatException problem)
    {
        if (!options.SkipBadRecords) throw problem;
        report.Skip(problem.Message);
    }
}
