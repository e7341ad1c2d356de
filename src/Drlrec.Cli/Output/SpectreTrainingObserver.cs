using Spectre.Console;
using Drlrec.Training;

namespace Drlrec.Cli.Output;

/// <summary>Draws a progress bar per training run and prints one line per epoch.</summary>
public sealed class SpectreTrainingObserver(ProgressContext context) : ITrainingObserver
{
    private ProgressTask? task;
    private int stepsPerEpoch;
    private string name = "";

    public void OnStart(string name, int epochs, int stepsPerEpoch)
    {
        this.name = name;
        this.stepsPerEpoch = stepsPerEpoch;
        task = context.AddTask($"{Markup.Escape(name)}: epoch 1/{epochs}", maxValue: (double)epochs * stepsPerEpoch);
    }

    public void OnStep(int epoch, int step, double loss)
    {
        if (task is null) return;
        task.Value = (epoch - 1) * stepsPerEpoch + step;
    }

    public void OnEpoch(EpochRecord r)
    {
        if (task is null) return;
        int epochs = (int)(task.MaxValue / stepsPerEpoch);
        task.Description = $"{Markup.Escape(name)}: epoch {Math.Min(r.Epoch + 1, epochs)}/{epochs}, val AUC {r.ValAuc:F4}";
        AnsiConsole.MarkupLineInterpolated(
            $"  [grey]{name} epoch {r.Epoch}: loss {r.TrainLoss:F4}  val AUC {r.ValAuc:F4}  GAUC {r.ValGauc:F4}  NDCG@10 {r.ValNdcg10:F4}  {r.ItemsPerSecond:N0} items/s{(r.Improved ? "  *" : "")}[/]");
    }

    /// <summary>Completes the bar (early stopping may end a run before its last epoch).</summary>
    public void Finish()
    {
        if (task is not null) task.Value = task.MaxValue;
    }

    /// <summary>Runs <paramref name="work"/> under a progress display.</summary>
    public static T Run<T>(Func<Func<ITrainingObserver>, T> work) => Display(ctx =>
    {
        var observers = new List<SpectreTrainingObserver>();
        var result = work(() =>
        {
            observers.LastOrDefault()?.Finish();
            var o = new SpectreTrainingObserver(ctx);
            observers.Add(o);
            return o;
        });
        observers.LastOrDefault()?.Finish();
        return result;
    });

    /// <summary>Runs <paramref name="work"/> under the progress display the training bars are drawn in (bars stay when done).</summary>
    public static T Display<T>(Func<ProgressContext, T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(),
                new RemainingTimeColumn())
            .Start(ctx => result = work(ctx));
        return result;
    }
}
