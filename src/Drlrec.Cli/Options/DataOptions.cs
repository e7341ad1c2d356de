using System.CommandLine;
using Drlrec.Data;

namespace Drlrec.Cli.Options;

/// <summary>The options every <c>data</c> command that reads a source shares, and the read options they make.</summary>
public sealed class DataOptions
{
    public Argument<string> Source { get; } = new("source")
    {
        Description = $"The data to read: {DataSources.AcceptedForms}.",
    };

    public Option<int> MaxListLength { get; } = new("--max-list-length")
    {
        Description = "Longest list kept as one list; longer logged lists are cut into consecutive lists.",
        DefaultValueFactory = _ => new ReadOptions().MaxListLength,
    };

    public Option<bool> SkipBadRecords { get; } = new("--skip-bad-records")
    {
        Description = "Skip malformed records (they are counted and the first few shown) instead of stopping at the first.",
        DefaultValueFactory = _ => false,
    };

    public DataOptions()
    {
        MaxListLength.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1) result.AddError("--max-list-length must be at least 1.");
        });
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(Source);
        command.Options.Add(MaxListLength);
        command.Options.Add(SkipBadRecords);
    }

    public ReadOptions ReadOptionsFrom(ParseResult parseResult) => new()
    {
        MaxListLength = parseResult.GetValue(MaxListLength),
        SkipBadRecords = parseResult.GetValue(SkipBadRecords),
    };
}
