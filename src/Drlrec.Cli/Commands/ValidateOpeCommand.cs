using System.CommandLine;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Experiments;
using Drlrec.IO;
using Drlrec.Simulation;
using Spectre.Console;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec validate-ope</c>: the off-policy estimators against the simulator's exact truth, over replicated logs.</summary>
public static class ValidateOpeCommand
{
    public static Command Create()
    {
        var models = ModelOptions.Many("A run folder of the zoo (models trained on the simulator's world); repeat for each");
        var synthetic = new Option<FileInfo?>("--synthetic")
        {
            Description = "The simulator's settings (the data.synthetic shape, e.g. experiments/worlds/exit-category.json). Default: the world the first model was trained on",
        };
        var lists = new Option<string>("--lists") { Description = "Logged lists per replication, comma-separated sizes", DefaultValueFactory = _ => "5000,20000" };
        var replications = new Option<int>("--replications") { Description = "Independent logs per size", DefaultValueFactory = _ => 20 };
        var firstReplication = new Option<int>("--first-replication")
        {
            Description = "Index of the first replication: processes with the same --seed and disjoint ranges run parts of one study (join them with --merge)",
            DefaultValueFactory = _ => 0,
        };
        var merge = new Option<DirectoryInfo[]>("--merge")
        {
            Description = "Join the parts in these folders (each a validate-ope --out of the same study) into --out, summarised again; nothing is run",
            AllowMultipleArgumentsPerToken = true,
        };
        var candidates = new Option<int?>("--candidates")
        {
            Description = "The models and the diversity re-rank re-rank the upstream top N of each logged list's candidates (default: all)",
        };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for results.json and report.md (written atomically)", Required = true };
        var seed = CommonOptions.Seed("Seed of the replications' requests, the folds and the bootstrap");
        var threads = new Option<int>("--threads") { Description = "CPU threads for tensor operations (0 = libtorch's default)", DefaultValueFactory = _ => 0 };
        var opeOptions = new OpeOptions();

        var command = new Command("validate-ope", "Validate the off-policy estimators against the simulator's exact truth: per size and replication, " +
                                                  "fresh logs of the world, every policy of the zoo estimated and measured; relative error, bias², variance, " +
                                                  "95% interval coverage and Spearman's ρ with the truth across the zoo (docs/ope.md).");
        foreach (var option in new Option[] { models, synthetic, lists, replications, firstReplication, merge, candidates, output, seed, threads }) command.Options.Add(option);
        opeOptions.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string command = "drlrec " + string.Join(' ', parse.Tokens.Select(t => t.Value));
            if (parse.GetValue(merge) is { Length: > 0 } parts)
            {
                var joined = OpeValidation.Merge(parts.Select(d => (d.FullName, Json.ReadFile<OpeValidationResult>(File.Exists(Path.Combine(d.FullName, "results.json"))
                    ? Path.Combine(d.FullName, "results.json") : throw new FileNotFoundException($"--merge: no results.json in {d.FullName}")))).ToList());
                OpeValidation.Write(joined, parse.GetValue(output)!.FullName, command);
                AnsiConsole.MarkupLineInterpolated($"{joined.Rows.Select(r => (r.Lists, r.Replication)).Distinct().Count()} replications from {parts.Length} parts");
                Report.Wrote(Path.Combine(parse.GetValue(output)!.FullName, "report.md"));
                return 0;
            }
            var sizes = parse.GetValue(lists)!.Split(',').Select(text => int.TryParse(text.Trim(), out int n) && n >= 10 ? n
                : throw new ArgumentException($"--lists: '{text}' is not a size of at least 10 lists")).ToList();
            if (parse.GetValue(threads) is < 0 and var bad) throw new ArgumentException($"--threads: must be 0 or more (got {bad})");
            if (parse.GetValue(threads) > 0) TorchSharp.torch.set_num_threads(parse.GetValue(threads));
            SyntheticConfig? world = null;
            if (parse.GetValue(synthetic) is { } file)
            {
                world = Json.ReadFile<SyntheticConfig>(file.FullName);
                world.Validate(name => $"{file.FullName}: {name}");
            }
            var settings = new OpeValidationSettings
            {
                Models = parse.GetValue(models) ?? [], World = world, Lists = sizes, Replications = parse.GetValue(replications),
                FirstReplication = parse.GetValue(firstReplication),
                Ope = opeOptions.Settings(parse, parse.GetValue(candidates), parse.GetValue(seed)),
            };
            settings.Ope.Validate();
            string folder = parse.GetValue(output)!.FullName;
            var result = OpeValidation.Run(settings, message => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]"));
            OpeValidation.Write(result, folder, command);
            AnsiConsole.MarkupLineInterpolated($"{result.Rows.Count:N0} estimates in {result.Seconds / 60:F1} min");
            Report.Wrote(Path.Combine(folder, "report.md"));
            return 0;
        }));
        return command;
    }
}
