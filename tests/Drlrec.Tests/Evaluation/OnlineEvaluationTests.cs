using Drlrec.Evaluation;
using Drlrec.Features;

namespace Drlrec.Tests.Evaluation;

public sealed class OnlineEvaluationTests
{
    [Fact]
    public void Summary_is_the_mean_with_a_95_percent_student_t_interval()
    {
        // mean 2.5; sample sd √(5/3) = 1.290994; t(3) = 3.182 → half width 3.182 · 1.290994 / √4 = 2.053972
        var summary = OnlineEvaluation.Summarise("p", [1, 2, 3, 4]);

        Assert.Equal("p", summary.Policy);
        Assert.Equal(2.5, summary.Mean, 9);
        Assert.Equal(2.5 - 2.053972, summary.CiLow, 5);
        Assert.Equal(2.5 + 2.053972, summary.CiHigh, 5);
        Assert.Equal([1.0, 2, 3, 4], summary.PerSeed);
        // two values: t(1) = 12.706, sd √2·0.5 → half width 12.706 · 0.707107 / √2 = 6.353
        var two = OnlineEvaluation.Summarise("q", [1, 2]);
        Assert.Equal(1.5 - 6.353, two.CiLow, 9);
        Assert.Equal(1.5 + 6.353, two.CiHigh, 9);
    }

    [Fact]
    public void One_value_has_no_interval()
    {
        var summary = OnlineEvaluation.Summarise("p", [0.7]);

        Assert.Equal(0.7, summary.Mean);
        Assert.True(double.IsNaN(summary.CiLow) && double.IsNaN(summary.CiHigh));
    }

    [Fact]
    public void Critical_values_come_from_the_t_table_up_to_30_degrees_of_freedom_and_1_96_beyond()
    {
        Assert.Equal(12.706, Statistics.TCritical95(1));
        Assert.Equal(4.303, Statistics.TCritical95(2));
        Assert.Equal(2.228, Statistics.TCritical95(10));
        Assert.Equal(2.042, Statistics.TCritical95(30));
        Assert.Equal(1.96, Statistics.TCritical95(31));
        Assert.Equal(1.96, Statistics.TCritical95(1000));
    }
}

public sealed class OfflineBaselineTests
{
    [Fact]
    public void Baselines_are_fitted_on_exactly_the_training_lists_the_models_learn_from()
    {
        var data = Drlrec.Data.Loading.PreparedData.Prepare(Support.ToyData.Lists(300, seed: 8), null, new Configuration.DataConfig(),
            new Configuration.FeatureConfig { ItemStatistics = false });
        var fair = OfflineEvaluation.EvaluateBaselines(data, seed: 1);
        var onTrain = OfflineEvaluation.EvaluateBaselines(data.TrainLists, data.TestLists, seed: 1);
        var withValidation = OfflineEvaluation.EvaluateBaselines(
            data.TrainLists.WithLists([.. data.TrainLists.Lists, .. data.ValidationLists.Lists]), data.TestLists, seed: 1);
        Assert.Equal(onTrain[OfflineEvaluation.ItemPopularity], fair[OfflineEvaluation.ItemPopularity]);
        Assert.NotEqual(withValidation[OfflineEvaluation.ItemPopularity], fair[OfflineEvaluation.ItemPopularity]);
    }
}
