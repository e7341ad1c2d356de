using System.Text.Json;
using Drlrec.Cli.Tests.Support;
using Drlrec.Data;
using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Commands;

/// <summary><c>drlrec evaluate --ope</c> through real command lines, on <c>data generate</c> output and on a user's Parquet file.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class EvaluateOpeCommandTests : IClassFixture<EvaluateOpeCommandTests.Logs>
{
    private readonly Logs logs;

    public EvaluateOpeCommandTests(Logs logs) => this.logs = logs;

    /// <summary>A small world's logs from <c>data generate</c> (with and without candidates), the same lists as one user
    /// Parquet file, and a student trained briefly on them, made on first use.</summary>
    public sealed class Logs : IDisposable
    {
        private readonly Lazy<string> model;
        private static readonly string[] World = ["--lists", "600", "--users", "200", "--items", "1000"];

        public Logs() => model = new(() =>
        {
            Run(["data", "generate", .. World, "--out", Folder["gen"]]);
            Run(["data", "generate", .. World, "--shown-only", "--out", Folder["old"]]);
            // A user's file: every list in one Parquet file of the long format with the off-policy columns.
            ParquetListWriter.Write(DataSources.Load(Folder["gen"], new ReadOptions()), Folder["user.parquet"]);
            Run("train", "--data", Folder["gen"], "--role", "student", "--epochs", "1", "--max-steps-per-epoch", "20", "--threads", "1",
                "--out", Folder["model"]);
            return Folder["model"];
        });

        private static void Run(params string[] args)
        {
            var result = CliRunner.Run(args);
            if (result.Code != 0) throw new InvalidOperationException(result.Errors);
        }

        public TemporaryFolder Folder { get; } = new();
        public string Model => model.Value;

        public void Dispose() => Folder.Dispose();
    }

    private (JsonElement Ope, string Output) Ope(string data, string json, params string[] extra)
    {
        var (code, output, errors) = CliRunner.Run(["evaluate", "--ope", "--model", logs.Model, "--data", data, "--ope-bootstrap", "50",
            "--json", logs.Folder[json], .. extra]);
        Assert.True(code == 0, errors);
        Assert.Equal("", errors);
        return (JsonDocument.Parse(File.ReadAllText(logs.Folder[json])).RootElement.GetProperty("ope"), output);
    }

    private static double Estimate(JsonElement policy, string estimator) => policy.GetProperty("estimates").GetProperty(estimator).GetProperty("value").GetDouble();

    [Fact]
    public void Estimates_every_policy_by_every_estimator_on_data_generate_output()
    {
        var (ope, output) = Ope(logs.Folder["gen"], "gen.json", "--candidates", "25");
        var result = ope.GetProperty("result");

        Assert.Equal("cascade_dr_clip", result.GetProperty("default_estimator").GetString());
        Assert.Equal(120, result.GetProperty("lists").GetInt32()); // the test split: the latest 20% of 600
        Assert.Equal(["student", "upstream-order", "diversity re-rank", "random"],
            result.GetProperty("policies").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        foreach (var policy in result.GetProperty("policies").EnumerateArray())
            foreach (string estimator in new[] { "cascade_dr", "dm", "rips", "sn_rips", "sn_iips" })
            {
                var e = policy.GetProperty("estimates").GetProperty(estimator);
                Assert.True(double.IsFinite(e.GetProperty("value").GetDouble()));
                Assert.Equal(2, e.GetProperty("ci95").GetArrayLength());
            }
        // The sanity row: with every weight 1 the IPS estimators are the logged clicks exactly.
        var logging = result.GetProperty("logging");
        double logged = logging.GetProperty("logged_clicks").GetProperty("value").GetDouble();
        Assert.Equal(logged, Estimate(logging, "rips"), 9);
        Assert.Equal(logged, Estimate(logging, "cascade_dr"), 9);
        Assert.Contains("best by cascade_dr_clip", output);
        Assert.Contains("logging-policy (sanity: logged", output);
    }

    [Fact]
    public void A_users_parquet_file_with_propensities_gives_the_same_estimates_as_the_generated_parts()
    {
        var (fromParts, _) = Ope(logs.Folder["gen"], "parts.json");
        var (fromFile, _) = Ope(logs.Folder["user.parquet"], "file.json");
        var a = fromParts.GetProperty("result").GetProperty("policies");
        var b = fromFile.GetProperty("result").GetProperty("policies");
        for (int p = 0; p < a.GetArrayLength(); p++)
            Assert.Equal(Estimate(a[p], "cascade_dr"), Estimate(b[p], "cascade_dr"), 9);
    }

    [Fact]
    public void Logs_without_propensities_get_the_direct_method_only_and_say_so()
    {
        var (ope, output) = Ope(logs.Folder["old"], "old.json");
        var student = ope.GetProperty("result").GetProperty("policies")[0].GetProperty("estimates");
        Assert.Equal(["dm"], student.EnumerateObject().Select(p => p.Name));
        Assert.Contains("only the direct method", output);
    }

    [Fact]
    public void Choosing_on_the_validation_lists_names_the_best_policy_with_paired_differences()
    {
        var (ope, output) = Ope(logs.Folder["gen"], "validation.json", "--ope-lists", "validation", "--ope-smoothing", "epsilon:0.1");
        var result = ope.GetProperty("result");
        Assert.Equal("Validation", ope.GetProperty("lists").GetString());
        Assert.Equal("epsilon:0.1", result.GetProperty("smoothing").GetString());
        string best = result.GetProperty("best").GetString()!;
        Assert.Equal(3, result.GetProperty("best_against").GetArrayLength());
        Assert.All(result.GetProperty("best_against").EnumerateArray(), d => Assert.Equal(best, d.GetProperty("a").GetString()));
        Assert.Contains($"best by cascade_dr_clip: {best}", output);
    }

    [Theory]
    [InlineData(1.5, "column 'propensity' must be a number in (0, 1], found 1.5")]
    [InlineData(double.NaN, "column 'propensity' must be a number in (0, 1], found NaN")]
    public void A_bad_propensity_is_refused_in_one_line_naming_file_row_and_column_and_nothing_is_written(double bad, string problem)
    {
        var data = DataSources.Load(logs.Folder["gen"], new ReadOptions());
        var first = data.Lists[0];
        var broken = first with { Items = [first.Items[0] with { Propensity = bad }, .. first.Items.Skip(1)] };
        string file = logs.Folder[$"bad-{bad}.parquet"], json = logs.Folder[$"bad-{bad}.json"];
        ParquetListWriter.Write(data.WithLists([broken, .. data.Lists.Skip(1)]), file);

        var (code, _, errors) = CliRunner.Run("evaluate", "--ope", "--model", logs.Model, "--data", file, "--json", json);

        Assert.Equal(1, code);
        string line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(file, line);
        Assert.Contains("row group 0, row 0", line);
        Assert.Contains(problem, line);
        Assert.False(File.Exists(json));
    }

    [Fact]
    public void Settings_out_of_range_are_refused_before_anything_is_read()
    {
        foreach (var (args, problem) in new (string[], string)[]
                 {
                     (["--ope-smoothing", "epsilon:2"], "ε must be between 0 and 1"),
                     (["--ope-smoothing", "boltzmann"], "is not greedy, epsilon:E or softmax:T"),
                     (["--ope-folds", "0"], "--ope-folds: must be at least 1"),
                     (["--ope-fit", "test"], "--ope-fit: 'test' is not auto, training+folds or folds"),
                     (["--ope-fit", "folds", "--ope-folds", "1"], "--ope-folds must be at least 2"),
                     (["--ope-refits", "1"], "--ope-refits: must be 0 or at least 2"),
                     (["--ope-folds-from", "0"], "--ope-folds-from: must be at least 1"),
                     (["--candidates", "5"], "--candidates 5: smaller than the longest logged list (10 items)"),
                     (["--online"], "--ope and --online: choose one"),
                 })
        {
            var (code, _, errors) = CliRunner.Run(["evaluate", "--ope", "--model", logs.Model, "--data", logs.Folder["gen"], .. args]);
            Assert.Equal(1, code);
            Assert.Contains(problem, Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        }
    }
}
