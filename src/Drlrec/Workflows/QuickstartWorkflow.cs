using System.Diagnostics;
using Drlrec.Benchmarking;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Evaluation;
using Drlrec.Onnx;
using Drlrec.Simulation;
using Drlrec.Training;

namespace Drlrec.Workflows;

/// <summary>What <c>drlrec quickstart</c> measures after training: how long the models are timed and how many
/// simulated requests they re-rank.</summary>
public sealed record QuickstartSettings
{
    /// <summary>Timed repetitions per model of the side-by-side latency benchmark (each a list, a 1000-candidate pool
    /// and a slate request). Default 30: a few seconds, where <c>drlrec bench</c> takes 200.</summary>
    public int LatencyRepeats { get; init; } = 30;

    /// <summary>Simulated requests of the online evaluation (simulator data only). Default 300, as
    /// <c>experiments/main-simulator.json</c>.</summary>
    public int OnlineRequests { get; init; } = 300;

    /// <summary>The models re-rank the upstream ranker's top N of each simulated request. Default 25, as
    /// <c>experiments/main-simulator.json</c> (a re-ranking stage receives the head of the ranking stage's list).</summary>
    public int OnlineCandidates { get; init; } = 25;

    public void Validate()
    {
        if (LatencyRepeats < 1) throw new ArgumentException("--latency-repeats: must be at least 1");
        if (OnlineRequests < 1) throw new ArgumentException("--online-requests: must be at least 1");
    }
}

/// <summary>Where a quickstart's files are (absolute paths).</summary>
/// <param name="Onnx">The student's step graph; the other ONNX files are those its export wrote beside it.</param>
/// <param name="OnnxEncode">The encode graph of the serving split (null for a model that encodes per slot).</param>
/// <param name="OnnxCached">The cached step graph of the serving split (null likewise).</param>
/// <param name="OnnxSlate">The slate graph, a whole greedy slate in one call (null likewise).</param>
public sealed record QuickstartFiles(
    string Folder, string Report, string Teacher, string Student, string StudentAlone, IReadOnlyList<string> Plots, string Onnx,
    string OnnxList, string? OnnxVocabulary, string? OnnxEncode, string? OnnxCached, string? OnnxSlate);

/// <summary>Wall-clock seconds of each part of a quickstart.</summary>
public sealed record QuickstartSeconds(double Teacher, double Student, double StudentAlone, double Latency, double Online, double Total);

/// <summary>What <c>drlrec quickstart</c> writes as <c>report.json</c>.</summary>
/// <param name="Offline">The three models and the baselines on the test lists.</param>
/// <param name="Latency">Size and latency side by side, ratios to the teacher.</param>
/// <param name="Online">Expected clicks per list on the simulator; null when the data are not the simulator's.</param>
/// <param name="OnlineSkipped">Why there is no online evaluation, when there is none.</param>
public sealed record QuickstartReport(
    EvaluationReport Offline, LatencyReport Latency, OnlineReport? Online, string? OnlineSkipped, QuickstartFiles Files,
    QuickstartSeconds Seconds);

/// <summary>What <c>drlrec quickstart</c> trained and measured.</summary>
/// <param name="Student">The student distilled from <paramref name="Teacher"/> (DRL-Rec unless the config says otherwise).</param>
/// <param name="StudentAlone">The same network trained without a teacher: the control.</param>
public sealed record QuickstartResult(TrainResult Teacher, TrainResult Student, TrainResult StudentAlone, QuickstartReport Report);

/// <summary>Progress of a quickstart (the CLI draws it).</summary>
public interface IQuickstartObserver
{
    /// <summary>A training run starts; returns the observer of its epochs.</summary>
    ITrainingObserver? OnRun(string name);

    /// <summary>A measured part starts (timing, simulated requests) with <paramref name="units"/> units of work; returns
    /// what is called with each finished unit.</summary>
    Action<int>? OnStage(string name, int units);
}

/// <summary>
/// <c>drlrec quickstart</c> as a library call, the whole job on one data set: a teacher, a student distilled from it,
/// the same student trained alone (the control), the three and the baselines on the test lists, their size and latency
/// side by side, their expected clicks on the simulator beside the upstream and logging policies, and the distilled
/// student exported to ONNX.
/// </summary>
public static class QuickstartWorkflow
{
    public const string TeacherFolder = "teacher", StudentFolder = "student", StudentAloneFolder = "student-alone";

    /// <summary>The student's ONNX step graph in the quickstart folder (the list graph and vocabulary beside it).</summary>
    public const string OnnxFile = "student.onnx";

    public const string TeacherName = "teacher", StudentAloneName = "student-alone";

    /// <summary>
    /// Quickstart's own defaults, sized so that the three runs finish in a few minutes on 2 cores: a smaller simulated
    /// log (1,000 users, 5,000 items, 6,000 lists) and at most 4 epochs per run (a run's cost is its epochs; the teacher
    /// and the student alone peak at epoch 2 or 3). Distillation is DRL-Rec with the method's own defaults.
    /// </summary>
    public static RunConfig Defaults { get; } = new()
    {
        Data = new DataConfig { Synthetic = new SyntheticConfig { Users = 1000, Items = 5000, Lists = 6000 } },
        Trainer = new TrainerConfig { Epochs = 4 },
        Distill = new DistillConfig(),
    };

    /// <summary>
    /// Runs the whole job under <paramref name="folder"/>: <c>teacher/</c>, <c>student/</c> (distilled from the teacher
    /// with <paramref name="config"/>'s <see cref="RunConfig.Distill"/>), <c>student-alone/</c>, then times the three
    /// side by side, evaluates them online when <paramref name="data"/> is the simulator's, exports the student to
    /// <c>student.onnx</c> and writes <c>report.json</c>.
    /// </summary>
    public static QuickstartResult Run(RunConfig config, PreparedData data, string folder, QuickstartSettings? settings = null,
        IQuickstartObserver? observer = null)
    {
        settings ??= new QuickstartSettings();
        settings.Validate();
        folder = Path.GetFullPath(folder);
        var catalog = DataLoader.Catalog(config.Data, data.TrainLists);
        var simulator = catalog as SyntheticSimulator;
        // Refused before anything trains, as an experiment's online_candidates is.
        if (simulator is not null)
            OnlineEvaluation.CheckWindow(settings.OnlineCandidates, config.Data.MaxListLength, simulator.Config.CandidatesPerRequest, "--online-candidates");
        var total = Stopwatch.StartNew();
        var clock = Stopwatch.StartNew();
        double Lap()
        {
            double seconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            return seconds;
        }

        // The teacher and the control train without distillation settings, so their config.json says what they are.
        var plain = config with { Distill = null, Teacher = null };
        var teacher = TrainWorkflow.Run(plain with { Role = ModelRole.Teacher }, data, Path.Combine(folder, TeacherFolder),
            observer?.OnRun(TeacherName), TeacherName);
        double teacherSeconds = Lap();
        var distill = config.Distill ?? new DistillConfig();
        string studentName = distill.Resolve().StudentName();
        TrainResult student;
        // The data were encoded with the vocabulary the teacher was trained with, so the student reads the same rows.
        using (var loadedTeacher = ModelCheckpoint.Load(teacher.Checkpoint))
            student = DistillWorkflow.Run(plain.AsStudent() with { Distill = distill, Teacher = loadedTeacher.Path }, loadedTeacher, data,
                Path.Combine(folder, StudentFolder), observer?.OnRun(studentName), studentName, catalog).Student;
        double studentSeconds = Lap();
        var alone = TrainWorkflow.Run(plain.AsStudent(), data, Path.Combine(folder, StudentAloneFolder), observer?.OnRun(StudentAloneName),
            StudentAloneName);
        double aloneSeconds = Lap();

        TrainResult[] trained = [teacher, student, alone];
        var offline = new EvaluationReport(
            trained.Select(r => ModelScores.From(r.Name, r.Test, r.Parameters)).ToList(),
            OfflineEvaluation.EvaluateBaselines(data, config.Seed, simulator), data.TrainLists.Source, data.Test.Count, data.Test.ValidItems,
            Split: config.Data.Split);

        LatencyReport latency;
        OnnxExport onnx;
        var models = trained.Select(r => ModelCheckpoint.Load(r.Checkpoint)).ToList();
        try
        {
            // Warm-up as an experiment's timing does: a tenth of the repetitions, at least 5.
            var timing = new LatencySettings { Repeats = settings.LatencyRepeats, WarmupRepeats = Math.Max(5, settings.LatencyRepeats / 10), Seed = config.Seed };
            latency = ModelLatencyBenchmark.Measure(models, data.TestLists, catalog, timing, config.Data.MaxListLength, config.Data.Source,
                observer?.OnStage("timing the three side by side", settings.LatencyRepeats));
            onnx = OnnxExporter.Export(models[1], Path.Combine(folder, OnnxFile));
        }
        finally
        {
            foreach (var model in models) model.Dispose();
        }
        double latencySeconds = Lap();

        OnlineReport? online = null;
        string? skipped = null;
        if (simulator is not null)
            online = OnlineWorkflow.Run(new OnlineSettings
            {
                Models = trained.Select(r => r.Checkpoint).ToList(), Requests = settings.OnlineRequests, Seed = config.Seed,
                Candidates = settings.OnlineCandidates,
            }, observer?.OnStage("simulated requests", settings.OnlineRequests));
        else
            skipped = $"online clicks need the simulator's click model to answer a re-ranked list; {data.TrainLists.Source} holds only the " +
                      "clicks of the lists that were shown (run quickstart without --data for the simulator)";
        double onlineSeconds = Lap();

        var files = new QuickstartFiles(folder, Path.Combine(folder, "report.json"), Path.Combine(folder, TeacherFolder),
            Path.Combine(folder, StudentFolder), Path.Combine(folder, StudentAloneFolder),
            trained.Select(r => Path.Combine(Path.GetDirectoryName(r.Checkpoint)!, RunRecorder.CurvesFile)).ToList(),
            onnx.Path, onnx.ListPath, onnx.VocabularyPath, onnx.EncodePath, onnx.CachedStepPath, onnx.SlatePath);
        var report = new QuickstartReport(offline, latency, online, skipped, files,
            new QuickstartSeconds(teacherSeconds, studentSeconds, aloneSeconds, latencySeconds, onlineSeconds, total.Elapsed.TotalSeconds));
        new RunFolder(folder).WriteJson("report.json", report);
        return new QuickstartResult(teacher, student, alone, report);
    }
}
