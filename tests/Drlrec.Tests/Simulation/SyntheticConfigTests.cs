using System.Text.Json;
using Drlrec.Simulation;

namespace Drlrec.Tests.Simulation;

public sealed class SyntheticConfigTests
{
    [Fact]
    public void An_empty_json_object_gives_the_documented_defaults()
    {
        var config = JsonSerializer.Deserialize<SyntheticConfig>("{}")!;
        Assert.Equal(new SyntheticConfig(), config);
        Assert.Equal(42, config.Seed);
        Assert.Equal(2000, config.Users);
        Assert.Equal(5000, config.Items);
        Assert.Equal(20_000, config.Lists);
        Assert.Equal(10, config.ListLength);
        Assert.Equal(50, config.CandidatesPerRequest);
        Assert.Equal(8, config.LatentDim);
        Assert.Equal(20, config.Categories);
        Assert.Equal(0, config.Exit);
        config.Validate();
    }

    [Fact]
    public void A_config_survives_a_json_round_trip()
    {
        var config = new SyntheticConfig { Seed = 7, Items = 12_345, Fatigue = 0.25, FatigueDecay = 1, BaseLogit = -2 };
        var back = JsonSerializer.Deserialize<SyntheticConfig>(JsonSerializer.Serialize(config));
        Assert.Equal(config, back);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(2_000_000)]
    public void A_catalog_size_out_of_range_is_refused_with_a_clear_message(int items)
    {
        var config = new SyntheticConfig { Items = items };
        var error = Assert.Throws<ArgumentException>(() => new SyntheticSimulator(config));
        Assert.Equal("Items", error.ParamName);
        Assert.Contains("SyntheticConfig.Items must be between 1000 and 1000000", error.Message);
        Assert.Contains($"(got {items})", error.Message);
    }

    public static TheoryData<string, SyntheticConfig> InvalidConfigs => new()
    {
        { "Users", new SyntheticConfig { Users = 0 } },
        { "Lists", new SyntheticConfig { Lists = -1 } },
        { "ListLength", new SyntheticConfig { ListLength = 0 } },
        { "CandidatesPerRequest", new SyntheticConfig { CandidatesPerRequest = 5 } },
        { "CandidatesPerRequest", new SyntheticConfig { Items = 1000, CandidatesPerRequest = 501 } },
        { "LatentDim", new SyntheticConfig { LatentDim = 0 } },
        { "Categories", new SyntheticConfig { Categories = 201 } },
        { "PositionBias", new SyntheticConfig { PositionBias = double.NaN } },
        { "Fatigue", new SyntheticConfig { Fatigue = -0.1 } },
        { "FatigueDecay", new SyntheticConfig { FatigueDecay = 1.5 } },
        { "LoggingNoise", new SyntheticConfig { LoggingNoise = double.PositiveInfinity } },
        { "LoggingExploration", new SyntheticConfig { LoggingExploration = -1 } },
        { "BaseLogit", new SyntheticConfig { BaseLogit = 11 } },
        { "Exit", new SyntheticConfig { Exit = -0.5 } },
        { "ExitBias", new SyntheticConfig { ExitBias = double.NaN } },
        { "SatisfactionCorrelation", new SyntheticConfig { SatisfactionCorrelation = -1.1 } },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigs))]
    public void Each_setting_out_of_range_is_named_in_the_error(string setting, SyntheticConfig config)
    {
        var error = Assert.Throws<ArgumentException>(config.Validate);
        Assert.Equal(setting, error.ParamName);
        Assert.StartsWith($"SyntheticConfig.{setting} must", error.Message);
    }
}
