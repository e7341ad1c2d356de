using System.CommandLine;
using Drlrec.Cli.Output;
using Drlrec.Distillation;
using Drlrec.Evaluation;
using Drlrec.Model;
using Drlrec.Training;
using Spectre.Console;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec distill</c>: trains a student from a trained teacher (DRL-Rec, or a baseline or ablation of it).</summary>
public static class DistillCommand
{
    public static readonly string[] Methods = ["drl-rec", "kd", "hint", "none"];

    public static Command Create()
    {
        var teacher = new Option<string>("--teacher") { Description = "The teacher's run folder (or model.ckpt)", Required = true };
        var method = new Option<string>("--method")
        {
            Description = "drl-rec (explore/filter + confidence-guided KL and Hint + RL), kd (KL on logged items), hint (Hint only), none (student alone)",
            DefaultValueFactory = _ => "drl-rec",
        };
        method.AcceptOnlyFromAmong(Methods);
        var noExplore = Switch("--no-explore-filter", "Do not explore candidate pools (distil on logged items only)");
        var noConfidence = Switch("--no-confidence", "Weight every lesson 1 instead of by the teacher's confidence");
        var noKl = Switch("--no-kl", "Drop the list-wise KL loss");
        var noHint = Switch("--no-hint", "Drop the Hint loss");
        var k = new Option<int>("--k") { Description = "Lessons kept per model from each explored pool", DefaultValueFactory = _ => new DistillConfig().K };
        var pool = new Option<int>("--pool") { Description = "Candidates explored per state (N_c)", DefaultValueFactory = _ => new DistillConfig().Pool };
        var studentDim = new Option<int>("--student-dim") { Description = "The student's embedding size d", DefaultValueFactory = _ => QNetworkConfig.Student.EmbeddingDim };
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature T of the KL loss", DefaultValueFactory = _ => new DistillConfig().Temperature };
        var schedule = new Option<DistillSchedule>("--schedule")
        {
            Description = "frozen (teacher trained first, then fixed) or joint (teacher keeps training on each batch)",
            DefaultValueFactory = _ => DistillSchedule.Frozen,
        };
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder of the student", Required = true };
        var run = new RunOptions();
        run.Data.DefaultValueFactory = null;
        run.Data.Description = "Training data. Default: the teacher's, split as in its training";

        var command = new Command("distill", "Distil a trained teacher into a student: DRL-Rec or its baselines (kd, hint, none) and ablations.");
        foreach (var option in new Option[] { teacher, method, noExplore, noConfidence, noKl, noHint, k, pool, studentDim, temperature, schedule, output })
            command.Options.Add(option);
        run.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var loadedTeacher = ModelCheckpoint.Load(parse.GetValue(teacher)!);
            var defaults = TeacherDefaults(loadedTeacher);
            var config = run.Build(parse, defaults);
            var distill = (config.Distill ?? new DistillConfig()) with
            {
                Method = ParseMethod(parse.GetValue(method)!),
                K = parse.GetValue(k),
                Pool = parse.GetValue(pool),
                Temperature = parse.GetValue(temperature),
                Schedule = parse.GetValue(schedule),
            };
            if (parse.GetValue(noExplore)) distill = distill with { ExploreFilter = false };
            if (parse.GetValue(noConfidence)) distill = distill with { Confidence = false };
            if (parse.GetValue(noKl)) distill = distill with { Kl = false };
            if (parse.GetValue(noHint)) distill = distill with { Hint = false };
            config = config with
            {
                Role = ModelRole.Student,
                Model = (config.Model ?? QNetworkConfig.Student) with { EmbeddingDim = parse.GetValue(studentDim) },
                Distill = distill,
                Teacher = loadedTeacher.Path,
            };

            var data = AnsiConsole.Status().Start("loading data", _ => DataLoader.Prepare(config, loadedTeacher.Vocabulary));
            var catalog = DataLoader.Catalog(config.Data, data.TrainLists);
            var folder = new RunFolder(parse.GetValue(output)!.FullName);
            string name = Name(distill.Resolve(), parse.GetValue(method)!);
            var result = SpectreTrainingObserver.Run(observer =>
                Distiller.Run(config, data, loadedTeacher, catalog, folder, observer(), name));
            TrainCommand.Report(result, folder);
            var teacherTest = QScorer.Evaluate(loadedTeacher.Online, data.Test);
            AnsiConsole.MarkupLineInterpolated(
                $"teacher on the same test split: AUC {teacherTest.Auc:F4}, GAUC {teacherTest.Gauc:F4}, NDCG@10 {teacherTest.Ndcg10:F4}; student/teacher parameters {(double)result.Parameters / loadedTeacher.Online.ParameterCount:P1}");
            return 0;
        }));
        return command;
    }

    /// <summary>The teacher's own run settings (data, split, optimiser, epochs), as the student's starting point.</summary>
    public static RunConfig TeacherDefaults(LoadedModel teacher) =>
        teacher.Header.RunConfig is { } run
            ? System.Text.Json.JsonSerializer.Deserialize<RunConfig>(run, Configuration.Json.Lenient)! with { Model = null, Role = ModelRole.Student }
            : new RunConfig { Role = ModelRole.Student };

    public static DistillMethod ParseMethod(string method) => method switch
    {
        "drl-rec" => DistillMethod.DrlRec,
        "kd" => DistillMethod.Kd,
        "hint" => DistillMethod.Hint,
        "none" => DistillMethod.None,
        _ => throw new ArgumentException($"--method: '{method}' is not one of {string.Join(", ", Methods)}"),
    };

    /// <summary>"student-drl-rec", with the parts switched off appended (e.g. "student-drl-rec-no-kl").</summary>
    public static string Name(DistillConfig resolved, string method)
    {
        string name = $"student-{method}";
        if (resolved.Method != DistillMethod.DrlRec) return name;
        if (!resolved.ExploreFilter) name += "-no-explore";
        if (!resolved.Confidence) name += "-no-confidence";
        if (!resolved.Kl) name += "-no-kl";
        if (!resolved.Hint) name += "-no-hint";
        return name;
    }

    private static Option<bool> Switch(string name, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => false };
}
