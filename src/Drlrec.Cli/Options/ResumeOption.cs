using System.CommandLine;
using Drlrec.Configuration;
using Drlrec.IO;

namespace Drlrec.Cli.Options;

/// <summary>
/// <c>--resume DIR</c> of train and distill: continue a killed run from its <c>resume.ckpt</c> with the run's own
/// <c>config.json</c>, so that it ends where the uninterrupted run would. Nothing else is needed, and nothing else may be
/// typed (another setting would make a different run).
/// </summary>
public sealed class ResumeOption
{
    public Option<DirectoryInfo?> Option { get; } = new("--resume")
    {
        Description = "Continue the killed run in this folder from its last finished epoch (its resume.ckpt, with its own config.json; " +
                      "ends bit for bit where an uninterrupted run ends on the same CPU and threads). No other option is needed or allowed",
    };

    /// <summary>The run folder to resume, or null when <c>--resume</c> was not given; refuses other typed options.</summary>
    public string? Folder(ParseResult parse, Command command)
    {
        if (parse.GetValue(Option) is not { } folder) return null;
        var others = command.Options.Where(o => o != Option && RunOptions.Given(parse, o)).Select(o => o.Name).ToList();
        if (others.Count > 0)
            throw new ArgumentException($"--resume continues a run with its own config.json; drop {string.Join(", ", others)}");
        if (!folder.Exists) throw new DirectoryNotFoundException($"--resume: no run folder at {folder.FullName}");
        return folder.FullName;
    }

    /// <summary>The resolved config the run wrote when it started.</summary>
    public static RunConfig ConfigOf(string folder)
    {
        string path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"--resume: {folder} has no config.json, so it is not a run folder");
        // A run started before the setting existed trained the other architecture; its weights would load under the
        // new default without complaint and mean something else.
        string text = File.ReadAllText(path);
        if (!text.Contains("\"context_input\"", StringComparison.Ordinal))
            throw new InvalidDataException($"--resume: {folder} was started by an earlier drlrec (its config.json has no model.context_input); start the run again");
        return Json.Parse<RunConfig>(text, path);
    }

    /// <summary><c>--out</c>'s value, required unless resuming.</summary>
    public static string Output(ParseResult parse, Option<DirectoryInfo> output) =>
        parse.GetValue(output)?.FullName ?? throw new ArgumentException("--out is required (or --resume DIR to continue a killed run)");
}
