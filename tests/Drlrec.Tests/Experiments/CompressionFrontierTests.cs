using System.Text;
using System.Text.Json;
using Drlrec.Configuration;
using Drlrec.Experiments;
using Drlrec.IO;
using Drlrec.Testing;

namespace Drlrec.Tests.Experiments;

public sealed class CompressionFrontierTests
{
    private static readonly ExperimentSpec Spec = new()
    {
        Name = "compression", Seeds = [1, 2, 3],
        Datasets = [new ExperimentDataset { Name = "sim", Source = "synthetic" }],
        Variants =
        [
            new ExperimentVariant { Name = "teacher", Kind = VariantKind.Teacher },
            new ExperimentVariant { Name = "student alone", Kind = VariantKind.Student },
            new ExperimentVariant { Name = "DRL-Rec", Kind = VariantKind.Distill },
            new ExperimentVariant { Name = "student + KD", Kind = VariantKind.Distill, Distill = new DistillConfig { Method = DistillMethod.Kd }, Size = "small" },
        ],
        Sweep = new ExperimentSweep
        {
            Parameter = ExperimentSweep.StudentSize,
            Sizes = [Size("large", """{"embedding_dim": 8}"""), Size("small", """{"embedding_dim": 2, "state_dim": 8}""")],
        },
    };

    private static StudentSize Size(string name, string model) => new() { Name = name, Model = JsonDocument.Parse(model).RootElement.Clone() };

    private static ExperimentRow Row(int seed, string variant, VariantKind kind, int? size, double paramsRatio, double auc, double clicks) => new(
        "sim", seed, variant, kind, size is null ? null : ExperimentSweep.StudentSize, size, auc, auc, auc, auc, auc, 1,
        (long)(1000 * paramsRatio), paramsRatio, 1, paramsRatio, 1, paramsRatio, clicks, 1, "run")
    {
        Size = size is null ? null : Spec.Sweep!.Sizes[size.Value].Name,
        SlateP50Ratio = 0.5 + paramsRatio / 2,
        BytesRatio = paramsRatio,
    };

    /// <summary>Teacher 2.00 clicks; the large student (50%) alone 1.99 (within 1%), the small one (5%) alone 1.90, DRL-Rec
    /// at the small size 1.97 + 0.01·seed (within 1% from the mean 1.99), so: alone needs 50%, DRL-Rec 5%.</summary>
    private static ExperimentResult Result()
    {
        var rows = new List<ExperimentRow>();
        for (int s = 1; s <= 3; s++)
        {
            rows.Add(Row(s, "teacher", VariantKind.Teacher, null, 1, 0.80, 2.00));
            rows.Add(Row(s, "student alone", VariantKind.Student, 0, 0.5, 0.79, 1.99));
            rows.Add(Row(s, "student alone", VariantKind.Student, 1, 0.05, 0.75, 1.90 + 0.001 * s));
            rows.Add(Row(s, "DRL-Rec", VariantKind.Distill, 0, 0.5, 0.79, 1.985));
            rows.Add(Row(s, "DRL-Rec", VariantKind.Distill, 1, 0.05, 0.77, 1.97 + 0.01 * s));
            rows.Add(Row(s, "student + KD", VariantKind.Distill, 1, 0.05, 0.76, 1.95));
        }
        return new ExperimentResult(Spec, rows, [], 1);
    }

    [Fact]
    public void Per_size_differences_are_paired_over_seeds_and_the_headline_picks_the_smallest_size_within_one_percent()
    {
        var f = Assert.Single(CompressionFrontier.Of(Result()));

        Assert.Equal((CompressionFrontier.Clicks, "teacher", "student alone", "DRL-Rec"), (f.Metric, f.Teacher, f.Alone, f.DrlRec));
        Assert.Equal(["small", "large"], f.Sizes.Select(z => z.Name));                    // by parameter ratio
        var small = f.Sizes[0];
        Assert.Equal((0.05, 50L, 0.525), (Math.Round(small.ParamsRatio, 10), small.Params, Math.Round(small.SlateP50Ratio!.Value, 10)));
        // DRL-Rec − alone at the small size: 0.079, 0.088, 0.097 (mean 0.088, sd 0.009, t(2) = 4.303).
        var gained = small.DrlRecMinusAlone!.Clicks!;
        Assert.Equal(0.088, gained.Difference, 10);
        Assert.Equal(0.088 - 4.303 * 0.009 / Math.Sqrt(3), gained.Low, 10);
        Assert.Equal(3, gained.Seeds);
        Assert.Equal(2.00 - 1.902, small.TeacherMinusAlone!.Clicks!.Difference, 10);
        Assert.Equal(0.088 / 0.098, small.GapRecovered!.Value, 10);
        Assert.Equal(0.02, small.DrlRecMinusAlone.Auc!.Difference, 10);
        Assert.Equal(1.99, small.DrlRec!.Clicks!.Value, 10);
        var kd = Assert.Single(small.Others);
        Assert.Equal(("DRL-Rec", "student + KD", 0.04), (kd.A, kd.B, Math.Round(kd.Differences.Clicks!.Difference, 10)));
        Assert.Empty(f.Sizes[1].Others);                                                    // KD ran at the small size only

        Assert.Equal(("large", 0.5), (f.Headline.Alone!.Size, f.Headline.Alone.ParamsRatio));
        Assert.Equal(("small", 0.05), (f.Headline.DrlRec!.Size, Math.Round(f.Headline.DrlRec.ParamsRatio, 10)));
        Assert.Contains("alone 50.0% of the parameters (large), DRL-Rec 5.0% of the parameters (small)", f.Headline.Text);
    }

    [Fact]
    public void Without_online_clicks_the_frontier_is_offline_and_a_size_nobody_reaches_is_said()
    {
        var offline = Result();
        offline = offline with { Rows = offline.Rows.Select(r => r with { OnlineClicks = null }).ToList() };
        var f = Assert.Single(CompressionFrontier.Of(offline));
        Assert.Equal(CompressionFrontier.Auc, f.Metric);
        Assert.Null(f.Sizes[0].DrlRecMinusAlone!.Clicks);
        // AUC 0.80 × 0.99 = 0.792: the large students (0.79) fall short, so does everyone.
        Assert.Null(f.Headline.Alone);
        Assert.Contains("alone none of the sizes, DRL-Rec none of the sizes", f.Headline.Text);
    }

    [Fact]
    public void The_report_and_results_json_carry_the_frontier_and_its_plots()
    {
        using var folder = new TemporaryFolder();
        ExperimentReport.Write(Result(), folder.Path);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, "results.json")));
        var size = json.RootElement.GetProperty("frontier")[0].GetProperty("sizes")[0];
        Assert.Equal(0.05, size.GetProperty("params_ratio").GetDouble(), 10);
        Assert.Equal(0.525, size.GetProperty("slate_p50_ratio").GetDouble(), 10);
        Assert.Equal(1.902, size.GetProperty("alone").GetProperty("clicks").GetDouble(), 10);
        Assert.Equal(1.99, size.GetProperty("drl_rec").GetProperty("clicks").GetDouble(), 10);
        var difference = size.GetProperty("drl_rec_minus_alone").GetProperty("clicks");
        Assert.True(difference.GetProperty("low").GetDouble() < difference.GetProperty("difference").GetDouble());
        Assert.True(difference.GetProperty("high").GetDouble() > difference.GetProperty("difference").GetDouble());

        string report = File.ReadAllText(Path.Combine(folder.Path, "report.md"));
        Assert.Contains("### Compression frontier", report);
        Assert.Contains("| small | 50 | 5.0% |", report);
        Assert.Contains("| student alone (student_size = small) |", report);
        foreach (string plot in new[] { "sim-frontier-clicks-params.png", "sim-frontier-clicks-slate-latency.png", "sim-frontier-auc-params.png" })
        {
            Assert.Contains($"]({plot})", report);
            Assert.True(new FileInfo(Path.Combine(folder.Path, plot)).Length > 1000, plot);
        }
        Assert.False(File.Exists(Path.Combine(folder.Path, "sim-sweep-student_size.png")));
        var csv = File.ReadAllLines(Path.Combine(folder.Path, "results.csv"));
        Assert.EndsWith(",size,bytes,bytes_ratio,slate_ms_p50,slate_p50_ratio,train_cpu_seconds,ope_clicks,ope_validation_clicks", csv[0]);
        Assert.EndsWith(",small,,0.05,,0.525,,,", csv[3]);
    }

    [Theory]
    [InlineData("""{ "parameter": "student_size", "sizes": [] }""", "at least one size")]
    [InlineData("""{ "parameter": "student_size", "sizes": [ { "name": "a", "model": {} }, { "name": "a", "model": {} } ] }""", "two sizes are named 'a'")]
    [InlineData("""{ "parameter": "student_size", "values": [4], "sizes": [ { "name": "a", "model": {} } ] }""", "not values")]
    [InlineData("""{ "parameter": "student_size", "sizes": [ { "name": "a", "model": 4 } ] }""", "JSON object")]
    [InlineData("""{ "parameter": "width", "values": [4] }""", "'width' is not one of")]
    [InlineData("""{ "parameter": "k", "values": [] }""", "at least one value")]
    public void A_sweep_the_runner_cannot_run_is_refused_before_anything_trains(string sweep, string expected)
    {
        using var folder = new TemporaryFolder();
        var spec = Spec with { Variants = Spec.Variants.Take(3).ToList(), Sweep = JsonSerializer.Deserialize<ExperimentSweep>(sweep, Json.Options) };
        var e = Assert.Throws<ArgumentException>(() => ExperimentRunner.Run(spec, folder["out"]));
        Assert.Contains(expected, e.Message);
        Assert.False(Directory.Exists(folder["out"]) && Directory.EnumerateFileSystemEntries(folder["out"]).Any());
    }

    [Fact]
    public void A_variant_size_must_name_a_size_of_the_sweep()
    {
        var spec = Spec with { Variants = [.. Spec.Variants.Take(3), Spec.Variants[3] with { Size = "tiny" }] };
        var e = Assert.Throws<ArgumentException>(() => ExperimentRunner.ModelsPerSeed(spec));
        Assert.Contains("variant 'student + KD': size 'tiny' is not one of", e.Message);
        // alone and DRL-Rec at both sizes, KD at its one size, and the teacher.
        Assert.Equal(1 + 2 + 2 + 1, ExperimentRunner.ModelsPerSeed(Spec));
    }

    [Fact]
    public void Finished_seeds_of_several_folders_merge_each_data_set_and_seed_once()
    {
        using var folder = new TemporaryFolder();
        var all = Result();
        foreach (int seed in new[] { 1, 2 })
        {
            string output = folder[$"seed-{seed}"];
            Json.WriteFile(Path.Combine(output, "experiment.json"), Spec with { Seeds = [seed] });
            ExperimentReport.WriteData(all with { Spec = Spec with { Seeds = [seed] }, Rows = all.Rows.Where(r => r.Seed == seed).ToList(), Seconds = 10 * seed }, output);
        }
        int models = ExperimentRunner.ModelsPerSeed(Spec);
        var merged = FinishedRuns.Merge([.. new[] { 1, 2, 1 }.Select(seed => FinishedRuns.Load(Spec, folder[$"seed-{seed}"], models))]);
        Assert.True(merged.IsDone("sim", 1) && merged.IsDone("sim", 2) && !merged.IsDone("sim", 3));
        Assert.Equal(2 * models, merged.Rows.Count);
        Assert.Equal(20, merged.Seconds);
    }
}
