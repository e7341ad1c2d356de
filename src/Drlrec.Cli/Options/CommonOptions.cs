using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Drlrec.Configuration;
using Drlrec.IO;

namespace Drlrec.Cli.Options;

/// <summary>Options several commands share, made in one place so that names, defaults and parsing agree.</summary>
public static class CommonOptions
{
    /// <summary><c>--seed</c>, default <see cref="RunConfig.DefaultSeed"/> in every command.</summary>
    public static Option<int> Seed(string description) => new("--seed")
    {
        Description = description,
        DefaultValueFactory = _ => RunConfig.DefaultSeed,
    };

    /// <summary><c>--json FILE</c>: the command's results also as JSON (written atomically).</summary>
    public static Option<FileInfo?> Json(string what = "the results") => new("--json")
    {
        Description = $"Also write {what} as JSON to this file",
    };

    /// <summary><c>--quantize none|int8</c> (default none), read with <see cref="Onnx.OnnxPrecisions.Parse"/>.</summary>
    public static Option<string> Quantize(string description)
    {
        var option = new Option<string>("--quantize") { Description = description, DefaultValueFactory = _ => "none" };
        option.AcceptOnlyFromAmong("none", "int8");
        return option;
    }

    /// <summary>A duration option: "10s", "500ms", "2m", "1h" or a plain number of seconds.</summary>
    public static Option<TimeSpan> Duration(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = $"{description} (e.g. 10s, 500ms, 2m)",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = ParseDuration,
    };

    /// <summary>"10s", "500ms", "2m", "1h" or a plain number of seconds; at most a day.</summary>
    public static TimeSpan ParseDuration(ArgumentResult result)
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ when text.EndsWith('h') => (text[..^1], 3600.0),
            _ => (text, 1.0),
        };
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0 && value * scale <= 86_400)
            return TimeSpan.FromSeconds(value * scale);
        result.AddError($"'{text}' is not a duration like 10s, 500ms or 2m");
        return TimeSpan.Zero;
    }
}
