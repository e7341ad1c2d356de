using System.CommandLine;
using Drlrec.Serving;

namespace Drlrec.Cli.Options;

/// <summary><c>--backend</c> and <c>--onnx</c> of the commands that rank with a served model (serve, rank).</summary>
public static class ScorerOptions
{
    public static Option<string> Backend()
    {
        var backend = new Option<string>("--backend")
        {
            Description = "Scoring backend: torch (TorchSharp) or onnx (ONNX Runtime on --onnx)",
            DefaultValueFactory = _ => ScorerBackends.Torch,
        };
        backend.AcceptOnlyFromAmong([.. ScorerBackends.Names]);
        return backend;
    }

    public static Option<string?> Onnx() => new("--onnx")
    {
        Description = "Exported .onnx graph of the model (drlrec export), for --backend onnx",
        DefaultValueFactory = _ => null,
    };
}
