using System.CommandLine;
using Drlrec.Cli.Options;
using Drlrec.Configuration;
using Drlrec.Testing;
using Drlrec.Training;

namespace Drlrec.Cli.Tests.Options;

/// <summary>The one layering rule: the command's defaults, then <c>--config</c>, then the options typed on the command line.</summary>
public sealed class RunOptionsTests : IDisposable
{
    private readonly TemporaryFolder folder = new();
    private readonly RunOptions run = new();
    private readonly Option<ModelRole> role = new("--role") { DefaultValueFactory = _ => ModelRole.Teacher };
    private static readonly RunConfig Defaults = new() { Trainer = new TrainerConfig { Epochs = 6, BatchSize = 32 } };

    public void Dispose() => folder.Dispose();

    private RunConfig Build(params string[] args)
    {
        var command = new RootCommand();
        run.AddTo(command);
        command.Options.Add(role);
        var parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        return run.Build(parse, Defaults, role);
    }

    [Fact]
    public void Without_a_file_or_typed_options_the_defaults_stand_resolved_for_the_role()
    {
        var config = Build();
        Assert.Equal(Defaults.Trainer, config.Trainer);
        Assert.Equal(QNetworkConfig.Teacher, config.Model);
        Assert.Equal(RunConfig.DefaultSeed, config.Seed);
    }

    [Fact]
    public void A_file_changes_only_the_keys_it_has_and_objects_merge_key_by_key()
    {
        string file = folder.Write("c.json", """{ "trainer": { "batch_size": 8 }, "data": { "synthetic": { "users": 300 } }, "seed": 5 }""");
        var config = Build("--config", file);
        Assert.Equal((6, 8), (config.Trainer.Epochs, config.Trainer.BatchSize));
        Assert.Equal((300, new Simulation.SyntheticConfig().Items), (config.Data.Synthetic.Users, config.Data.Synthetic.Items));
        Assert.Equal(5, config.Seed);
    }

    [Fact]
    public void Typed_options_override_the_file_and_untyped_defaults_never_do()
    {
        string file = folder.Write("c.json", """{ "trainer": { "epochs": 3, "threads": 2 }, "seed": 5, "data": { "source": "x.parquet" } }""");
        var untyped = Build("--config", file);
        Assert.Equal((3, 2, 5, "x.parquet"), (untyped.Trainer.Epochs, untyped.Trainer.Threads, untyped.Seed, untyped.Data.Source));
        var typed = Build("--config", file, "--epochs", "9", "--seed", "42", "--threads", "0", "--data", "synthetic");
        Assert.Equal((9, 0, 42, "synthetic"), (typed.Trainer.Epochs, typed.Trainer.Threads, typed.Seed, typed.Data.Source));
    }

    [Fact]
    public void The_role_is_settled_first_so_a_partial_model_section_keeps_the_roles_embedding_size()
    {
        string file = folder.Write("c.json", """{ "role": "student", "model": { "dropout": 0.2 } }""");
        var fromFile = Build("--config", file);
        Assert.Equal((ModelRole.Student, 8, 0.2), (fromFile.Role, fromFile.Model!.EmbeddingDim, fromFile.Model.Dropout));
        var typed = Build("--config", folder.Write("t.json", """{ "model": { "dropout": 0.2 } }"""), "--role", "student");
        Assert.Equal((ModelRole.Student, 8, 0.2), (typed.Role, typed.Model!.EmbeddingDim, typed.Model.Dropout));
    }

    /// <summary><c>--config &lt;(echo '{...}')</c>: the shell passes a pipe, which can be read only once.</summary>
    [Fact]
    public async Task A_config_given_as_a_pipe_is_read_once()
    {
        string pipe = folder["config.pipe"];
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [pipe])) await mkfifo.WaitForExitAsync();
        var writer = Task.Run(() => File.WriteAllText(pipe, """{ "trainer": { "batch_size": 8 } }"""));
        var config = await Task.Run(() => Build("--config", pipe)).WaitAsync(TimeSpan.FromSeconds(20));
        await writer.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(8, config.Trainer.BatchSize);
    }

    [Fact]
    public void A_typo_in_the_file_fails_with_the_file_and_the_json_path()
    {
        string file = folder.Write("typo.json", """{ "trainer": { "epoch": 3 } }""");
        var e = Assert.Throws<InvalidDataException>(() => Build("--config", file));
        Assert.Contains("typo.json", e.Message);
        Assert.Contains("epoch", e.Message);
    }
}
