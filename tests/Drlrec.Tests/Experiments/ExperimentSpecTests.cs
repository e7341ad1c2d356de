using System.Text.Json;
using Drlrec.Configuration;
using Drlrec.Experiments;
using Drlrec.IO;
using Drlrec.Testing;

namespace Drlrec.Tests.Experiments;

public sealed class ExperimentSpecTests
{
    [Fact]
    public void Every_shipped_experiment_file_parses_with_its_base_run_config()
    {
        var files = Directory.GetFiles(Path.Combine(SharedData.RepositoryRoot, "experiments"), "*.json");
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            var spec = Json.ReadFile<ExperimentSpec>(file);
            string name = Path.GetFileName(file);
            Assert.False(string.IsNullOrWhiteSpace(spec.Name), name);
            Assert.NotEmpty(spec.Datasets);
            Assert.NotEmpty(spec.Variants);
            Assert.NotEmpty(spec.Seeds);
            if (spec.Base is { } overrides)
                Assert.NotNull(overrides.Deserialize<RunConfig>(Json.Options));
            foreach (var dataset in spec.Datasets) dataset.Synthetic?.Validate();
            foreach (var variant in spec.Variants) variant.Distill?.Validate();
        }
    }
}
