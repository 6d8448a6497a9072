using DetectionEval.Plots;
using SkiaSharp;

namespace DetectionEval.Plots.Tests;

public class PointThinningTests
{
    /// <summary>One data unit is one pixel: the tests speak in pixels.</summary>
    private static readonly PixelScale Pixels = new(1, 1);

    [Fact]
    public void A_straight_line_of_many_points_keeps_only_its_ends()
    {
        double[] x = [.. Enumerable.Range(0, 100_000).Select(i => i / 100.0)];
        double[] y = [.. x.Select(v => 500 - 0.3 * v)];

        (double[] tx, double[] ty) = PointThinning.Line(x, y, Pixels);

        Assert.Equal([x[0], x[^1]], tx);
        Assert.Equal([y[0], y[^1]], ty);
    }

    [Fact]
    public void A_staircase_whose_steps_move_a_pixel_or_more_keeps_every_corner()
    {
        var random = new Random(11);
        (double[] x, double[] y) = Staircase(random, 2_000, minStep: 1.0, maxStep: 4.0);

        (double[] tx, double[] ty) = PointThinning.Line(x, y, Pixels);

        Assert.Equal(x, tx);
        Assert.Equal(y, ty);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Steps_below_a_pixel_go_and_the_thinned_line_stays_within_half_a_pixel_of_the_original_both_ways(int seed)
    {
        var random = new Random(seed);
        (double[] x, double[] y) = Staircase(random, 5_000, minStep: 0.01, maxStep: 0.3);

        (double[] tx, double[] ty) = PointThinning.Line(x, y, Pixels);

        Assert.InRange(tx.Length, 2, x.Length / 5);
        AssertWithinHalfAPixelBothWays(x, y, tx, ty);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void A_raw_precision_recall_curve_of_100000_detections_becomes_a_few_thousand_points_within_half_a_pixel(int seed)
    {
        (double[] recall, double[] precision) = RawCurve(new Random(seed), 100_000);
        var scale = new PixelScale(800, 600 / 1.05);

        (double[] tx, double[] ty) = PointThinning.Line(recall, precision, scale);

        Assert.InRange(tx.Length, 100, 5_000);
        Assert.Equal((recall[0], precision[0]), (tx[0], ty[0]));
        Assert.Equal((recall[^1], precision[^1]), (tx[^1], ty[^1]));
        AssertOriginalWithinHalfAPixel(Scaled(recall, scale.PerX), Scaled(precision, scale.PerY), Scaled(tx, scale.PerX), Scaled(ty, scale.PerY));
    }

    [Fact]
    public void Thinning_works_in_the_pixels_of_the_charts_size()
    {
        // A corner 0.0008 units off the straight line: 0.64 pixels on an 800-pixel-wide chart, 0.32 on a 400-pixel one.
        double[] x = [0.0, 0.5, 1.0];
        double[] y = [0.0, 0.0008, 0.0];

        Assert.Equal(3, PointThinning.Line(x, y, new PixelScale(800, 800)).X.Length);
        Assert.Equal(2, PointThinning.Line(x, y, new PixelScale(400, 400)).X.Length);
    }

    [Fact]
    public void Lines_of_two_points_or_fewer_and_lines_with_gaps_are_kept_as_they_are()
    {
        Assert.Empty(PointThinning.Line([], [], Pixels).X);
        Assert.Equal([3.0], PointThinning.Line([3.0], [4.0], Pixels).X);
        Assert.Equal([0.0, 1.0], PointThinning.Line([0.0, 1.0], [5.0, 5.0], Pixels).X);
        Assert.Equal([0.0, 1.0, 2.0, 3.0], PointThinning.Line([0.0, 1.0, 2.0, 3.0], [5.0, 5.0, double.NaN, 5.0], Pixels).X);
    }

    [Fact]
    public void Markers_within_half_a_pixel_of_the_last_kept_marker_go_and_the_last_always_stays()
    {
        double[] x = [0.0, 0.2, 0.4, 0.6, 3.0, 3.1, 3.2];
        double[] y = [0.0, 0.1, 0.2, 0.3, 3.0, 3.0, 3.0];

        (double[] tx, double[] ty) = PointThinning.Markers(x, y, Pixels);

        Assert.Equal([0.0, 0.6, 3.0, 3.2], tx);
        Assert.Equal([0.0, 0.3, 3.0, 3.0], ty);
    }

    [Fact]
    public void A_marked_line_keeps_its_markers_up_to_the_limit_and_becomes_a_plain_thinned_line_beyond()
    {
        double[] few = [.. Enumerable.Range(0, 10).Select(i => i * 10.0)];
        double[] many = [.. Enumerable.Range(0, PointThinning.MarkersUpTo + 1).Select(i => i * 10.0)];
        var scale = new PixelScale(1, 1);

        LineSeries small = PointThinning.Thin(new LineSeries("raw", few, few, SeriesStyle.LineAndMarkers, "#000000"), scale);
        LineSeries large = PointThinning.Thin(new LineSeries("raw", many, many, SeriesStyle.LineAndMarkers, "#000000"), scale);

        Assert.Equal(SeriesStyle.LineAndMarkers, small.Style);
        Assert.Equal(few, small.X);
        Assert.Equal(SeriesStyle.Line, large.Style);
        Assert.Equal([0.0, many[^1]], large.X);
    }

    [Fact]
    public void A_class_chart_of_30000_detections_draws_the_picture_of_its_full_curves()
    {
        (double[] recall, double[] precision) = RawCurve(new Random(6), 30_000);
        var raw = new PrSeries("raw", recall, precision, []);
        var envelope = new PrSeries("envelope", recall, SuffixMaximum(precision), []);
        ChartModel thinned = Charts.ClassPrecisionRecall("many detections", raw, envelope);
        ChartModel full = thinned with
        {
            Series = [thinned.Series[0] with { X = recall, Y = precision }, thinned.Series[1] with { X = recall, Y = envelope.Precision }],
        };

        Assert.All(thinned.Series, s => Assert.InRange(s.X.Count, 2, 5_000));
        using SKBitmap a = SKBitmap.Decode(ChartRenderer.RenderPng(thinned));
        using SKBitmap b = SKBitmap.Decode(ChartRenderer.RenderPng(full));
        // Anti-aliased edges may shade a little differently; no pixel may change from line to background.
        int changed = 0;
        for (int y = 0; y < a.Height; y++)
        {
            for (int x = 0; x < a.Width; x++)
            {
                SKColor p = a.GetPixel(x, y), q = b.GetPixel(x, y);
                if (Math.Abs(p.Red - q.Red) + Math.Abs(p.Green - q.Green) + Math.Abs(p.Blue - q.Blue) > 3 * 128) changed++;
            }
        }
        Assert.Equal(0, changed);
    }

    /// <summary>Alternating horizontal and vertical steps, right and down, each between the two sizes in pixels.</summary>
    private static (double[] X, double[] Y) Staircase(Random random, int steps, double minStep, double maxStep)
    {
        var x = new List<double> { 0 };
        var y = new List<double> { 1000 };
        for (int i = 0; i < steps; i++)
        {
            double step = minStep + random.NextDouble() * (maxStep - minStep);
            x.Add(i % 2 == 0 ? x[^1] + step : x[^1]);
            y.Add(i % 2 == 0 ? y[^1] : y[^1] - step);
        }
        return ([.. x], [.. y]);
    }

    /// <summary>Recall and precision after each of <paramref name="detections"/> detections, hits getting rarer as the score falls.</summary>
    private static (double[] Recall, double[] Precision) RawCurve(Random random, int detections)
    {
        double positives = detections * 0.4, hits = 0;
        var recall = new double[detections];
        var precision = new double[detections];
        for (int i = 0; i < detections; i++)
        {
            if (random.NextDouble() < 0.9 * (1 - (double)i / detections)) hits++;
            recall[i] = hits / positives;
            precision[i] = hits / (i + 1);
        }
        return (recall, precision);
    }

    private static double[] SuffixMaximum(double[] values)
    {
        var result = new double[values.Length];
        double max = 0;
        for (int i = values.Length - 1; i >= 0; i--) result[i] = max = Math.Max(max, values[i]);
        return result;
    }

    private static double[] Scaled(double[] values, double factor) => [.. values.Select(v => v * factor)];

    private static void AssertWithinHalfAPixelBothWays(double[] x, double[] y, double[] tx, double[] ty)
    {
        AssertOriginalWithinHalfAPixel(x, y, tx, ty);
        // And every point of the thinned line lies within half a pixel of the original between the same two
        // kept points: sampled every tenth of a pixel.
        int from = 0;
        for (int k = 0; k + 1 < tx.Length; k++)
        {
            int to = from + 1;
            while (x[to] != tx[k + 1] || y[to] != ty[k + 1]) to++;
            double length = Math.Sqrt(Square(tx[k + 1] - tx[k]) + Square(ty[k + 1] - ty[k]));
            for (double s = 0; s <= length; s += 0.1)
            {
                double t = length == 0 ? 0 : s / length;
                double px = tx[k] + t * (tx[k + 1] - tx[k]), py = ty[k] + t * (ty[k + 1] - ty[k]);
                double nearest = double.PositiveInfinity;
                for (int i = from; i < to; i++) nearest = Math.Min(nearest, DistanceToSegment(px, py, x[i], y[i], x[i + 1], y[i + 1]));
                Assert.True(nearest <= PointThinning.Tolerance + 1e-9, $"({px}, {py}) on the thinned line is {nearest} pixels from the original");
            }
            from = to;
        }
    }

    /// <summary>Every original point lies within half a pixel of the thinned segment between the kept points around it.</summary>
    private static void AssertOriginalWithinHalfAPixel(double[] x, double[] y, double[] tx, double[] ty)
    {
        int k = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (k + 1 < tx.Length && x[i] == tx[k + 1] && y[i] == ty[k + 1])
            {
                k++;
                continue;
            }
            double distance = DistanceToSegment(x[i], y[i], tx[k], ty[k], tx[Math.Min(k + 1, tx.Length - 1)], ty[Math.Min(k + 1, tx.Length - 1)]);
            Assert.True(distance <= PointThinning.Tolerance + 1e-9, $"point {i} ({x[i]}, {y[i]}) is {distance} pixels from the thinned line");
        }
        Assert.Equal(tx.Length - 1, k);
    }

    private static double DistanceToSegment(double px, double py, double ax, double ay, double bx, double by)
    {
        double dx = bx - ax, dy = by - ay;
        double length2 = dx * dx + dy * dy;
        double t = length2 > 0 ? Math.Clamp(((px - ax) * dx + (py - ay) * dy) / length2, 0, 1) : 0;
        return Math.Sqrt(Square(px - ax - t * dx) + Square(py - ay - t * dy));
    }

    private static double Square(double v) => v * v;
}
