using System.Text.Json;
using Drlrec.Cli.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Commands;

/// <summary>
/// <c>drlrec evaluate</c> on MovieLens-100K through real command lines: a model trained on the time split is scored on
/// its own test lists, and every evaluation whose test lists hold lists it trained or validated on (another split, a
/// test file, other data split otherwise) is refused with one line naming both splits, unless --allow-overlap.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class EvaluateCommandTests : IClassFixture<EvaluateCommandTests.MovieLensRun>
{
    private readonly MovieLensRun run;

    public EvaluateCommandTests(MovieLensRun run) => this.run = run;

    /// <summary>A student trained briefly (one epoch of 20 steps) on MovieLens-100K's time split, and the same logs as
    /// one Parquet file (written by <c>data convert</c>), made on first use.</summary>
    public sealed class MovieLensRun : IDisposable
    {
        private readonly Lazy<(string Model, string Parquet, int Lists)> made;

        public MovieLensRun() => made = new(() =>
        {
            string model = Folder["ml-time"], parquet = Folder["ml-100k.parquet"];
            var trained = CliRunner.Run("train", "--data", SharedData.MovieLens100K, "--role", "student", "--epochs", "1",
                "--max-steps-per-epoch", "20", "--threads", "1", "--out", model);
            if (trained.Code != 0) throw new InvalidOperationException(trained.Errors);
            var converted = CliRunner.Run("data", "convert", SharedData.MovieLens100K, "--out", parquet);
            if (converted.Code != 0) throw new InvalidOperationException(converted.Errors);
            return (model, parquet, Drlrec.Data.DataSources.Load(parquet, new Drlrec.Data.ReadOptions()).Lists.Count);
        });

        public TemporaryFolder Folder { get; } = new();
        public string Model => made.Value.Model;
        public string Parquet => made.Value.Parquet;
        /// <summary>Lists of the whole log (cut at 10 items).</summary>
        public int Lists => made.Value.Lists;

        public void Dispose() => Folder.Dispose();
    }

    private JsonElement Evaluate(string json, params string[] extra)
    {
        var (code, output, errors) = CliRunner.Run(["evaluate", "--model", run.Model, "--json", run.Folder[json], .. extra]);
        Assert.True(code == 0, errors);
        Assert.Equal("", errors);
        Assert.DoesNotContain("NOT HELD OUT", output);
        return JsonDocument.Parse(File.ReadAllText(run.Folder[json])).RootElement;
    }

    private string Refused(params string[] extra)
    {
        var (code, _, errors) = CliRunner.Run(["evaluate", "--model", run.Model, .. extra]);
        Assert.Equal(1, code);
        return Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [MovieLensFact]
    public void The_models_own_split_is_scored_and_marked_held_out()
    {
        var report = Evaluate("own.json");

        Assert.True(report.GetProperty("held_out").GetBoolean());
        Assert.Equal(0, report.GetProperty("overlap_lists").GetInt32());
        Assert.True(report.GetProperty("test_lists").GetInt32() > 1000);
    }

    [MovieLensFact]
    public void The_user_time_split_of_a_time_split_model_is_refused_naming_both_splits_unless_allowed()
    {
        string movieLens = SharedData.MovieLens100K;

        string error = Refused("--split", "user-time");

        Assert.StartsWith("error: ", error);
        Assert.Contains($"test lists (user-time split of {movieLens}) were in the training or validation part of model 'student' " +
                        $"(time split of {movieLens})", error);
        Assert.Contains("--allow-overlap", error);

        var (code, output, errors) = CliRunner.Run("evaluate", "--model", run.Model, "--split", "user-time", "--allow-overlap",
            "--json", run.Folder["overlap.json"]);
        Assert.True(code == 0, errors);
        var report = JsonDocument.Parse(File.ReadAllText(run.Folder["overlap.json"])).RootElement;
        Assert.False(report.GetProperty("held_out").GetBoolean());
        int overlap = report.GetProperty("overlap_lists").GetInt32();
        Assert.InRange(overlap, 1, report.GetProperty("test_lists").GetInt32());
        Assert.Contains($"{overlap:N0} of ", error);
        Assert.Contains("NOT HELD OUT", output);
        Assert.Contains($"not held out (--allow-overlap): {overlap:N0} of {report.GetProperty("test_lists").GetInt32():N0} test lists", output);
    }

    [MovieLensFact]
    public void A_test_file_holding_the_training_lists_is_refused()
    {
        int testLists = Evaluate("own-for-test-file.json").GetProperty("test_lists").GetInt32();

        string error = Refused("--test", run.Parquet);

        // The file is the whole log: every list but the model's own test lists was trained or validated on.
        Assert.Contains($"{run.Lists - testLists:N0} of {run.Lists:N0} test lists ({SharedData.MovieLens100K} with the separate test file {run.Parquet})", error);
    }

    [MovieLensFact]
    public void The_same_logs_in_another_file_are_checked_by_content()
    {
        var same = Evaluate("copy.json", "--data", run.Parquet);
        string error = Refused("--data", run.Parquet, "--split", "user-time");

        Assert.True(same.GetProperty("held_out").GetBoolean());
        Assert.StartsWith("no test list is among the training and validation lists of model 'student'", same.GetProperty("held_out_basis").GetString());
        Assert.Contains($"(user-time split of {run.Parquet}) were in the training or validation part of model 'student'", error);
    }
}
