using ScottPlot;
using Drlrec.IO;

namespace Drlrec.Reporting;

/// <summary>One line of a chart.</summary>
/// <param name="RightAxis">Draw against the right-hand axis (a second unit on the same chart).</param>
public sealed record Series(string Name, double[] X, double[] Y, bool RightAxis = false, double[]? Error = null);

/// <summary>PNG charts (ScottPlot 5), written atomically.</summary>
public static class Plots
{
    public static void Lines(string path, string title, string xLabel, string yLabel, IEnumerable<Series> series,
        string? rightLabel = null, int width = 900, int height = 520)
    {
        var plot = new Plot();
        foreach (var s in series)
        {
            var line = plot.Add.Scatter(s.X, s.Y);
            line.LegendText = s.Name;
            line.MarkerSize = 6;
            if (s.RightAxis) line.Axes.YAxis = plot.Axes.Right;
            if (s.Error is not null)
            {
                var bars = plot.Add.ErrorBar(s.X, s.Y, s.Error);
                bars.Color = line.Color;
                if (s.RightAxis) bars.Axes.YAxis = plot.Axes.Right;
            }
        }
        plot.Title(title);
        plot.Axes.Bottom.Label.Text = xLabel;
        plot.Axes.Left.Label.Text = yLabel;
        if (rightLabel is not null) plot.Axes.Right.Label.Text = rightLabel;
        plot.ShowLegend(Alignment.UpperRight);
        AtomicFile.WriteVia(path, temp => plot.SavePng(temp, width, height));
    }

    /// <summary>Grouped bars with error bars: one group per category, one bar per series.</summary>
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<string> categories,
        IReadOnlyList<(string Name, double[] Values, double[]? Errors)> series, int width = 1000, int height = 520)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        int groups = categories.Count, k = series.Count;
        for (int s = 0; s < k; s++)
        {
            for (int g = 0; g < groups; g++)
            {
                double value = series[s].Values[g];
                if (double.IsNaN(value)) continue;
                bars.Add(new Bar
                {
                    Position = g * (k + 1) + s,
                    Value = value,
                    Error = series[s].Errors?[g] ?? 0,
                    FillColor = palette.GetColor(s),
                });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = palette.GetColor(s) });
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, groups).Select(g => g * (k + 1) + (k - 1) / 2.0).ToArray(), categories.ToArray());
        plot.Title(title);
        plot.Axes.Left.Label.Text = yLabel;
        if (bars.Count > 0)
        {
            double lo = bars.Min(b => b.Value - b.Error), hi = bars.Max(b => b.Value + b.Error), pad = Math.Max(1e-3, (hi - lo) * 0.15);
            plot.Axes.SetLimitsY(Math.Max(0, lo - pad), hi + pad);
        }
        plot.ShowLegend(Alignment.UpperRight);
        AtomicFile.WriteVia(path, temp => plot.SavePng(temp, width, height));
    }
}
