using Drlrec.Evaluation;
using Drlrec.Experiments;

namespace Drlrec.Tests.Experiments;

public sealed class ExperimentReportTests
{
    private static ExperimentRow Row(int seed, string variant, VariantKind kind, double auc, double? clicks) => new(
        "sim", seed, variant, kind, null, null, auc, auc, auc, auc, auc, 1, 100, 1, null, null, null, null, clicks, 1, "run");

    [Fact]
    public void Comparisons_are_paired_over_seeds_with_a_student_t_interval_and_say_when_zero_is_outside()
    {
        var spec = new ExperimentSpec
        {
            Name = "t", Seeds = [1, 2, 3],
            Datasets = [new ExperimentDataset { Name = "sim", Source = "synthetic" }],
            Variants = [new ExperimentVariant { Name = "teacher", Kind = VariantKind.Teacher },
                        new ExperimentVariant { Name = "student alone", Kind = VariantKind.Student },
                        new ExperimentVariant { Name = "DRL-Rec", Kind = VariantKind.Distill }],
        };
        // DRL-Rec − student alone: +0.01, +0.02, +0.03 (mean 0.02, sd 0.01, t(2) = 4.303 → ±0.0248): not distinguishable.
        // DRL-Rec − teacher: +0.10, +0.11, +0.12: distinguishable.
        var rows = new List<ExperimentRow>();
        for (int s = 1; s <= 3; s++)
        {
            rows.Add(Row(s, "teacher", VariantKind.Teacher, 0.60 + 0.01 * s, 2.0));
            rows.Add(Row(s, "student alone", VariantKind.Student, 0.70, 2.1));
            rows.Add(Row(s, "DRL-Rec", VariantKind.Distill, 0.70 + 0.01 * s, 2.2 + 0.01 * s));
        }
        var baselines = Enumerable.Range(1, 3).Select(s => new BaselineRow("sim", s, OnlineEvaluation.Upstream, null, null, null, 2.0)).ToList();

        var comparisons = ExperimentReport.Compare(new ExperimentResult(spec, rows, baselines, 1));

        var alone = comparisons.Single(c => c.Metric == "auc" && c.A == "DRL-Rec" && c.B == "student alone");
        Assert.Equal(0.02, alone.Difference, 10);
        Assert.Equal(0.02 - 4.303 * 0.01 / Math.Sqrt(3), alone.Low, 10);
        Assert.False(alone.Distinguishable);
        Assert.True(comparisons.Single(c => c.Metric == "auc" && c.A == "DRL-Rec" && c.B == "teacher").Distinguishable);
        // The teacher's advantage over the student alone (what distillation can transfer): −0.09, −0.08, −0.07.
        var advantage = comparisons.Single(c => c.Metric == "gauc" && c.A == "teacher" && c.B == "student alone");
        Assert.Equal(-0.08, advantage.Difference, 10);
        Assert.True(advantage.Distinguishable);
        var online = comparisons.Single(c => c.Metric == "online_clicks" && c.A == "DRL-Rec" && c.B == OnlineEvaluation.Upstream);
        Assert.Equal(0.22, online.Difference, 10);
        Assert.True(online.Distinguishable);
        Assert.Equal(3, online.Seeds);
    }

    [Fact]
    public void Online_clicks_are_compared_with_the_diversity_re_rank_for_every_variant_and_with_the_oracles_for_the_teachers()
    {
        var spec = new ExperimentSpec
        {
            Name = "t", Seeds = [1, 2],
            Datasets = [new ExperimentDataset { Name = "sim", Source = "synthetic" }],
            Variants = [new ExperimentVariant { Name = "teacher", Kind = VariantKind.Teacher },
                        new ExperimentVariant { Name = "teacher (gamma 0)", Kind = VariantKind.Teacher },
                        new ExperimentVariant { Name = "DRL-Rec", Kind = VariantKind.Distill }],
        };
        var rows = new List<ExperimentRow>();
        var baselines = new List<BaselineRow>();
        for (int s = 1; s <= 2; s++)
        {
            rows.Add(Row(s, "teacher", VariantKind.Teacher, 0.7, 2.0 + 0.1 * s));
            rows.Add(Row(s, "teacher (gamma 0)", VariantKind.Teacher, 0.7, 1.9));
            rows.Add(Row(s, "DRL-Rec", VariantKind.Distill, 0.7, 1.8));
            foreach (var (name, clicks) in new[] { (OnlineEvaluation.Upstream, 1.5), (OnlineEvaluation.Diversity, 1.6), (OnlineEvaluation.Oracle, 2.5),
                         (OnlineEvaluation.OracleLookahead, 3.0) })
                baselines.Add(new BaselineRow("sim", s, name, null, null, null, clicks));
        }
        var online = ExperimentReport.Compare(new ExperimentResult(spec, rows, baselines, 1)).Where(c => c.Metric == "online_clicks").ToList();

        double Difference(string a, string b) => online.Single(c => c.A == a && c.B == b).Difference;
        Assert.Equal(0.25, Difference("teacher", "teacher (gamma 0)"), 10); // RL − γ0: +0.2 and +0.3
        Assert.Equal(2.15 - 1.6, Difference("teacher", OnlineEvaluation.Diversity), 10);
        Assert.Equal(2.15 - 3.0, Difference("teacher", OnlineEvaluation.OracleLookahead), 10);
        Assert.Equal(1.9 - 2.5, Difference("teacher (gamma 0)", OnlineEvaluation.Oracle), 10);
        Assert.Equal(1.8 - 1.6, Difference("DRL-Rec", OnlineEvaluation.Diversity), 10);
        Assert.DoesNotContain(online, c => c.A == "DRL-Rec" && c.B is OnlineEvaluation.Oracle or OnlineEvaluation.OracleLookahead);
    }
}
