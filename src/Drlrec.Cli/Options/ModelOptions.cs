using System.CommandLine;

namespace Drlrec.Cli.Options;

/// <summary>The <c>--model</c> option of the commands that use trained models (evaluate, bench, export, serve, loadtest).</summary>
public static class ModelOptions
{
    /// <summary>One model: a run folder holding model.ckpt, or the file itself.</summary>
    public static Option<string> One(string description = "A run folder (or its model.ckpt)", bool required = true) => new("--model")
    {
        Description = description,
        Required = required,
    };

    /// <summary>Several models, one per <c>--model</c>.</summary>
    public static Option<string[]> Many(string description) => new("--model")
    {
        Description = $"{description}; repeat --model for several",
        AllowMultipleArgumentsPerToken = false,
    };
}
