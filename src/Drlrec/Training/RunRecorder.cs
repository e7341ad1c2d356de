using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Distributed;
using Drlrec.Evaluation;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Reporting;

namespace Drlrec.Training;

/// <summary>
/// The files of one training run, as <see cref="ITrainingHooks"/>: <c>config.json</c> (the resolved config, written
/// when the recorder is made), a line of <c>metrics.jsonl</c> per epoch, <c>model.ckpt</c> holding the best epoch's
/// online and target networks (rewritten atomically at each improvement, so a killed run keeps the last good one),
/// <c>resume.ckpt</c> after every epoch (<see cref="ResumeCheckpoint"/>; removed when the run finishes),
/// <c>training-curves.png</c> at the end, TensorBoard event files (<see cref="TensorBoardLog"/>, unless
/// <c>trainer.tensorboard</c> is off), and <c>result.json</c> from <see cref="Finish"/>. Temp files a killed writer
/// left in the folder are removed when a run starts or resumes there. In a data-parallel run only rank 0 records: on the
/// other ranks every hook does nothing and no file is touched (their weights are rank 0's).
/// </summary>
public sealed class RunRecorder : ITrainingHooks
{
    /// <summary>The run's PNG of train loss and validation AUC per epoch.</summary>
    public const string CurvesFile = "training-curves.png";

    private readonly RunFolder run;
    private readonly RunConfig config;
    private readonly ITrainingData data;
    private readonly string name;
    private readonly QNetwork online;
    private readonly QNetwork target;
    private readonly IResumableLearner learner;
    private readonly TensorBoardLog? tensorboard;
    private readonly Func<IEnumerable<(string Tag, double Value)>>? stepTerms;
    private readonly bool records;

    /// <param name="learner">Whose state <c>resume.ckpt</c> holds.</param>
    /// <param name="resumed">The progress of the run being resumed in <paramref name="run"/>; null for a new run.</param>
    /// <param name="stepTerms">Named loss terms of the last step, for TensorBoard (distillation's RL, KL and Hint).</param>
    /// <param name="world">The processes training together: only rank 0 writes. Default one process.</param>
    public RunRecorder(RunFolder run, RunConfig config, ITrainingData data, string name, QNetwork online, QNetwork target,
        IResumableLearner learner, FitProgress? resumed = null, Func<IEnumerable<(string Tag, double Value)>>? stepTerms = null,
        DataParallel? world = null)
    {
        records = (world ?? DataParallel.Single).IsRoot;
        this.run = run;
        this.config = config;
        this.data = data;
        this.name = name;
        this.online = online;
        this.target = target;
        this.learner = learner;
        this.stepTerms = stepTerms;
        if (!records) return;
        run.RemoveStaleTempFiles();
        if (config.Trainer.Tensorboard) tensorboard = new TensorBoardLog(run.Path);
        if (resumed is null) run.WriteJson("config.json", config);
        else run.RestoreMetrics(resumed.Epochs);
    }

    public void OnStep(long step, double loss) => tensorboard?.Step(step, loss, stepTerms?.Invoke());

    public void OnEpoch(EpochRecord record, FitProgress progress)
    {
        if (!records) return;
        run.AppendMetrics(record);
        tensorboard?.Epoch(record);
        ResumeCheckpoint.Save(ResumeCheckpoint.In(run.Path), progress, learner);
    }

    public void OnImproved(EpochRecord record, OfflineMetrics validation)
    {
        if (records)
            ModelCheckpoint.Save(run.Checkpoint,
                CheckpointHeader.Of(config, data.Schema, data.Vocabulary, name, online, record.Epoch, validation.Auc), online, target);
    }

    public void OnFitEnd(IReadOnlyList<EpochRecord> records)
    {
        if (!this.records) return;
        double[] epochs = records.Select(r => (double)r.Epoch).ToArray();
        Plots.Lines(run.File(CurvesFile), $"{name}: training curves", "epoch", "train loss",
        [
            new Series("train loss", epochs, records.Select(r => r.TrainLoss).ToArray()),
            new Series("validation AUC", epochs, records.Select(r => r.ValAuc).ToArray(), RightAxis: true),
        ], rightLabel: "validation AUC");
    }

    /// <summary>Evaluates the best checkpoint on the test lists and writes <c>result.json</c>. On the ranks that do not
    /// record (they have no checkpoint of their own) the result carries no test metrics (NaN) and names no checkpoint.</summary>
    public TrainResult Finish(FitResult fit)
    {
        if (!records)
            return new TrainResult(name, fit.BestEpoch, fit.BestValidation, new OfflineMetrics(double.NaN, double.NaN, double.NaN, double.NaN, 0, 0),
                online.ParameterCount, online.ParameterCounts(), fit.ItemsPerSecond, "", fit.Epochs);
        using var best = ModelCheckpoint.Load(run.Checkpoint);
        var test = QScorer.Evaluate(best.Online, data.Test, config.Trainer.EvalBatchSize);
        var result = new TrainResult(name, fit.BestEpoch, fit.BestValidation, test, best.Online.ParameterCount,
            best.Online.ParameterCounts(), fit.ItemsPerSecond, run.Checkpoint, fit.Epochs);
        run.WriteJson("result.json", new
        {
            result.Name, result.BestEpoch, result.Validation, result.Test, result.Parameters,
            ParameterParts = result.ParameterParts.ToDictionary(p => p.Part, p => p.Parameters),
            result.ItemsPerSecond,
        });
        File.Delete(ResumeCheckpoint.In(run.Path));
        return result;
    }
}
