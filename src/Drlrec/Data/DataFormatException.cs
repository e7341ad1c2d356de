namespace Drlrec.Data;

/// <summary>
/// Malformed input. The message names the file, the place (line, or row group and row) and what was expected,
/// so that a user can find and fix the record.
/// </summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string file, string location, string problem)
        : base($"{file}: {location}: {problem}")
    {
        File = file;
        Location = location;
        Problem = problem;
    }

    public string File { get; }
    /// <summary>"line 12", "row group 0, row 17", or "file" for whole-file problems.</summary>
    public string Location { get; }
    public string Problem { get; }
}

/// <summary>How readers treat a malformed record.</summary>
public sealed record ReadOptions
{
    /// <summary>Longest list kept as one list; longer logged lists are cut into consecutive lists. Default 10.</summary>
    public int MaxListLength { get; init; } = 10;

    /// <summary>Skip malformed records (counted in <see cref="DataReport"/>) instead of failing. Default false.</summary>
    public bool SkipBadRecords { get; init; }
}
