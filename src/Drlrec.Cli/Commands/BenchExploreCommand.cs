using System.CommandLine;
using Drlrec.Benchmarking;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.IO;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec bench explore</c>: the cost per state of exploring/filtering at several catalog sizes.</summary>
public static class BenchExploreCommand
{
    public static Command Create()
    {
        var items = new Option<int[]>("--items")
        {
            Description = "Catalog sizes to compare (simulator, 1000..1000000)",
            DefaultValueFactory = _ => [10_000, 1_000_000],
            AllowMultipleArgumentsPerToken = true,
        };
        var pool = new Option<int>("--pool") { Description = "Candidates explored per state (N_c)", DefaultValueFactory = _ => 1000 };
        var k = new Option<int>("--k") { Description = "Lessons kept per model", DefaultValueFactory = _ => 10 };
        var states = new Option<int>("--states") { Description = "Timed states per catalog size", DefaultValueFactory = _ => 64 };
        var group = new Option<int>("--states-per-step") { Description = "States explored together (as per training batch)", DefaultValueFactory = _ => 4 };
        var seed = CommonOptions.Seed("Seed of the simulator, the untrained networks and the explored states");
        var json = CommonOptions.Json();
        var command = new Command("explore", "Cost per state of exploring/filtering (retrieval, teacher and student pool scoring, top-k) at several catalog sizes.");
        foreach (var option in new Option[] { items, pool, k, states, group, seed, json }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var results = parse.GetValue(items)!.Select(size => Busy.While($"catalog of {size:N0} items", () =>
                ExploreBenchmark.Measure(size, parse.GetValue(pool), parse.GetValue(k), parse.GetValue(states), parse.GetValue(group),
                    parse.GetValue(seed)))).ToList();
            Tables.Explore(results);
            if (parse.GetValue(json) is { } file) Json.WriteFile(file.FullName, results);
            return 0;
        }));
        return command;
    }
}
