using System.CommandLine;
using Spectre.Console;
using Drlrec.Checkpoints;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Onnx;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec export --model DIR --format onnx --out FILE</c>: a trained model for ONNX Runtime serving.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var model = ModelOptions.One();
        var format = new Option<string>("--format") { Description = "Export format (only onnx for now)", DefaultValueFactory = _ => "onnx" };
        var output = new Option<string>("--out")
        {
            Description = "The step graph to write (e.g. student.onnx); beside it the list graph (NAME.list.onnx), the vocabulary " +
                          "(NAME.vocabulary.json) and, for a model that encodes each candidate once per request (context_input " +
                          "item_vector, the default), the serving split: the encode graph (NAME.encode.onnx), the cached step " +
                          "graph (NAME.cached.onnx) and the slate graph (NAME.slate.onnx, a whole greedy slate in one call). " +
                          "Every file records the SHA-256 of the model's weights and is served only with that model. Files " +
                          "appear only when complete; existing ones are replaced.",
            Required = true,
        };
        var quantize = CommonOptions.Quantize("none: float32 graphs; int8: every linear map's weights int8 with a scale per output " +
                                              "channel, activations quantised per call (serve/rank --backend onnx take either)");
        var command = new Command("export", "Export a model's online network to ONNX (opset 17, float32 or int8): the serving step graph, " +
                                            "the encode, cached step and whole-slate graphs, the whole-list graph, and the vocabulary needed to encode requests.");
        foreach (var option in new Option[] { model, format, output, quantize }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string chosen = parse.GetValue(format)!;
            if (!string.Equals(chosen, "onnx", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--format '{chosen}' is not supported (supported: onnx)");
            using var loaded = ModelCheckpoint.Load(parse.GetValue(model)!);
            var export = OnnxExporter.Export(loaded, parse.GetValue(output)!, OnnxPrecisions.Parse(parse.GetValue(quantize)!));
            string precision = OnnxPrecisions.Name(export.Precision);
            AnsiConsole.MarkupLineInterpolated($"wrote [bold]{export.Path}[/] ({Size(export.Bytes)}, opset {export.Opset}, {precision}, step graph of '{loaded.Name}')");
            AnsiConsole.MarkupLineInterpolated($"wrote {export.ListPath} ({Size(export.ListBytes)}, list graph)");
            if (export.EncodePath is { } encode && export.CachedStepPath is { } cached)
                AnsiConsole.MarkupLineInterpolated($"wrote {encode} and {cached} (serving split: candidates encoded once per request)");
            if (export.SlatePath is { } slate)
                AnsiConsole.MarkupLineInterpolated($"wrote {slate} (slate graph: a whole greedy slate in one call)");
            if (export.VocabularyPath is { } vocabulary) AnsiConsole.MarkupLineInterpolated($"wrote {vocabulary} (vocabulary)");
            return 0;
        }));
        return command;
    }

    private static string Size(long bytes) => bytes < 1024 * 1024 ? $"{bytes / 1024.0:F1} KB" : $"{bytes / (1024.0 * 1024):F1} MB";
}
