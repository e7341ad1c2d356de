using System.Collections.Concurrent;
using System.Diagnostics;

namespace Drlrec.Cli.Tests.Support;

/// <summary>
/// The built CLI (drlrec.dll beside the tests) in a process of its own, for what an in-process run cannot show: a kill -9,
/// or what a command writes to its real stdout. Output lines are collected as they come.
/// </summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();

    private CliProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Starts <c>dotnet drlrec.dll ARGS</c> with one OpenMP thread.</summary>
    public static CliProcess Start(params string[] args) => StartUnder([], args);

    /// <summary>Starts <c>LAUNCHER... dotnet drlrec.dll ARGS</c> (e.g. <c>mpiexec -n 2</c>) with one OpenMP thread.</summary>
    public static CliProcess StartUnder(string[] launcher, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(launcher.Length > 0 ? launcher[0] : dotnet)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string arg in launcher.Skip(1)) start.ArgumentList.Add(arg);
        if (launcher.Length > 0) start.ArgumentList.Add(dotnet);
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "drlrec.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["OMP_NUM_THREADS"] = "1";
        return new CliProcess(Process.Start(start)!);
    }

    /// <summary>Runs <c>dotnet drlrec.dll ARGS</c> to its end (at most 5 minutes) with stdout and stderr redirected to
    /// pipes, as a script or CI would run it, and returns what each received.</summary>
    public static async Task<CliResult> RunToEndAsync(params string[] args)
    {
        var result = await RunToEndAsync(TimeSpan.FromMinutes(5), args);
        return result.Code != StillRunning ? result : throw new TimeoutException($"drlrec {string.Join(' ', args)} ran for 5 minutes");
    }

    /// <summary>The exit code <see cref="RunToEndAsync(TimeSpan, string[])"/> reports for a process it had to kill.</summary>
    public const int StillRunning = -1;

    /// <summary>As <see cref="RunToEndAsync(string[])"/>, but a process still running after <paramref name="timeout"/> (e.g.
    /// a server that started when it should have refused to) is killed and reported with exit code
    /// <see cref="StillRunning"/>, so that a test fails instead of waiting for it.</summary>
    public static async Task<CliResult> RunToEndAsync(TimeSpan timeout, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "drlrec.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(timeout));
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new CliResult(StillRunning, await output, await errors);
        }
        return new CliResult(process.ExitCode, await output, await errors);
    }

    public bool HasExited => process.HasExited;
    public IReadOnlyList<string> Lines => lines.ToArray();

    /// <summary>SIGKILL: no handler of the process runs.</summary>
    public void Kill() => process.Kill(entireProcessTree: true);

    public Task WaitForExitAsync() => process.WaitForExitAsync();

    /// <summary>SIGKILL once <paramref name="file"/> exists (e.g. the first epoch's resume.ckpt), or once
    /// <paramref name="timeout"/> has passed; waits for the exit.</summary>
    public async Task KillOnceExists(string file, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(file) && !process.HasExited && clock.Elapsed < timeout) await Task.Delay(20);
        Kill(); // SIGKILL: no handler runs
        await process.WaitForExitAsync();
    }

    /// <summary>True when the process exits within <paramref name="timeout"/>; otherwise it is killed and false is returned.</summary>
    public async Task<bool> EndsWithin(TimeSpan timeout)
    {
        await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(timeout));
        if (process.HasExited) return true;
        Kill();
        return false;
    }

    /// <summary>Waits (at most 5 minutes) for the exit and fails the test, with the output, unless the code is 0.</summary>
    public async Task<int> WaitAsync()
    {
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        if (process.ExitCode != 0) Assert.Fail($"exit {process.ExitCode}\n{string.Join('\n', Lines)}");
        return process.ExitCode;
    }

    /// <summary>The first output line that matches, waiting for it up to <paramref name="timeout"/>.</summary>
    public async Task<string> LineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (lines.FirstOrDefault(match) is { } line) return line;
            if (process.HasExited) break;
            await Task.Delay(50);
        }
        if (lines.FirstOrDefault(match) is { } last) return last;
        Assert.Fail($"no matching output line within {timeout.TotalSeconds:0} s:\n{string.Join('\n', Lines)}");
        return "";
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.Dispose();
    }
}
