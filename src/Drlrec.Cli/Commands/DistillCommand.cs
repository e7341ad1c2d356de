using System.CommandLine;
using Spectre.Console;
using Drlrec.Checkpoints;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Distillation;
using Drlrec.Distributed;
using Drlrec.Workflows;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec distill</c>: trains a student from a trained teacher (DRL-Rec, or a baseline or ablation of it).</summary>
public static class DistillCommand
{
    public static Command Create()
    {
        var defaults = new DistillConfig();
        var teacher = new Option<string>("--teacher") { Description = "The teacher's run folder (or model.ckpt); required unless --resume" };
        var method = new Option<string>("--method")
        {
            Description = "drl-rec (explore/filter + confidence-guided KL and Hint + RL), kd (KL on logged items), hint (Hint only), none (student alone)",
            DefaultValueFactory = _ => DistillMethods.Name(defaults.Method),
        };
        method.AcceptOnlyFromAmong([.. DistillMethods.Names]);
        var noExplore = Switch("--no-explore-filter", "Do not explore candidate pools (distil on logged items only)");
        var noConfidence = Switch("--no-confidence", "Weight every lesson 1 instead of by the teacher's confidence");
        var noKl = Switch("--no-kl", "Drop the list-wise KL loss");
        var noHint = Switch("--no-hint", "Drop the Hint loss");
        var k = new Option<int>("--k") { Description = "Lessons kept per model from each explored pool", DefaultValueFactory = _ => defaults.K };
        var pool = new Option<int>("--pool") { Description = "Catalog candidates explored per state (N_c; --explore-from catalog)", DefaultValueFactory = _ => defaults.Pool };
        var exploreFrom = new Option<string>("--explore-from")
        {
            Description = "Where each explored state's pool comes from: candidates (the request's own candidates not yet placed, with their " +
                          "fields as logged; needs logs with unshown candidates), catalog (N_c catalog items from the retriever, the paper's), " +
                          "auto (candidates when the training lists carry them, else catalog; the run's config.json records which)",
            DefaultValueFactory = _ => defaults.ExploreFrom.ToString().ToLowerInvariant(),
        };
        exploreFrom.AcceptOnlyFromAmong("auto", "catalog", "candidates");
        var studentDim = new Option<int>("--student-dim") { Description = "The student's embedding size d", DefaultValueFactory = _ => QNetworkConfig.Student.EmbeddingDim };
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature T of the KL loss", DefaultValueFactory = _ => defaults.Temperature };
        var schedule = new Option<DistillSchedule>("--schedule")
        {
            Description = "frozen (teacher trained first, then fixed) or joint (teacher keeps training on each batch)",
            DefaultValueFactory = _ => defaults.Schedule,
        };
        var sizes = new ModelSizeOptions("student-", withEmbeddingDim: false);
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder of the student (resume.ckpt while it runs)" };
        var resume = new ResumeOption();
        var run = new RunOptions();
        run.Data.DefaultValueFactory = null;
        run.Data.Description = "Training data. Default: the teacher's, split as in its training";
        run.Seed.Description = "Seed of weights, shuffling, dropout and exploration. Default: the teacher's seed";

        var command = new Command("distill", "Distil a trained teacher into a student: DRL-Rec or its baselines (kd, hint, none) and ablations. " +
                                             "Settings default to the teacher's run (data, split, optimiser, epochs, seed); --config and options override them.");
        foreach (var option in new Option[] { teacher, method, noExplore, noConfidence, noKl, noHint, k, pool, exploreFrom, studentDim, temperature, schedule, output, resume.Option })
            command.Options.Add(option);
        run.AddTo(command);
        run.AddDistributedTo(command);
        run.AddStreamingTo(command);
        sizes.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string? resumed = resume.Folder(parse, command);
            var resumedConfig = resumed is null ? null : ResumeOption.ConfigOf(resumed);
            string teacherPath = resumedConfig is null
                ? parse.GetValue(teacher) ?? throw new ArgumentException("--teacher is required (or --resume DIR to continue a killed run)")
                : resumedConfig.Teacher ?? throw new InvalidDataException($"{resumed}: config.json names no teacher, so it is not a distillation run");
            using var loaded = ModelCheckpoint.Load(teacherPath);
            var config = resumedConfig ?? run.Build(parse, DistillWorkflow.Defaults(loaded), typed: config =>
            {
                bool Given(Option option) => RunOptions.Given(parse, option);
                var distill = config.Distill ?? new DistillConfig();
                if (Given(method)) distill = distill with { Method = DistillMethods.Parse(parse.GetValue(method)!) };
                if (Given(k)) distill = distill with { K = parse.GetValue(k) };
                if (Given(pool)) distill = distill with { Pool = parse.GetValue(pool) };
                if (Given(exploreFrom)) distill = distill with { ExploreFrom = Enum.Parse<ExplorePool>(parse.GetValue(exploreFrom)!, ignoreCase: true) };
                if (Given(temperature)) distill = distill with { Temperature = parse.GetValue(temperature) };
                if (Given(schedule)) distill = distill with { Schedule = parse.GetValue(schedule) };
                if (parse.GetValue(noExplore)) distill = distill with { ExploreFilter = false };
                if (parse.GetValue(noConfidence)) distill = distill with { Confidence = false };
                if (parse.GetValue(noKl)) distill = distill with { Kl = false };
                if (parse.GetValue(noHint)) distill = distill with { Hint = false };
                if (Given(studentDim)) config = config.AsStudent(parse.GetValue(studentDim));
                return sizes.Apply(parse, config) with { Role = ModelRole.Student, Distill = distill, Teacher = loaded.Path };
            });

            string folder = resumed ?? ResumeOption.Output(parse, output);
            using var quiet = RankConsole.OnlyRootPrints(DataParallel.Open(config.Trainer.Distributed));
            var data = Busy.While($"loading {config.Data.Source}", () => DistillWorkflow.PrepareData(config, loaded));
            Report.Data(data);
            var outcome = SpectreTrainingObserver.Run(observer =>
                DistillWorkflow.Run(config, loaded, data, folder, observer(), resume: resumed is not null));
            Report.Training(outcome.Student, folder);
            var t = outcome.TeacherTest;
            AnsiConsole.MarkupLineInterpolated(
                $"teacher on the same test split: AUC {t.Auc:F4}, GAUC {t.Gauc:F4}, NDCG@10 {t.Ndcg10:F4}; student/teacher parameters {outcome.ParameterRatio:P1}");
            return 0;
        }));
        return command;
    }

    private static Option<bool> Switch(string name, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => false };
}
