using System.Diagnostics;

namespace Drlrec.Tests.Support;

/// <summary>
/// The ONNX project's own model checker (<c>onnx.checker.check_model</c> with <c>full_check</c>: the graph, every node
/// against its operator schema, and strict shape inference), run through the Python package <c>onnx</c> (Debian's
/// python3-onnx, which .ci/run installs). ONNX Runtime loading a file is not this check: it accepts graphs the
/// standard does not.
/// </summary>
public static class OnnxChecker
{
    private const string Script =
        "import sys, onnx\n" +
        "for path in sys.argv[1:]:\n" +
        "    onnx.checker.check_model(path, full_check=True)\n" +
        "    print('ok', path)\n";

    private static readonly Lazy<string?> Python = new(() =>
        new[] { "/usr/bin/python3", "python3" }.FirstOrDefault(candidate => Run(candidate, ["-c", "import onnx"]).Exit == 0));

    /// <summary>Why the checker cannot run here, or null when it can.</summary>
    public static string? Unavailable => Python.Value is null
        ? "the Python package onnx is not installed (apt-get install python3-onnx)"
        : null;

    /// <summary>Checks every file; the checker's message when one fails.</summary>
    public static (bool Ok, string Output) Check(params string[] paths)
    {
        var (exit, output) = Run(Python.Value ?? throw new InvalidOperationException(Unavailable), ["-c", Script, .. paths]);
        return (exit == 0, output);
    }

    private static (int Exit, string Output) Run(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}

/// <summary>A test that runs <see cref="OnnxChecker"/>: skipped, with the reason, when the onnx package is missing.</summary>
public sealed class OnnxCheckerFactAttribute : FactAttribute
{
    public OnnxCheckerFactAttribute()
    {
        if (OnnxChecker.Unavailable is { } reason) Skip = reason;
    }
}
