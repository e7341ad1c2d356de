using System.CommandLine;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Distributed;
using Drlrec.Workflows;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec train</c>: trains a teacher, or a student alone, with Double DQN.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var role = new Option<ModelRole>("--role")
        {
            Description = "teacher (d = 16) or student (d = 8, trained alone; use 'distill' to train it from a teacher)",
            DefaultValueFactory = _ => ModelRole.Teacher,
        };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Run folder: config.json, metrics.jsonl, model.ckpt, training-curves.png, result.json (resume.ckpt while it runs)",
        };
        var resume = new ResumeOption();
        var run = new RunOptions();
        var sizes = new ModelSizeOptions("", withEmbeddingDim: true);
        var command = new Command("train", "Train a Q-network with Double DQN on logged lists (early stopping on a validation split).");
        command.Options.Add(role);
        command.Options.Add(output);
        command.Options.Add(resume.Option);
        run.AddTo(command);
        run.AddDistributedTo(command);
        run.AddStreamingTo(command);
        sizes.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string? resumed = resume.Folder(parse, command);
            var config = resumed is null ? run.Build(parse, new RunConfig(), role, typed: config => sizes.Apply(parse, config)) : ResumeOption.ConfigOf(resumed);
            string folder = resumed ?? ResumeOption.Output(parse, output);
            using var quiet = RankConsole.OnlyRootPrints(DataParallel.Open(config.Trainer.Distributed));
            var data = Busy.While($"loading {config.Data.Source}", () => DataLoader.PrepareForTraining(config));
            Report.Data(data);
            var result = SpectreTrainingObserver.Run(observer => TrainWorkflow.Run(config, data, folder, observer(), resume: resumed is not null));
            Report.Training(result, folder);
            return 0;
        }));
        return command;
    }
}
