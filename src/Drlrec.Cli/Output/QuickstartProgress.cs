using Spectre.Console;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Cli.Output;

/// <summary>A quickstart's progress in one display: a bar per training run with its epoch lines, then a bar per
/// measured part (timing, simulated requests).</summary>
public sealed class QuickstartProgress(ProgressContext context) : IQuickstartObserver
{
    private SpectreTrainingObserver? training;

    public ITrainingObserver? OnRun(string name)
    {
        training?.Finish();
        training = new SpectreTrainingObserver(context);
        return training;
    }

    public Action<int>? OnStage(string name, int units)
    {
        // Early stopping may have ended the last run before its bar was full.
        training?.Finish();
        var task = context.AddTask(Markup.Escape(name), maxValue: units);
        return n => task.Increment(n);
    }

    /// <summary>Runs <paramref name="work"/> under a progress display.</summary>
    public static T Run<T>(Func<IQuickstartObserver, T> work) => SpectreTrainingObserver.Display(ctx =>
    {
        var progress = new QuickstartProgress(ctx);
        var result = work(progress);
        progress.training?.Finish();
        return result;
    });
}
