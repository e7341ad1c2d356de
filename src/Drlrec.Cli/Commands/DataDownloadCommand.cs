using System.CommandLine;
using Spectre.Console;
using Drlrec.Cli.Output;
using Drlrec.Data;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec data download movielens-100k</c>: fetches and verifies a public data set.</summary>
public static class DataDownloadCommand
{
    public const string MovieLens100K = "movielens-100k";

    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = "The data set to fetch." };
        dataset.AcceptOnlyFromAmong(MovieLens100K);
        var output = new Option<string>("--out")
        {
            Description = "Folder that receives the data set's folder (ml-100k); created when missing.",
            DefaultValueFactory = _ => "./data",
        };
        var url = new Option<string>("--url")
        {
            Description = "Where to download the zip archive from (a mirror; files are checked against known SHA-256 hashes).",
            DefaultValueFactory = _ => MovieLensDownloader.DefaultUrl.ToString(),
        };
        url.Validators.Add(result =>
        {
            string? text = result.GetValueOrDefault<string>();
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                result.AddError($"--url must be an absolute http or https address (got '{text}').");
        });

        var command = new Command("download", "Download a public data set, verify every file's SHA-256 and install it; " +
                                              "a failed or interrupted download leaves nothing behind.");
        command.Arguments.Add(dataset);
        command.Options.Add(output);
        command.Options.Add(url);
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CliErrors.Run(() =>
        {
            var source = new Uri(parseResult.GetValue(url)!);
            string target = parseResult.GetValue(output)!;
            string installed = Download(source, target, cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"MovieLens-100K verified and installed in [bold]{installed}[/]");
            return 0;
        })));
        return command;
    }

    private static string Download(Uri source, string target, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("drlrec/0.1");
        string installed = "";
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(Path.GetFileName(source.AbsolutePath)), maxValue: 1.0);
                installed = MovieLensDownloader.DownloadAsync(source, target, http, new TaskProgress(task), cancellationToken)
                    .GetAwaiter().GetResult();
                task.Value = task.MaxValue;
            });
        return installed;
    }

    /// <summary>Moves a progress bar as bytes arrive (synchronously: <see cref="Progress{T}"/> would post late updates).</summary>
    private sealed class TaskProgress(ProgressTask task) : IProgress<double>
    {
        public void Report(double value) => task.Value = value;
    }
}
