using Drlrec.Configuration;
using Drlrec.Distillation;

namespace Drlrec.Tests.Distillation;

public sealed class DistillConfigTests
{
    private static (bool Explore, bool Confidence, bool Kl, bool Hint) Switches(DistillConfig config)
    {
        var r = config.Resolve();
        return (r.ExploreFilter, r.Confidence, r.Kl, r.Hint);
    }

    [Fact]
    public void Baseline_presets_switch_confidence_and_exploring_off_whatever_the_switches_say()
    {
        var everything = new DistillConfig { ExploreFilter = true, Confidence = true, Kl = true, Hint = true };
        Assert.Equal((false, false, true, false), Switches(everything with { Method = DistillMethod.Kd }));
        Assert.Equal((false, false, false, true), Switches(everything with { Method = DistillMethod.Hint }));
        Assert.Equal((false, false, false, false), Switches(everything with { Method = DistillMethod.None }));
        Assert.False(new DistillConfig { Method = DistillMethod.Kd }.Resolve().Confidence);
        Assert.False(new DistillConfig { Method = DistillMethod.Hint }.Resolve().Confidence);
        Assert.False((everything with { Method = DistillMethod.None }).Resolve().UsesTeacher);
    }

    [Fact]
    public void Drl_rec_uses_everything_by_default_and_keeps_the_ablation_switches()
    {
        Assert.Equal((true, true, true, true), Switches(new DistillConfig()));
        Assert.Equal((true, false, true, true), Switches(new DistillConfig { Confidence = false }));
        Assert.Equal((false, true, true, true), Switches(new DistillConfig { ExploreFilter = false }));
        Assert.Equal((true, true, false, true), Switches(new DistillConfig { Kl = false }));
        Assert.Equal((true, true, true, false), Switches(new DistillConfig { Hint = false }));
        var defaults = new DistillConfig();
        Assert.Equal((0.4, 0.3, 0.3, 10, 1000), (defaults.RlWeight, defaults.KlWeight, defaults.HintWeight, defaults.K, defaults.Pool));
        Assert.Equal((ConfidenceMode.TdError, DistillSchedule.Frozen), (defaults.ConfidenceMode, defaults.Schedule));
        Assert.Equal((true, 0), (defaults.HintProjection, defaults.HintDecaySteps));
        Assert.Equal(ExplorePool.Auto, defaults.ExploreFrom);
    }

    [Theory]
    [InlineData("auto", ExplorePool.Auto)]
    [InlineData("catalog", ExplorePool.Catalog)]
    [InlineData("candidates", ExplorePool.Candidates)]
    public void A_config_file_names_the_explorers_pool(string name, ExplorePool pool) =>
        Assert.Equal(pool, Drlrec.IO.Json.Parse<RunConfig>($$$"""{"distill": {"explore_from": "{{{name}}}"}}""", "config.json").Distill!.ExploreFrom);
}
