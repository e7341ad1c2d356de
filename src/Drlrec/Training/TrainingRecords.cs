using Drlrec.Evaluation;

namespace Drlrec.Training;

/// <summary>One epoch's line in <c>metrics.jsonl</c>. <paramref name="AllreduceMsPerStep"/>: milliseconds per training step
/// spent in collectives (gradients and batch counts summed over ranks, waiting for the slowest included); 0 on one process.</summary>
public sealed record EpochRecord(
    int Epoch, long Steps, double TrainLoss, double ValAuc, double ValGauc, double ValNdcg10,
    double ItemsPerSecond, double Seconds, bool Improved, double AllreduceMsPerStep = 0);

/// <summary>What <c>Trainer.Fit</c> found: the best epoch by validation AUC and every epoch's record.</summary>
public sealed record FitResult(int BestEpoch, OfflineMetrics BestValidation, IReadOnlyList<EpochRecord> Epochs)
{
    /// <summary>Training speed over the whole fit, in list items per second.</summary>
    public double ItemsPerSecond => Epochs.Sum(r => r.ItemsPerSecond * r.Seconds) / Epochs.Sum(r => r.Seconds);
}

/// <summary>What a training run produced: the best epoch's model, evaluated on validation and test lists.</summary>
public sealed record TrainResult(
    string Name, int BestEpoch, OfflineMetrics Validation, OfflineMetrics Test, long Parameters,
    IReadOnlyList<(string Part, long Parameters)> ParameterParts, double ItemsPerSecond, string Checkpoint,
    IReadOnlyList<EpochRecord> Epochs);

/// <summary>Receives progress from a trainer (the CLI draws progress bars from it).</summary>
public interface ITrainingObserver
{
    void OnStart(string name, int epochs, int stepsPerEpoch);
    void OnStep(int epoch, int step, double loss);
    void OnEpoch(EpochRecord record);
}

/// <summary>
/// What a fit does with what it learns, apart from learning it (tianshou's save/log callbacks): record each epoch,
/// keep the best weights, draw the curves. <see cref="RunRecorder"/> writes them to a run folder.
/// </summary>
public interface ITrainingHooks
{
    /// <summary>After each update, with the count of updates so far and the step's loss.</summary>
    void OnStep(long step, double loss);

    /// <summary>After each epoch's validation (and <see cref="OnImproved"/>), with the fit's progress so far.</summary>
    void OnEpoch(EpochRecord record, FitProgress progress);

    /// <summary>After an epoch that improved the validation AUC: its weights are the best so far.</summary>
    void OnImproved(EpochRecord record, OfflineMetrics validation);

    /// <summary>Once, when the fit stops (last epoch or early stop).</summary>
    void OnFitEnd(IReadOnlyList<EpochRecord> records);
}
