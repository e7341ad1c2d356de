using Drlrec.Configuration;
using Drlrec.Simulation;

// Namespace Drlrec.Tests, not Drlrec.Tests.Configuration: that would hide Drlrec.Configuration from the tests that write Configuration.X.
namespace Drlrec.Tests;

public sealed class RunConfigTests
{
    [Fact]
    public void A_simulator_setting_out_of_range_is_named_by_its_config_key_before_anything_runs()
    {
        var config = new RunConfig { Data = new DataConfig { Synthetic = new SyntheticConfig { Items = 300 } } };

        var error = Assert.Throws<ArgumentException>(config.Validate);

        Assert.Equal("config data.synthetic.items = 300: must be between 1000 and 1000000", error.Message);
    }

    [Fact]
    public void The_simulator_lists_length_is_the_runs_max_list_length_and_only_the_simulator_limits_it()
    {
        var tooLong = new RunConfig { Data = new DataConfig { MaxListLength = 200 } };
        var error = Assert.Throws<ArgumentException>(tooLong.Validate);
        Assert.Equal("config data.max_list_length = 200: must be between 1 and 100 with the simulator", error.Message);

        // Logged data are cut into lists of any length; the simulator's settings are not used, so not checked.
        (tooLong with { Data = tooLong.Data with { Source = "logs.parquet", Synthetic = new SyntheticConfig { Items = 1 } } }).Validate();
    }
}
