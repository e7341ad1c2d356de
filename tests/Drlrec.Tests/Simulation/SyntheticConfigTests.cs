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
    public void A_catalog_size_out_of_range_is_refused_naming_its_config_key(int items)
    {
        var config = new SyntheticConfig { Items = items };
        var error = Assert.Throws<ArgumentException>(() => new SyntheticSimulator(config));
        Assert.Equal($"config data.synthetic.items = {items}: must be between 1000 and 1000000", error.Message);
    }

    public static TheoryData<string, SyntheticConfig> InvalidConfigs => new()
    {
        { "config data.synthetic.users = 0", new SyntheticConfig { Users = 0 } },
        { "config data.synthetic.lists = -1", new SyntheticConfig { Lists = -1 } },
        { "config data.max_list_length = 0", new SyntheticConfig { ListLength = 0 } },
        { "config data.synthetic.candidates_per_request = 5", new SyntheticConfig { CandidatesPerRequest = 5 } },
        { "config data.synthetic.candidates_per_request = 501", new SyntheticConfig { Items = 1000, CandidatesPerRequest = 501 } },
        { "config data.synthetic.latent_dim = 0", new SyntheticConfig { LatentDim = 0 } },
        { "config data.synthetic.categories = 201", new SyntheticConfig { Categories = 201 } },
        { "config data.synthetic.position_bias = NaN", new SyntheticConfig { PositionBias = double.NaN } },
        { "config data.synthetic.fatigue = -0.1", new SyntheticConfig { Fatigue = -0.1 } },
        { "config data.synthetic.fatigue_decay = 1.5", new SyntheticConfig { FatigueDecay = 1.5 } },
        { "config data.synthetic.logging_noise = Infinity", new SyntheticConfig { LoggingNoise = double.PositiveInfinity } },
        { "config data.synthetic.logging_exploration = -1", new SyntheticConfig { LoggingExploration = -1 } },
        { "config data.synthetic.base_logit = 11", new SyntheticConfig { BaseLogit = 11 } },
        { "config data.synthetic.exit = -0.5", new SyntheticConfig { Exit = -0.5 } },
        { "config data.synthetic.exit_bias = NaN", new SyntheticConfig { ExitBias = double.NaN } },
        { "config data.synthetic.satisfaction_correlation = -1.1", new SyntheticConfig { SatisfactionCorrelation = -1.1 } },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigs))]
    public void Each_setting_out_of_range_is_named_by_the_key_a_run_config_gives_it(string key, SyntheticConfig config)
    {
        var error = Assert.Throws<ArgumentException>(() => config.Validate());
        Assert.StartsWith($"{key}: must be", error.Message);
        Assert.DoesNotContain("(Parameter", error.Message);
    }

    [Fact]
    public void A_caller_names_the_settings_as_its_user_typed_them()
    {
        var error = Assert.Throws<ArgumentException>(() => new SyntheticConfig { CandidatesPerRequest = 3 }.Validate(name => $"--{name.Replace('_', '-')}"));
        Assert.Equal("--candidates-per-request = 3: must be between the list length (10) and 2500 (half the items, at most 10000)", error.Message);
    }
}
